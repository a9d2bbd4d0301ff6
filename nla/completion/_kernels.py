"""The hot loops of matrix completion: NumPy references and Numba kernels.

The observed entries of one half-step are stored row by row (CSR): row ``i``
owns the entries ``indptr[i]:indptr[i + 1]``, ``idx`` holds their column of
the fixed factor ``F`` (``n x d``) and ``target`` their values. Every kernel
works row by row. The Numba variants run on one thread (the same bits for
any thread count): the loops are memory-bound gathers, and an idle OpenMP
team spinning between calls costs more on a shared machine than a second
thread gains.

* ``completion.row_solve``: the exact ridge solve of every row,
  ``(F_i^T F_i + diag(ridge_i)) x_i = F_i^T t_i`` with ``F_i = F[idx_i]``, by
  a small Cholesky factorization per row (the ``altmin`` half-step);
* ``completion.row_residual``: ``F_i^T (t_i - F_i x_i) - ridge_i * x_i`` for
  every row (the right-hand side and residual of the batched conjugate
  gradients of ``robust-altmin``); with ``target=None`` it returns
  ``F_i^T F_i x_i + ridge_i * x_i``, the product with the normal matrices;
* ``completion.observed_dot``: ``U[rows[e]] . V[cols[e]]`` for every entry
  (predictions and residuals).

All are NumPy-only: the completion family serves NumPy input.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._backend import Kernel

__all__ = [
    "row_solve_kernel",
    "row_residual_kernel",
    "observed_dot_kernel",
    "row_solve_reference",
    "row_residual_reference",
    "observed_dot_reference",
    "SHIFT",
]

#: diagonal shift of a row's normal matrix, ``SHIFT * d * eps * trace``:
#: above the rounding error of the computed Gram matrix, so that the
#: Cholesky factorization of a rank-deficient row is defined
SHIFT = 4.0


def _segment_sum(indptr, rows_values):
    """Sum the rows of `rows_values` (``nnz x p``) within each CSR row."""
    m = indptr.size - 1
    nnz = rows_values.shape[0]
    S = sp.csr_array(
        (np.ones(nnz, dtype=rows_values.dtype), np.arange(nnz), indptr), shape=(m, nnz)
    )
    return np.asarray(S @ rows_values)


def row_solve_reference(indptr, idx, target, F, ridge):
    """Exact per-row ridge solutions ``X`` (``m x d``), batched in NumPy.

    Rows with no entry get zero. The diagonal gets ``ridge[i]`` plus
    ``SHIFT * d * eps * trace(F_i^T F_i)`` (a rounding-level shift that keeps
    rank-deficient rows solvable); a row whose factorization still fails
    gets zero.
    """
    m, d = indptr.size - 1, F.shape[1]
    dt = F.dtype
    Fg = F[idx]
    outer = (Fg[:, :, None] * Fg[:, None, :]).reshape(idx.size, d * d)
    G = _segment_sum(indptr, outer).reshape(m, d, d)
    b = _segment_sum(indptr, Fg * target[:, None].astype(dt, copy=False))
    counts = np.diff(indptr)
    tr = np.trace(G, axis1=1, axis2=2)
    shift = (SHIFT * d * np.finfo(dt).eps) * tr
    diag = (ridge + shift[:, None]).astype(dt, copy=False)
    ar = np.arange(d)
    G[:, ar, ar] += diag
    X = np.zeros((m, d), dtype=dt)
    ok = (counts > 0) & (np.min(diag, axis=1) > 0)
    if np.any(ok):
        try:
            X[ok] = _cholesky_solve(G[ok], b[ok])
        except np.linalg.LinAlgError:  # one row failed: go row by row
            for i in np.flatnonzero(ok):
                try:
                    X[i] = _cholesky_solve(G[i : i + 1], b[i : i + 1])[0]
                except np.linalg.LinAlgError:
                    pass
    return X


def _cholesky_solve(G, b):
    L = np.linalg.cholesky(G)
    y = np.linalg.solve(L, b[:, :, None])
    return np.linalg.solve(np.swapaxes(L, 1, 2), y)[:, :, 0]


def row_residual_reference(indptr, idx, target, F, X, ridge):
    """``F_i^T (t_i - F_i x_i) - ridge_i * x_i`` per row; ``target=None``:
    ``F_i^T F_i x_i + ridge_i * x_i``."""
    Fg = F[idx]
    rows = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))
    fx = np.einsum("ij,ij->i", Fg, X[rows])
    if target is None:
        return _segment_sum(indptr, Fg * fx[:, None]) + ridge * X
    r = target.astype(F.dtype, copy=False) - fx
    return _segment_sum(indptr, Fg * r[:, None]) - ridge * X


def observed_dot_reference(rows, cols, U, V):
    """``sum_k U[rows, k] * V[cols, k]``."""
    return np.einsum("ij,ij->i", U[rows], V[cols])


#: the dot products of the gather kernels may be reassociated (vectorized
#: reductions); NaN and Inf never reach them (inputs are checked)
_REASSOC = {"reassoc", "contract"}


def _build_numba():
    from numba import njit

    @njit(cache=True, nogil=True)
    def row_solve(indptr, idx, target, F, ridge, eps):
        m = indptr.size - 1
        d = F.shape[1]
        X = np.zeros((m, d), dtype=F.dtype)
        for i in range(m):
            lo, hi = indptr[i], indptr[i + 1]
            if hi == lo:
                continue
            G = np.zeros((d, d), dtype=F.dtype)
            b = np.zeros(d, dtype=F.dtype)
            for e in range(lo, hi):
                j = idx[e]
                t = target[e]
                for p in range(d):
                    fp = F[j, p]
                    b[p] += fp * t
                    for q in range(p + 1):
                        G[p, q] += fp * F[j, q]
            tr = 0.0
            for p in range(d):
                tr += G[p, p]
            shift = (SHIFT * d * eps) * tr
            good = True
            for p in range(d):  # Cholesky in the lower triangle
                s = G[p, p] + (ridge[i, p] + shift)
                if not s > 0.0:
                    good = False
                    break
                for q in range(p):
                    s -= G[p, q] * G[p, q]
                if not s > 0.0:
                    good = False
                    break
                piv = np.sqrt(s)
                G[p, p] = piv
                for r in range(p + 1, d):
                    s2 = G[r, p]
                    for q in range(p):
                        s2 -= G[r, q] * G[p, q]
                    G[r, p] = s2 / piv
            if not good:
                continue
            for p in range(d):  # L y = b
                s = b[p]
                for q in range(p):
                    s -= G[p, q] * b[q]
                b[p] = s / G[p, p]
            for p in range(d - 1, -1, -1):  # L^T x = y
                s = b[p]
                for q in range(p + 1, d):
                    s -= G[q, p] * b[q]
                b[p] = s / G[p, p]
            for p in range(d):
                X[i, p] = b[p]
        return X

    @njit(cache=True, nogil=True, fastmath=_REASSOC)
    def row_residual(indptr, idx, target, F, X, ridge, has_target):
        m = indptr.size - 1
        d = F.shape[1]
        out = np.empty((m, d), dtype=F.dtype)
        sign = -1.0 if has_target else 1.0
        for i in range(m):
            acc = np.zeros(d, dtype=F.dtype)
            for e in range(indptr[i], indptr[i + 1]):
                j = idx[e]
                fx = 0.0
                for p in range(d):
                    fx += F[j, p] * X[i, p]
                r = target[e] - fx if has_target else fx
                for p in range(d):
                    acc[p] += F[j, p] * r
            for p in range(d):
                out[i, p] = acc[p] + sign * ridge[i, p] * X[i, p]
        return out

    @njit(cache=True, nogil=True, fastmath=_REASSOC)
    def observed_dot(rows, cols, U, V):
        nnz = rows.size
        k = U.shape[1]
        out = np.empty(nnz, dtype=U.dtype)
        for e in range(nnz):
            i, j = rows[e], cols[e]
            s = 0.0
            for p in range(k):
                s += U[i, p] * V[j, p]
            out[e] = s
        return out

    return row_solve, row_residual, observed_dot


_COMPILED = []


def _numba_variants():
    if not _COMPILED:
        _COMPILED.append(_build_numba())
    return _COMPILED[0]


def _c(a):
    return np.ascontiguousarray(a)


def _build_row_solve():
    kern = _numba_variants()[0]

    def run(indptr, idx, target, F, ridge):
        dt = F.dtype
        return kern(
            _c(indptr), _c(idx), _c(target.astype(dt, copy=False)), _c(F),
            _c(np.asarray(ridge, dtype=dt)), float(np.finfo(dt).eps),
        )

    return run


def _build_row_residual():
    kern = _numba_variants()[1]

    def run(indptr, idx, target, F, X, ridge):
        dt = F.dtype
        has = target is not None
        t = target.astype(dt, copy=False) if has else np.zeros(1, dtype=dt)
        return kern(
            _c(indptr), _c(idx), _c(t), _c(F), _c(X.astype(dt, copy=False)),
            _c(np.asarray(ridge, dtype=dt)), has,
        )

    return run


def _build_observed_dot():
    kern = _numba_variants()[2]

    def run(rows, cols, U, V):
        return kern(_c(rows), _c(cols), _c(U), _c(V.astype(U.dtype, copy=False)))

    return run


row_solve_kernel = Kernel(
    "completion.row_solve", numpy=row_solve_reference, numba=_build_row_solve
)
row_residual_kernel = Kernel(
    "completion.row_residual", numpy=row_residual_reference, numba=_build_row_residual
)
observed_dot_kernel = Kernel(
    "completion.observed_dot", numpy=observed_dot_reference, numba=_build_observed_dot
)
