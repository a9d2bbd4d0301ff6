"""Kernels applying a sparse sign (CountSketch-like) matrix to dense data.

The sketch ``S`` (k x d) has exactly ``s`` nonzeros per column, stored as two
``(d, s)`` arrays: ``rows[j, t]`` is the row of the t-th nonzero of column j
and ``vals[j, t]`` its value (+-1/sqrt(s)).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._backend import Kernel


def as_csc(rows, vals, k):
    """The sketch as a scipy.sparse CSC matrix of shape (k, d)."""
    d, s = rows.shape
    indptr = np.arange(0, d * s + 1, s, dtype=np.int64)
    return sp.csc_array((vals.ravel(), rows.ravel(), indptr), shape=(k, d))


def _cols_reference(rows, vals, k, X):
    """``S @ X`` for dense X of shape (d, n)."""
    out = as_csc(rows, vals.astype(X.dtype, copy=False), k) @ X
    return np.asarray(out)


def _rows_reference(rows, vals, k, X):
    """``X @ S.T`` for dense X of shape (n, d)."""
    S = as_csc(rows, vals.astype(X.dtype, copy=False), k)
    return np.asarray((S @ X.T).T)


#: largest per-thread private accumulator (bytes) used by the Numba kernel
_PRIVATE_BYTES = 1 << 27


def _build_cols():
    import numba as nb

    @nb.njit(cache=True, nogil=True, parallel=True)
    def _private(rows, vals, X, out, nthreads):
        # Each thread scatters a contiguous chunk of X's rows into a private
        # accumulator (no write conflicts, X streamed once); then a reduction.
        d, n = X.shape
        k = out.shape[0]
        s = rows.shape[1]
        parts = np.zeros((nthreads, k, n), dtype=X.dtype)
        chunk = (d + nthreads - 1) // nthreads
        for p in nb.prange(nthreads):
            acc = parts[p]
            for j in range(p * chunk, min(d, (p + 1) * chunk)):
                for t in range(s):
                    r = rows[j, t]
                    v = vals[j, t]
                    for c in range(n):
                        acc[r, c] += v * X[j, c]
        for p in range(nthreads):
            out += parts[p]
        return out

    @nb.njit(cache=True, nogil=True, parallel=True)
    def _striped(rows, vals, X, out, nthreads):
        # Each thread owns a stripe of columns of `out` (for wide X).
        d, n = X.shape
        s = rows.shape[1]
        block = max(16, (n + nthreads - 1) // nthreads)
        nblocks = (n + block - 1) // block
        for b in nb.prange(nblocks):
            c0 = b * block
            c1 = min(n, c0 + block)
            for j in range(d):
                for t in range(s):
                    r = rows[j, t]
                    v = vals[j, t]
                    for c in range(c0, c1):
                        out[r, c] += v * X[j, c]
        return out

    def cols(rows, vals, k, X):
        X = np.ascontiguousarray(X)
        out = np.zeros((k, X.shape[1]), dtype=X.dtype)
        nthreads = nb.get_num_threads()
        v = vals.astype(X.dtype)
        if nthreads > 1 and nthreads * out.nbytes <= _PRIVATE_BYTES:
            return _private(rows, v, X, out, nthreads)
        return _striped(rows, v, X, out, nthreads)

    return cols


def _build_rows():
    import numba as nb

    @nb.njit(cache=True, nogil=True, parallel=True)
    def _kernel(rows, vals, k, X, out):
        n, d = X.shape
        s = rows.shape[1]
        for i in nb.prange(n):
            for j in range(d):
                x = X[i, j]
                for t in range(s):
                    out[i, rows[j, t]] += vals[j, t] * x
        return out

    def rows_fn(rows, vals, k, X):
        X = np.ascontiguousarray(X)
        out = np.zeros((X.shape[0], k), dtype=X.dtype)
        return _kernel(rows, vals.astype(X.dtype), k, X, out)

    return rows_fn


sparse_sign_cols = Kernel("sketch.sparse_sign_cols", numpy=_cols_reference, numba=_build_cols)
sparse_sign_rows = Kernel("sketch.sparse_sign_rows", numpy=_rows_reference, numba=_build_rows)
