"""Pseudoinverse of a product ``A = C R`` (Karpowicz and Strang)."""

from __future__ import annotations

import numpy as np

from .._backend import (
    array_namespace,
    device_of,
    namespace_dtype,
    numerical_rank,
    svdvals,
    work_dtype,
)
from .._random import check_rng, normal
from .._validate import check_array, check_engine, check_flag, check_option, check_rcond

__all__ = ["pinv_cr"]

_METHODS = ("exact", "randomized")


def _svd_pinv(X, xp, atol, rank=None):
    """``(X^+, rank)`` from one SVD, cutting singular values ``<= atol``, or
    keeping the largest `rank` of them (nonzero ones only) when `rank` is
    given."""
    U, s, Vt = xp.linalg.svd(X, full_matrices=False)
    if rank is None:
        r = numerical_rank(s, atol=atol)
    else:
        r = min(rank, numerical_rank(s))
    # s is descending: the kept values are the first r
    keep = xp.arange(s.shape[0], device=device_of(s)) < r
    inv = xp.where(keep, 1.0 / xp.where(keep, s, xp.ones_like(s)), xp.zeros_like(s))
    return (Vt.T * inv) @ U.T, r


def _norm2(X, xp):
    s = svdvals(X, xp)
    return float(s[0]) if s.shape[0] else 0.0


def _rank(X, xp, atol):
    return numerical_rank(svdvals(X, xp), atol=atol)


def _pinv_exact(C, R, xp, rtol, nc, nr):
    """``((C R)^+, formula)`` with formula ``"R+C+"`` or ``"general"``.

    ``R^+ C^+`` is used when ``C`` has independent columns and ``R``
    independent rows (numerical ranks, cut at ``rtol ||C||_2`` and ``rtol
    ||R||_2``, both equal to the inner dimension), else ``(C^+ C R)^+ (C R
    R^+)^+``.
    """
    r = C.shape[1]
    Cp, rc = _svd_pinv(C, xp, rtol * nc)
    Rp, rr = _svd_pinv(R, xp, rtol * nr)
    if rc == r and rr == r:
        return Rp @ Cp, "R+C+"
    # (C^+ C R)^+ (C R R^+)^+. Both factors have the rank of A = C R in exact
    # arithmetic (C^+ C R x = 0 iff C R x = 0, and likewise on the left), but
    # C^+ C carries rounding amplified by kappa(C), so a cut at rtol ||R||
    # can keep a spurious direction. rank(A) is measured on the small T1 T2^T
    # instead and both pseudoinverses keep exactly that many singular values.
    rank_a = _product_rank(C, R, xp, rtol * nc * nr)
    left, _ = _svd_pinv((Cp @ C) @ R, xp, None, rank=rank_a)
    right, _ = _svd_pinv(C @ (R @ Rp), xp, None, rank=rank_a)
    return left @ right, "general"


def _product_rank(C, R, xp, atol):
    """rank(C R): with C = Q1 T1 and R^T = Q2 T2 (thin QR), C R = Q1 (T1 T2^T)
    Q2^T, so it is the rank of the small matrix T1 T2^T."""
    _, T1 = xp.linalg.qr(C)
    _, T2 = xp.linalg.qr(R.T)
    return _rank(T1 @ T2.T, xp, atol)


def pinv_cr(C, R, *, method="exact", rng=None, rcond=None, check_finite=True, engine=None):
    """Moore-Penrose pseudoinverse of ``A = C @ R`` from its factors.

    Parameters
    ----------
    C : (m, r) array
        Left factor.
    R : (r, n) array
        Right factor.
    method : {"exact", "randomized"}, default "exact"
        ``"exact"`` uses ``A^+ = (C^+ C R)^+ (C R R^+)^+``, which holds for
        every ``C`` and ``R``; when ``C`` has independent columns and ``R``
        independent rows (detected from the numerical ranks of the SVDs that
        form ``C^+`` and ``R^+``) it takes the shortcut ``A^+ = R^+ C^+``.
        ``"randomized"`` uses ``A^+ = (P^T A)^+ (P^T A Q) (A Q)^+`` with
        Gaussian ``P`` (``m x r``) and ``Q`` (``n x r``); the identity holds
        if and only if ``rank(P^T A) = rank(A Q) = rank(A)``, which is checked
        (``rank(A)`` is computed from the triangular factors of thin QRs of
        ``C`` and ``R^T``). ``A`` itself is never formed.
    rng : None, int or numpy.random.Generator
        Randomness of ``"randomized"`` (SPEC 7); validated for ``"exact"``
        too, which draws nothing.
    rcond : float or None, default None
        Relative singular-value cut-off in ``[0, 1)``: singular values ``<=
        rcond * sigma_max`` are dropped. Here ``sigma_max`` is the scale
        ``||C||_2 ||R||_2`` of the product for ranks and pseudoinverses of
        products, and ``||C||_2`` or ``||R||_2`` for the factors themselves.
        None means ``eps * max(m, n, r)``, with `eps` of the working
        precision.
    check_finite : bool, default True
        Reject NaN and Inf.
    engine : {None, "auto", "numpy", "numba"}, optional
        Accepted and validated for uniformity with the other functions; no
        kernel is reached here (small SVDs, QRs and products).

    Returns
    -------
    (n, m) array
        The pseudoinverse ``(C R)^+``.

    Raises
    ------
    ValueError
        For bad input, and for ``"randomized"`` if the rank condition fails
        (for Gaussian ``P`` and ``Q`` this has probability zero in exact
        arithmetic; it signals a numerically ill-determined rank).

    See Also
    --------
    numpy.linalg.pinv : pseudoinverse of an explicit matrix.
    cur : CUR factorizations, whose pseudoinverse this computes from parts.

    References
    ----------
    M. P. Karpowicz, G. Strang, "The pseudoinverse of A = CR",
    arXiv:2305.01716, 2023.

    Examples
    --------
    >>> import numpy as np
    >>> import nla
    >>> rng = np.random.default_rng(0)
    >>> C = rng.standard_normal((7, 3))
    >>> R = rng.standard_normal((3, 5))
    >>> P = nla.pinv_cr(C, R)
    >>> bool(np.allclose(P, np.linalg.pinv(C @ R)))
    True
    >>> Pr = nla.pinv_cr(C, R, method="randomized", rng=0)
    >>> bool(np.allclose(Pr, np.linalg.pinv(C @ R)))
    True
    """
    check_finite = check_flag(check_finite, "check_finite")
    C = check_array(C, "C", ndim=2, check_finite=check_finite)
    R = check_array(R, "R", ndim=2, check_finite=check_finite)
    xp = array_namespace(C, R)
    method = check_option(method, "method", _METHODS)
    rng = check_rng(rng)
    if C.shape[1] != R.shape[0]:
        raise ValueError(
            "C.shape[1] must equal R.shape[0], got "
            f"C.shape={tuple(C.shape)} and R.shape={tuple(R.shape)}"
        )
    rcond = check_rcond(rcond)
    check_engine(engine)
    m, r = C.shape
    n = R.shape[1]
    both32 = work_dtype(C) == np.float32 and work_dtype(R) == np.float32
    dt = np.dtype(np.float32) if both32 else np.dtype(np.float64)
    xdt = namespace_dtype(xp, dt)
    if C.dtype != xdt:
        C = xp.astype(C, xdt)
    if R.dtype != xdt:
        R = xp.astype(R, xdt)
    rtol = float(np.finfo(dt).eps) * max(m, n, r) if rcond is None else rcond

    # All cuts are relative to the scale ||C|| ||R|| of the problem (not to the
    # largest singular value of each intermediate, which may be pure rounding
    # when the product is numerically zero).
    nc, nr = _norm2(C, xp), _norm2(R, xp)
    if method == "exact":
        P, _ = _pinv_exact(C, R, xp, rtol, nc, nr)
        return P

    rank_a = _product_rank(C, R, xp, rtol * nc * nr)
    if rank_a == 0:
        return xp.zeros((n, m), dtype=xdt, device=device_of(C))
    for _ in range(3):
        P = normal(rng, (m, r), dtype=dt, xp=xp, device=device_of(C))
        Q = normal(rng, (n, r), dtype=dt, xp=xp, device=device_of(C))
        PC = P.T @ C  # (r, r)
        RQ = R @ Q  # (r, r)
        PA = PC @ R  # (r, n)
        AQ = C @ RQ  # (m, r)
        PAQ = PC @ RQ  # (r, r)
        PAp, r1 = _svd_pinv(PA, xp, rtol * _norm2(PC, xp) * nr)
        AQp, r2 = _svd_pinv(AQ, xp, rtol * nc * _norm2(RQ, xp))
        if r1 == rank_a and r2 == rank_a:
            return PAp @ PAQ @ AQp
    raise ValueError(
        "pinv_cr(method='randomized'): the rank condition rank(P^T A) = "
        f"rank(A Q) = rank(A) = {rank_a} failed for three random draws; the "
        "numerical rank of A is ill-determined at this rcond, use method='exact'"
    )
