"""Kernel cases of the completion family (see tests/test_kernels.py)."""

import numpy as np

from tests.test_kernels import KernelCase


def _csr(rng, m, n, per_row):
    """A CSR pattern with `per_row` distinct columns in every row but the last (empty)."""
    counts = np.full(m, per_row)
    counts[-1] = 0
    indptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    idx = np.concatenate([rng.choice(n, c, replace=False) for c in counts]).astype(np.int64)
    return indptr, idx


def _row_solve(rng, dtype):
    indptr, idx = _csr(rng, 40, 30, 20)
    F = rng.standard_normal((30, 4)).astype(dtype)
    target = rng.standard_normal(idx.size).astype(dtype)
    ridge = np.full((40, 4), 0.5, dtype=dtype)
    return indptr, idx, target, F, ridge


def _row_residual(rng, dtype):
    indptr, idx, target, F, ridge = _row_solve(rng, dtype)
    X = rng.standard_normal((40, 4)).astype(dtype)
    return indptr, idx, target, F, X, ridge


def _observed_dot(rng, dtype):
    rows = rng.integers(0, 25, 60).astype(np.int64)
    cols = rng.integers(0, 15, 60).astype(np.int64)
    U = rng.standard_normal((25, 3)).astype(dtype)
    V = rng.standard_normal((15, 3)).astype(dtype)
    return rows, cols, U, V


CASES = {
    "completion.row_solve": KernelCase(_row_solve),
    "completion.row_residual": KernelCase(_row_residual),
    "completion.observed_dot": KernelCase(_observed_dot),
}
