"""Forward methods: batched eigh, Pade/Taylor series, coupled Newton-Schulz.

Generic array-API code on a validated, symmetrized ``(..., n, n)`` batch.
The only primitives are ``matmul``, ``linalg.eigh`` and ``linalg.solve``
(plus ``linalg.cholesky`` for the definiteness check of the series methods).
"""

from __future__ import annotations

import math

import numpy as np

from .._backend import is_numpy_namespace, single_blas_thread
from .._validate import check_int
from ._checks import check_diag, check_pd_cholesky, check_psd_cholesky, degree_of, tol_of
from ._common import (
    Schedule,
    eps_of,
    eye_like,
    fro,
    mT,
    spectral_bound,
    sym,
)
from ._series import pade, pade_diagonal_factors, taylor

# Below this order a NumPy batch is decomposed with one BLAS thread.
SMALL_EIGH = 128


def batched_eigh(xp, A):
    """``xp.linalg.eigh``; on NumPy, batches of small matrices use one BLAS thread.

    NumPy loops over the batch calling LAPACK once per matrix, and for small
    n multithreaded BLAS only adds synchronization, which is slow and, when
    the cores are shared, erratic (see the benchmark docs).
    """
    if A.shape[-1] >= SMALL_EIGH or A.ndim == 2 or not is_numpy_namespace(xp):
        return xp.linalg.eigh(A)
    with single_blas_thread():
        return xp.linalg.eigh(A)


def zero_floor(xp, lam_max, n, dtype):
    """Eigenvalues at most this (per matrix) are numerically zero.

    A backward-stable eigensolver returns the eigenvalues of A + E with
    ``||E||_2 <= n eps ||A||_2`` (the bound of NumPy's ``matrix_rank``), so an
    eigenvalue of A that is exactly zero comes out anywhere in
    ``[-n eps lambda_max, n eps lambda_max]``, and its square root anywhere
    up to ``sqrt(n eps) * max(mu)``, far above ``eps * max(mu)``.
    """
    return n * eps_of(xp, dtype) * lam_max


def eigh_factor(xp, A, name):
    """Eigendecomposition with the PSD rule: clip small negatives, reject clear ones."""
    n = A.shape[-1]
    lam, V = batched_eigh(xp, A)
    lam_max = xp.max(xp.abs(lam), axis=-1, keepdims=True)
    tol = 100 * n * eps_of(xp, A.dtype) * lam_max
    if bool(xp.any(lam < -tol)):
        worst = float(xp.min(lam / xp.where(lam_max > 0, lam_max, xp.ones_like(lam_max))))
        raise ValueError(
            f"{name} is not positive semidefinite: smallest eigenvalue / largest = {worst:.3g}"
        )
    lam = xp.where(lam > 0, lam, xp.zeros_like(lam))
    return lam, V


def check_nonsingular(xp, mu, name, what):
    """Raise unless every mu**2 (eigenvalues of A) is above the zero floor."""
    n = mu.shape[-1]
    mu_max = xp.max(mu, axis=-1, keepdims=True)
    floor = math.sqrt(zero_floor(xp, 1.0, n, mu.dtype)) * mu_max
    if bool(xp.any(mu <= floor)):
        raise ValueError(
            f"{name} is singular (an eigenvalue is at most n eps times the largest): "
            f"{what} needs a positive definite matrix"
        )


def from_eig(xp, V, f):
    """``V diag(f) V^T``, exactly symmetric."""
    return sym(xp, xp.matmul(V * f[..., None, :], mT(xp, V)))


def _powers(xp, Z, d):
    out = [None, Z]
    for _ in range(2, d + 1):
        out.append(xp.matmul(out[-1], Z))
    return out


def _poly(coefs, pw, Id):
    acc = coefs[0] * Id
    for k in range(1, len(coefs)):
        acc = acc + coefs[k] * pw[k]
    return acc


def _paterson_stockmeyer(xp, coefs, Z, Id):
    """sum_k coefs[k] Z^k with about 2 sqrt(d) products instead of d.

    With s = ceil(sqrt(d + 1)): p(Z) = sum_j B_j (Z^s)^j, B_j = sum_{i<s}
    c_{js+i} Z^i, evaluated by Horner's rule in Z^s (Paterson and Stockmeyer
    1973). The Taylor coefficients of (1 - z)**(+-1/2) are at most 1 in
    absolute value and Z has its spectrum in [0, 1), so no cancellation.
    """
    d = len(coefs) - 1
    s = max(1, math.isqrt(d) + (0 if math.isqrt(d) ** 2 == d else 1))
    pw = _powers(xp, Z, s)
    pw[0] = Id

    def block(j):
        acc = None
        for i in range(s):
            k = j * s + i
            if k > d:
                break
            term = coefs[k] * pw[i]
            acc = term if acc is None else acc + term
        return acc

    r = d // s
    acc = block(r)
    for j in range(r - 1, -1, -1):
        acc = xp.matmul(acc, pw[s]) + block(j)
    return acc


def _pade_factored(xp, W, m, Id):
    """Numerator and denominator of the diagonal [m/m] Pade approximant, factored.

    Well conditioned (see pade_diagonal_factors). Each factor
    I - a_j Z = a_j (g_j I + W), g_j = (1 - a_j)/a_j, is formed from W in one
    pass, and the constant prod(a_j) / prod(b_j) is returned for the final
    scaling. The factor's eigenvalues g_j + w are computed to relative
    accuracy eps; 1 - a_j (1 - w) would lose eps / (1 - a_j + a_j w) relative
    to the rounding of Z = I - W.
    """
    a, b = pade_diagonal_factors(m)
    P = W + (1 - a[0]) / a[0] * Id
    Q = W + (1 - b[0]) / b[0] * Id
    for j in range(1, m):
        P = xp.matmul(P, W + (1 - a[j]) / a[j] * Id)
        Q = xp.matmul(Q, W + (1 - b[j]) / b[j] * Id)
    return P, Q, math.prod(a) / math.prod(b)


def series_forward(xp, W, c, method, deg, inverse):
    """MPA / MTP on Z = I - W, W = A/c, c = ||A^2||_F**(1/2) >= ||A||_2.

    Returns X (or Y).
    """
    if method == "mpa" and W.dtype == xp.float32 and max(deg) > 8:
        # The single solve with Q(Z) has condition number up to 1/Q(1):
        # 2.6e-4 at degree 8 but 7.7e-9 at degree 16, beyond float32.
        raise ValueError(
            f"degree must be <= 8 for method='mpa' in float32 (the solve with Q(Z) "
            f"is too ill-conditioned at higher degree), got {deg}"
        )
    Id = eye_like(xp, W.shape[-1], W)
    ratio = 1.0
    if method == "mtp":
        coefs = tuple(float(v) for v in taylor(-0.5 if inverse else 0.5, deg))
        S = _paterson_stockmeyer(xp, coefs, Id - W, Id)
    else:
        if deg[0] == deg[1]:
            P, Q, ratio = _pade_factored(xp, W, deg[0], Id)
        else:
            p, q = pade(0.5, *deg)
            pw = _powers(xp, Id - W, max(*deg, 1))
            P, Q = _poly(p, pw, Id), _poly(q, pw, Id)
        # sqrt(1-z) ~ P/Q; P and Q commute, so Q^-1 P = P Q^-1 and
        # (1-z)^-1/2 ~ Q/P = P^-1 Q.
        S = xp.linalg.solve(P, Q) if inverse else xp.linalg.solve(Q, P)
        if inverse:
            ratio = 1 / ratio
    # (S + S^T)/2 is exactly symmetric; the halving, the Pade constant and
    # the scale c**(+-1/2) are applied in one pass.
    f = (0.5 * ratio) / xp.sqrt(c) if inverse else (0.5 * ratio) * xp.sqrt(c)
    return (S + mT(xp, S)) * f


def _residual_norm(xp, R):
    """max over the batch of ||R||_F, as a float: the one host sync of a test.

    R = I - Z Y has entries of order one or less, so the plain sum of
    squares neither overflows (unless the iteration diverged, which the
    caller detects from the result) nor loses anything that matters against
    a tolerance.
    """
    return float(xp.max(xp.sqrt(xp.sum(R * R, axis=(-2, -1)))))


def _diverged(r, name):
    return ValueError(
        f"Newton-Schulz diverged (residual {r:.3g}); {name} is probably not "
        "positive semidefinite"
    )


def _ns_updates(xp, Y, Z, Id, tol, maxiter, name):
    """The coupled updates of `newton_schulz`; returns (Y, Z, converged, last residual)."""
    sched = Schedule(tol, maxiter, math.sqrt(Id.shape[-1]))
    prev = math.inf
    for _ in range(maxiter):
        R = Id - xp.matmul(Z, Y)
        if sched.test_due():
            r = _residual_norm(xp, R)
            if not math.isfinite(r) or r > 1e3:
                raise _diverged(r, name)
            if r <= tol or (r < 1e-2 and r >= prev):
                return Y, Z, True, r
            prev = r
            sched.plan(r)
        T = Id + R / 2  # (3I - Z Y) / 2
        Y = xp.matmul(Y, T)
        Z = xp.matmul(T, Z)
        if sched.updated():
            return Y, Z, True, prev
    if tol == 0:  # the fixed count's one test, for divergence
        r = _residual_norm(xp, R)
        if not math.isfinite(r) or r > 1e3:
            raise _diverged(r, name)
    return Y, Z, False, prev


def newton_schulz(xp, A, tol, maxiter, name, c=None):
    """Coupled Newton-Schulz on A/c (c = ||A^2||_F**(1/2) >= ||A||_2) to convergence.

    Returns (X, Y) with X ~ sqrt(A), Y ~ inv_sqrt(A). Per update, the
    residual R = I - Z Y has eigenvalues r in [0, 1) for SPD A and each
    becomes ``phi(r) = (3 r**2 + r**3) / 4``, so ``||R||_F`` is tested only
    when the :class:`Schedule` says a test is due (one host sync each), and
    the iteration stops once ``||R||_F <= tol`` is measured or guaranteed,
    or when the measured residual stops decreasing after it has become
    small (the rounding floor). ``tol == 0`` runs exactly `maxiter` updates
    with a single test, for divergence, at the end. `c`, when given, is
    ``spectral_bound(xp, A)`` already computed.
    """
    n = A.shape[-1]
    Id = eye_like(xp, n, A)
    if c is None:
        c = spectral_bound(xp, A)
    # an indefinite A overflows between two tests: reported as divergence
    with np.errstate(over="ignore", invalid="ignore"):
        Y, Z, converged, r = _ns_updates(xp, A / c, xp.broadcast_to(Id, A.shape), Id,
                                         tol, maxiter, name)
    if not converged and tol != 0:
        raise ValueError(
            f"Newton-Schulz did not converge in maxiter={maxiter} iterations "
            f"(residual {r:.3g}); {name} is singular or too ill-conditioned for "
            "this method: use method='eigh', or a larger maxiter / tol"
        )
    sc = xp.sqrt(c)
    return sym(xp, Y * sc), sym(xp, Z / sc)


def _eigh_forward(xp, A, name, inverse, state):
    lam, V = eigh_factor(xp, A, name)
    mu = xp.sqrt(lam)
    if inverse:
        check_nonsingular(xp, mu, name, "inv_sqrtm")
    state.update(V=V, mu=mu)
    return from_eig(xp, V, 1 / mu if inverse else mu)


def _iterative_forward(xp, A, name, method, deg, tol, maxiter, inverse, state):
    """The series methods and Newton-Schulz, with per-matrix normalization."""
    n = A.shape[-1]
    fA = fro(xp, A)
    zero = fA == 0
    c = xp.where(zero, xp.ones_like(fA), fA)
    check_diag(xp, A, name, c)
    # Zero matrices (square root 0) would sit at z = 1, where the series are
    # inexact and the iteration cannot converge: compute with I, then zero them.
    Aw = A
    if bool(xp.any(zero)):
        if inverse:
            raise ValueError(
                f"{name} is singular (a zero matrix): inv_sqrtm needs positive definite input"
            )
        Aw = xp.where(zero, eye_like(xp, n, A), A)
        c = xp.where(zero, math.sqrt(n) * xp.ones_like(c), c)
    cs = None
    if method in ("mpa", "mtp") or inverse:
        cs = spectral_bound(xp, Aw, c)
        W = Aw / cs
        if inverse:  # singular A: the eigh path's zero floor, in every method
            check_pd_cholesky(xp, W, name, c / cs, "inv_sqrtm")
        else:
            check_psd_cholesky(xp, W, name, c / cs)
    if method in ("mpa", "mtp"):
        out = series_forward(xp, W, cs, method, deg, inverse)
    else:
        X, Y = newton_schulz(xp, Aw, tol, maxiter, name, c=cs)
        state.update(X=X, Y=Y)
        out = Y if inverse else X
    if Aw is not A:
        out = xp.where(zero, xp.zeros_like(out), out)
        if "X" in state:
            state["X"] = xp.where(zero, xp.zeros_like(state["X"]), state["X"])
    return out


def forward(xp, A, name, *, method, degree, tol, maxiter, inverse):
    """sqrtm (or inv_sqrtm) of a validated batch; returns (result, state).

    `state` holds what the backward pass can reuse: the eigendecomposition
    (``V``, ``mu = sqrt(lambda)``) or the Newton-Schulz pair ``X``, ``Y``.
    `degree`, `tol` and `maxiter` are checked whichever method ignores them.
    """
    state = {"method": method}
    deg = degree_of(method, degree)
    tol = tol_of(xp, A.dtype, A.shape[-1], tol)
    maxiter = check_int(maxiter, "maxiter", low=1)
    if method == "eigh":
        return _eigh_forward(xp, A, name, inverse, state), state
    out = _iterative_forward(xp, A, name, method, deg, tol, maxiter, inverse, state)
    return out, state
