"""Backward methods: Daleckii-Krein and the Newton-Schulz sign iteration.

Both solve the Lyapunov equation ``X dA + dA X = G`` (``-Y G Y`` on the
right for the inverse square root) on a validated ``(..., n, n)`` batch,
given what the forward pass left in its `state`. Generic array-API code.
"""

from __future__ import annotations

import math

import numpy as np

from .._backend import device_of
from .._validate import check_int
from ._checks import tol_of
from ._common import (
    Schedule,
    eps_of,
    eye_like,
    mT,
    normalizer,
    spectral_bound,
    sym,
)
from ._forward import check_nonsingular, eigh_factor, from_eig, newton_schulz, zero_floor

LANCZOS_STEPS = 8
SCALE_UNTIL = 0.9


def numerically_zero(xp, mu):
    """Which mu**2 (eigenvalues of A) are numerically zero: mu <= sqrt(n eps) max(mu)."""
    n = mu.shape[-1]
    mu_max = xp.max(mu, axis=-1, keepdims=True)
    return mu <= math.sqrt(zero_floor(xp, 1.0, n, mu.dtype)) * mu_max


def daleckii_krein(xp, V, mu, G, inverse):
    """Daleckii-Krein: V (K o V^T G V) V^T.

    sqrt: K_ij = 1/(mu_i + mu_j). Where both eigenvalues mu_i**2 and
    mu_j**2 are numerically zero (at most n eps lambda_max, see
    `zero_floor`) the Lyapunov equation is singular and K_ij = 0: the
    minimum-norm solution. inv_sqrt: the divided difference of lambda**-1/2
    is -1/(mu_i mu_j (mu_i + mu_j)), finite for positive lambda.
    """
    s = mu[..., :, None] + mu[..., None, :]
    z = numerically_zero(xp, mu)
    both = z[..., :, None] & z[..., None, :]
    Vt = mT(xp, V)
    H = xp.matmul(xp.matmul(Vt, G), V)
    if inverse:
        # Apply 1/mu_i, 1/mu_j and 1/(mu_i + mu_j) one after the other: the
        # product mu_i mu_j (mu_i + mu_j) under- or overflows long before the
        # gradient does (float32: at eigenvalues 1e-26 or 1e26).
        r = 1 / xp.where(mu > 0, mu, xp.ones_like(mu))
        H = -(H * r[..., :, None]) * r[..., None, :]
    if not bool(xp.any(both)):  # the usual case: no numerically zero pair
        H = H / s
    else:
        H = xp.where(both, xp.zeros_like(H), H / xp.where(both, xp.ones_like(s), s))
    return xp.matmul(xp.matmul(V, H), Vt)


def lanczos_min(xp, B, k):
    """Smallest Ritz value of k Lanczos steps on each symmetric B, shape (..., 1, 1).

    By Cauchy interlacing the Ritz values of a Krylov subspace lie in
    [lambda_min, lambda_max], so this is an upper bound of lambda_min (up to
    rounding) and, for spread spectra, a close one. Full
    reorthogonalization (twice) keeps the small basis orthonormal. After a
    breakdown (an invariant subspace is found) the remaining steps of that
    matrix get a diagonal entry 2, above the spectrum, so they cannot become
    the minimum. The start vector is fixed, with irregular positive entries.
    """
    n = B.shape[-1]
    k = min(k, n)
    dtype = B.dtype
    dev = device_of(B)
    u = 1.0 + 0.5 * xp.cos(2.399963 * xp.arange(1, n + 1, dtype=dtype, device=dev))
    u = u / xp.sqrt(xp.sum(u * u))
    q = xp.broadcast_to(xp.reshape(u, (n, 1)), B.shape[:-2] + (n, 1))
    basis, alphas, betas = [q], [], []
    valid = xp.ones(B.shape[:-2] + (1, 1), dtype=xp.bool, device=dev)
    floor = 1e3 * n * eps_of(xp, dtype)
    for j in range(k):
        w = xp.matmul(B, q)
        a = xp.sum(q * w, axis=-2, keepdims=True)
        alphas.append(xp.where(valid, a, 2 * xp.ones_like(a)))
        if j == k - 1:
            break
        Q = xp.concat(basis, axis=-1)
        for _ in range(2):
            w = w - xp.matmul(Q, xp.matmul(mT(xp, Q), w))
        b = xp.sqrt(xp.sum(w * w, axis=-2, keepdims=True))
        valid = valid & (b > floor)
        b = xp.where(valid, b, xp.zeros_like(b))
        betas.append(b)
        q = xp.where(valid, w / xp.where(valid, b, xp.ones_like(b)), xp.zeros_like(w))
        basis.append(q)

    def row(vals):
        return xp.concat([xp.reshape(v, v.shape[:-2] + (1,)) for v in vals], axis=-1)

    T = eye_like(xp, k, B) * row(alphas)[..., None, :]
    if k > 1:
        offdiag = row([xp.zeros_like(betas[0])] + betas)[..., None, :]
        S = xp.eye(k, k=1, dtype=dtype, device=dev) * offdiag
        T = T + S + mT(xp, S)
    theta = xp.min(xp.linalg.eigvalsh(T), axis=-1)
    return xp.reshape(theta, theta.shape + (1, 1))


def _scaled_start(xp, B, C, symmetric, I15, maxiter):
    """The scaled first steps of the sign iteration; returns (B, C, steps).

    sign(a M) = sign(M), and for any a in [1, sqrt(3)) the step
    b -> p(a b), p(b) = b (3 - b^2)/2, keeps every eigenvalue in (0, 1], so
    the iteration converges for any such a. With [l, 1] containing the
    spectrum, a = sqrt(3 / (1 + l + l^2)) maps it into [p(a l), 1]: small
    eigenvalues grow by up to 2.6 instead of 1.5 per step (a solves
    p(a l) = p(a), the scaled Newton-Schulz sign iteration of Chen and Chow,
    2014). l starts at the smallest Ritz value of a few Lanczos steps on B
    (`lanczos_min`), an upper bound of the smallest eigenvalue, and follows
    l <- p(a l) per matrix; this runs, without convergence tests, until
    l >= 0.9 for every matrix (until then the smallest eigenvalue, at most
    l, is far from converged). As l overestimates the smallest eigenvalue,
    every eigenvalue moves at least as fast as without scaling, so the
    iteration count never grows.
    """
    tiny = float(xp.finfo(B.dtype).smallest_normal)
    lo = xp.minimum(xp.maximum(lanczos_min(xp, B, LANCZOS_STEPS), tiny), 1.0)
    lm, steps = float(xp.min(lo)), 0  # the one host sync: how many scaled steps
    while lm < SCALE_UNTIL and steps < maxiter - 1:
        am = math.sqrt(3 / (1 + lm + lm * lm))
        lm, steps = am * lm * (3 - am * am * lm * lm) / 2, steps + 1
    for _ in range(steps):
        a = xp.sqrt(3 / (1 + lo + lo * lo))
        lo = a * lo * (3 - a * a * lo * lo) / 2
        B = B * a
        C = C * a
        Bh = B * 0.5
        T = I15 - xp.matmul(Bh, B)
        Qh = xp.matmul(Bh, C)
        K = mT(xp, Qh) - Qh if symmetric else xp.matmul(C, Bh) - Qh
        C = xp.matmul(C, T) + xp.matmul(B, K)
        B = xp.matmul(B, T)
    return B, C, steps


def _trace_residual(xp, B2h):
    """max over the batch of trace(I - B^2) from B^2 / 2, as a float (one host sync).

    trace(I - B^2) = 2 sum(1/2 - diag(B^2/2)); 1/2 - d is exact for d in
    [1/4, 1] (Sterbenz), so only d's rounding enters.
    """
    return float(xp.max(2 * xp.sum(0.5 - xp.linalg.diagonal(B2h), axis=-1)))


def sign_lyapunov(xp, X, G, tol, maxiter, allow_unconverged=False, A=None):
    """Solve X W + W X = G by the Newton-Schulz sign iteration, per matrix.

    sign([[B, C], [0, -B]]) = [[I, W'], [0, -I]] with B W' + W' B = 2 C. With
    B0 = X/s, C0 = G/s, s per matrix an upper bound of ||X||_2 so that the
    spectrum of B0 lies in (0, 1]: s = ||A^2||_F**(1/4) when A = X^2 is given
    (||X||_2 = ||A||_2**(1/2); this bound is never larger than ||X||_F =
    trace(A)**(1/2), and smaller by up to n**(3/8)), else ||X||_F. The
    iteration is B <- B T, C <- C T + B (C B - B C)/2 with T = (3I - B^2)/2,
    which is (-B^2 C + B C B + C (3I - B^2))/2 with one product fewer; it
    converges to B = I, C = 2W. Per update: B^2, B C, B (C B - B C)/2, C T
    and B T, plus C B when G is not exactly symmetric. When it is, B and
    every C are symmetric in exact arithmetic, so C B = (B C)^T is used
    instead of a sixth product.

    Convergence: R = I - B^2 is positive semidefinite (the eigenvalues of B
    stay in (0, 1]), so t = trace(R) >= ||R||_F costs only the diagonal of
    B^2, and each eigenvalue residual r becomes phi(r) = (3r^2 + r^3)/4
    after an update: t is tested when the :class:`Schedule` says a test is
    due (spread n). The iteration also stops when t stalls at its rounding
    floor. The last update skips B. ``tol == 0`` runs exactly `maxiter`
    updates, the first ones unscaled. The first steps are scaled
    (`_scaled_start`).
    """
    n = X.shape[-1]
    s = normalizer(xp, X)
    if A is not None:
        s = xp.minimum(s, xp.sqrt(spectral_bound(xp, A)))
    B, C = X / s, G / s
    symmetric = bool(xp.all(G == mT(xp, G)))
    I15 = 1.5 * eye_like(xp, n, X)
    done = 0
    if tol != 0 and n > 1:
        B, C, done = _scaled_start(xp, B, C, symmetric, I15, maxiter)
    sched = Schedule(tol, maxiter, n)
    prev, converged = math.inf, False
    for it in range(done, maxiter):
        Bh = B * 0.5
        B2h = xp.matmul(Bh, B)
        if sched.test_due():
            t = _trace_residual(xp, B2h)
            if not math.isfinite(t):
                raise ValueError("the sign iteration produced NaN/Inf; X is not positive definite")
            if t <= tol or (t < 1e-2 and t >= prev):
                converged = True
                break
            prev = t
            sched.plan(t)
        T = I15 - B2h  # (3I - B^2) / 2
        Qh = xp.matmul(Bh, C)  # B C / 2
        K = mT(xp, Qh) - Qh if symmetric else xp.matmul(C, Bh) - Qh  # (C B - B C) / 2
        C = xp.matmul(C, T) + xp.matmul(B, K)
        if sched.updated():
            converged = True
            break
        if it < maxiter - 1:
            B = xp.matmul(B, T)
    if tol == 0 and not bool(xp.all(xp.isfinite(C))):
        raise ValueError("the sign iteration produced NaN/Inf; X is not positive definite")
    if not converged and not allow_unconverged:
        raise ValueError(
            f"the sign iteration did not converge in maxiter={maxiter} iterations "
            f"(residual {prev:.3g}); A is singular or too ill-conditioned for "
            "method='lyapunov': use method='eigh', or a larger maxiter / tol"
        )
    return C / 2


def _eigh_backward(xp, A, G, state, inverse, name):
    if "V" not in state:
        if state.get("X") is not None:
            lam, V = eigh_factor(xp, state["X"], "X")  # eigenvalues of X are sqrt(lambda)
            state.update(V=V, mu=lam)
        else:
            lam, V = eigh_factor(xp, A, name)
            state.update(V=V, mu=xp.sqrt(lam))
    if inverse:
        check_nonsingular(xp, state["mu"], name, "inv_sqrtm_vjp")
    return daleckii_krein(xp, state["V"], state["mu"], G, inverse)


def _roots_for_lyapunov(xp, A, state, inverse, name):
    """X (and Y for the inverse) from the forward state, or computed.

    A given Y comes with its X = sym(A Y) (see the API's `_given_state`).
    """
    X, Y = state.get("X"), state.get("Y")
    if X is not None and (Y is not None or not inverse):
        return X, Y
    if "V" in state:
        X = from_eig(xp, state["V"], state["mu"])
        if inverse:
            Y = from_eig(xp, state["V"], 1 / state["mu"])
    else:
        X, Y2 = newton_schulz(xp, A, tol_of(xp, A.dtype, A.shape[-1], None), 100, name)
        Y = Y if Y is not None else Y2
    return X, Y


def check_iteration(xp, A, tol, maxiter, prefix=""):
    """The sign iteration's `tol` and `maxiter`, checked (names with `prefix`)."""
    tol = tol_of(xp, A.dtype, A.shape[-1], tol, prefix + "tol")
    return tol, check_int(maxiter, prefix + "maxiter", low=1)


def check_representable(xp, dA, G, singular=None):
    """Raise when the gradient of finite inputs is outside the normal range.

    Every route divides by square roots of eigenvalues (by their cubes for
    the inverse square root), so a finite A and G can have a gradient
    beyond the largest float, which comes out as Inf (or NaN from
    Inf - Inf), or below the smallest normal number, where it has lost its
    digits to underflow. For positive definite A the gradient is nonzero
    where G is; the matrices flagged in `singular` (numerically zero
    eigenvalues: the minimum-norm gradient can be exactly zero) and those
    with a zero G are not tested for underflow.
    """
    info = xp.finfo(dA.dtype)
    if not bool(xp.all(xp.isfinite(dA))):
        raise ValueError(
            f"the gradient is not representable in {dA.dtype}: an entry overflows "
            f"(beyond {float(info.max):.3g}); scale A or G"
        )
    tiny = float(info.smallest_normal)
    amax = xp.max(xp.abs(dA), axis=(-2, -1))
    gmax = xp.max(xp.abs(G), axis=(-2, -1))
    lost = (amax < tiny) & (gmax > 0)
    if singular is not None:
        lost = lost & ~singular
    if bool(xp.any(lost)):
        raise ValueError(
            f"the gradient is not representable in {dA.dtype}: all its entries are "
            f"below the smallest normal number {tiny:.3g} (underflow) for a nonzero G; "
            "scale A or G"
        )
    return dA


def backward(xp, A, G, state, *, vjp_method, tol, maxiter, inverse, name, prefix="",
             check_finite=True):
    """Gradient given validated A, G and the forward state.

    `prefix` names the iteration options in messages (``"vjp_"`` for the
    ``*_with_vjp`` closures); they are checked with either method. With
    `check_finite` (the inputs were checked to be finite) a gradient that
    over- or underflows the dtype raises ValueError (`check_representable`).
    """
    tol, maxiter = check_iteration(xp, A, tol, maxiter, prefix)
    singular = None
    with np.errstate(over="ignore", invalid="ignore"):  # checked at the end
        if vjp_method == "eigh":
            dA = _eigh_backward(xp, A, G, state, inverse, name)
            if not inverse:
                singular = xp.any(numerically_zero(xp, state["mu"]), axis=-1)
        else:
            dA = _lyapunov_backward(xp, A, G, state, tol, maxiter, inverse, name)
    return check_representable(xp, dA, G, singular) if check_finite else dA


def _lyapunov_backward(xp, A, G, state, tol, maxiter, inverse, name):
    X, Y = _roots_for_lyapunov(xp, A, state, inverse, name)
    if inverse:
        # d(Y) = -Y dX Y, so <G, dY> = <-Y G Y, dX> (Y symmetric). For
        # symmetric G, Y G Y is symmetric too: make it exactly so, which lets
        # the sign iteration use its symmetric shortcut.
        symmetric = bool(xp.all(G == mT(xp, G)))
        G = -xp.matmul(xp.matmul(Y, G), Y)
        if symmetric:
            G = sym(xp, G)
    return sign_lyapunov(xp, X, G, tol, maxiter, allow_unconverged=(tol == 0), A=A)
