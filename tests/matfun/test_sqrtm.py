"""Tests of nla.sqrtm / nla.inv_sqrtm and their vector-Jacobian products."""

import itertools

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st

import nla
from nla.matfun import _backward, _common, _forward
from nla.matfun._series import pade, pade_diagonal_factors, taylor
from tests.helpers import assert_namespace, random_orthogonal, seeds, to_host

METHODS = ("eigh", "mpa", "mtp", "newton-schulz")
EPS = {np.float64: np.finfo(np.float64).eps, np.float32: np.finfo(np.float32).eps}


SHAPES = ("log", "ends", "linear")


def spectrum(n, log_kappa, shape):
    """n eigenvalues from 1 down to exactly 10**-log_kappa, with a decay shape.

    "log": log-spaced (every scale equally populated); "ends": half
    clustered just below 1 and half just above 10**-log_kappa (the hardest
    case for methods limited by the smallest eigenvalue, and nearly
    repeated eigenvalues); "linear": evenly spaced, so most eigenvalues are
    large and few are near the bottom.
    """
    lo = 10.0**-log_kappa
    t = np.linspace(0, 1, n)
    if shape == "log":
        return np.logspace(0, -log_kappa, n)
    if shape == "ends":
        return np.where(t < 0.5, 1 - 0.05 * t, lo * (1 + 0.05 * (1 - t)))
    return 1 - (1 - lo) * t


def spd(seed, n, log_kappa, batch=(), dtype=np.float64, repeated=False, shape="log"):
    """Construct SPD matrices: eigenvalues with exact condition 10**log_kappa.

    Eigenvalues follow `spectrum` (or two exactly repeated clusters when
    `repeated`) and are scaled by a random factor in [0.5, 50] per matrix,
    with a Haar eigenbasis. Returns (A, eigenvalues).
    """
    rng = np.random.default_rng(seed)
    A = np.empty(tuple(batch) + (n, n))
    L = np.empty(tuple(batch) + (n,))
    for idx in np.ndindex(*batch) if batch else [()]:
        if repeated:
            lam = np.where(np.arange(n) < n // 2, 1.0, 10.0**-log_kappa)
        else:
            lam = spectrum(n, log_kappa, shape)
        lam = lam * rng.uniform(0.5, 50)
        q = random_orthogonal(rng, n)
        A[idx] = (q * lam) @ q.T
        L[idx] = lam
    A = (A + np.swapaxes(A, -1, -2)) / 2
    return A.astype(dtype), L


def ref_sqrt(A, power=0.5):
    lam, V = np.linalg.eigh(np.asarray(A, dtype=np.float64))
    return (V * np.clip(lam, 0, None)[..., None, :] ** power) @ np.swapaxes(V, -1, -2)


def fro(M):
    return np.linalg.norm(M, axis=(-2, -1))


def series_values(method, degree, lam, inverse):
    """The series approximation at the eigenvalues: (r(z) s, f(z) s, c, amp).

    For symmetric A = V diag(lam) V^T, every method here is a rational function
    r applied to Z = I - A/c (c = ||A^2||_F**(1/2)), so the computed root is
    V diag(r(z_i) s) V^T with s = sqrt(c) (or 1/sqrt(c)) up to rounding;
    f(z) s is the exact root. amp is the rounding amplification of the MPA
    solve (1 for MTP), see series_error.
    """
    c = np.sum(lam**4, axis=-1, keepdims=True) ** 0.25
    z = 1 - lam / c
    power = -0.5 if inverse else 0.5
    if method == "mtp":
        d = degree or 16
        r = np.polyval(taylor(power, d)[::-1], z)
    else:
        m, k = degree if isinstance(degree, tuple) else ((degree, degree) if degree else (8, 8))
        p, q = pade(0.5, m, k)
        P, Q = np.polyval(p[::-1], z), np.polyval(q[::-1], z)
        r = Q / P if inverse else P / Q
        # Rounding: the solve with D = P (inverse) or Q has backward error
        # O(n eps ||D||), so the result carries cond(D(Z)) = max|D(z_i)| /
        # min|D(z_i)| (exact from the eigenvalues) times n eps.
        D = P if inverse else Q
        amp = np.max(np.abs(D), axis=-1) / np.min(np.abs(D), axis=-1)
    f = (1 - z) ** power
    scale = 1 / np.sqrt(c) if inverse else np.sqrt(c)
    if method == "mtp":
        amp = np.ones(r.shape[:-1])
    return r * scale, f * scale, c[..., 0], amp


def series_error(method, degree, lam, inverse):
    """Exact error of the scalar approximation at the normalized eigenvalues.

    r(Z) - f(Z) = V diag(r(z_i) - f(z_i)) V^T: the matrix error in the 2-norm
    is exactly the largest scalar error over the eigenvalues (times sqrt(c)
    or 1/sqrt(c)). Also returns the size of the result times the rounding
    amplification of the MPA solve.
    """
    r, f, _, amp = series_values(method, degree, lam, inverse)
    size = np.max(np.abs(f), axis=-1)
    return np.max(np.abs(r - f), axis=-1), size * amp


# ---------------------------------------------------------------------------
# forward accuracy


@given(
    n=st.integers(1, 12),
    log_kappa=st.floats(0, 6),
    seed=seeds,
    method=st.sampled_from(METHODS),
    dtype=st.sampled_from([np.float64, np.float32]),
    shape=st.sampled_from(SHAPES),
)
def test_square_root_bound(n, log_kappa, seed, method, dtype, shape):
    if dtype == np.float32:
        log_kappa = min(log_kappa, 3.0)
    A, lam = spd(seed, n, log_kappa, batch=(3,), dtype=dtype, shape=shape)
    X = nla.sqrtm(A, method=method)
    assert X.dtype == dtype
    A64 = A.astype(np.float64)
    Xr = ref_sqrt(A64)
    eps, kappa = EPS[dtype], 10.0**log_kappa
    err = fro(X.astype(np.float64) - Xr)
    if method == "eigh":
        # Backward-stable eigh: A = V (L + dL) V^T + O(n eps ||A||) with V
        # orthogonal to O(n eps), so ||X^2 - A|| <= c n eps ||A||; c = 20.
        res = fro(X.astype(np.float64) @ X.astype(np.float64) - A64)
        assert np.all(res <= 20 * n * eps * fro(A64))
    elif method == "newton-schulz":
        # The iteration stops at ||I - ZY|| <= 10 sqrt(n) eps or at its rounding
        # floor; rounding in the normalized iterates (size eps) is amplified by
        # the conditioning of the square root at the smallest eigenvalue,
        # about sqrt(kappa): ||X^2 - A|| <= 10 n eps sqrt(kappa) ||A||.
        res = fro(X.astype(np.float64) @ X.astype(np.float64) - A64)
        assert np.all(res <= 10 * max(n, 2) * eps * np.sqrt(kappa) * fro(A64))
    else:
        # Exact scalar error at the eigenvalues (2-norm), times sqrt(n) for the
        # Frobenius norm, plus rounding of the degree-d evaluation and the solve.
        bound, size = series_error(method, None, lam, inverse=False)
        d = 16
        assert np.all(err <= np.sqrt(n) * bound + 10 * d * n * eps * np.sqrt(n) * size)


@given(n=st.integers(1, 10), log_kappa=st.floats(0, 5), seed=seeds,
       method=st.sampled_from(["mpa", "mtp"]), degree=st.integers(1, 16),
       shape=st.sampled_from(SHAPES))
def test_series_residual_and_eigenvalues(n, log_kappa, seed, method, degree, shape):
    A, lam = spd(seed, n, log_kappa, batch=(2,), shape=shape)
    X = nla.sqrtm(A, method=method, degree=degree)
    rs, fs, _, amp = series_values(method, degree, lam, inverse=False)
    # Rounding of the computed X against the exact r(Z) sqrt(c): 10 d n eps
    # times its size, amplified by the MPA solve (as in series_error), and
    # sqrt(n) more in the Frobenius norm.
    size = np.max(np.abs(fs), axis=-1)
    E = np.sqrt(n) * 10 * degree * n * EPS[np.float64] * size * amp
    # Residual: X = V diag(r(z_i) sqrt(c)) V^T + E, so X^2 - A =
    # V diag(c r(z_i)^2 - lambda_i) V^T + (X E + E X - E^2), giving
    # ||X^2 - A||_F <= sqrt(n) max_i |c r_i^2 - lambda_i| + 2 ||X||_2 E + E^2
    # with the truncation error of r^2 against 1 - z exact at the eigenvalues.
    trunc = np.max(np.abs(rs**2 - lam), axis=-1)
    xnorm = np.max(np.abs(rs), axis=-1)
    res = fro(X @ X - A)
    assert np.all(res <= np.sqrt(n) * trunc + 2 * xnorm * E + E**2)
    # SPD: the eigenvalues of X are r(z_i) sqrt(c) up to E (Weyl). They are
    # positive: the factors of the Pade approximant are positive on [0, 1],
    # and truncating the Taylor series of (1 - z)**(1/2), whose coefficients
    # after the first are all negative, leaves r(z) >= r(1) =
    # sum_{k > d} |c_k| > 0.
    mu = np.linalg.eigvalsh(X)
    expect = np.sort(rs, axis=-1)
    assert np.all(np.abs(mu - expect) <= E[..., None])
    assert np.all(expect > 0)
    assert np.all(mu[expect > E[..., None]] > 0)  # positive wherever rounding allows


@given(n=st.integers(2, 10), log_kappa=st.floats(0, 4), seed=seeds,
       method=st.sampled_from(METHODS), shape=st.sampled_from(SHAPES))
def test_symmetric_positive_definite_and_commutes(n, log_kappa, seed, method, shape):
    A, lam = spd(seed, n, log_kappa, batch=(2,), shape=shape)
    X = nla.sqrtm(A, method=method)
    np.testing.assert_array_equal(X, np.swapaxes(X, -1, -2))
    # Every method is a function of A, hence a polynomial in A: AX = XA up to
    # rounding of the products, |AX - XA| <= 2 n eps ||A|| ||X|| (plus the
    # eigh / solve rounding, same order): bound 50 n eps ||A|| ||X||.
    # MPA's single solve with Q(Z) amplifies rounding by cond(Q) <= 1/Q(1)
    # (its spectrum lies in [Q(1), 1]): 1/Q(1) = 3855 for the default [8/8].
    amp = 1 / np.prod(1 - np.array(pade_diagonal_factors(8)[1])) if method == "mpa" else 1
    comm = fro(A @ X - X @ A)
    assert np.all(comm <= 50 * n * EPS[np.float64] * amp * fro(A) * fro(X))
    if method in ("eigh", "newton-schulz"):
        mu = np.linalg.eigvalsh(X)
        assert np.all(mu > 0)


@given(n=st.integers(1, 8), seed=seeds, method=st.sampled_from(METHODS),
       logc=st.floats(-3, 3))
def test_scaling(n, seed, method, logc):
    A, _ = spd(seed, n, 2.0)
    c = 10.0**logc
    X = nla.sqrtm(A, method=method)
    Xc = nla.sqrtm(c * A, method=method)
    # Per-matrix normalization makes Z = I - A/||A|| invariant, so the series
    # and Newton-Schulz differ only by rounding of the scaling (a few eps);
    # eigh: eigenvalues scale exactly up to backward error n eps.
    # MPA: the solve amplifies by up to 1/Q(1) (see the commutation test).
    amp = 1 / np.prod(1 - np.array(pade_diagonal_factors(8)[1])) if method == "mpa" else 1
    atol = 50 * n * EPS[np.float64] * amp * np.sqrt(c) * fro(X)
    np.testing.assert_allclose(Xc, np.sqrt(c) * X, rtol=0, atol=atol)


# Scales far beyond where unscaled sums of squares under- or overflow (float64:
# squares of entries below 1e-154 vanish and above 1e154 overflow; float32:
# 1e-19 and 1e19).
EXTREME = [(np.float64, 1e-200), (np.float64, 1e200), (np.float32, 1e-30), (np.float32, 1e30)]


# f(cA) and the gradients over the whole scale grid, every method and route:
# tests/matfun/test_reliability.py (test_scaling_forward, test_scaling_backward).


@pytest.mark.parametrize("dtype,c", EXTREME)
def test_extreme_scaling_symmetry_check(dtype, c):
    A, _ = spd(7, 4, 1.0, dtype=dtype)
    nonsym = A.copy()
    nonsym[0, 1] += dtype(1e-2) * np.max(np.abs(A))
    with pytest.raises(ValueError, match="symmetric"):
        nla.sqrtm(nonsym * dtype(c))
    # An asymmetry far below sym_rtol (sqrt(eps) relative) still passes.
    nearly = A + dtype(100 * EPS[dtype]) * np.max(np.abs(A)) * np.triu(np.ones((4, 4), dtype), 1)
    for method in METHODS:
        X = nla.sqrtm(nearly * dtype(c), method=method)
        assert np.all(np.isfinite(X)) and np.any(X != 0)


def test_extreme_scaling_array_api(xp):
    A, _ = spd(8, 4, 1.0, batch=(2,))
    for c in (1e-200, 1e200):
        for method in ("mpa", "newton-schulz"):
            X = nla.sqrtm(xp.asarray(A * c), method=method)
            assert_namespace(X, xp)
            # Same operations as on NumPy: equal to rounding (50 n eps).
            ref = nla.sqrtm(A * c, method=method) / np.sqrt(c)
            np.testing.assert_allclose(to_host(X) / np.sqrt(c), ref, rtol=0,
                                       atol=50 * 4 * EPS[np.float64] * np.max(fro(ref)))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("inverse", [False, True])
def test_batch_equals_loop_and_per_matrix_normalization(method, inverse):
    # Matrices of very different size in one batch: normalization over the
    # batch would make the small one inaccurate; per matrix it is not.
    A, _ = spd(3, 6, 2.0, batch=(4,))
    A[1] *= 1e6
    A[2] *= 1e-6
    f = nla.inv_sqrtm if inverse else nla.sqrtm
    batched = f(A.reshape(2, 2, 6, 6), method=method).reshape(4, 6, 6)
    for i in range(4):
        single = f(A[i], method=method)
        # Same operations per matrix; rounding may differ by BLAS blocking and
        # (Newton-Schulz) by extra converged iterations: 100 n eps relative.
        np.testing.assert_allclose(
            batched[i], single, rtol=0, atol=100 * 6 * EPS[np.float64] * fro(single)
        )


def test_agrees_with_scipy():
    A, _ = spd(11, 10, 3.0, batch=(3,))
    ref = scipy.linalg.sqrtm(A)
    for method in ("eigh", "newton-schulz"):
        X = nla.sqrtm(A, method=method)
        # Both accurate to ~ sqrt(kappa) n eps relative (Schur method: Higham
        # 2008, sec. 6.2): 100 n eps sqrt(kappa).
        assert np.all(fro(X - ref) <= 100 * 10 * EPS[np.float64] * np.sqrt(1e3) * fro(ref))


@given(n=st.integers(1, 10), log_kappa=st.floats(0, 5), seed=seeds,
       method=st.sampled_from(["eigh", "newton-schulz"]), shape=st.sampled_from(SHAPES))
def test_inverse_whitens(n, log_kappa, seed, method, shape):
    A, _ = spd(seed, n, log_kappa, batch=(2,), shape=shape)
    Y = nla.inv_sqrtm(A, method=method)
    # Y has relative error ~ n eps times the conditioning; Y A Y - I magnifies
    # an error dY by ||A|| ||Y|| ~ kappa: bound 10 n eps kappa.
    kappa = 10.0**log_kappa
    res = fro(Y @ A @ Y - np.eye(n))
    assert np.all(res <= 10 * max(n, 2) * EPS[np.float64] * kappa * np.sqrt(n))


@pytest.mark.parametrize("method", ["mpa", "mtp"])
@pytest.mark.parametrize("degree", [1, 4, (6, 3), 16])
def test_inverse_series_bound(method, degree):
    if method == "mtp" and isinstance(degree, tuple):
        degree = 40
    A, lam = spd(5, 8, 1.0, batch=(2,))
    Y = nla.inv_sqrtm(A, method=method, degree=degree)
    err = fro(Y - ref_sqrt(A, -0.5))
    bound, size = series_error(method, degree, lam, inverse=True)
    # 2-norm to Frobenius: sqrt(n); rounding of degree-d products and the solve:
    # 10 d n eps times the size (amplified by cond of the solve, see series_error).
    d = max(degree) if isinstance(degree, tuple) else degree
    assert np.all(err <= np.sqrt(8) * bound + 10 * d * 8 * EPS[np.float64] * size)


@given(n=st.integers(1, 10), log_kappa=st.floats(0, 4), seed=seeds,
       method=st.sampled_from(["mpa", "mtp"]), degree=st.integers(1, 16),
       dtype=st.sampled_from([np.float64, np.float32]), shape=st.sampled_from(SHAPES))
def test_inverse_series_truncation_error(n, log_kappa, seed, method, degree, dtype, shape):
    # inv_sqrtm's series approximate (1 - z)**(-1/2), which has a pole at
    # z = 1: at the smallest normalized eigenvalue the truncation error is
    # large (the documented warning). Both sides are checked: the error is
    # at most the exact scalar truncation error at the eigenvalues (2-norm,
    # times sqrt(n) for Frobenius) plus rounding, and at least the 2-norm
    # truncation error minus rounding, so the documented inaccuracy is real.
    if dtype == np.float32 and method == "mpa":
        degree = min(degree, 8)  # the documented float32 limit
    A, _ = spd(seed, n, log_kappa, batch=(2,), dtype=dtype, shape=shape)
    A64 = A.astype(np.float64)
    lam = np.linalg.eigvalsh(A64)  # the eigenvalues of the input actually seen
    Y = nla.inv_sqrtm(A, method=method, degree=degree)
    assert Y.dtype == dtype
    err = fro(Y.astype(np.float64) - ref_sqrt(A64, -0.5))
    exact, size = series_error(method, degree, lam, inverse=True)
    # Rounding: degree-d products / factors and the solve, 10 d n eps times
    # the result's size, amplified by cond of the solve (see series_error);
    # in Frobenius norm another sqrt(n).
    # The float64 references (eigvalsh for the truncation error, eigh for
    # Y) are themselves perturbed: eigh is backward stable, so the smallest
    # eigenvalue moves by up to n eps ||A||_2 = n eps kappa lambda_min and
    # lambda_min**(-1/2) by n eps kappa / 2 relative, in each of the two.
    rnd = np.sqrt(n) * 10 * degree * n * EPS[dtype] * size
    rnd = rnd + 2 * n * EPS[np.float64] * 10.0**log_kappa * size
    assert np.all(err <= np.sqrt(n) * exact + rnd)
    assert np.all(err >= exact - rnd)


def test_series_higher_degree_is_more_accurate():
    A, _ = spd(2, 8, 2.0)
    ref = ref_sqrt(A)
    errs = [fro(nla.sqrtm(A, method="mpa", degree=d) - ref) for d in (2, 4, 8, 16)]
    assert all(b < a for a, b in itertools.pairwise(errs))
    errs = [fro(nla.sqrtm(A, method="mtp", degree=d) - ref) for d in (4, 16, 64, 256)]
    assert all(b < a for a, b in itertools.pairwise(errs))


def test_pade_matches_taylor():
    # The [M/N] approximant agrees with the series to order M + N: Q f - P = O(z^{M+N+1}).
    for power in (0.5, -0.5):
        for m, k in [(1, 1), (3, 2), (5, 5), (16, 16), (4, 0)]:
            p, q = pade(power, m, k)
            c = taylor(power, m + k)
            prod = np.convolve(q, c)[: m + k + 1]
            prod[: m + 1] -= p
            assert np.max(np.abs(prod)) < 1e-12
    # The factored form has the same zeros and poles as the coefficients.
    for m in (1, 2, 5, 8, 12):
        p, q = pade(0.5, m, m)
        a, b = pade_diagonal_factors(m)
        z = np.linspace(0, 1, 101)
        np.testing.assert_allclose(
            np.prod(1 - np.outer(z, a), axis=1), np.polyval(p[::-1], z), rtol=1e-9, atol=1e-12
        )
        np.testing.assert_allclose(
            np.prod(1 - np.outer(z, b), axis=1), np.polyval(q[::-1], z), rtol=1e-9, atol=1e-12
        )


def test_psd_with_zero_eigenvalues():
    rng = np.random.default_rng(4)
    q = random_orthogonal(rng, 6)
    A = (q * np.array([0, 0, 1, 2, 3, 4.0])) @ q.T
    A = (A + A.T) / 2
    X = nla.sqrtm(A)
    assert fro(X @ X - A) <= 100 * 6 * EPS[np.float64] * fro(A)
    G = rng.standard_normal((6, 6))
    dA = nla.sqrtm_vjp(A, G)
    assert np.all(np.isfinite(dA))
    # Rule: the (zero, zero) block of V^T dA V is 0; elsewhere X dA + dA X = G.
    V = q
    H = V.T @ (X @ dA + dA @ X - G) @ V
    Hn = V.T @ dA @ V
    assert np.max(np.abs(Hn[:2, :2])) < 1e-6
    mask = np.ones((6, 6), bool)
    mask[:2, :2] = False
    assert np.max(np.abs(H[mask])) < 1e-6
    with pytest.raises(ValueError, match="singular"):
        nla.inv_sqrtm(A)


@pytest.mark.parametrize("sign", [-1.0, 1.0])
def test_zero_eigenvalue_rule_does_not_depend_on_rounding(sign):
    # An exactly zero eigenvalue comes out of a backward-stable eigh anywhere
    # in [-n eps lambda_max, n eps lambda_max], depending on the LAPACK
    # build. Both signs are forced here, by moving the zero eigenvalues to
    # +-3 eps lambda_max (above the rounding of forming A, about eps
    # lambda_max, and below the n eps lambda_max = 6 eps lambda_max floor):
    # the zero block of V^T dA V is 0 either way and inv_sqrtm reports A
    # singular. A positive rounded zero used to give mu ~ sqrt(eps) and
    # entries of 1e7 in that block, and no error from inv_sqrtm.
    rng = np.random.default_rng(4)
    q = random_orthogonal(rng, 6)
    lam = np.array([0, 0, 1, 2, 3, 4.0])
    lam[:2] = sign * 3 * EPS[np.float64] * 4
    A = (q * lam) @ q.T
    A = (A + A.T) / 2
    G = rng.standard_normal((6, 6))
    for X0 in (None, nla.sqrtm(A)):
        dA = nla.sqrtm_vjp(A, G, X=X0)
        Hn = q.T @ dA @ q
        # The zero block gets nothing beyond rounding of the other blocks,
        # whose entries are at most ||G|| / (2 mu_min) with mu_min = 1.
        assert np.max(np.abs(Hn[:2, :2])) <= 100 * 6 * EPS[np.float64] * fro(G)
    X, vjp = nla.sqrtm_with_vjp(A)
    np.testing.assert_array_equal(vjp(G), nla.sqrtm_vjp(A, G))
    with pytest.raises(ValueError, match="singular"):
        nla.inv_sqrtm(A)
    with pytest.raises(ValueError, match="singular"):
        nla.inv_sqrtm_vjp(A, G)


def test_inverse_near_the_zero_floor():
    # The floor is not a condition-number cap: an SPD matrix whose smallest
    # eigenvalue is 1e3 eps lambda_max (250 times the n eps lambda_max floor,
    # kappa 4.5e12) is inverted and whitened to the accuracy its
    # conditioning allows (the bound of test_inverse_whitens).
    q = random_orthogonal(np.random.default_rng(5), 4)
    lam = np.array([1e3 * 4 * EPS[np.float64], 0.5, 0.8, 1.0])
    A = (q * lam) @ q.T
    A = (A + A.T) / 2
    Y = nla.inv_sqrtm(A)
    assert np.all(np.isfinite(Y))
    kappa = 1 / lam[0]
    assert fro(Y @ A @ Y - np.eye(4)) <= 10 * 4 * EPS[np.float64] * kappa * 2


# ---------------------------------------------------------------------------
# gradients


@given(n=st.integers(1, 9), log_kappa=st.floats(0, 4), seed=seeds,
       method=st.sampled_from(["eigh", "lyapunov"]), inverse=st.booleans(),
       symmetric_G=st.booleans(), shape=st.sampled_from(SHAPES))
def test_vjp_matches_scipy_lyapunov(n, log_kappa, seed, method, inverse, symmetric_G, shape):
    A, _ = spd(seed, n, log_kappa, batch=(2,), shape=shape)
    G = np.random.default_rng(seed + 1).standard_normal(A.shape)
    if symmetric_G:  # the sign iteration's symmetric shortcut (C B = (B C)^T)
        G = G + np.swapaxes(G, -1, -2)
    X = ref_sqrt(A)
    Y = ref_sqrt(A, -0.5)
    rhs = -Y @ G @ Y if inverse else G
    ref = np.stack([scipy.linalg.solve_continuous_lyapunov(X[i], rhs[i]) for i in range(2)])
    fn = nla.inv_sqrtm_vjp if inverse else nla.sqrtm_vjp
    dA = fn(A, G, method=method)
    # The Lyapunov operator X (.) + (.) X has condition number
    # (mu_max)/(mu_min) = sqrt(kappa) on the solution; both solvers are
    # backward stable to O(n eps): relative error <= 100 n eps sqrt(kappa)
    # (inverse: the right side -YGY adds a factor sqrt(kappa) more).
    kappa = 10.0**log_kappa
    c = np.sqrt(kappa) * (np.sqrt(kappa) if inverse else 1)
    assert np.all(fro(dA - ref) <= 100 * max(n, 2) * EPS[np.float64] * c * fro(ref))


@pytest.mark.parametrize("inverse", [False, True])
@pytest.mark.parametrize("method", ["eigh", "lyapunov"])
def test_vjp_finite_differences(inverse, method):
    A, _ = spd(8, 5, 1.0, batch=(2,))
    rng = np.random.default_rng(9)
    G = rng.standard_normal(A.shape)
    E = rng.standard_normal(A.shape)
    E = (E + np.swapaxes(E, -1, -2)) / 2
    f = nla.inv_sqrtm if inverse else nla.sqrtm
    fn = nla.inv_sqrtm_vjp if inverse else nla.sqrtm_vjp
    h = 1e-5
    fd = (np.sum(G * f(A + h * E)) - np.sum(G * f(A - h * E))) / (2 * h)
    an = np.sum(fn(A, G, method=method) * E)
    # Central differences: truncation h^2 |f'''| ~ 1e-10 and rounding
    # eps/h ~ 1e-11 relative (eigenvalues in [0.05, 50]): rtol 1e-7.
    np.testing.assert_allclose(an, fd, rtol=1e-7)


@pytest.mark.parametrize("inverse", [False, True])
@pytest.mark.parametrize("method", ["eigh", "lyapunov"])
def test_vjp_finite_at_identity_and_repeated(inverse, method):
    fn = nla.inv_sqrtm_vjp if inverse else nla.sqrtm_vjp
    G = np.random.default_rng(0).standard_normal((5, 5))
    dA = fn(np.eye(5), G, method=method)
    # At A = I: X = I, so dA = G / 2 (sqrt) and -G / 2 (inverse sqrt).
    np.testing.assert_allclose(dA, (-G if inverse else G) / 2, atol=1e-14)
    # Exactly repeated eigenvalues (two clusters of three): the divided
    # differences 1/(mu_i + mu_j) stay finite, and the gradient is the
    # solution of the Lyapunov equation, as computed by scipy. Conditioning
    # as in test_vjp_matches_scipy_lyapunov: 100 n eps sqrt(kappa) (inverse:
    # kappa), kappa = 100.
    A, _ = spd(1, 6, 2.0, repeated=True)
    G = np.random.default_rng(2).standard_normal((6, 6))
    X, Y = ref_sqrt(A), ref_sqrt(A, -0.5)
    ref = scipy.linalg.solve_continuous_lyapunov(X, -Y @ G @ Y if inverse else G)
    dA = fn(A, G, method=method)
    c = 100.0 if inverse else 10.0
    assert fro(dA - ref) <= 100 * 6 * EPS[np.float64] * c * fro(ref)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("inverse", [False, True])
def test_with_vjp(method, inverse, monkeypatch):
    A, _ = spd(6, 7, 2.0, batch=(3,))
    G = np.random.default_rng(1).standard_normal(A.shape)
    calls = []
    orig = _forward.batched_eigh  # every eigendecomposition goes through it
    monkeypatch.setattr(_forward, "batched_eigh", lambda *a: calls.append(1) or orig(*a))
    make = nla.inv_sqrtm_with_vjp if inverse else nla.sqrtm_with_vjp
    out, vjp = make(A, method=method)
    np.testing.assert_array_equal(out, (nla.inv_sqrtm if inverse else nla.sqrtm)(A, method=method))
    n_forward = len(calls)
    dA = vjp(G)
    assert len(calls) == n_forward  # the closure reuses the forward's work
    ref = (nla.inv_sqrtm_vjp if inverse else nla.sqrtm_vjp)(A, G)
    if method in ("eigh", "newton-schulz"):
        assert np.all(fro(dA - ref) <= 1e-10 * fro(ref))
    else:
        # The sign iteration solves with the approximate X of the series
        # method: the gradient error is of the order of X's relative error.
        Xr = ref_sqrt(A, -0.5 if inverse else 0.5)
        xerr = np.max(fro(out - Xr) / fro(Xr))
        assert np.all(fro(dA - ref) <= 10 * max(xerr, 1e-12) * fro(ref))


@pytest.mark.parametrize("method", ["eigh", "newton-schulz"])
@pytest.mark.parametrize("vjp_method", ["eigh", "lyapunov"])
def test_inverse_and_gradient_float32(method, vjp_method):
    A, _ = spd(3, 8, 2.0, batch=(2,), dtype=np.float32)
    G = np.random.default_rng(4).standard_normal(A.shape).astype(np.float32)
    A64, G64 = A.astype(np.float64), G.astype(np.float64)
    eps, n, kappa = EPS[np.float32], 8, 100.0
    Y, vjp = nla.inv_sqrtm_with_vjp(A, method=method, vjp_method=vjp_method)
    dA = vjp(G)
    assert Y.dtype == np.float32 and dA.dtype == np.float32
    # Against float64 references for the same (float32) input: a backward
    # error of n eps ||A|| moves A**(-1/2) by n eps kappa / 2 relative
    # (|f'| = lambda**(-3/2) / 2 at lambda_min), and Newton-Schulz stops at
    # its residual floor, the same order: bound 10 n eps kappa.
    Yr = ref_sqrt(A64, -0.5)
    assert np.all(fro(Y - Yr) <= 10 * n * eps * kappa * fro(Yr))
    # The gradient as in test_vjp_matches_scipy_lyapunov, with the float32
    # eps (100 n eps kappa for the inverse), plus Y's own relative error
    # carried into the right side -Y G Y (twice 10 n eps kappa).
    dr = nla.inv_sqrtm_vjp(A64, G64)
    assert np.all(fro(dA - dr) <= (100 + 20) * n * eps * kappa * fro(dr))


@given(n=st.integers(1, 12), log_kappa=st.floats(0, 8), seed=seeds, shape=st.sampled_from(SHAPES))
def test_lanczos_ritz_value_brackets_spectrum(n, log_kappa, seed, shape):
    # The sign iteration's scaling needs an upper bound of the smallest
    # eigenvalue: by Cauchy interlacing every Ritz value lies in
    # [lambda_min, lambda_max], up to the rounding of the small basis
    # (10 n eps ||B||). Includes breakdowns: the identity and diagonal
    # matrices, where the start vector spans few eigenvectors.
    A, _ = spd(seed, n, log_kappa, batch=(2,), shape=shape)
    A = np.concatenate([A, np.eye(n)[None], np.diag(np.linspace(1, 2, n))[None]])
    B = A / np.linalg.norm(A, axis=(-2, -1), keepdims=True)
    theta = _backward.lanczos_min(np, B, _backward.LANCZOS_STEPS)[..., 0, 0]
    lam = np.linalg.eigvalsh(B)
    slack = 10 * n * EPS[np.float64]
    assert np.all(theta >= lam[:, 0] - slack)
    assert np.all(theta <= lam[:, -1] + slack)


def test_vjp_reuses_given_root():
    A, _ = spd(2, 6, 3.0, batch=(2,))
    G = np.random.default_rng(3).standard_normal(A.shape)
    ref = nla.sqrtm_vjp(A, G)
    for method in ("eigh", "lyapunov"):
        np.testing.assert_allclose(nla.sqrtm_vjp(A, G, X=nla.sqrtm(A), method=method), ref,
                                   atol=1e-11 * np.max(fro(ref)))
    ref = nla.inv_sqrtm_vjp(A, G)
    for method in ("eigh", "lyapunov"):
        np.testing.assert_allclose(nla.inv_sqrtm_vjp(A, G, Y=nla.inv_sqrtm(A), method=method),
                                   ref, atol=1e-9 * np.max(fro(ref)))


# ---------------------------------------------------------------------------
# array API, dtypes, inputs


@pytest.mark.parametrize("method", METHODS)
def test_array_api(xp, method):
    A, _ = spd(0, 5, 1.0, batch=(2,))
    Ax = xp.asarray(A)
    X = nla.sqrtm(Ax, method=method)
    assert_namespace(X, xp)
    ref = nla.sqrtm(A, method=method)
    np.testing.assert_allclose(to_host(X), ref, atol=1e-12)
    Y, vjp = nla.inv_sqrtm_with_vjp(Ax, method=method)
    assert_namespace(Y, xp)
    G = xp.asarray(np.ones(A.shape))
    d = vjp(G)
    assert_namespace(d, xp)
    for b in ("eigh", "lyapunov"):
        assert_namespace(nla.sqrtm_vjp(Ax, G, method=b), xp)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("inverse", [False, True])
def test_non_default_device(method, inverse):
    # Identities and work arrays are made on the input's device, so results
    # stay there (array_api_strict refuses to mix devices, as CuPy does
    # across GPUs).
    xps = pytest.importorskip("array_api_strict")
    dev = xps.Device("device1")
    A, _ = spd(2, 5, 1.0, batch=(2,))
    G = np.random.default_rng(5).standard_normal(A.shape)
    make = nla.inv_sqrtm_with_vjp if inverse else nla.sqrtm_with_vjp
    for vjp_method in ("eigh", "lyapunov"):
        out, vjp = make(xps.asarray(A, device=dev), method=method, vjp_method=vjp_method)
        d = vjp(xps.asarray(G, device=dev))
        assert out.device == dev and d.device == dev
        ref_out, ref_vjp = make(A, method=method, vjp_method=vjp_method)
        # The same operations as on NumPy: equal to rounding.
        cpu = xps.Device("CPU_DEVICE")
        np.testing.assert_allclose(to_host(out.to_device(cpu)), ref_out, rtol=0,
                                   atol=1e-12 * np.max(fro(ref_out)))
        ref_d = ref_vjp(G)
        np.testing.assert_allclose(to_host(d.to_device(cpu)), ref_d, rtol=0,
                                   atol=1e-12 * np.max(fro(ref_d)))


def test_float32_and_ints():
    A, _ = spd(0, 6, 2.0, dtype=np.float32)
    for m in METHODS:
        assert nla.sqrtm(A, method=m).dtype == np.float32
        X, vjp = nla.sqrtm_with_vjp(A, method=m)
        assert vjp(np.ones((6, 6), np.float32)).dtype == np.float32
    assert nla.sqrtm(np.array([[4, 0], [0, 9]])).dtype == np.float64


def test_inputs_not_modified_readonly_noncontiguous():
    A, _ = spd(0, 6, 2.0, batch=(2,))
    big = np.zeros((2, 12, 12))
    big[:, ::2, ::2] = A
    view = big[:, ::2, ::2]
    view.flags.writeable = False
    copy = view.copy()
    for m in METHODS:
        X, vjp = nla.sqrtm_with_vjp(view, method=m)
        vjp(view)
    np.testing.assert_array_equal(view, copy)


def test_bad_input():
    A, _ = spd(0, 4, 1.0)
    with pytest.raises(ValueError, match="at least 2"):
        nla.sqrtm(np.ones(3))
    with pytest.raises(ValueError, match="square"):
        nla.sqrtm(np.ones((3, 4)))
    with pytest.raises(ValueError, match="empty"):
        nla.sqrtm(np.ones((0, 0)))
    bad = A.copy()
    bad[0, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        nla.sqrtm(bad)
    nonsym = A.copy()
    nonsym[0, 1] += 1e-3
    with pytest.raises(ValueError, match="symmetric"):
        nla.sqrtm(nonsym)
    nla.sqrtm(nonsym, sym_rtol=1e-2)  # documented tolerance
    # an asymmetry far below the default sym_rtol (sqrt(eps) = 1.5e-8
    # relative in float64) passes
    nearly = A + 1e-10 * np.triu(np.ones((4, 4)), 1)
    nla.sqrtm(nearly)
    indef = np.diag([1.0, 2.0, -1.0, 3.0])
    for m in METHODS:
        with pytest.raises(ValueError, match="positive semidefinite|not positive"):
            nla.sqrtm(indef, method=m)
    rng = np.random.default_rng(0)
    q = random_orthogonal(rng, 4)
    hidden = (q * np.array([1.0, 2.0, -0.5, 3.0])) @ q.T  # positive diagonal, indefinite
    hidden = (hidden + hidden.T) / 2
    for m in METHODS:
        with pytest.raises(ValueError, match="positive semidefinite|not positive"):
            nla.sqrtm(hidden, method=m)
    with pytest.raises(ValueError, match="method"):
        nla.sqrtm(A, method="svd")
    with pytest.raises(ValueError, match="degree"):
        nla.sqrtm(A, method="mpa", degree=40)
    with pytest.raises(TypeError, match="degree"):
        nla.sqrtm(A, method="mtp", degree=2.5)
    with pytest.raises(ValueError, match="G must have the shape"):
        nla.sqrtm_vjp(A, np.ones((3, 3)))
    with pytest.raises(ValueError, match="method"):
        nla.sqrtm_vjp(A, A, method="mpa")
    with pytest.raises(ValueError, match="vjp_method"):
        nla.sqrtm_with_vjp(A, vjp_method="svd")
    with pytest.raises(TypeError):
        nla.sqrtm(np.array([["a"]]))
    with pytest.raises(ValueError, match="maxiter"):
        nla.sqrtm(A, method="newton-schulz", maxiter=0)
    with pytest.raises(ValueError, match="vjp_maxiter"):
        nla.sqrtm_with_vjp(A, method="mpa", vjp_maxiter=0)
    with pytest.raises(ValueError, match="vjp_tol"):
        nla.sqrtm_with_vjp(A, method="mpa", vjp_tol=-1.0)
    with pytest.raises(ValueError, match="maxiter"):
        nla.sqrtm_vjp(A, A, method="lyapunov", maxiter=0)
    with pytest.raises(ValueError, match="X must have the shape"):
        nla.sqrtm_vjp(A, A, X=np.eye(3))


PUBLIC = ("sqrtm", "inv_sqrtm", "sqrtm_with_vjp", "inv_sqrtm_with_vjp", "sqrtm_vjp",
          "inv_sqrtm_vjp")


@pytest.mark.parametrize("name", PUBLIC)
def test_engine_is_validated_everywhere(name):
    A, _ = spd(0, 4, 1.0)
    f = getattr(nla, name)
    args = (A, A) if name.endswith("_vjp") and "with" not in name else (A,)
    for engine in (None, "auto", "numpy"):
        f(*args, engine=engine)
    with pytest.raises(ValueError, match="engine"):
        f(*args, engine="fortran")


@pytest.mark.parametrize("log_kappa", [2.0, 6.0])
def test_newton_schulz_tests_convergence_every_few_iterations(log_kappa, monkeypatch):
    # Each convergence test is a host sync (on a GPU): the residual is
    # measured only when the scalar recurrence of the residuals says it can
    # have converged, not after every update.
    tests, updates = [], []
    norm, updated = _forward._residual_norm, _common.Schedule.updated
    monkeypatch.setattr(_forward, "_residual_norm", lambda *a: tests.append(1) or norm(*a))
    monkeypatch.setattr(_common.Schedule, "updated",
                        lambda self: updates.append(1) or updated(self))
    A, _ = spd(3, 48, log_kappa, batch=(4,))
    X = nla.sqrtm(A, method="newton-schulz")
    res = fro(X @ X - A)
    assert np.all(res <= 10 * 48 * EPS[np.float64] * 10 ** (log_kappa / 2) * fro(A))
    assert len(updates) >= 8
    assert len(tests) <= len(updates) // 2
    # tol=0: a fixed count of updates and one test, for divergence, at the end.
    tests.clear(), updates.clear()
    nla.sqrtm(A, method="newton-schulz", tol=0, maxiter=12)
    assert len(updates) == 12 and len(tests) == 1


def test_newton_schulz_detects_divergence():
    # Indefinite with a positive diagonal: passes the diagonal test, and the
    # negative eigenvalue's residual grows until the test catches it.
    q = random_orthogonal(np.random.default_rng(1), 5)
    A = (q * np.array([-0.5, 1.0, 2.0, 3.0, 4.0])) @ q.T
    A = (A + A.T) / 2
    assert np.all(np.diag(A) > 0)
    for tol in (None, 0):
        with pytest.raises(ValueError, match="diverged"):
            nla.sqrtm(A, method="newton-schulz", tol=tol)


def test_iterations_report_non_convergence():
    # Singular PSD: the zero eigenvalue never converges in the iterations.
    A = np.diag([0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="did not converge"):
        nla.sqrtm(A, method="newton-schulz")
    with pytest.raises(ValueError, match="did not converge"):
        nla.sqrtm_vjp(A, np.eye(3), method="lyapunov")  # its X by Newton-Schulz
    # A given singular X is rejected before the sign iteration starts.
    with pytest.raises(ValueError, match="X is not positive definite"):
        nla.sqrtm_vjp(A, np.eye(3), X=nla.sqrtm(A), method="lyapunov")
    # A fixed count (tol=0) is allowed and returns the iterate.
    B, _ = spd(0, 6, 4.0)
    X = nla.sqrtm(B, method="newton-schulz", tol=0, maxiter=3)
    assert np.all(np.isfinite(X))
    X, vjp = nla.sqrtm_with_vjp(B, method="mpa", vjp_tol=0, vjp_maxiter=8)
    assert np.all(np.isfinite(vjp(np.eye(6))))
    with pytest.raises(ValueError, match="did not converge"):
        nla.sqrtm_with_vjp(B, method="mpa", vjp_maxiter=8)[1](np.eye(6))


@pytest.mark.parametrize("method", METHODS)
def test_zero_matrix_in_batch(method):
    A, _ = spd(1, 4, 1.0, batch=(2,))
    A[1] = 0
    X = nla.sqrtm(A, method=method)
    np.testing.assert_array_equal(X[1], 0)
    np.testing.assert_array_equal(X[0], nla.sqrtm(A[0], method=method))
    with pytest.raises(ValueError, match="singular"):
        nla.inv_sqrtm(A, method=method)
