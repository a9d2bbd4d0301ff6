"""Private helpers shared by the low-rank family: input checks and products."""

from __future__ import annotations

import numpy as np
from scipy.sparse.linalg import LinearOperator

from .._backend import (
    array_namespace,
    device_of,
    is_numpy_namespace,
    is_sparse,
    linalg_module,
    matmul,
)
from .._validate import check_array, check_rank

__all__ = [
    "check_matrix",
    "check_target_rank",
    "is_operator",
    "apply",
    "apply_t",
    "normalize_columns",
    "orth",
    "qr_thin",
    "sign_fix",
    "host",
]


def is_operator(A):
    """True for a :class:`scipy.sparse.linalg.LinearOperator`."""
    return isinstance(A, LinearOperator)


def check_matrix(A, name="A", *, allow_operator=False, check_finite=True):
    """Validate a 2-D dense, sparse (or LinearOperator) argument.

    Returns ``(A, xp)``. Integer input is promoted to float64; complex input is
    rejected.
    """
    if is_operator(A):
        if not allow_operator:
            raise TypeError(
                f"{name} must be a dense or scipy.sparse matrix; "
                "a LinearOperator is not supported here"
            )
        if len(A.shape) != 2 or 0 in A.shape:
            raise ValueError(f"{name} must be a non-empty 2-D operator, got shape {A.shape}")
        dt = np.dtype(A.dtype) if A.dtype is not None else np.dtype(np.float64)
        if dt.kind not in "biuf":
            raise TypeError(f"{name} must have a real dtype, got {dt}")
        return A, array_namespace(np.empty(0))
    A = check_array(A, name, ndim=2, allow_sparse=True, check_finite=check_finite)
    xp = array_namespace(A)
    return A, xp


def check_target_rank(k, A, name="k"):
    """``1 <= k <= min(A.shape)``."""
    return check_rank(k, name, min(A.shape))


def work_dtype(A, xp):
    """float32 for float32 input, else float64 (NumPy dtype for host draws)."""
    if A.dtype is None:
        return np.dtype(np.float64)
    if hasattr(A, "__array_namespace__") and not isinstance(A, np.ndarray):
        return np.dtype(np.float32) if A.dtype == xp.float32 else np.dtype(np.float64)
    dt = np.dtype(A.dtype)
    return np.dtype(np.float32) if dt == np.float32 else np.dtype(np.float64)


def apply(A, X):
    """``A @ X`` for dense, sparse or LinearOperator `A` and dense `X`."""
    if is_operator(A):
        return np.asarray(A.matmat(X))
    return matmul(A, X)


def apply_t(A, Y):
    """``A.T @ Y`` for dense, sparse or LinearOperator `A` and dense `Y`."""
    if is_operator(A):
        return np.asarray(A.rmatmat(Y))
    if is_sparse(A):
        return matmul(A.T, Y)
    return A.T @ Y


def qr_thin(L, xp):
    """Thin QR ``L = Q R``: CholeskyQR2 for NumPy when it is accurate, else Householder.

    CholeskyQR2 (two Cholesky QR passes, BLAS-3 only) is several times faster
    than Householder QR for tall thin matrices. Each pass applies the
    explicit inverse of the small triangular factor by a matrix product, so
    the whole factorization stays in NumPy's BLAS (switching to SciPy's
    triangular solves, a separate OpenBLAS whose worker threads were still
    spinning, made it slower, not faster, on 2 cores). The result is
    accepted only if ``||Q^T Q - I||_max <= 100 r eps`` and ``||Q R -
    L||_F <= 100 r eps ||L||_F`` (both hold whenever ``kappa(L) <~
    eps^{-1/2}``); otherwise the Householder QR is used.
    """
    if is_numpy_namespace(xp) and isinstance(L, np.ndarray) and L.dtype in (np.float32, np.float64):
        eps = float(np.finfo(L.dtype).eps)
        r = L.shape[1]
        try:
            R1 = np.linalg.cholesky(L.T @ L).T
            Q = L @ np.linalg.inv(R1)
            R2 = np.linalg.cholesky(Q.T @ Q).T
            Q = Q @ np.linalg.inv(R2)
            R = R2 @ R1
            tol = 100 * r * eps
            ok = (
                bool(np.all(np.isfinite(Q)))
                and float(np.max(np.abs(Q.T @ Q - np.eye(r, dtype=L.dtype)))) <= tol
                and float(np.linalg.norm(Q @ R - L)) <= tol * float(np.linalg.norm(L))
            )
        except np.linalg.LinAlgError:
            ok = False
        if ok:
            return Q, np.triu(R)
    return xp.linalg.qr(L)


def orth(Y, xp):
    """Orthonormal basis of the columns of `Y` (thin QR)."""
    Q, _ = qr_thin(Y, xp)
    return Q


def normalize_columns(Y, xp):
    """A well-conditioned basis of range(Y) for power iterations.

    NumPy: the Householder QR of ``numpy.linalg``. An LU normalization
    (``scipy.linalg.lu``) costs fewer flops (2 ms against 12 ms for 4000 x
    60 on its own), but between NumPy's products with A it runs in SciPy's
    OpenBLAS while NumPy's worker threads still spin: on 2 cores the rank-50
    rsvd of a 4000 x 3000 matrix took 775 - 865 ms with LU and 440 ms with
    QR, to the same error. Other backends with LU (CuPy) use the unit
    lower-triangular LU factor, the rest a thin QR.
    """
    if is_numpy_namespace(xp) and isinstance(Y, np.ndarray):
        return xp.linalg.qr(Y)[0]
    mod = linalg_module(xp)
    if mod is not None and hasattr(mod, "lu"):
        L, _ = mod.lu(Y, permute_l=True, check_finite=False)
        return L
    return orth(Y, xp)


def sign_fix(U, Vt, xp):
    """Flip signs so the largest-magnitude entry of each column of U is positive."""
    idx = xp.argmax(xp.abs(U), axis=0)
    cols = xp.arange(U.shape[1], device=device_of(U))
    if hasattr(xp, "take_along_axis"):
        picked = xp.take_along_axis(U, xp.reshape(idx, (1, -1)), axis=0)[0, :]
    else:  # pragma: no cover - older namespaces
        picked = xp.stack([U[int(i), int(j)] for i, j in zip(idx, cols, strict=True)])
    sgn = xp.where(picked < 0, -xp.ones_like(picked), xp.ones_like(picked))
    return U * sgn, Vt * xp.reshape(sgn, (-1, 1))


def host(x):
    """A NumPy copy (or view) of a small array from any namespace."""
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "get"):  # pragma: no cover - cupy
        return x.get()
    try:
        return np.asarray(x)
    except Exception:  # array_api_strict refuses implicit conversion
        return np.from_dlpack(x)
