"""Linear algebra delegation: what the array API standard lacks or does slowly.

Each helper takes the namespace `xp` of its inputs and uses the native
routine where the namespace has one (``scipy.linalg`` for NumPy,
``cupyx.scipy.linalg`` for CuPy) and generic array-API code otherwise, in
the manner of array-api-extra's delegation layer.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse.linalg import LinearOperator

from ._namespace import (
    array_namespace,
    is_cupy_namespace,
    is_numpy_namespace,
    is_sparse,
)

__all__ = [
    "linalg_module",
    "solve_triangular",
    "is_operator",
    "matmul",
    "rmatmul",
    "svdvals",
    "numerical_rank",
    "cholesky_qr2",
    "qr_thin",
    "orth",
    "sign_fix",
]


def linalg_module(xp):
    """``scipy.linalg`` for NumPy, ``cupyx.scipy.linalg`` for CuPy, else None."""
    if is_numpy_namespace(xp):
        import scipy.linalg

        return scipy.linalg
    if is_cupy_namespace(xp):  # pragma: no cover - needs a GPU
        import cupyx.scipy.linalg

        return cupyx.scipy.linalg
    return None


def solve_triangular(a, b, *, lower=False, trans=False, xp=None):
    """Solve ``a @ x = b`` (or ``a.T @ x = b``) for triangular `a`.

    ``scipy.linalg.solve_triangular`` for NumPy (any batch shape),
    ``cupyx.scipy.linalg.solve_triangular`` for 2-D CuPy input, else the
    generic ``xp.linalg.solve``. Leading dimensions are batch dimensions.
    """
    if xp is None:
        xp = array_namespace(a, b)
    mod = linalg_module(xp)
    if mod is not None and (a.ndim == 2 or is_numpy_namespace(xp)):
        return mod.solve_triangular(a, b, lower=lower, trans=1 if trans else 0, check_finite=False)
    if trans:
        a = xp.matrix_transpose(a)
    return xp.linalg.solve(a, b)


def is_operator(A) -> bool:
    """True for a :class:`scipy.sparse.linalg.LinearOperator`."""
    return isinstance(A, LinearOperator)


def _dense_result(out):
    if is_sparse(out):
        out = out.toarray()
    if isinstance(out, np.matrix):
        out = np.asarray(out)
    return out


def matmul(a, b):
    """``a @ b`` where either side may be sparse or `a` a LinearOperator.

    The result is dense. A sparse right-hand operand with a dense left operand
    is computed as ``(b.T @ a.T).T`` so that the sparse side drives the
    product and nothing is densified.
    """
    if is_operator(a):
        return np.asarray(a.matmat(b) if b.ndim == 2 else a.matvec(b))
    if is_sparse(b) and not is_sparse(a):
        return _dense_result((b.T @ a.T).T)
    return _dense_result(a @ b)


def rmatmul(a, b, xp=None):
    """``a.T @ b`` for dense, sparse or LinearOperator `a` and dense `b`.

    The transpose is never formed for dense `a`: ``matrix_transpose`` is a
    view (NumPy) or a strided read (other namespaces).
    """
    if is_operator(a):
        return np.asarray(a.rmatmat(b) if b.ndim == 2 else a.rmatvec(b))
    if is_sparse(a):
        return _dense_result(a.T @ b)
    if xp is None:
        xp = array_namespace(a, b)
    return xp.matrix_transpose(a) @ b


def svdvals(X, xp=None):
    """Singular values of `X` (descending; leading dimensions are a batch).

    NumPy 2-D input goes through ``scipy.linalg.svdvals``: the callers have
    usually just factored with SciPy, and alternating NumPy's and SciPy's
    separate OpenBLAS thread pools costs more than the call itself (see the
    benchmark docs).
    """
    if xp is None:
        xp = array_namespace(X)
    if is_numpy_namespace(xp) and isinstance(X, np.ndarray) and X.ndim == 2:
        import scipy.linalg

        return scipy.linalg.svdvals(X, check_finite=False)
    return xp.linalg.svdvals(X)


def numerical_rank(s, *, rtol=0.0, atol=0.0) -> int:
    """Number of singular values ``s`` above ``max(atol, rtol * max(s))``.

    `s` is a 1-D array of singular values (any namespace, any order); the
    count is a Python ``int``. All-zero (or empty) `s` has rank 0. The cut is
    strict: a value equal to the threshold is dropped.
    """
    xp = array_namespace(s)
    if s.shape[0] == 0:
        return 0
    smax = float(xp.max(s))
    if smax == 0.0:
        return 0
    threshold = max(float(atol), float(rtol) * smax)
    return int(xp.sum(xp.astype(s > threshold, xp.int64)))


def cholesky_qr2(L):
    """CholeskyQR2 of a NumPy float matrix, or None when it is not accurate.

    Two Cholesky QR passes (BLAS-3 only), each applying the explicit inverse
    of the small triangular factor by a matrix product. Accepted only if
    ``||Q^T Q - I||_max <= 100 r eps`` and ``||Q R - L||_F <= 100 r eps
    ||L||_F``, which hold whenever ``kappa(L) <~ eps^{-1/2}``.
    """
    eps = float(np.finfo(L.dtype).eps)
    r = L.shape[1]
    try:
        R1 = np.linalg.cholesky(L.T @ L).T
        Q = L @ np.linalg.inv(R1)
        R2 = np.linalg.cholesky(Q.T @ Q).T
        Q = Q @ np.linalg.inv(R2)
        R = R2 @ R1
    except np.linalg.LinAlgError:
        return None
    tol = 100 * r * eps
    ok = (
        bool(np.all(np.isfinite(Q)))
        and float(np.max(np.abs(Q.T @ Q - np.eye(r, dtype=L.dtype)))) <= tol
        and float(np.linalg.norm(Q @ R - L)) <= tol * float(np.linalg.norm(L))
    )
    return (Q, np.triu(R)) if ok else None


def qr_thin(L, xp=None):
    """Thin QR ``L = Q R`` of a tall matrix.

    NumPy float input: CholeskyQR2 (:func:`cholesky_qr2`, several times
    faster than Householder for tall thin matrices) when it passes its
    accuracy checks, else Householder. Other namespaces: the standard's
    reduced QR.
    """
    if xp is None:
        xp = array_namespace(L)
    if isinstance(L, np.ndarray) and L.dtype in (np.float32, np.float64) and L.shape[1]:
        out = cholesky_qr2(L)
        if out is not None:
            return out
    return xp.linalg.qr(L)


def orth(Y, xp=None):
    """Orthonormal basis of the columns of `Y` (thin QR)."""
    return qr_thin(Y, xp)[0]


def sign_fix(U, Vt, xp=None):
    """Flip signs so the largest-magnitude entry of each column of U is positive.

    Makes an SVD's factors deterministic (as scikit-learn's ``svd_flip``);
    ``U * sgn`` and ``sgn[:, None] * Vt`` leave ``U diag(s) Vt`` unchanged.
    """
    if xp is None:
        xp = array_namespace(U, Vt)
    idx = xp.argmax(xp.abs(U), axis=0)
    picked = xp.take_along_axis(U, xp.reshape(idx, (1, -1)), axis=0)[0, :]
    sgn = xp.where(picked < 0, -xp.ones_like(picked), xp.ones_like(picked))
    return U * sgn, Vt * xp.reshape(sgn, (-1, 1))
