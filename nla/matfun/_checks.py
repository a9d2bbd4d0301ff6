"""Input checks of the matfun family: options, symmetry, definiteness, cotangents."""

from __future__ import annotations

import math

import numpy as np

from .._backend import array_namespace, device_of
from .._validate import check_array, check_int, check_option, check_real, check_square
from ._common import eps_of, eye_like, fro, mT, normalizer, sym

METHODS = ("eigh", "mpa", "mtp", "newton-schulz")
VJP_METHODS = ("eigh", "lyapunov")
MAX_PADE = 16
MAX_TAYLOR = 256


def prepare(A, name, *, check_finite, sym_rtol):
    """Validate a symmetric (..., n, n) batch and return (xp, symmetrized A)."""
    A = check_array(A, name, ndim=(2, None), check_finite=check_finite)
    check_square(A, name)
    xp = array_namespace(A)
    if A.dtype not in (xp.float32, xp.float64):
        A = xp.astype(A, xp.float64)
    if sym_rtol is None:
        tol = math.sqrt(eps_of(xp, A.dtype))
    else:
        tol = check_real(sym_rtol, "sym_rtol", low=0.0)
    At = mT(xp, A)
    if bool(xp.all(A == At)):
        return xp, A  # exactly symmetric (the usual case): nothing to measure or average
    skew = fro(xp, A - At)
    scale = fro(xp, A)
    if bool(xp.any(skew > tol * scale)):
        worst = float(xp.max(skew / xp.where(scale > 0, scale, xp.ones_like(scale))))
        raise ValueError(
            f"{name} must be symmetric: ||{name} - {name}^T||_F / ||{name}||_F = "
            f"{worst:.3g} exceeds sym_rtol={tol:.3g} for at least one matrix"
        )
    return xp, sym(xp, A)


def check_diag(xp, A, name, c):
    """Necessary condition for PSD: no clearly negative diagonal entry."""
    n = A.shape[-1]
    d = xp.linalg.diagonal(A)
    tol = 100 * n * eps_of(xp, A.dtype)
    if bool(xp.any(d < -tol * c[..., 0])):
        raise ValueError(f"{name} is not positive semidefinite: it has a negative diagonal entry")




def _is_linalg_error(exc):
    """A failed factorization of any namespace (NumPy's or torch's LinAlgError)."""
    return isinstance(exc, np.linalg.LinAlgError) or any(
        "LinAlgError" in cls.__name__ for cls in type(exc).__mro__
    )


def _cholesky_fails(xp, M):
    """True when the Cholesky factorization of some matrix of the batch M fails.

    A failure shows as an exception (NumPy, torch) or as NaN in the factor
    (CuPy).
    """
    try:
        L = xp.linalg.cholesky(M)
    except Exception as exc:
        if not _is_linalg_error(exc):
            raise
        return True
    return not bool(xp.all(xp.isfinite(L)))


def check_psd_cholesky(xp, W, name, r):
    """Cholesky of W + delta r I, W = A/c, r = ||A||_F / c (per matrix).

    It fails iff A has an eigenvalue below -delta ||A||_F. The matrix is
    normalized first so that the factorization neither underflows nor
    overflows at extreme scales.
    """
    n = W.shape[-1]
    delta = 100 * n * eps_of(xp, W.dtype)
    if _cholesky_fails(xp, W + (delta * r) * eye_like(xp, n, W)):
        raise ValueError(
            f"{name} is not positive semidefinite: an eigenvalue is below "
            f"-{delta:.3g} * ||{name}||_F (use method='eigh' to inspect the spectrum)"
        )


def check_pd_cholesky(xp, W, name, r, what):
    """Positive definiteness of A above the zero floor, W = A/c, c >= ||A||_2.

    Cholesky of ``W - n eps I``: it fails iff A has an eigenvalue at most
    about ``n eps c``, the zero floor of the eigendecomposition path
    (``n eps lambda_max``, see `zero_floor`) with the normalization
    ``c <= n**(1/4) lambda_max`` in place of lambda_max. A failure is then
    told apart (second factorization, only on failure) into an indefinite
    A (`check_psd_cholesky`, with ``r = ||A||_F / c``) and a singular one.
    """
    n = W.shape[-1]
    floor = n * eps_of(xp, W.dtype)
    if _cholesky_fails(xp, W - floor * eye_like(xp, n, W)):
        check_psd_cholesky(xp, W, name, r)
        raise ValueError(
            f"{name} is singular (an eigenvalue is at most n eps times the largest): "
            f"{what} needs a positive definite matrix"
        )


def check_given_root(xp, M, name, what):
    """A user's X = sqrtm(A) or Y = inv_sqrtm(A) for the sign iteration: definite.

    The sign iteration converges to sign(M), which is the identity only for
    positive definite M: a square root with a negative eigenvalue (X @ X
    can still equal A) would give a wrong gradient without any sign of it.
    Cholesky of ``M / ||M||_F - n eps I`` per matrix (``n**3/3`` flops)
    rejects indefinite M and M with an eigenvalue at most
    ``n eps ||M||_F``, for which the Lyapunov equation is numerically
    singular.
    """
    n = M.shape[-1]
    f = normalizer(xp, M)
    if _cholesky_fails(xp, M / f - n * eps_of(xp, M.dtype) * eye_like(xp, n, M)):
        raise ValueError(
            f"{name} is not positive definite (an eigenvalue is negative or at most "
            f"n eps ||{name}||_F): {what}"
        )


def _pade_degree(degree):
    """A validated (M, N) pair for "mpa": each in [0, MAX_PADE], M + N >= 1."""
    if len(degree) != 2:
        raise ValueError(f"degree must be an int or a pair (M, N), got {degree!r}")
    m = check_int(degree[0], "degree[0]", low=0, high=MAX_PADE)
    k = check_int(degree[1], "degree[1]", low=0, high=MAX_PADE)
    if m + k == 0:
        # [0/0] is the constant 1: no approximation of the square root at all.
        raise ValueError(f"degree (M, N) must have M + N >= 1, got {degree!r}")
    return (m, k)


def degree_of(method, degree):
    """The validated series degree: an (M, N) pair for "mpa", an int for "mtp".

    "eigh" and "newton-schulz" ignore `degree` and get None, but a value
    given to them is checked all the same: None, an int in [1, MAX_TAYLOR]
    or a pair (M, N) as for "mpa".
    """
    if method not in ("mpa", "mtp"):
        if isinstance(degree, (tuple, list)):
            _pade_degree(degree)
        elif degree is not None:
            check_int(degree, "degree", low=1, high=MAX_TAYLOR)
        return None
    if method == "mpa":
        if degree is None:
            return (8, 8)
        if isinstance(degree, (tuple, list)):
            return _pade_degree(degree)
        m = check_int(degree, "degree", low=1, high=MAX_PADE)
        return (m, m)
    if degree is None:
        return 16
    return check_int(degree, "degree", low=1, high=MAX_TAYLOR)


def tol_of(xp, dtype, n, tol, name="tol"):
    """A residual tolerance: `tol` checked, or the default ``10 sqrt(n) eps``."""
    if tol is None:
        return 10 * math.sqrt(n) * eps_of(xp, dtype)
    return check_real(tol, name, low=0.0)


def vjp_method_of(method, vjp_method):
    """The backward method: `vjp_method` checked, or the default for `method`."""
    if vjp_method is None:
        return "eigh" if method == "eigh" else "lyapunov"
    return check_option(vjp_method, "vjp_method", VJP_METHODS)


def check_like(xp, A, M, name, *, check_finite=True):
    """`M` validated as an array of A's shape, on A's device, in A's dtype."""
    M = check_array(M, name, ndim=(2, None), check_finite=check_finite)
    M = xp.asarray(M, device=device_of(A))
    if tuple(M.shape) != tuple(A.shape):
        raise ValueError(
            f"{name} must have the shape of A {tuple(A.shape)}, got {tuple(M.shape)}"
        )
    if M.dtype != A.dtype:
        M = xp.astype(M, A.dtype)
    return M
