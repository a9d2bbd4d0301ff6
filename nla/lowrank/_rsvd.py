"""Randomized SVD: a range finder with normalized power iterations."""

from __future__ import annotations

import numpy as np

from .._backend import device_of
from .._random import check_rng, normal
from .._validate import check_int
from ._common import (
    apply,
    apply_t,
    check_matrix,
    check_target_rank,
    is_operator,
    normalize_columns,
    orth,
    sign_fix,
    work_dtype,
)

__all__ = ["rsvd", "range_finder"]


def _xp_dtype(xp, dt):
    return xp.float32 if dt == np.float32 else xp.float64


def _check_n_iter(n_iter, k, m, n):
    if isinstance(n_iter, str):
        if n_iter != "auto":
            raise ValueError(f"n_iter must be 'auto' or a non-negative integer, got {n_iter!r}")
        return 7 if k < 0.1 * min(m, n) else 4
    return check_int(n_iter, "n_iter", low=0)


def _range(A, ell, n_iter, rng, xp, dt):
    """Orthonormal Q (m x ell) approximating the dominant range of A."""
    m, n = A.shape
    omega = normal(
        rng, (n, ell), dtype=dt, xp=None if is_operator(A) else xp,
        device=None if is_operator(A) else device_of(A),
    )
    if is_operator(A) or not hasattr(A, "__array_namespace__"):
        omega = np.asarray(omega)
    Y = apply(A, omega)
    for _ in range(n_iter):
        Y = normalize_columns(Y, xp)
        Z = normalize_columns(apply_t(A, Y), xp)
        Y = apply(A, Z)
    return orth(Y, xp)


def range_finder(A, size, *, n_iter=2, rng=None, check_finite=True):
    """Orthonormal basis of an approximate dominant range of `A`.

    Parameters
    ----------
    A : (m, n) array, scipy.sparse matrix or LinearOperator
        The matrix.
    size : int
        Number of basis vectors, ``1 <= size <= min(m, n)``.
    n_iter : int, default 2
        Power iterations; each one is normalized (QR for NumPy, LU for CuPy,
        QR elsewhere), so no accuracy is lost to rounding.
    rng : None, int or numpy.random.Generator
        Source of the Gaussian test matrix.
    check_finite : bool, default True
        Reject NaN and Inf in `A`.

    Returns
    -------
    Q : (m, size) array
        Orthonormal columns.

    See Also
    --------
    rsvd : randomized SVD built on this range finder.

    References
    ----------
    N. Halko, P.-G. Martinsson, J. A. Tropp, "Finding structure with
    randomness", SIAM Review 53(2), 2011 (Algorithm 4.4).

    Examples
    --------
    >>> import numpy as np
    >>> import nla
    >>> A = np.outer(np.arange(1.0, 6.0), np.ones(4))
    >>> Q = nla.lowrank.range_finder(A, 1, rng=0)
    >>> bool(np.allclose(Q @ (Q.T @ A), A))
    True
    """
    A, xp = check_matrix(A, allow_operator=True, check_finite=check_finite)
    size = check_target_rank(size, A, "size")
    n_iter = check_int(n_iter, "n_iter", low=0)
    dt = work_dtype(A, xp)
    return _range(A, size, n_iter, check_rng(rng), xp, dt)


def rsvd(A, k, *, oversample=10, n_iter="auto", rng=None, check_finite=True):
    """Randomized truncated SVD ``A ~ U diag(s) Vt``.

    A Gaussian range finder with ``k + oversample`` columns and `n_iter`
    power iterations, each normalized by a QR factorization (NumPy: it stays
    in NumPy's BLAS between the products with A, which on 2 cores measured
    faster than SciPy's cheaper LU there), an LU factorization (CuPy) or a QR
    factorization (other array libraries), then an exact SVD of the small
    projected matrix.

    Parameters
    ----------
    A : (m, n) array, scipy.sparse matrix or scipy.sparse.linalg.LinearOperator
        The matrix. A LinearOperator needs ``matmat`` and ``rmatmat`` (or
        ``matvec`` and ``rmatvec``).
    k : int
        Target rank, ``1 <= k <= min(m, n)``.
    oversample : int, default 10
        Extra sketch columns; the sketch has ``min(k + oversample, min(m, n))``
        columns.
    n_iter : int or "auto", default "auto"
        Power iterations. ``"auto"`` is 7 if ``k < 0.1 min(m, n)`` else 4, as
        in scikit-learn. Every iteration is normalized, so large values never
        lose accuracy.
    rng : None, int or numpy.random.Generator
        Randomness (SPEC 7). A given `rng` gives the same result.
    check_finite : bool, default True
        Reject NaN and Inf in `A` (not checked for a LinearOperator).

    Returns
    -------
    U : (m, k) array
        Orthonormal left singular vectors.
    s : (k,) array
        Singular values, descending.
    Vt : (k, n) array
        Orthonormal right singular vectors (rows).

    Notes
    -----
    Sign convention: in every column of `U` the entry of largest magnitude
    (the first one on ties) is positive, and the matching row of `Vt` is
    flipped with it. The result lives in the caller's array library (NumPy for
    scipy.sparse and LinearOperator input); float32 input gives float32 output.

    When ``m < n`` the algorithm runs on ``A.T`` (the sketch is then taken
    from the shorter side), and the factors are swapped back.

    See Also
    --------
    nystrom : single-pass generalized Nystrom, much cheaper at lower accuracy.
    cur : low-rank approximation from actual rows and columns.
    sklearn.utils.extmath.randomized_svd : the scikit-learn peer.

    References
    ----------
    N. Halko, P.-G. Martinsson, J. A. Tropp, "Finding structure with
    randomness: probabilistic algorithms for constructing approximate matrix
    decompositions", SIAM Review 53(2), 217-288, 2011.

    Examples
    --------
    >>> import numpy as np
    >>> import nla
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((60, 5)) @ rng.standard_normal((5, 40))
    >>> U, s, Vt = nla.rsvd(A, 5, rng=0)
    >>> U.shape, s.shape, Vt.shape
    ((60, 5), (5,), (5, 40))
    >>> bool(np.allclose((U * s) @ Vt, A))
    True
    >>> bool(np.allclose(s, np.linalg.svd(A, compute_uv=False)[:5]))
    True
    """
    A, xp = check_matrix(A, allow_operator=True, check_finite=check_finite)
    k = check_target_rank(k, A)
    oversample = check_int(oversample, "oversample", low=0)
    m, n = A.shape
    n_iter = _check_n_iter(n_iter, k, m, n)
    rng = check_rng(rng)
    dt = work_dtype(A, xp)
    ell = min(k + oversample, min(m, n))
    transpose = m < n
    B = A.T if transpose else A
    Q = _range(B, ell, n_iter, rng, xp, dt)
    # small matrix Q^T B (ell x n'), computed as (B^T Q)^T
    small = apply_t(B, Q).T
    Ub, s, Vt = xp.linalg.svd(small, full_matrices=False)
    U = Q @ Ub[:, :k]
    s = s[:k]
    Vt = Vt[:k, :]
    if transpose:
        U, Vt = Vt.T, U.T
    U, Vt = sign_fix(U, Vt, xp)
    if U.dtype != _xp_dtype(xp, dt):
        U, s, Vt = (xp.astype(a, _xp_dtype(xp, dt)) for a in (U, s, Vt))
    return U, s, Vt
