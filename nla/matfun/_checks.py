"""Input checks of the matfun family: options, symmetry, definiteness, cotangents."""

from __future__ import annotations

import math

import numpy as np

from .._backend import array_namespace, device_of
from .._validate import check_array, check_int, check_option, check_real, check_square
from ._common import eps_of, eye_like, fro, mT, sym

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


def check_psd_cholesky(xp, W, name, r):
    """Cholesky of W + delta r I, W = A/c, r = ||A||_F / c (per matrix).

    It fails iff A has an eigenvalue below -delta ||A||_F. The matrix is
    normalized first so that the factorization neither underflows nor
    overflows at extreme scales. A failure shows as an exception (NumPy,
    torch) or as NaN in the factor (CuPy).
    """
    n = W.shape[-1]
    delta = 100 * n * eps_of(xp, W.dtype)
    shifted = W + (delta * r) * eye_like(xp, n, W)
    try:
        L = xp.linalg.cholesky(shifted)
    except Exception as exc:
        if not _is_linalg_error(exc):
            raise
        L = None
    if L is None or not bool(xp.all(xp.isfinite(L))):
        raise ValueError(
            f"{name} is not positive semidefinite: an eigenvalue is below "
            f"-{delta:.3g} * ||{name}||_F (use method='eigh' to inspect the spectrum)"
        )


def degree_of(method, degree):
    """The validated series degree: an (M, N) pair for "mpa", an int for "mtp"."""
    if method == "mpa":
        if degree is None:
            return (8, 8)
        if isinstance(degree, (tuple, list)):
            if len(degree) != 2:
                raise ValueError(f"degree must be an int or a pair (M, N), got {degree!r}")
            m = check_int(degree[0], "degree[0]", low=0, high=MAX_PADE)
            k = check_int(degree[1], "degree[1]", low=0, high=MAX_PADE)
            return (m, k)
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
