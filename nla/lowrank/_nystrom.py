"""Generalized Nystrom approximation and the PSD Nystrom approximation."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .._backend import (
    device_of,
    is_sparse,
    matmul,
    namespace_dtype,
    numerical_rank,
    qr_thin,
    rmatmul,
    work_dtype,
)
from .._random import check_rng, normal
from .._validate import (
    check_engine,
    check_finite_through,
    check_flag,
    check_int,
    check_option,
    check_rcond,
)
from ..sketch import make_sketch
from ._common import (
    check_lowrank_matrix,
    check_target_rank,
    scale_exponent,
    times_pow2,
)

__all__ = ["LowRank", "NystromPSD", "nystrom", "nystrom_psd"]

_Y_FACTOR = 4
_SKETCHES = ("auto", "srht", "sparse_sign", "gaussian")


@dataclasses.dataclass(frozen=True)
class LowRank:
    """A low-rank factor pair ``A ~ left @ right``.

    Attributes
    ----------
    left : (m, r) array
    right : (r, n) array
    """

    left: object
    right: object

    @property
    def shape(self):
        """Shape ``(m, n)`` of the approximated matrix."""
        return (self.left.shape[0], self.right.shape[1])

    @property
    def rank(self):
        """Inner dimension ``r`` of the factors."""
        return self.left.shape[1]

    def to_dense(self):
        """The approximation ``left @ right`` as a dense array."""
        return self.left @ self.right


@dataclasses.dataclass(frozen=True)
class NystromPSD:
    """A PSD low-rank approximation ``A ~ U diag(eigenvalues) U^T``.

    Attributes
    ----------
    U : (n, r) array
        Orthonormal eigenvectors.
    eigenvalues : (r,) array
        Non-negative, descending.
    """

    U: object
    eigenvalues: object

    def to_dense(self):
        """The approximation ``U diag(eigenvalues) U^T``."""
        return (self.U * self.eigenvalues) @ self.U.T


def _dense_small(A, xp, dt):
    """A small matrix as a dense array; sparse input through ``A @ I``."""
    if not is_sparse(A):
        return A
    eye = xp.eye(A.shape[1], dtype=namespace_dtype(xp, dt), device=device_of(A))
    return matmul(A, eye)


def _truncate_pair(L, Rt, k, xp, dt):
    """Best rank-k approximation of ``L @ Rt`` through thin QRs of both factors.

    The thin QR of NumPy input is CholeskyQR2, whose Gram matrix squares
    the scale: both factors are brought near 1 by powers of two first (exact;
    a no-op for factors of moderate size), and the scale goes into the
    singular values.
    """
    eL, _ = scale_exponent(L, dt, xp)
    eR, _ = scale_exponent(Rt, dt, xp)
    Q1, R1 = qr_thin(times_pow2(L, -eL), xp)
    Q2, R2 = qr_thin(times_pow2(Rt, -eR).T, xp)
    W, s, Zt = xp.linalg.svd(R1 @ R2.T, full_matrices=False)
    k = min(k, s.shape[0])
    left = Q1 @ (W[:, :k] * times_pow2(s[:k], eL + eR))
    right = Zt[:k, :] @ Q2.T
    return left, right


def _x_kind(sketch, r, k, p, n):
    """Kind of the right sketch ``X``: Gaussian when it has no spare column.

    With ``k + p > m`` (a wide matrix with no room to oversample), ``r = m <
    min(k + p, n)`` and ``A X`` must keep the full rank of `A` without a
    spare column. Structured sketches lose a direction with noticeable
    probability at such sizes (an SRHT samples rows of H restricted to the
    zero-padded coordinates, which can be dependent; see the benchmark docs),
    a Gaussian one almost never, and its ``n x r`` matrix is no larger than
    `A` then.
    """
    return "gaussian" if r < min(k + p, n) else sketch


def _sketch_pair(A, k, p, sketch, rng, dt, engine):
    """``(AX, YA, SY)``: ``A X``, ``Y^T A`` and the operator ``Y^T``.

    A sketch as wide as the dimension it compresses is replaced by the
    identity (None is returned for its product): exact, cheaper, never
    rank-deficient (a square sparse sign matrix can be singular), and sparse
    `A` is then only multiplied by thin dense factors, never densified.
    """
    m, n = A.shape
    r = min(k + p, min(m, n))
    ry = min(_Y_FACTOR * r, m)
    SX = None if r == n else make_sketch(_x_kind(sketch, r, k, p, n), n, r, rng=rng, dtype=dt)
    SY = None if ry == m else make_sketch(sketch, m, ry, rng=rng, dtype=dt)
    AX = None if SX is None else SX.apply_rows(A, engine=engine, check_finite=False)  # (m, r)
    YA = None if SY is None else SY.apply(A, engine=engine, check_finite=False)  # (ry, n)
    return AX, YA, SY


def _core_matrix(A, AX, YA, SY, xp, dt, engine):
    """``M = Y^T A X`` (ry x r) from the sketches of :func:`_sketch_pair`."""
    if SY is not None:
        return SY.apply(AX, engine=engine) if AX is not None else YA
    if AX is not None:
        return AX
    return _dense_small(A, xp, dt)  # both identities: A is at most 4r x r


def _pad(left, right, k, xp):
    """Zero columns of `left` and rows of `right` up to rank `k`."""
    pad = k - left.shape[1]
    if pad == 0:
        return left, right
    m, n = left.shape[0], right.shape[1]
    dev = device_of(left)
    left = xp.concat([left, xp.zeros((m, pad), dtype=left.dtype, device=dev)], axis=1)
    right = xp.concat([right, xp.zeros((pad, n), dtype=right.dtype, device=dev)], axis=0)
    return left, right


def nystrom(
    A,
    k,
    *,
    oversample=None,
    rcond=None,
    rng=None,
    sketch="auto",
    check_finite=True,
    engine=None,
):
    """Generalized Nystrom approximation ``A ~ A X (Y^T A X)^+ Y^T A``.

    One pass over `A` with two structured sketches: ``X`` (``n x r``) on the
    right and ``Y`` (``m x (r + l)``) on the left, then a stable evaluation of
    the core pseudoinverse. With ``M = Y^T A X = Q R`` (thin QR), the
    approximation is ``(A X R^+_eps) (Q^T Y^T A)`` where the pseudoinverse of
    the small triangular factor drops singular values below
    ``rcond * sigma_max``. The rank-``r`` result is then truncated to rank
    `k` through thin QRs of both factors.

    Parameters
    ----------
    A : (m, n) array or scipy.sparse matrix
        The matrix (one pass: ``A X`` and ``Y^T A``). ``cupyx.scipy.sparse``
        input raises TypeError.
    k : int
        Rank of the result, ``1 <= k <= min(m, n)``.
    oversample : int or None, default None
        Extra columns of ``X`` (an integer ``>= 0``, added to `k`): ``r =
        min(k + oversample, min(m, n))``. None means ``max(10, ceil(k /
        2))``. ``Y`` has ``4 r`` columns (capped at `m`): Nakatsukasa
        suggests ``r + r / 2``, but with structured sketches the cost hardly
        depends on the sketch size and the larger ``Y`` damps the
        amplification of the tail (see the benchmark docs).
    rcond : float or None, default None
        Relative singular-value cut-off in ``[0, 1)``: singular values ``<=
        rcond * sigma_max`` are dropped. Here they are those of the
        triangular factor of the core ``Y^T A X``. None means ``eps *
        max(m, n)``, with `eps` of the working precision.
    rng : None, int or numpy.random.Generator
        Randomness (SPEC 7).
    sketch : {"auto", "srht", "sparse_sign", "gaussian"}, default "auto"
        Sketch family for ``X`` and ``Y``: ``"auto"`` takes SRHT for dense
        and sparse sign for sparse `A`. A sketch whose size reaches the
        dimension it compresses is replaced by the identity (sparse `A` is
        then only multiplied by thin dense factors, never densified). When
        ``k + oversample`` exceeds ``m`` (no room for oversampling on a wide
        matrix), ``X`` is Gaussian whatever `sketch` says: structured
        sketches without spare columns lose rank with noticeable probability.
        Sparse sign sketches of tiny dimensions can be rank-deficient too.
    check_finite : bool, default True
        Reject NaN and Inf.
    engine : {None, "auto", "numpy", "numba"}, optional
        Engine of the sketch kernels (default: the configured engine).

    Returns
    -------
    LowRank
        ``left`` (``m x k``) and ``right`` (``k x n``) with
        ``left @ right ~ A``; ``to_dense()`` forms the product.

    See Also
    --------
    rsvd : more passes, more accuracy.
    nystrom_psd : the classical Nystrom method for positive semidefinite A.
    cur : approximation from actual rows and columns.

    References
    ----------
    Y. Nakatsukasa, "Fast and stable randomized low-rank matrix approximation",
    arXiv:2009.11392, 2020.

    Examples
    --------
    >>> import numpy as np
    >>> import nla
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((80, 6)) @ rng.standard_normal((6, 50))
    >>> g = nla.nystrom(A, 6, rng=0)
    >>> g.left.shape, g.right.shape
    ((80, 6), (6, 50))
    >>> bool(np.allclose(g.to_dense(), A))
    True
    """
    # a dense A is checked for NaN/Inf through its sketches (below): every
    # sketch carries a non-finite entry of A into its row or column of A X
    # and Y^T A, which saves one pass over A
    check_finite = check_flag(check_finite, "check_finite")
    defer = check_finite and not is_sparse(A)
    A, xp = check_lowrank_matrix(A, "nystrom", check_finite=check_finite and not defer)
    k = check_target_rank(k, A)
    m, n = A.shape
    if oversample is None:
        p = max(10, math.ceil(k / 2))
    else:
        p = check_int(oversample, "oversample", low=0)
    sketch = check_option(sketch, "sketch", _SKETCHES)
    rcond = check_rcond(rcond)
    check_engine(engine)
    dt = work_dtype(A)
    if rcond is None:
        rcond = float(np.finfo(dt).eps) * max(m, n)
    rng = check_rng(rng)
    if sketch == "auto":
        sketch = "sparse_sign" if is_sparse(A) else "srht"
    AX, YA, SY = _sketch_pair(A, k, p, sketch, rng, dt, engine)
    if defer:
        # Y^T A has every column of A in it, A X every row; with both sketches
        # the identity, A itself is small (at most 4r x r)
        probe = YA if YA is not None else (AX if AX is not None else A)
        check_finite_through(probe, A, "A", ndim=2)
    M = _core_matrix(A, AX, YA, SY, xp, dt, engine)
    Q, R = xp.linalg.qr(M)
    W, s, Zt = xp.linalg.svd(R)
    keep = numerical_rank(s, rtol=rcond)
    if keep == 0:
        left = xp.zeros((m, k), dtype=M.dtype, device=device_of(M))
        right = xp.zeros((k, n), dtype=M.dtype, device=device_of(M))
        return LowRank(left, right)
    # R^+_eps = Z_t diag(1/s_t) W_t^T;  split as (AX Z_t / s_t) (W_t^T Q^T YA)
    Zk = Zt[:keep, :].T  # (r, keep)
    QW = Q @ W[:, :keep]  # (ry, keep)
    L = (matmul(A, Zk) if AX is None else AX @ Zk) / s[:keep]
    Rt = rmatmul(A, QW, xp).T if YA is None else QW.T @ YA
    left, right = _truncate_pair(L, Rt, k, xp, dt)
    return LowRank(*_pad(left, right, k, xp))


def _psd_sketch(A, omega, xp, dt):
    """``(Y, e)``: ``Y = A omega 2^-e``, with ``e = 0`` unless ``max|A omega|``
    is extreme (see :func:`scale_exponent`).

    `omega` has orthonormal columns, so for symmetric positive semidefinite
    `A` every entry of ``A omega`` (and every partial sum forming it) is at
    most ``lambda_max(A)``: a non-finite product means the eigenvalues of `A`
    are not representable.
    """
    Y = matmul(A, omega)
    e, amax = scale_exponent(Y, dt, xp)
    if not math.isfinite(amax):
        raise ValueError(
            f"nystrom_psd: A @ Omega is not finite, so the largest eigenvalue of A "
            f"exceeds the {np.dtype(dt).name} range (or A has NaN or Inf entries, "
            "which check_finite=False let through)"
        )
    return times_pow2(Y, -e), e


def _check_symmetric(A, omega, Y, B, e, norm_y, tol, xp):
    """Raise unless the skew part of `A` is negligible, judged on the sketch.

    ``B - B^T = Omega^T (A - A^T) Omega`` for ``B = Omega^T A Omega``, so
    ``sqrt(n / (l - 1)) ||B - B^T||_F / ||A Omega||_F`` estimates ``||A -
    A^T||_F / ||A||_F`` at no extra cost (``Omega``, ``n x l``, is the Q
    factor of a Gaussian matrix, so its distribution is rotation invariant).
    With one column the sketch has no skew part; ``A^T Omega`` is compared
    with ``A Omega`` (`Y`, unshifted) instead, one more thin product.
    """
    n, ell = omega.shape
    if ell > 1:
        est = math.sqrt(n / (ell - 1)) * float(xp.linalg.vector_norm(B - B.T)) / norm_y
    else:
        At_omega = times_pow2(rmatmul(A, omega, xp), -e)
        est = float(xp.linalg.vector_norm(Y - At_omega)) / norm_y
    if est > tol:
        raise ValueError(
            "nystrom_psd: A must be symmetric, but ||A - A^T||_F / ||A||_F is about "
            f"{est:.3g} (estimated from the sketch), above sqrt(eps) = {tol:.3g}; "
            "pass (A + A.T) / 2 if the asymmetry is rounding, or use nystrom"
        )


def _check_curvature(lam, norm_y, tol):
    """Raise if ``Omega^T A Omega`` has an eigenvalue below ``-tol ||A Omega||_F``.

    The eigenvalues of ``Omega^T A Omega`` lie between the extreme ones of
    `A` (interlacing, ``Omega`` orthonormal), so a negative one beyond
    rounding (``sqrt(eps)`` relative, far above the rounding of the
    products, which the shift ``nu = eps ||A Omega||_F`` already covers) is
    negative curvature of `A`.
    """
    low = float(lam[0]) / norm_y
    if low < -tol:
        raise ValueError(
            "nystrom_psd: A must be positive semidefinite, but Omega^T A Omega has a "
            f"negative eigenvalue, {low:.3g} relative to ||A Omega||_F, beyond the "
            f"rounding level sqrt(eps) = {tol:.3g}; for indefinite A use nystrom or rsvd"
        )


def _psd_factor(A, omega, Y, e, xp, dt):
    """``(U, eigenvalues)`` of the shifted Nystrom approximation from the
    sketch ``Y = A omega 2^-e`` (eigenvalues in the scale of `Y`)."""
    eps = float(np.finfo(dt).eps)
    norm_y = float(xp.linalg.vector_norm(Y))
    nu = eps * norm_y
    Y0, Y = Y, Y + nu * omega
    B = omega.T @ Y
    if norm_y > 0.0:
        _check_symmetric(A, omega, Y0, B, e, norm_y, math.sqrt(eps), xp)
    B = (B + B.T) / 2
    # Cholesky can fail on a numerically indefinite core; the eigendecomposition
    # of the small core is the robust alternative of the same cost order.
    lam, V = xp.linalg.eigh(B)
    if norm_y > 0.0:
        _check_curvature(lam, norm_y, math.sqrt(eps))
    pos = lam > eps * (float(xp.max(xp.abs(lam))) if lam.shape[0] else 0.0)
    lam_c = xp.where(pos, lam, xp.ones_like(lam))
    F = (Y @ V) / xp.sqrt(lam_c)  # Y B^{-1/2} on the kept part
    F = xp.where(xp.reshape(pos, (1, -1)), F, xp.zeros_like(F))
    U, s, _ = xp.linalg.svd(F, full_matrices=False)
    ev = s * s - nu
    return U, xp.where(ev > 0, ev, xp.zeros_like(ev))


def nystrom_psd(A, k, *, oversample=10, rng=None, check_finite=True, engine=None):
    """Nystrom approximation of a symmetric positive semidefinite matrix.

    ``A ~ (A Omega)(Omega^T A Omega)^+ (A Omega)^T`` with a Gaussian
    ``Omega`` of ``k + oversample`` columns, evaluated stably with a small
    shift ``nu = eps * ||A Omega||_F`` (Tropp, Yurtsever, Udell, Cevher), and
    returned as a truncated eigendecomposition of rank `k`.

    Parameters
    ----------
    A : (n, n) array or scipy.sparse matrix
        Symmetric positive semidefinite (``cupyx.scipy.sparse`` input raises
        TypeError). Both properties are checked on the sketch, at almost no
        cost (see Raises).
    k : int
        Rank of the result, ``1 <= k <= n``.
    oversample : int, default 10
        Extra columns of the test matrix (an integer ``>= 0``, added to `k`):
        ``Omega`` has ``min(k + oversample, n)`` columns.
    rng : None, int or numpy.random.Generator
        Randomness (SPEC 7).
    check_finite : bool, default True
        Reject NaN and Inf.
    engine : {None, "auto", "numpy", "numba"}, optional
        Accepted and validated for uniformity with the other functions; no
        kernel is reached here (a Gaussian product and small factorizations).

    Returns
    -------
    NystromPSD
        ``U`` (``n x k``, orthonormal) and ``eigenvalues`` (``k``, descending,
        non-negative); ``to_dense()`` forms ``U diag(eigenvalues) U^T``.

    Raises
    ------
    ValueError
        For bad input; if `A` is not symmetric: ``||A - A^T||_F / ||A||_F``,
        estimated from ``Omega^T (A - A^T) Omega`` (with one column, from ``A
        Omega - A^T Omega``), exceeds ``sqrt(eps)`` (the default of
        :func:`nla.sqrtm`); if `A` is indefinite: ``Omega^T A Omega`` has an
        eigenvalue below ``-sqrt(eps) ||A Omega||_F``, far beyond rounding;
        and if the eigenvalues of `A` exceed the floating-point range. A
        symmetric `A` whose negative eigenvalues the sketch does not see
        passes (the checks are necessary conditions).

    Notes
    -----
    The sketch ``A Omega`` is rescaled by a power of two (exactly) when its
    largest entry lies outside ``[2^-256, 2^256]`` (float64; ``[2^-32,
    2^32]`` in float32), so the result is right for any `A` whose
    eigenvalues are representable. Inside that range nothing is rescaled.

    See Also
    --------
    nystrom : the generalized (non-symmetric) method.
    rsvd : randomized SVD.

    References
    ----------
    J. A. Tropp, A. Yurtsever, M. Udell, V. Cevher, "Fixed-rank approximation
    of a positive-semidefinite matrix from streaming data", NeurIPS 2017.

    Examples
    --------
    >>> import numpy as np
    >>> import nla
    >>> rng = np.random.default_rng(0)
    >>> G = rng.standard_normal((50, 4))
    >>> f = nla.nystrom_psd(G @ G.T, 4, rng=0)
    >>> bool(np.allclose(f.to_dense(), G @ G.T))
    True
    """
    check_finite = check_flag(check_finite, "check_finite")
    A, xp = check_lowrank_matrix(A, "nystrom_psd", check_finite=check_finite)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be square, got shape {tuple(A.shape)}")
    k = check_target_rank(k, A)
    oversample = check_int(oversample, "oversample", low=0)
    check_engine(engine)
    n = A.shape[0]
    dt = work_dtype(A)
    rng = check_rng(rng)
    ell = min(k + oversample, n)
    omega = normal(rng, (n, ell), dtype=dt, xp=xp, device=device_of(A))
    omega, _ = xp.linalg.qr(omega)
    Y, e = _psd_sketch(A, omega, xp, dt)
    U, ev = _psd_factor(A, omega, Y, e, xp, dt)
    with np.errstate(over="ignore"):  # reported below
        ev = times_pow2(ev[:k], e)
    if e > 0 and not bool(xp.all(xp.isfinite(ev))):
        raise ValueError(
            f"nystrom_psd: the largest eigenvalues of A exceed the {np.dtype(dt).name} range"
        )
    return NystromPSD(U[:, :k], ev)
