"""Randomized SVD: a range finder with normalized power iterations."""

from __future__ import annotations

import math
from typing import NamedTuple

from .._backend import (
    device_of,
    is_operator,
    matmul,
    namespace_dtype,
    rmatmul,
    sign_fix,
    work_dtype,
)
from .._random import check_rng, normal
from .._validate import check_engine, check_flag, check_int
from ._common import (
    check_lowrank_matrix,
    check_target_rank,
    in_window,
    normalize_columns,
    orth_scaled,
    scale_exponent,
    times_pow2,
)

__all__ = ["SVDResult", "check_n_iter", "rsvd", "range_finder"]


class SVDResult(NamedTuple):
    """A truncated SVD ``A ~ U diag(s) Vt``; unpacks as ``U, s, Vt``.

    Attributes
    ----------
    U : (m, k) array
        Orthonormal left singular vectors.
    s : (k,) array
        Singular values, descending.
    Vt : (k, n) array
        Orthonormal right singular vectors (rows).
    """

    U: object
    s: object
    Vt: object

    def to_dense(self):
        """The approximation ``U diag(s) Vt`` as a dense array."""
        return (self.U * self.s) @ self.Vt


def check_n_iter(n_iter):
    """``"auto"`` or an integer ``>= 0`` (``"auto"`` is returned as is)."""
    if isinstance(n_iter, str):
        if n_iter != "auto":
            raise ValueError(f"n_iter must be 'auto' or a non-negative integer, got {n_iter!r}")
        return n_iter
    return check_int(n_iter, "n_iter", low=0)


def _resolve_n_iter(n_iter, k, m, n):
    if n_iter == "auto":
        return 7 if k < 0.1 * min(m, n) else 4
    return n_iter


def _first_product(A, omega, xp, dt):
    """``A @ omega``, with `omega` scaled down by a power of two if that
    overflows.

    A Gaussian column has norm about ``sqrt(n)``, so ``A omega`` can
    overflow where ``||A||_2`` (and every later product, with orthonormal
    factors) does not. The scale of `Y` is irrelevant to the range finder.
    """
    Y = matmul(A, omega)
    _, amax = scale_exponent(Y, dt, xp)
    if not math.isfinite(amax):
        norm = float(xp.max(xp.linalg.vector_norm(omega, axis=0)))
        Y = matmul(A, times_pow2(omega, -(math.frexp(norm)[1] + 1)))
    return Y


def _range(A, ell, n_iter, rng, xp, dt):
    """Orthonormal Q (m x ell) approximating the dominant range of A.

    The Gaussian test matrix is made in the namespace and on the device of
    `A`; a LinearOperator gets a NumPy one.
    """
    m, n = A.shape
    if is_operator(A):
        omega = normal(rng, (n, ell), dtype=dt)
    else:
        omega = normal(rng, (n, ell), dtype=dt, xp=xp, device=device_of(A))
    # every factorization sees its input scaled into a safe window (exact, and
    # a no-op for moderate entries): the products with A are as large as ||A||
    Y = _first_product(A, omega, xp, dt)
    for _ in range(n_iter):
        Y = normalize_columns(in_window(Y, dt, xp), xp)
        Z = normalize_columns(in_window(rmatmul(A, Y, xp), dt, xp), xp)
        Y = matmul(A, Z)
    return orth_scaled(Y, xp, dt)


def range_finder(A, size, *, n_iter=2, rng=None, check_finite=True, engine=None):
    """Orthonormal basis of an approximate dominant range of `A`.

    Parameters
    ----------
    A : (m, n) array, scipy.sparse matrix or LinearOperator
        The matrix (``cupyx.scipy.sparse`` input raises TypeError).
    size : int
        Number of basis vectors, ``1 <= size <= min(m, n)``. This is the
        number of columns of the Gaussian test matrix, i.e. the sketch size:
        no oversampling is added (to find a rank-``k`` range with ``p``
        extra columns, pass ``size = k + p``).
    n_iter : int, default 2
        Power iterations; each one is normalized (QR for NumPy, LU for CuPy,
        QR elsewhere), so no accuracy is lost to rounding.
    rng : None, int or numpy.random.Generator
        Source of the Gaussian test matrix (SPEC 7).
    check_finite : bool, default True
        Reject NaN and Inf in `A` (not checked for a LinearOperator).
    engine : {None, "auto", "numpy", "numba"}, optional
        Accepted and validated for uniformity with the other functions; no
        kernel is reached here (Gaussian products and QR only).

    Returns
    -------
    Q : (m, size) array
        Orthonormal columns, in the library and on the device of `A` (NumPy
        for scipy.sparse and LinearOperator input). For ``c > 0`` the basis
        of ``c A`` is that of `A` up to rounding, at any scale.

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
    check_finite = check_flag(check_finite, "check_finite")
    A, xp = check_lowrank_matrix(A, "range_finder", allow_operator=True, check_finite=check_finite)
    size = check_target_rank(size, A, "size")
    n_iter = check_int(n_iter, "n_iter", low=0)
    check_engine(engine)
    return _range(A, size, n_iter, check_rng(rng), xp, work_dtype(A))


def rsvd(A, k, *, oversample=10, n_iter="auto", rng=None, check_finite=True, engine=None):
    """Randomized truncated SVD ``A ~ U diag(s) Vt``.

    A Gaussian range finder with ``k + oversample`` columns and `n_iter`
    power iterations, each normalized by a QR factorization (NumPy: it stays
    within NumPy's BLAS library between the products with A, see the
    benchmark docs), an LU factorization (CuPy) or a QR factorization (other
    array libraries), then an exact SVD of the small projected matrix.

    Parameters
    ----------
    A : (m, n) array, scipy.sparse matrix or scipy.sparse.linalg.LinearOperator
        The matrix. A LinearOperator needs ``matmat`` and ``rmatmat`` (or
        ``matvec`` and ``rmatvec``). ``cupyx.scipy.sparse`` input raises
        TypeError (pass a dense CuPy array or a scipy.sparse matrix).
    k : int
        Target rank, ``1 <= k <= min(m, n)``.
    oversample : int, default 10
        Extra columns of the test matrix (an integer ``>= 0``, added to `k`):
        the sketch has ``min(k + oversample, min(m, n))`` columns.
    n_iter : int or "auto", default "auto"
        Power iterations. ``"auto"`` is 7 if ``k < 0.1 min(m, n)`` else 4, as
        in scikit-learn. Every iteration is normalized, so large values never
        lose accuracy.
    rng : None, int or numpy.random.Generator
        Randomness (SPEC 7). A given `rng` gives the same result.
    check_finite : bool, default True
        Reject NaN and Inf in `A` (not checked for a LinearOperator).
    engine : {None, "auto", "numpy", "numba"}, optional
        Accepted and validated for uniformity with the other functions; no
        kernel is reached here (Gaussian products, QR and SVD only).

    Returns
    -------
    SVDResult
        A named tuple ``(U, s, Vt)`` that unpacks like the result of
        ``numpy.linalg.svd``: `U` (m, k) with orthonormal columns, `s` (k,)
        descending, `Vt` (k, n) with orthonormal rows; ``to_dense()`` forms
        ``U diag(s) Vt``.

    Notes
    -----
    Sign convention: in every column of `U` the entry of largest magnitude
    (the first one on ties) is positive, and the matching row of `Vt` is
    flipped with it. The result lives in the caller's array library (NumPy for
    scipy.sparse and LinearOperator input); float32 input gives float32 output.

    When ``m < n`` the algorithm runs on ``A.T`` (the sketch is then taken
    from the shorter side), and the factors are swapped back.

    Extreme scales: the blocks of the range finder are scaled by powers of
    two where a factorization of them would over- or underflow, so
    ``rsvd(c * A)`` has the singular values ``c s`` for any ``c > 0`` at
    which they are representable. A LinearOperator follows the dtype policy
    of arrays (float16 products become float32; longdouble raises
    TypeError).

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
    >>> bool(np.allclose(nla.rsvd(A, 5, rng=0).to_dense(), A))
    True
    """
    check_finite = check_flag(check_finite, "check_finite")
    A, xp = check_lowrank_matrix(A, "rsvd", allow_operator=True, check_finite=check_finite)
    k = check_target_rank(k, A)
    oversample = check_int(oversample, "oversample", low=0)
    m, n = A.shape
    n_iter = _resolve_n_iter(check_n_iter(n_iter), k, m, n)
    check_engine(engine)
    rng = check_rng(rng)
    dt = work_dtype(A)
    ell = min(k + oversample, min(m, n))
    transpose = m < n
    B = A.T if transpose else A
    Q = _range(B, ell, n_iter, rng, xp, dt)
    # small matrix Q^T B (ell x n'), computed as (B^T Q)^T
    small = rmatmul(B, Q, xp).T
    Ub, s, Vt = xp.linalg.svd(small, full_matrices=False)
    U = Q @ Ub[:, :k]
    s = s[:k]
    Vt = Vt[:k, :]
    if transpose:
        U, Vt = Vt.T, U.T
    U, Vt = sign_fix(U, Vt, xp)
    xdt = namespace_dtype(xp, dt)
    if U.dtype != xdt:
        U, s, Vt = (xp.astype(a, xdt) for a in (U, s, Vt))
    return SVDResult(U, s, Vt)
