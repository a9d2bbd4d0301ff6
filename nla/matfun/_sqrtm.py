"""Batched matrix square root and inverse square root of SPD matrices, with VJPs.

All routines are generic array-API code: leading dimensions are batch
dimensions, every matrix is normalized on its own, and the only primitives are
``matmul``, ``linalg.eigh`` and ``linalg.solve`` (plus ``linalg.cholesky`` for
the definiteness check of the series methods).
"""

from __future__ import annotations

import math

import numpy as np

from .._backend import array_namespace, device_of, is_numpy_namespace
from .._validate import check_array, check_int, check_option, check_real, check_square
from ._series import pade, pade_diagonal_factors, taylor

__all__ = [
    "sqrtm",
    "inv_sqrtm",
    "sqrtm_vjp",
    "inv_sqrtm_vjp",
    "sqrtm_with_vjp",
    "inv_sqrtm_with_vjp",
]

METHODS = ("eigh", "mpa", "mtp", "newton-schulz")
BACKWARDS = ("eigh", "lyapunov")
MAX_PADE = 16
MAX_TAYLOR = 256


# ---------------------------------------------------------------------------
# validation and small helpers


def _eps(xp, dtype):
    return float(np.finfo(np.float32 if dtype == xp.float32 else np.float64).eps)


def _sym_rtol(xp, dtype, sym_rtol):
    if sym_rtol is None:
        return math.sqrt(_eps(xp, dtype))
    return check_real(sym_rtol, "sym_rtol", low=0.0)


def _fro(xp, M):
    """Per-matrix Frobenius norm with shape (..., 1, 1), safe from under/overflow.

    The plain sum of squares s2 is used when it is trustworthy for every
    matrix: finite (no square overflowed) and at least
    ``n**2 * smallest_normal / eps``, so that squares lost to underflow (each
    below smallest_normal) change it by less than eps relative. Otherwise
    each matrix is divided by its largest absolute entry m before squaring,
    ||M||_F = m ||M/m||_F, so the squares lie in [0, 1] and sum to at most
    n**2: no overflow for entries near the largest float, and no underflow to
    zero for entries near the smallest normal number (unscaled, the squares
    of float64 entries below 1e-154, float32 below 1e-19, vanish). The result
    overflows only when the norm itself is not representable.
    """
    with np.errstate(over="ignore", under="ignore"):  # checked just below
        s2 = xp.sum(M * M, axis=(-2, -1), keepdims=True)
    info = xp.finfo(M.dtype)
    low = M.shape[-1] * M.shape[-2] * float(info.smallest_normal) / float(info.eps)
    if bool(xp.all((s2 >= low) & (s2 <= float(info.max)))):
        return xp.sqrt(s2)
    m = xp.max(xp.abs(M), axis=(-2, -1), keepdims=True)
    if bool(xp.all(((s2 >= low) | (m == 0)) & (s2 <= float(info.max)))):
        return xp.sqrt(s2)  # the only small sums are of zero matrices
    m = xp.where(m > 0, m, xp.ones_like(m))
    Ms = M / m
    return m * xp.sqrt(xp.sum(Ms * Ms, axis=(-2, -1), keepdims=True))


def _T(xp, M):
    return xp.matrix_transpose(M)


def _eye(xp, n, like):
    """Identity of size n in the dtype and on the device of the array `like`."""
    return xp.eye(n, dtype=like.dtype, device=device_of(like))


def _prepare(A, name, *, check_finite, sym_rtol):
    """Validate a symmetric (..., n, n) batch and return (xp, symmetrized A)."""
    A = check_array(A, name, ndim=(2, None), check_finite=check_finite)
    check_square(A, name)
    xp = array_namespace(A)
    if A.dtype not in (xp.float32, xp.float64):
        A = xp.astype(A, xp.float64)
    tol = _sym_rtol(xp, A.dtype, sym_rtol)
    At = _T(xp, A)
    if bool(xp.all(A == At)):
        return xp, A  # exactly symmetric (the usual case): nothing to measure or average
    skew = _fro(xp, A - At)
    scale = _fro(xp, A)
    bad = skew > tol * scale
    if bool(xp.any(bad)):
        worst = float(xp.max(skew / xp.where(scale > 0, scale, xp.ones_like(scale))))
        raise ValueError(
            f"{name} must be symmetric: ||{name} - {name}^T||_F / ||{name}||_F = "
            f"{worst:.3g} exceeds sym_rtol={tol:.3g} for at least one matrix"
        )
    return xp, (A + At) / 2


def _check_diag(xp, A, name, c):
    """Necessary condition for PSD: no clearly negative diagonal entry."""
    n = A.shape[-1]
    d = xp.linalg.diagonal(A)
    tol = 100 * n * _eps(xp, A.dtype)
    if bool(xp.any(d < -tol * c[..., 0])):
        raise ValueError(f"{name} is not positive semidefinite: it has a negative diagonal entry")


def _check_psd_cholesky(xp, W, name, r):
    """Cholesky of W + delta r I, W = A/c, r = ||A||_F / c (per matrix).

    It fails iff A has an eigenvalue below -delta ||A||_F. The matrix is
    normalized first so that the factorization neither underflows nor
    overflows at extreme scales.
    """
    n = W.shape[-1]
    delta = 100 * n * _eps(xp, W.dtype)
    shifted = W + (delta * r) * _eye(xp, n, W)
    try:
        L = xp.linalg.cholesky(shifted)
    except np.linalg.LinAlgError:
        L = None
    if L is None or not bool(xp.all(xp.isfinite(L))):
        raise ValueError(
            f"{name} is not positive semidefinite: an eigenvalue is below "
            f"-{delta:.3g} * ||{name}||_F (use method='eigh' to inspect the spectrum)"
        )


def _spectral_bound(xp, A, f=None):
    """Per-matrix upper bound of ||A||_2 for symmetric A: ||A^2||_F**(1/2).

    ||A^2||_F**(1/2) = (sum lambda_i**4)**(1/4) >= max |lambda_i|, and it is
    never larger than ||A||_F = (sum lambda_i**2)**(1/2): for spread spectra
    it is smaller by about n**(1/4), which brings the normalized spectrum of
    the series methods further from their branch point z = 1 (MPA [8/8] at
    kappa 100, n = 48: error 7e-3 instead of 1.8e-2) and saves a
    Newton-Schulz iteration, for one extra product. A is scaled by its
    Frobenius norm (`f`, computed when not given) before squaring so nothing
    overflows. Zero matrices get 1.
    """
    if f is None:
        f = _normalizer(xp, A)
    An = A / f
    b = xp.sqrt(_fro(xp, xp.matmul(An, An)))
    b = xp.where(b > 0, b, xp.ones_like(b))
    return xp.minimum(f * b, f)


def _normalizer(xp, A):
    """Per-matrix ||A||_F (shape (..., 1, 1)); zero matrices get 1 (their root is 0)."""
    c = _fro(xp, A)
    return xp.where(c > 0, c, xp.ones_like(c))


def _degree(method, degree):
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


def _tol(xp, dtype, n, tol, name="tol"):
    if tol is None:
        return 10 * math.sqrt(n) * _eps(xp, dtype)
    return check_real(tol, name, low=0.0)


# ---------------------------------------------------------------------------
# forward kernels (A symmetrized and validated)


_BLAS = []


def _batched_eigh(xp, A):
    """``xp.linalg.eigh``; on NumPy, small matrices run with one BLAS thread.

    NumPy loops over the batch calling LAPACK once per matrix. For small n
    multithreaded OpenBLAS only adds synchronization: measured on a 2-core
    machine, 64 matrices of 48 x 48 took 10 ms with one thread and 25 ms with
    two, and with the cores shared by other processes two threads gave
    spikes of 0.3 - 4 s where one thread stayed at 10 - 30 ms (256 x 64 x 64:
    92 ms with one thread, 76 ms with two on a quiet machine, up to 7.9 s on
    a busy one). Below n = 128 the batch is therefore decomposed with one
    BLAS thread.
    """
    if A.shape[-1] >= 128 or A.ndim == 2 or not is_numpy_namespace(xp):
        return xp.linalg.eigh(A)
    if not _BLAS:
        try:
            from threadpoolctl import ThreadpoolController

            _BLAS.append(ThreadpoolController())
        except ImportError:  # pragma: no cover - a dependency, but keep working without it
            _BLAS.append(None)
    if _BLAS[0] is None:  # pragma: no cover
        return xp.linalg.eigh(A)
    with _BLAS[0].limit(limits=1, user_api="blas"):
        return xp.linalg.eigh(A)


def _eigh_factor(xp, A, name):
    """Eigendecomposition with the PSD rule: clip small negatives, reject clear ones."""
    n = A.shape[-1]
    lam, V = _batched_eigh(xp, A)
    lam_max = xp.max(xp.abs(lam), axis=-1, keepdims=True)
    tol = 100 * n * _eps(xp, A.dtype) * lam_max
    if bool(xp.any(lam < -tol)):
        worst = float(xp.min(lam / xp.where(lam_max > 0, lam_max, xp.ones_like(lam_max))))
        raise ValueError(
            f"{name} is not positive semidefinite: smallest eigenvalue / largest = {worst:.3g}"
        )
    lam = xp.where(lam > 0, lam, xp.zeros_like(lam))
    return lam, V


def _from_eig(xp, V, f):
    M = xp.matmul(V * f[..., None, :], _T(xp, V))
    return (M + _T(xp, M)) / 2  # exactly symmetric


def _powers(xp, Z, d):
    out = [None, Z]
    for _ in range(2, d + 1):
        out.append(xp.matmul(out[-1], Z))
    return out


def _poly(xp, coefs, pw, Id):
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


def _series_forward(xp, W, c, method, deg, inverse):
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
    n = W.shape[-1]
    Id = _eye(xp, n, W)
    power = -0.5 if inverse else 0.5
    ratio = 1.0
    if method == "mpa" and deg[0] == deg[1]:
        # Factored form: well conditioned (see pade_diagonal_factors). Each
        # factor I - a_j Z = a_j (g_j I + W), g_j = (1 - a_j)/a_j, is formed
        # from W in one pass, and the constant prod(a_j) / prod(b_j) goes
        # into the final scaling. The factor's eigenvalues g_j + w are
        # computed to relative accuracy eps; 1 - a_j (1 - w) would lose
        # eps / (1 - a_j + a_j w) relative to the rounding of Z = I - W.
        a, b = pade_diagonal_factors(deg[0])
        ga = [(1 - v) / v * Id for v in a]
        gb = [(1 - v) / v * Id for v in b]
        P = W + ga[0]
        Q = W + gb[0]
        for j in range(1, deg[0]):
            P = xp.matmul(P, W + ga[j])
            Q = xp.matmul(Q, W + gb[j])
        ratio = math.prod(a) / math.prod(b)
    else:
        Z = Id - W
        if method == "mtp":
            coefs = tuple(float(v) for v in taylor(power, deg))
            S = _paterson_stockmeyer(xp, coefs, Z, Id)
        else:
            m, k = deg
            p, q = pade(0.5, m, k)
            pw = _powers(xp, Z, max(m, k, 1))
            P = _poly(xp, p, pw, Id)
            Q = _poly(xp, q, pw, Id)
    if method == "mpa":
        # sqrt(1-z) ~ P/Q; P and Q commute, so Q^-1 P = P Q^-1 and
        # (1-z)^-1/2 ~ Q/P = P^-1 Q.
        S = xp.linalg.solve(P, Q) if inverse else xp.linalg.solve(Q, P)
        if inverse:
            ratio = 1 / ratio
    # (S + S^T)/2 is exactly symmetric; the halving, the Pade constant and
    # the scale c**(+-1/2) are applied in one pass.
    f = (0.5 * ratio) / xp.sqrt(c) if inverse else (0.5 * ratio) * xp.sqrt(c)
    return (S + _T(xp, S)) * f


def _newton_schulz(xp, A, tol, max_iter, name):
    """Coupled Newton-Schulz on A/c (c = ||A^2||_F**(1/2) >= ||A||_2) to convergence.

    Returns (X, Y, iterations) with X ~ sqrt(A), Y ~ inv_sqrt(A).
    Stops when every matrix has ||I - Z Y||_F <= tol (or after the update
    made from a residual r with r**2 <= tol: the iteration converges
    quadratically), or when the residual stops decreasing after it has become
    small (the rounding floor).
    """
    n = A.shape[-1]
    Id = _eye(xp, n, A)
    c = _spectral_bound(xp, A)
    Ym = A / c
    Zm = xp.broadcast_to(Id, A.shape)
    prev = math.inf
    it = 0
    converged = False
    for it in range(1, max_iter + 1):
        ZY = xp.matmul(Zm, Ym)
        R = Id - ZY
        r = float(xp.max(_fro(xp, R)))
        if not math.isfinite(r) or r > 1e3:
            raise ValueError(
                f"Newton-Schulz diverged (residual {r:.3g}); {name} is probably not "
                "positive semidefinite"
            )
        if r <= tol or (r < 1e-2 and r >= prev):
            it -= 1
            converged = True
            break
        prev = r
        T = Id + R / 2  # (3I - Z Y) / 2
        Ym = xp.matmul(Ym, T)
        Zm = xp.matmul(T, Zm)
        if r * r <= tol:
            # Quadratic convergence: this update brought the residual to
            # about r**2 <= tol; checking it would cost another product.
            converged = True
            break
    if not converged and tol > 0:
        raise ValueError(
            f"Newton-Schulz did not converge in max_iter={max_iter} iterations "
            f"(residual {prev:.3g}); {name} is singular or too ill-conditioned for "
            "this method: use method='eigh', or a larger max_iter / tol"
        )
    sc = xp.sqrt(c)
    X = Ym * sc
    Y = Zm / sc
    return (X + _T(xp, X)) / 2, (Y + _T(xp, Y)) / 2, it


def _forward(A, name, *, method, degree, tol, max_iter, check_finite, sym_rtol, inverse):
    method = check_option(method, "method", METHODS)
    xp, A = _prepare(A, name, check_finite=check_finite, sym_rtol=sym_rtol)
    n = A.shape[-1]
    state = {"method": method}
    if method == "eigh":
        lam, V = _eigh_factor(xp, A, name)
        mu = xp.sqrt(lam)
        if inverse and bool(xp.any(lam <= 0)):
            raise ValueError(f"{name} is singular: inv_sqrtm needs a positive definite matrix")
        f = 1 / mu if inverse else mu
        out = _from_eig(xp, V, f)
        state.update(V=V, mu=mu)
        return xp, A, out, state
    if method in ("mpa", "mtp"):
        deg = _degree(method, degree)
    else:
        tol = _tol(xp, A.dtype, n, tol)
        max_iter = check_int(max_iter, "max_iter", low=1)
    fA = _fro(xp, A)
    zero = fA == 0
    c = xp.where(zero, xp.ones_like(fA), fA)
    _check_diag(xp, A, name, c)
    # Zero matrices (square root 0) would sit at z = 1, where the series are
    # inexact and the iteration cannot converge: compute with I, then zero them.
    Aw = A
    if bool(xp.any(zero)):
        if inverse:
            raise ValueError(
                f"{name} is singular (a zero matrix): inv_sqrtm needs positive definite input"
            )
        Aw = xp.where(zero, _eye(xp, n, A), A)
        c = xp.where(zero, math.sqrt(n) * xp.ones_like(c), c)
    if method in ("mpa", "mtp"):
        cs = _spectral_bound(xp, Aw, c)
        W = Aw / cs
        _check_psd_cholesky(xp, W, name, c / cs)
        out = _series_forward(xp, W, cs, method, deg, inverse)
        if Aw is not A:
            out = xp.where(zero, xp.zeros_like(out), out)
        return xp, A, out, state
    X, Y, _ = _newton_schulz(xp, Aw, tol, max_iter, name)
    if Aw is not A:
        X = xp.where(zero, xp.zeros_like(X), X)
    state.update(X=X, Y=Y)
    return xp, A, (Y if inverse else X), state


# ---------------------------------------------------------------------------
# backward kernels


def _dk(xp, V, mu, G, inverse):
    """Daleckii-Krein: V (K o V^T G V) V^T.

    sqrt: K_ij = 1/(mu_i + mu_j); pairs with mu_i + mu_j <= eps * max(mu) (both
    eigenvalues numerically zero) get K_ij = 0, the minimum-norm solution of
    the singular Lyapunov equation. inv_sqrt: the divided difference of
    lambda**-1/2 is -1/(mu_i mu_j (mu_i + mu_j)), finite for positive lambda.
    """
    s = mu[..., :, None] + mu[..., None, :]
    eps = _eps(xp, mu.dtype)
    floor = eps * xp.max(mu, axis=-1, keepdims=True)[..., None]
    ok = s > floor
    Vt = _T(xp, V)
    H = xp.matmul(xp.matmul(Vt, G), V)
    if inverse:
        # Apply 1/mu_i, 1/mu_j and 1/(mu_i + mu_j) one after the other: the
        # product mu_i mu_j (mu_i + mu_j) under- or overflows long before the
        # gradient does (float32: at eigenvalues 1e-26 or 1e26).
        r = 1 / xp.where(mu > 0, mu, xp.ones_like(mu))
        H = -(H * r[..., :, None]) * r[..., None, :]
    if bool(xp.all(ok)):  # the usual case: no numerically zero pair
        H = H / s
    else:
        H = xp.where(ok, H / xp.where(ok, s, xp.ones_like(s)), xp.zeros_like(H))
    return xp.matmul(xp.matmul(V, H), Vt)


def _updates_needed(t, tol, cap):
    """Smallest j with phi^j(t) <= tol, phi(t) = (3 t**2 + t**3)/4; `cap` if none.

    phi maps the residual 1 - b**2 of one eigenvalue b of B to that of
    b (3 - b**2)/2, and it is increasing on [0, 1], so a bound on the
    residuals bounds them after j updates.
    """
    j = 0
    while t > tol:
        if t >= 1 or j >= cap:
            return cap
        t = (3 * t * t + t * t * t) / 4
        j += 1
    return j


LANCZOS_STEPS = 8
SCALE_UNTIL = 0.9


def _lanczos_min(xp, B, k):
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
    floor = 1e3 * n * _eps(xp, dtype)
    for j in range(k):
        w = xp.matmul(B, q)
        a = xp.sum(q * w, axis=-2, keepdims=True)
        alphas.append(xp.where(valid, a, 2 * xp.ones_like(a)))
        if j == k - 1:
            break
        Q = xp.concat(basis, axis=-1)
        for _ in range(2):
            w = w - xp.matmul(Q, xp.matmul(_T(xp, Q), w))
        b = xp.sqrt(xp.sum(w * w, axis=-2, keepdims=True))
        valid = valid & (b > floor)
        b = xp.where(valid, b, xp.zeros_like(b))
        betas.append(b)
        q = xp.where(valid, w / xp.where(valid, b, xp.ones_like(b)), xp.zeros_like(w))
        basis.append(q)

    def row(vals):
        return xp.concat([xp.reshape(v, v.shape[:-2] + (1,)) for v in vals], axis=-1)

    T = _eye(xp, k, B) * row(alphas)[..., None, :]
    if k > 1:
        offdiag = row([xp.zeros_like(betas[0])] + betas)[..., None, :]
        S = xp.eye(k, k=1, dtype=dtype, device=dev) * offdiag
        T = T + S + _T(xp, S)
    theta = xp.min(xp.linalg.eigvalsh(T), axis=-1)
    return xp.reshape(theta, theta.shape + (1, 1))


def _sign_lyapunov(xp, X, G, tol, max_iter, allow_unconverged=False, A=None):
    """Solve X W + W X = G by the Newton-Schulz sign iteration, per matrix.

    sign([[B, C], [0, -B]]) = [[I, W'], [0, -I]] with B W' + W' B = 2 C. With
    B0 = X/s, C0 = G/s, s per matrix an upper bound of ||X||_2 so that the
    spectrum of B0 lies in (0, 1]: s = ||A^2||_F**(1/4) when A = X^2 is given
    (||X||_2 = ||A||_2**(1/2); this bound is never larger than ||X||_F =
    trace(A)**(1/2), and smaller by up to n**(3/8), which saves two to three
    iterations), else ||X||_F. The iteration is
    B <- B T, C <- C T + B (C B - B C)/2 with T = (3I - B^2)/2, which is
    (-B^2 C + B C B + C (3I - B^2))/2 with one product fewer; it converges
    to B = I, C = 2W. Per update: B^2, B C, B (C B - B C)/2, C T and B T,
    plus C B when G is not exactly symmetric. When it is, B and every C
    are symmetric in exact arithmetic, so C B = (B C)^T is used instead of
    a sixth product.

    Convergence: R = I - B^2 is positive semidefinite (the eigenvalues of B
    stay in (0, 1]), so t = trace(R) >= ||R||_F costs only the diagonal of
    B^2, and one residual r of an eigenvalue becomes phi(r) = (3r^2 + r^3)/4
    after an update. After a check giving t, the largest residual lies in
    [t/n, t]: at least `_updates_needed(t/n)` updates are needed, so that
    many run before the next check (no host sync, no overshoot); once the
    upper count `_updates_needed(t)` exceeds the lower one by at most one,
    it runs that many and stops, since then trace(R) <= tol is guaranteed.
    The iteration also stops when t stalls at its rounding floor. The last
    update skips B. ``tol == 0`` runs exactly `max_iter` unscaled updates.

    Scaling: sign(a M) = sign(M), and for any a in [1, sqrt(3)) the step
    b -> p(a b), p(b) = b (3 - b^2)/2, keeps every eigenvalue in (0, 1], so
    the iteration converges for any such a. With [l, 1] containing the
    spectrum, a = sqrt(3 / (1 + l + l^2)) maps it into [p(a l), 1]: small
    eigenvalues
    grow by up to 2.6 instead of 1.5 per step (a solves p(a l) = p(a), the
    scaled Newton-Schulz sign iteration of Chen and Chow, 2014). l starts
    at the smallest
    Ritz value of a few Lanczos steps on B (`_lanczos_min`), an upper bound
    of the smallest eigenvalue, and follows l <- p(a l) per matrix; this
    runs, without convergence tests, until l >= 0.9 for every matrix (until
    then the smallest eigenvalue, at most l, is far from converged). As l
    overestimates the smallest eigenvalue, every eigenvalue moves at least as
    fast as without scaling, so the iteration count never grows; measured
    on 48 x 48 log-spaced spectra it falls from 11 to 8 at kappa 100 and
    from 22 to 16 at kappa 1e6. The unscaled steps and tests above follow.
    """
    n = X.shape[-1]
    Id = _eye(xp, n, X)
    I15 = 1.5 * Id
    s = _normalizer(xp, X)
    if A is not None:
        s = xp.minimum(s, xp.sqrt(_spectral_bound(xp, A)))
    B = X / s
    C = G / s
    symmetric = bool(xp.all(G == _T(xp, G)))
    fixed = tol == 0
    done = 0
    if not fixed and n > 1:
        tiny = float(xp.finfo(X.dtype).smallest_normal)
        lo = xp.minimum(xp.maximum(_lanczos_min(xp, B, LANCZOS_STEPS), tiny), 1.0)
        lm, scaled = float(xp.min(lo)), 0
        while lm < SCALE_UNTIL and scaled < max_iter - 1:
            am = math.sqrt(3 / (1 + lm + lm * lm))
            lm, scaled = am * lm * (3 - am * am * lm * lm) / 2, scaled + 1
        for _ in range(scaled):
            a = xp.sqrt(3 / (1 + lo + lo * lo))
            lo = a * lo * (3 - a * a * lo * lo) / 2
            B = B * a
            C = C * a
            Bh = B * 0.5
            T = I15 - xp.matmul(Bh, B)
            Qh = xp.matmul(Bh, C)
            K = _T(xp, Qh) - Qh if symmetric else xp.matmul(C, Bh) - Qh
            C = xp.matmul(C, T) + xp.matmul(B, K)
            B = xp.matmul(B, T)
        done = scaled
    prev = math.inf
    converged = False
    skip = max_iter if fixed else 0  # updates before the next check
    final = None  # updates left until guaranteed convergence
    for it in range(done + 1, max_iter + 1):
        Bh = B * 0.5
        B2h = xp.matmul(Bh, B)  # B^2 / 2
        if final is None and skip == 0:
            # trace(I - B^2) = 2 sum(1/2 - diag(B^2/2)); 1/2 - d is exact
            # for d in [1/4, 1] (Sterbenz), so only d's rounding enters.
            t = float(xp.max(2 * xp.sum(0.5 - xp.linalg.diagonal(B2h), axis=-1)))
            if not math.isfinite(t):
                raise ValueError("the sign iteration produced NaN/Inf; X is not positive definite")
            if t <= tol or (t < 1e-2 and t >= prev):
                converged = True
                break
            prev = t
            lower = _updates_needed(t / n, tol, max_iter)
            upper = _updates_needed(t, tol, max_iter)
            if upper < max_iter and upper <= lower + 1:  # max_iter: no bound
                final = upper
            else:
                skip = max(lower, 1)
        T = I15 - B2h  # (3I - B^2) / 2
        Qh = xp.matmul(Bh, C)  # B C / 2
        K = _T(xp, Qh) - Qh if symmetric else xp.matmul(C, Bh) - Qh  # (C B - B C) / 2
        C = xp.matmul(C, T) + xp.matmul(B, K)
        if final is not None:
            final -= 1
            if final == 0:
                converged = True
                break
        else:
            skip -= 1
        if it < max_iter:
            B = xp.matmul(B, T)
    if fixed and not bool(xp.all(xp.isfinite(C))):
        raise ValueError("the sign iteration produced NaN/Inf; X is not positive definite")
    if not converged and not allow_unconverged:
        raise ValueError(
            f"the sign iteration did not converge in max_iter={max_iter} iterations "
            f"(residual {prev:.3g}); A is singular or too ill-conditioned for "
            "method='lyapunov': use method='eigh', or a larger max_iter / tol"
        )
    return C / 2


def _backward(xp, A, G, state, *, backward, tol, max_iter, inverse, name):
    """Gradient given validated A and the forward state."""
    n = A.shape[-1]
    if backward == "eigh":
        if "V" not in state:
            if "X" in state and state["X"] is not None:
                lam, V = _eigh_factor(xp, state["X"], "X")  # eigenvalues of X are sqrt(lambda)
                state.update(V=V, mu=lam)
            else:
                lam, V = _eigh_factor(xp, A, name)
                state.update(V=V, mu=xp.sqrt(lam))
        if inverse and bool(xp.any(state["mu"] <= 0)):
            raise ValueError(f"{name} is singular: inv_sqrtm_vjp needs a positive definite matrix")
        return _dk(xp, state["V"], state["mu"], G, inverse)
    tol = _tol(xp, A.dtype, n, tol, "backward_tol")
    max_iter = check_int(max_iter, "backward_max_iter", low=1)
    X = state.get("X")
    Y = state.get("Y")
    if X is None or (inverse and Y is None):
        if "V" in state:
            X = _from_eig(xp, state["V"], state["mu"])
            if inverse:
                Y = _from_eig(xp, state["V"], 1 / state["mu"])
        elif X is None and Y is not None:
            X = xp.matmul(A, Y)
            X = (X + _T(xp, X)) / 2
        else:
            X, Y2, _ = _newton_schulz(xp, A, _tol(xp, A.dtype, n, None), 100, name)
            Y = Y if Y is not None else Y2
    if inverse:
        # d(Y) = -Y dX Y, so <G, dY> = <-Y G Y, dX> (Y symmetric). For
        # symmetric G, Y G Y is symmetric too: make it exactly so, which lets
        # the sign iteration use its symmetric shortcut.
        symmetric = bool(xp.all(G == _T(xp, G)))
        G = -xp.matmul(xp.matmul(Y, G), Y)
        if symmetric:
            G = (G + _T(xp, G)) * 0.5
    return _sign_lyapunov(xp, X, G, tol, max_iter, allow_unconverged=(tol == 0), A=A)


def _check_G(xp, A, G):
    G = check_array(G, "G", ndim=(2, None))
    G = xp.asarray(G, device=device_of(A))
    if tuple(G.shape) != tuple(A.shape):
        raise ValueError(f"G must have the shape of A {tuple(A.shape)}, got {tuple(G.shape)}")
    if G.dtype != A.dtype:
        G = xp.astype(G, A.dtype)
    return G


def _check_backward(method, backward):
    if backward is None:
        return "eigh" if method == "eigh" else "lyapunov"
    return check_option(backward, "backward", BACKWARDS)


# ---------------------------------------------------------------------------
# public functions

def sqrtm(A, *, method="eigh", degree=None, tol=None, max_iter=100, check_finite=True,
          sym_rtol=None):
    """Principal square root of a batch of symmetric positive semidefinite matrices.

    Parameters
    ----------
    A : array_like, shape (..., n, n)
        Symmetric positive semidefinite matrices; leading axes are batch axes.
    method : {"eigh", "mpa", "mtp", "newton-schulz"}, default "eigh"
        ``"eigh"``: batched symmetric eigendecomposition, accurate to rounding
        (the default: on a CPU it is also the fastest accurate route).
        ``"mpa"``: the [M/N] Pade approximant of ``(1 - z)**(1/2)`` at
        ``Z = I - A/c``, one linear solve per matrix. ``"mtp"``: the
        Taylor series truncated at ``degree``. Both series methods are cheap
        but their error grows with the condition number (see the tables in
        the docs). ``"newton-schulz"``: coupled Newton-Schulz iterations run
        until ``||I - Z_k Y_k||_F <= tol``: matmul-only and accurate to about
        ``sqrt(kappa) * eps``.
    degree : int or (int, int), optional
        ``"mpa"``: ``M = N = degree`` or the pair ``(M, N)``, each at most 16
        (at most 8 in float32; default ``(8, 8)``). The diagonal ``M = N``
        approximant is evaluated in factored form. ``"mtp"``: the truncation
        degree, at most 256 (default 16). Ignored by the other methods.
        The defaults come from the error-versus-cost table of the benchmark
        (``python -m benchmarks matfun``, reproduced on the docs page), on
        64 x 48 x 48 float64 batches: [8/8] (14 products and a solve) has
        3.5e-5 error at kappa 10 and 7.0e-3 at kappa 100, two digits better
        than [4/4] for 8 more products, while [16/16] gains one more digit at
        kappa 100 (3.1e-4) for twice the products, and [8/8] is the largest
        degree allowed in float32. MTP degree 16 costs about as much as MPA
        [8/8] (Paterson-Stockmeyer: 7 products, no solve); degree 64 gains
        less than a digit at kappa 100 (1.1e-2 against 7.3e-2) for twice the
        products.
    tol : float, optional
        ``"newton-schulz"`` stopping tolerance on the residual (default
        ``10 sqrt(n) eps``); the iteration also stops when the residual stops
        decreasing at its rounding floor. ``tol=0`` runs exactly `max_iter`
        iterations (a fixed count, as in the paper) without the convergence
        error. The default reaches rounding level (error 2e-15 at kappa 10
        to 5e-14 at kappa 1e6 in the error-versus-cost table) for at most a
        couple of iterations more than ``tol=1e-5`` (errors 1e-8 to 1e-11):
        the convergence is quadratic, so the last digits are cheap.
    max_iter : int, default 100
        ``"newton-schulz"`` iteration limit; not converging within it raises
        ValueError (this happens for singular or extremely ill-conditioned
        matrices).
    check_finite : bool, default True
        Reject NaN and Inf.
    sym_rtol : float, optional
        Symmetry test: each matrix must satisfy
        ``||A - A^T||_F <= sym_rtol * ||A||_F`` (default ``sqrt(eps)`` of the
        dtype: 1.5e-8 in float64, 3.5e-4 in float32). The symmetric part
        ``(A + A^T)/2`` is used.

    Returns
    -------
    X : array, shape (..., n, n)
        The symmetric positive semidefinite ``X`` with ``X @ X = A``, in the
        dtype of `A` (float32 stays float32, integers become float64).

    Raises
    ------
    ValueError
        Non-square input, ``ndim < 2``, empty input, NaN/Inf, non-symmetric
        input, or input that is clearly not positive semidefinite.

    See Also
    --------
    inv_sqrtm, sqrtm_with_vjp, sqrtm_vjp, scipy.linalg.sqrtm

    Notes
    -----
    Positive semidefiniteness: ``"eigh"`` clips eigenvalues in
    ``[-100 n eps lambda_max, 0)`` to zero and rejects anything more negative.
    The series methods run a Cholesky factorization of
    ``A / ||A||_F + 100 n eps I`` per matrix and reject matrices where it fails;
    ``"newton-schulz"`` rejects negative diagonals and divergence.
    Every matrix of a batch is normalized on its own, by
    ``c = ||A^2||_F**(1/2)``, an upper bound of ``||A||_2`` that is tighter
    than ``||A||_F`` (one extra product), never by a norm over the batch.

    On NumPy, ``method="eigh"`` decomposes batches of matrices smaller than
    128 x 128 with one BLAS thread, through threadpoolctl (a dependency of
    nla): NumPy loops over the batch, and multithreaded OpenBLAS on small
    matrices only adds synchronization, which on a busy machine showed as
    spikes of seconds instead of milliseconds. Where threadpoolctl cannot
    be imported the result is the same, only the timing is exposed to such
    spikes.

    References
    ----------
    .. [1] Y. Song, N. Sebe, W. Wang, "Fast differentiable matrix square root",
       ICLR 2022, arXiv:2201.08663.
    .. [2] N. J. Higham, "Functions of Matrices", SIAM 2008, chapters 6 and 8.

    Examples
    --------
    >>> import numpy as np, nla
    >>> A = np.array([[4.0, 0.0], [0.0, 9.0]])
    >>> nla.sqrtm(A)
    array([[2., 0.],
           [0., 3.]])
    >>> B = np.stack([A, 4 * A])                     # a batch of two
    >>> X = nla.sqrtm(B, method="newton-schulz")
    >>> bool(np.allclose(X @ X, B, rtol=1e-12, atol=0))
    True
    """
    X, _ = _with_vjp(A, "A", method=method, degree=degree, tol=tol, max_iter=max_iter,
                     check_finite=check_finite, sym_rtol=sym_rtol, inverse=False,
                     backward=None, backward_tol=None, backward_max_iter=100, make_vjp=False)
    return X


def inv_sqrtm(A, *, method="eigh", degree=None, tol=None, max_iter=100, check_finite=True,
              sym_rtol=None):
    """Inverse principal square root of a batch of symmetric positive definite matrices.

    Parameters
    ----------
    A : array_like, shape (..., n, n)
        Symmetric positive definite matrices; leading axes are batch axes.
    method : {"eigh", "mpa", "mtp", "newton-schulz"}, default "eigh"
        ``"eigh"``: batched symmetric eigendecomposition, accurate to rounding
        (the default: on a CPU it is also the fastest accurate route).
        ``"mpa"``: the [M/N] Pade approximant of ``(1 - z)**(1/2)`` at
        ``Z = I - A/c``, one linear solve per matrix. ``"mtp"``: the
        Taylor series truncated at ``degree``. Both series methods are cheap
        but far less accurate than for :func:`sqrtm` (see Warnings).
        ``"newton-schulz"``: coupled Newton-Schulz iterations run until
        ``||I - Z_k Y_k||_F <= tol``: matmul-only and accurate to at most
        about ``kappa * eps`` (measured 1.9e-15 at kappa 10, 2.4e-11 at
        kappa 1e6).
    degree : int or (int, int), optional
        ``"mpa"``: ``M = N = degree`` or the pair ``(M, N)``, each at most 16
        (at most 8 in float32; default ``(8, 8)``). The diagonal ``M = N``
        approximant is evaluated in factored form. ``"mtp"``: the truncation
        degree, at most 256 (default 16). Ignored by the other methods. The
        defaults are those of :func:`sqrtm`, chosen from its error-versus-cost
        table; for the inverse the series are far less accurate (see
        Warnings).
    tol : float, optional
        ``"newton-schulz"`` stopping tolerance on the residual (default
        ``10 sqrt(n) eps``); the iteration also stops when the residual stops
        decreasing at its rounding floor. ``tol=0`` runs exactly `max_iter`
        iterations (a fixed count, as in the paper) without the convergence
        error.
    max_iter : int, default 100
        ``"newton-schulz"`` iteration limit; not converging within it raises
        ValueError (this happens for singular or extremely ill-conditioned
        matrices).
    check_finite : bool, default True
        Reject NaN and Inf.
    sym_rtol : float, optional
        Symmetry test: each matrix must satisfy
        ``||A - A^T||_F <= sym_rtol * ||A||_F`` (default ``sqrt(eps)`` of the
        dtype: 1.5e-8 in float64, 3.5e-4 in float32). The symmetric part
        ``(A + A^T)/2`` is used.

    Returns
    -------
    Y : array, shape (..., n, n)
        ``A**(-1/2)``: symmetric positive definite with ``Y @ A @ Y = I``.
        The series methods use ``(1 - z)**(-1/2) ~ Q_N / P_M`` (one solve) and
        the truncated series of ``(1 - z)**(-1/2)``.

    Raises
    ------
    ValueError
        As :func:`sqrtm`; also for singular `A` with ``method="eigh"``.

    Warnings
    --------
    The series methods (``"mpa"``, ``"mtp"``) are much less accurate for
    the inverse square root than for the square root. They approximate
    ``(1 - z)**(-1/2)``, which has a pole at ``z = 1``, and the smallest
    eigenvalue sits at ``z = 1 - lambda_min/c``, close to that pole. The
    truncation error there is of the order of ``lambda_min**(-1/2)`` itself,
    the largest entry of the result. Measured relative errors for
    64 x 48 x 48 float64 batches with log-spaced spectra
    (``python -m benchmarks matfun --quick``, error-versus-kappa table):

    ================  =========  =========  =========  =========
    setting           kappa 10   kappa 1e2  kappa 1e4  kappa 1e6
    ================  =========  =========  =========  =========
    mpa [8/8]         1.0e-4     5.2e-2     0.75       0.97
    mpa [16/16]       2.0e-8     2.7e-3     0.57       0.94
    mtp degree 16     6.8e-2     0.46       0.92       0.99
    mtp degree 64     1.1e-3     0.20       0.86       0.98
    newton-schulz     1.9e-15    7.2e-15    5.2e-13    2.4e-11
    ================  =========  =========  =========  =========

    For comparison, :func:`sqrtm` with ``"mpa"`` [8/8] has 3.5e-5, 7.0e-3,
    7.8e-2 and 0.14. Above kappa of about 10, use ``"eigh"`` or
    ``"newton-schulz"`` for whitening.

    See Also
    --------
    sqrtm, inv_sqrtm_with_vjp, inv_sqrtm_vjp

    Notes
    -----
    Positive semidefiniteness: ``"eigh"`` clips eigenvalues in
    ``[-100 n eps lambda_max, 0)`` to zero and rejects anything more negative.
    The series methods run a Cholesky factorization of
    ``A / ||A||_F + 100 n eps I`` per matrix and reject matrices where it fails;
    ``"newton-schulz"`` rejects negative diagonals and divergence.
    Every matrix of a batch is normalized on its own, by
    ``c = ||A^2||_F**(1/2)``, an upper bound of ``||A||_2`` that is tighter
    than ``||A||_F`` (one extra product), never by a norm over the batch.

    References
    ----------
    .. [1] Y. Song, N. Sebe, W. Wang, "Fast differentiable matrix square root",
       ICLR 2022, arXiv:2201.08663.

    Examples
    --------
    >>> import numpy as np, nla
    >>> A = np.array([[4.0, 0.0], [0.0, 16.0]])
    >>> nla.inv_sqrtm(A)
    array([[0.5 , 0.  ],
           [0.  , 0.25]])
    """
    Y, _ = _with_vjp(A, "A", method=method, degree=degree, tol=tol, max_iter=max_iter,
                     check_finite=check_finite, sym_rtol=sym_rtol, inverse=True,
                     backward=None, backward_tol=None, backward_max_iter=100, make_vjp=False)
    return Y


def _with_vjp(A, name, *, method, degree, tol, max_iter, check_finite, sym_rtol, inverse,
              backward, backward_tol, backward_max_iter, make_vjp):
    xp, As, out, state = _forward(A, name, method=method, degree=degree, tol=tol,
                                  max_iter=max_iter, check_finite=check_finite,
                                  sym_rtol=sym_rtol, inverse=inverse)
    if not make_vjp:
        return out, None
    backward = _check_backward(method, backward)
    if backward == "lyapunov":
        # The sign iteration needs X (and Y for the inverse); the series methods
        # give only one of them, the other is one matmul away.
        if method in ("mpa", "mtp"):
            if inverse:
                state["Y"] = out
                X = xp.matmul(As, out)
                state["X"] = (X + _T(xp, X)) / 2
            else:
                state["X"] = out
        _tol(xp, As.dtype, As.shape[-1], backward_tol, "backward_tol")
        check_int(backward_max_iter, "backward_max_iter", low=1)

    def vjp(G):
        G = _check_G(xp, As, G)
        return _backward(xp, As, G, state, backward=backward, tol=backward_tol,
                         max_iter=backward_max_iter, inverse=inverse, name=name)

    return out, vjp


def sqrtm_with_vjp(A, *, method="eigh", backward=None, degree=None, tol=None, max_iter=100,
                   backward_tol=None, backward_max_iter=100, check_finite=True, sym_rtol=None):
    """Square root and a closure for its vector-Jacobian product, like ``jax.vjp``.

    Parameters
    ----------
    A : array_like, shape (..., n, n)
        Symmetric positive semidefinite matrices.
    backward : {"eigh", "lyapunov"}, optional
        How ``vjp`` solves ``X dA + dA X = G``. ``"eigh"`` (default when
        ``method="eigh"``): Daleckii-Krein with the forward's eigenvectors.
        ``"lyapunov"`` (default otherwise): the Newton-Schulz sign iteration
        with the forward's ``X``, matmul only.
    backward_tol : float, optional
        Sign iteration tolerance: it stops once
        ``||I - B_k^2||_F <= backward_tol`` is guaranteed (default
        ``10 sqrt(n) eps``; see :func:`sqrtm_vjp`); 0 runs exactly
        `backward_max_iter` iterations.
    backward_max_iter : int, default 100
        Sign iteration limit; not converging within it raises ValueError
        unless ``backward_tol=0``.
    method, degree, tol, max_iter, check_finite, sym_rtol
        As in :func:`sqrtm`.

    Returns
    -------
    X : array, shape (..., n, n)
        ``sqrtm(A, method=method, ...)``.
    vjp : callable
        ``vjp(G)`` returns the gradient of ``<G, sqrtm(A)>`` with respect to
        `A`, the solution of ``X dA + dA X = G`` (for symmetric `G` it is
        symmetric). It reuses the forward pass's eigendecomposition or ``X``:
        a training step pays for one factorization, not two.

    See Also
    --------
    sqrtm, sqrtm_vjp, inv_sqrtm_with_vjp

    Examples
    --------
    >>> import numpy as np, nla
    >>> A = np.diag([1.0, 4.0])
    >>> X, vjp = nla.sqrtm_with_vjp(A)
    >>> vjp(np.eye(2))                               # d tr(sqrt A) / dA = A^(-1/2) / 2
    array([[0.5 , 0.  ],
           [0.  , 0.25]])
    """
    return _with_vjp(A, "A", method=method, degree=degree, tol=tol, max_iter=max_iter,
                     check_finite=check_finite, sym_rtol=sym_rtol, inverse=False,
                     backward=backward, backward_tol=backward_tol,
                     backward_max_iter=backward_max_iter, make_vjp=True)


def inv_sqrtm_with_vjp(A, *, method="eigh", backward=None, degree=None, tol=None,
                       max_iter=100, backward_tol=None, backward_max_iter=100,
                       check_finite=True, sym_rtol=None):
    """Inverse square root and a closure for its vector-Jacobian product.

    Parameters
    ----------
    A : array_like, shape (..., n, n)
        Symmetric positive definite matrices.
    backward, backward_tol, backward_max_iter
        As in :func:`sqrtm_with_vjp`.
    method, degree, tol, max_iter, check_finite, sym_rtol
        As in :func:`inv_sqrtm`.

    Returns
    -------
    Y : array, shape (..., n, n)
        ``inv_sqrtm(A, ...)``.
    vjp : callable
        ``vjp(G)`` returns the gradient of ``<G, inv_sqrtm(A)>``: with
        ``X = A**(1/2)`` it solves ``X dA + dA X = -Y G Y``. Daleckii-Krein
        form: ``V (K o V^T G V) V^T`` with
        ``K_ij = -1/(mu_i mu_j (mu_i + mu_j))``, ``mu = sqrt(lambda)``.

    See Also
    --------
    inv_sqrtm, inv_sqrtm_vjp, sqrtm_with_vjp

    Examples
    --------
    >>> import numpy as np, nla
    >>> Y, vjp = nla.inv_sqrtm_with_vjp(np.diag([1.0, 4.0]))
    >>> vjp(np.eye(2))                               # -A^(-3/2) / 2
    array([[-0.5   ,  0.    ],
           [ 0.    , -0.0625]])
    """
    return _with_vjp(A, "A", method=method, degree=degree, tol=tol, max_iter=max_iter,
                     check_finite=check_finite, sym_rtol=sym_rtol, inverse=True,
                     backward=backward, backward_tol=backward_tol,
                     backward_max_iter=backward_max_iter, make_vjp=True)


def _vjp_given(A, G, given, *, method, tol, max_iter, check_finite, sym_rtol, inverse):
    method = check_option(method, "method", BACKWARDS)
    xp, As = _prepare(A, "A", check_finite=check_finite, sym_rtol=sym_rtol)
    G = _check_G(xp, As, G)
    state = {}
    gname = "Y" if inverse else "X"
    if given is not None:
        given = check_array(given, gname, ndim=(2, None), check_finite=check_finite)
        given = xp.asarray(given, device=device_of(As))
        if tuple(given.shape) != tuple(As.shape):
            raise ValueError(
                f"{gname} must have the shape of A {tuple(As.shape)}, got {tuple(given.shape)}"
            )
        given = xp.astype(given, As.dtype) if given.dtype != As.dtype else given
        given = (given + _T(xp, given)) / 2
        if inverse:
            state["Y"] = given
            if method == "eigh":
                # eigenvalues of Y are 1/sqrt(lambda)
                lam, V = _eigh_factor(xp, given, "Y")
                if bool(xp.any(lam <= 0)):
                    raise ValueError("Y must be positive definite")
                state.update(V=V, mu=1 / lam)
        else:
            state["X"] = given
    return _backward(xp, As, G, state, backward=method, tol=tol, max_iter=max_iter,
                     inverse=inverse, name="A")


def sqrtm_vjp(A, G, *, X=None, method="eigh", tol=None, max_iter=100, check_finite=True,
              sym_rtol=None):
    """Gradient of ``<G, sqrtm(A)>`` with respect to `A`.

    Solves the Sylvester (Lyapunov) equation ``X dA + dA X = G`` with
    ``X = sqrtm(A)``.

    Parameters
    ----------
    A : array_like, shape (..., n, n)
        Symmetric positive semidefinite matrices.
    G : array_like, shape (..., n, n)
        Cotangent: the gradient of the loss with respect to ``sqrtm(A)``.
    X : array_like, optional
        ``sqrtm(A)`` if already known; it is reused (``"eigh"`` then
        decomposes `X`, whose eigenvalues are ``sqrt(lambda)``).
    method : {"eigh", "lyapunov"}, default "eigh"
        ``"eigh"``: Daleckii-Krein, ``V ((V^T G V) / (mu_i + mu_j)) V^T``
        with ``mu = sqrt(lambda)``; finite at ``A = I`` and at repeated
        eigenvalues. For a PSD matrix with zero eigenvalues, the pairs with
        ``mu_i + mu_j <= eps max(mu)`` (the Lyapunov equation is singular
        there) get 0: the minimum-norm solution. ``"lyapunov"``: the coupled
        Newton-Schulz sign iteration on ``[[B, C], [0, -B]]``, per-matrix
        normalized, run to `tol` (matmul only). Needs positive definite `A`.
    tol : float, optional
        ``"lyapunov"`` tolerance: the iteration stops once
        ``||I - B_k^2||_F <= tol`` is guaranteed (default
        ``10 sqrt(n) eps``), tested through ``trace(I - B_k^2)``, an upper
        bound that costs only the diagonal of ``B_k^2``, at a few iterations
        predicted from the scalar recurrence of the residuals rather than
        at every one; ``tol=0`` runs exactly `max_iter` iterations (a fixed
        count) without the convergence error.
    max_iter : int, default 100
        ``"lyapunov"`` iteration limit; not converging within it raises
        ValueError unless ``tol=0``.
    check_finite, sym_rtol
        As in :func:`sqrtm`.

    Returns
    -------
    dA : array, shape (..., n, n)
        The gradient, in the dtype of `A`.

    See Also
    --------
    sqrtm_with_vjp, inv_sqrtm_vjp, scipy.linalg.solve_continuous_lyapunov

    Examples
    --------
    >>> import numpy as np, nla
    >>> A = np.eye(3)                                # finite at A = I
    >>> nla.sqrtm_vjp(A, np.eye(3), method="lyapunov")
    array([[0.5, 0. , 0. ],
           [0. , 0.5, 0. ],
           [0. , 0. , 0.5]])
    """
    return _vjp_given(A, G, X, method=method, tol=tol, max_iter=max_iter,
                      check_finite=check_finite, sym_rtol=sym_rtol, inverse=False)


def inv_sqrtm_vjp(A, G, *, Y=None, method="eigh", tol=None, max_iter=100, check_finite=True,
                  sym_rtol=None):
    """Gradient of ``<G, inv_sqrtm(A)>`` with respect to `A`.

    Parameters
    ----------
    A : array_like, shape (..., n, n)
        Symmetric positive definite matrices.
    G : array_like, shape (..., n, n)
        Cotangent: the gradient of the loss with respect to ``inv_sqrtm(A)``.
    Y : array_like, optional
        ``inv_sqrtm(A)`` if already known; it is reused.
    method : {"eigh", "lyapunov"}, default "eigh"
        As in :func:`sqrtm_vjp`; the equation solved is
        ``X dA + dA X = -Y G Y``.
    tol, max_iter, check_finite, sym_rtol
        As in :func:`sqrtm_vjp`.

    Returns
    -------
    dA : array, shape (..., n, n)

    See Also
    --------
    inv_sqrtm_with_vjp, sqrtm_vjp

    Examples
    --------
    >>> import numpy as np, nla
    >>> nla.inv_sqrtm_vjp(np.diag([1.0, 4.0]), np.eye(2))
    array([[-0.5   ,  0.    ],
           [ 0.    , -0.0625]])
    """
    return _vjp_given(A, G, Y, method=method, tol=tol, max_iter=max_iter,
                      check_finite=check_finite, sym_rtol=sym_rtol, inverse=True)
