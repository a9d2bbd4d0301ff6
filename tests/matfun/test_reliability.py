"""Reliability of the matfun family: singular and indefinite input, every option
checked on every path, messages that name the parameter, and results under
A -> cA from 1e-200 to 1e200."""

import numpy as np
import pytest

import nla
from nla.matfun._series import pade_diagonal_factors
from tests.helpers import random_orthogonal
from tests.matfun.test_sqrtm import EPS, METHODS, fro, series_error, spd

VJP_METHODS = ("eigh", "lyapunov")


def rotated(seed, lam):
    """V diag(lam) V^T, exactly symmetric, with a Haar V."""
    q = random_orthogonal(np.random.default_rng(seed), len(lam))
    A = (q * np.asarray(lam, dtype=float)) @ q.T
    return (A + A.T) / 2, q


# ---------------------------------------------------------------------------
# singular input to inv_sqrtm: one rule for every method


SINGULAR = {
    "diag": np.diag([1.0, 1.0, 1.0, 1.0, 0.0]),
    "rotated": rotated(2, [0.0, 0.5, 1.0, 2.0, 3.0])[0],
    # zero eigenvalues rounded to either sign, within the n eps lambda_max floor
    "rounded+": rotated(3, [3 * 5 * EPS[np.float64], 3 * 5 * EPS[np.float64], 1.0, 2.0, 3.0])[0],
    "rounded-": rotated(3, [-3 * 5 * EPS[np.float64], 0.0, 1.0, 2.0, 3.0])[0],
}


# the rounding cases are placed in float64 units
SINGULAR_CASES = [(c, np.float64) for c in sorted(SINGULAR)] + [
    (c, np.float32) for c in ("diag", "rotated")]


@pytest.mark.parametrize("case,dtype", SINGULAR_CASES)
@pytest.mark.parametrize("method", METHODS)
def test_inverse_of_singular_matrix_raises_for_every_method(case, method, dtype):
    # The series methods used to return finite nonsense (a 14.3 where
    # diag(1, 1, 1, 1, 0) has its pole) and Newton-Schulz ran 100
    # iterations to "did not converge"; eigh reported "singular". Now every
    # method reports it, from the same zero floor.
    A = SINGULAR[case].astype(dtype)
    with pytest.raises(ValueError, match="A is singular"):
        nla.inv_sqrtm(A, method=method)
    with pytest.raises(ValueError, match="A is singular"):
        nla.inv_sqrtm_with_vjp(A, method=method)
    # sqrtm of the same (PSD) matrix stays defined.
    X = nla.sqrtm(A, method=method, **({"tol": 0, "maxiter": 30} if method == "newton-schulz"
                                        else {}))
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("method", METHODS)
def test_inverse_singular_in_a_batch_and_indefinite(method):
    good, _ = spd(0, 5, 1.0)
    batch = np.stack([good, SINGULAR["diag"], good])
    with pytest.raises(ValueError, match="A is singular"):
        nla.inv_sqrtm(batch, method=method)
    # An indefinite matrix is reported as such, not as singular.
    indef, _ = rotated(4, [-0.5, 1.0, 2.0, 3.0])
    assert np.all(np.diag(indef) > 0)
    with pytest.raises(ValueError, match="not positive semidefinite|diverged"):
        nla.inv_sqrtm(indef, method=method)


@pytest.mark.parametrize("method", METHODS)
def test_inverse_above_the_zero_floor_is_computed(method):
    # The floor is not a condition-number cap: 250 times above it (kappa
    # 4.5e12) every method returns a finite SPD result. (How accurate it
    # is, is each method's business: see test_inverse_whitens.)
    A, _ = rotated(5, [1e3 * 4 * EPS[np.float64], 0.5, 0.8, 1.0])
    kw = {"tol": 0, "maxiter": 40} if method == "newton-schulz" else {}
    Y = nla.inv_sqrtm(A, method=method, **kw)
    assert np.all(np.isfinite(Y))
    assert np.all(np.linalg.eigvalsh(Y) > 0)


# ---------------------------------------------------------------------------
# options: checked on every path, named as passed


def _call(name, A, **kw):
    f = getattr(nla, name)
    if name in ("sqrtm_vjp", "inv_sqrtm_vjp"):
        return f(A, np.eye(A.shape[-1]), **kw)
    out = f(A, **kw)
    if name.endswith("_with_vjp"):
        out = out[1](np.eye(A.shape[-1]))
    return out


FORWARD = ("sqrtm", "inv_sqrtm", "sqrtm_with_vjp", "inv_sqrtm_with_vjp")
GIVEN = ("sqrtm_vjp", "inv_sqrtm_vjp")


@pytest.mark.parametrize("name", FORWARD)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("degree,err", [((0, 0), ValueError), ((17, 2), ValueError),
                                        ((1, 2, 3), ValueError), (0, ValueError),
                                        (-3, ValueError), (2.5, TypeError), ("8", TypeError),
                                        ((1.5, 2), TypeError), (True, TypeError)])
def test_degree_checked_for_every_method(name, method, degree, err):
    # (0, 0) passed the check and then raised IndexError inside the Pade
    # evaluation; "eigh" and "newton-schulz" accepted any value at all.
    # "mtp" takes no pair: TypeError.
    A, _ = spd(0, 4, 1.0)
    if method == "mtp" and isinstance(degree, tuple):
        err = TypeError
    with pytest.raises(err, match=r"^degree"):
        _call(name, A, method=method, degree=degree)


@pytest.mark.parametrize("name", FORWARD)
@pytest.mark.parametrize("method", METHODS)
def test_valid_degree_accepted_by_every_method(name, method):
    A, _ = spd(0, 4, 1.0)
    for degree in (None, 3, (0, 2), (2, 0)):
        if method == "mtp" and isinstance(degree, tuple):
            continue
        assert np.all(np.isfinite(_call(name, A, method=method, degree=degree)))


BAD_ITERATION = [
    ("tol", float("nan"), ValueError), ("tol", -1.0, ValueError), ("tol", "1e-8", TypeError),
    ("maxiter", 0, ValueError), ("maxiter", 2.5, TypeError), ("maxiter", None, TypeError),
]


@pytest.mark.parametrize("name", FORWARD)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("option,value,err", BAD_ITERATION)
def test_forward_iteration_options_checked_for_every_method(name, method, option, value, err):
    # "eigh" and the series methods ignore tol and maxiter; they were not
    # checked there (tol=nan, maxiter=0 went through).
    A, _ = spd(0, 4, 1.0)
    with pytest.raises(err, match=rf"^{option} "):
        _call(name, A, method=method, **{option: value})


@pytest.mark.parametrize("name", ["sqrtm_with_vjp", "inv_sqrtm_with_vjp"])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("vjp_method", (None,) + VJP_METHODS)
@pytest.mark.parametrize("option,value,err", BAD_ITERATION)
def test_vjp_options_checked_for_every_backward(name, method, vjp_method, option, value, err):
    # With the eigh backward (the default after method="eigh") vjp_tol=nan
    # and vjp_maxiter=0 were accepted. The message names vjp_tol /
    # vjp_maxiter, not the forward's tol / maxiter, and the error comes
    # from the call, not later from the closure.
    A, _ = spd(0, 4, 1.0)
    with pytest.raises(err, match=rf"^vjp_{option} "):
        getattr(nla, name)(A, method=method, vjp_method=vjp_method, **{"vjp_" + option: value})


@pytest.mark.parametrize("name", GIVEN)
@pytest.mark.parametrize("method", VJP_METHODS)
@pytest.mark.parametrize("option,value,err", BAD_ITERATION)
def test_vjp_function_options_named_as_passed(name, method, option, value, err):
    # sqrtm_vjp / inv_sqrtm_vjp name their own tol / maxiter (not the
    # closures' vjp_ names), with either method.
    A, _ = spd(0, 4, 1.0)
    with pytest.raises(err, match=rf"^{option} "):
        _call(name, A, method=method, **{option: value})


@pytest.mark.parametrize("name", FORWARD + GIVEN)
@pytest.mark.parametrize("value", ["no", 1, None, np.array([True])])
def test_check_finite_must_be_a_bool(name, value):
    A, _ = spd(0, 4, 1.0)
    with pytest.raises(TypeError, match="^check_finite"):
        _call(name, A, check_finite=value)
    _call(name, A, check_finite=np.bool_(False))


# ---------------------------------------------------------------------------
# a user-supplied root for the sign iteration


def _indefinite_root(seed, n, lam_neg, log_kappa=3):
    """X with one negative eigenvalue and A = X @ X (a non-principal root of A)."""
    rng = np.random.default_rng(seed)
    q = random_orthogonal(rng, n)
    mu = np.logspace(0, -log_kappa, n)
    mu[-1] = lam_neg
    X = (q * mu) @ q.T
    X = (X + X.T) / 2
    A = X @ X
    return (A + A.T) / 2, X, (q / mu) @ q.T, rng.standard_normal((n, n))


@pytest.mark.parametrize("n,neg", [(4, -1.0), (100, -1e-4), (200, -1e-5)])
@pytest.mark.parametrize("kw", [{}, {"tol": 0, "maxiter": 40}])
def test_indefinite_given_root_raises(n, neg, kw):
    # The sign iteration converges to sign(X), and B_k^2 -> I as well for an
    # indefinite X: at n = 100 and 200 the smallest Ritz value of the scaled
    # start is positive, and the iteration used to converge silently to a
    # gradient 30-40% off (with tol=0 also at n = 4); elsewhere it ran 100
    # iterations to "did not converge ... A is singular".
    A, X, Y, G = _indefinite_root(0, n, neg)
    assert fro(X @ X - A) <= 100 * n * EPS[np.float64] * fro(A)  # X is a root of A
    with pytest.raises(ValueError, match="^X is not positive definite"):
        nla.sqrtm_vjp(A, G, X=X, method="lyapunov", **kw)
    with pytest.raises(ValueError, match="^Y is not positive definite"):
        nla.inv_sqrtm_vjp(A, G, Y=(Y + Y.T) / 2, method="lyapunov", **kw)
    # The eigh route was and is checked by its own decomposition.
    with pytest.raises(ValueError, match="^X is not positive semidefinite"):
        nla.sqrtm_vjp(A, G, X=X, method="eigh")


def test_given_inverse_root_with_indefinite_product_raises():
    # Y positive definite but not A**(-1/2): X = A Y (what the sign
    # iteration solves with) is indefinite.
    A, _ = rotated(6, [1.0, 2.0, 3.0, 4.0])
    Y, _ = rotated(7, [0.01, 1.0, 1.0, 1.0])
    assert np.min(np.linalg.eigvalsh((A @ Y + Y @ A.T) / 2)) < 0
    with pytest.raises(ValueError, match=r"^A @ Y is not positive definite.*Y is not inv_sqrtm"):
        nla.inv_sqrtm_vjp(A, np.eye(4), Y=Y, method="lyapunov")


def test_correct_given_root_accepted():
    # The check rejects nothing that is a positive definite root: the
    # gradients from a given X or Y agree with those computed from A alone
    # (each within 100 n eps sqrt(kappa), inverse kappa, of the exact one:
    # test_vjp_matches_scipy_lyapunov).
    A, _ = spd(1, 6, 3.0, batch=(3,))
    G = np.random.default_rng(2).standard_normal(A.shape)
    X, Y = nla.sqrtm(A), nla.inv_sqrtm(A)
    eps, n, kappa = EPS[np.float64], 6, 1e3
    for method in VJP_METHODS:
        ref = nla.sqrtm_vjp(A, G)
        dX = nla.sqrtm_vjp(A, G, X=X, method=method)
        assert np.all(fro(dX - ref) <= 200 * n * eps * np.sqrt(kappa) * fro(ref))
        ref = nla.inv_sqrtm_vjp(A, G)
        dY = nla.inv_sqrtm_vjp(A, G, Y=Y, method=method)
        assert np.all(fro(dY - ref) <= 200 * n * eps * kappa * fro(ref))


# ---------------------------------------------------------------------------
# A -> cA: f(cA) = c**p f(A), gradients c**q dA, or a ValueError


GRID = {
    np.float64: (1e-200, 1e-150, 1e-100, 1e-10, 1.0, 1e10, 1e100, 1e150, 1e200),
    np.float32: (1e-30, 1e-20, 1e-10, 1.0, 1e10, 1e20, 1e30),
}
SCALES = [(dt, c) for dt, cs in GRID.items() for c in cs]


@pytest.mark.parametrize("dtype,c", SCALES)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("inverse", [False, True])
def test_scaling_forward(dtype, c, method, inverse):
    A, lam = spd(4, 5, 2.0, batch=(2,), dtype=dtype)
    f = nla.inv_sqrtm if inverse else nla.sqrtm
    p = -0.5 if inverse else 0.5
    out = f(A, method=method).astype(np.float64)
    outc = f(A * dtype(c), method=method)
    assert outc.dtype == dtype
    scaled = outc.astype(np.float64) / c**p
    # f(cA) = c**p f(A). Forming cA rounds each entry (a perturbation of at
    # most eps ||A||_F), which moves A**p by at most
    # max|f'| eps ||A||_F <= eps sqrt(n) kappa**(1/2) ||X||_2 / 2 (sqrt) or
    # eps sqrt(n) kappa ||Y||_2 / 2 (inverse); the two evaluations differ
    # otherwise only by their rounding, 50 n eps times the size of the
    # result (as in test_scaling), amplified for MPA by the condition number
    # of its solve, taken exactly from the eigenvalues (see series_error).
    eps, n, kappa = EPS[dtype], 5, 100.0
    size = fro(out)
    if method == "mpa":
        size = np.maximum(size, np.sqrt(n) * series_error("mpa", None, lam, inverse)[1])
    atol = eps * (50 * n * size + np.sqrt(n) * kappa ** (1.0 if inverse else 0.5) * fro(out))
    assert np.all(fro(scaled - out) <= atol)


ROUTES = ("eigh", "lyapunov") + tuple(f"{m}+{v}" for m in METHODS for v in VJP_METHODS)


def _grad(route, inverse, M, H):
    if route in VJP_METHODS:
        return (nla.inv_sqrtm_vjp if inverse else nla.sqrtm_vjp)(M, H, method=route)
    forward, backward = route.split("+")
    make = nla.inv_sqrtm_with_vjp if inverse else nla.sqrtm_with_vjp
    return make(M, method=forward, vjp_method=backward)[1](H)


def _grad_bound(route, inverse, dtype):
    """Relative bound on dA(cA, .) against the scaled dA(A, .).

    Each gradient is within 100 n eps sqrt(kappa) (inverse: kappa) of the
    exact one for its own input (test_vjp_matches_scipy_lyapunov), so the
    two differ by at most twice that. With a series forward the sign
    iteration solves with the series' X, which carries the solve's rounding
    amplification (1/Q(1) = 3855 for [8/8], 1/P(1) = 65536 for the
    inverse), and the gradient moves with it: that factor is added.
    """
    eps, n, kappa = EPS[dtype], 5, 100.0
    k = kappa if inverse else np.sqrt(kappa)
    if route == "mpa+lyapunov":
        a, b = pade_diagonal_factors(8)
        k *= 1 / np.prod(1 - np.array(a if inverse else b))
    return 200 * n * eps * k


@pytest.mark.parametrize("dtype,c", SCALES)
@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("inverse", [False, True])
def test_scaling_backward(dtype, c, route, inverse):
    A, _ = spd(5, 5, 2.0, batch=(2,), dtype=dtype)
    G = np.random.default_rng(6).standard_normal(A.shape).astype(dtype)
    Ac = A * dtype(c)
    d1 = _grad(route, inverse, A, G).astype(np.float64)
    bound = _grad_bound(route, inverse, dtype)
    # sqrtm: dA(cA, G) = c**(-1/2) dA(A, G); inv_sqrtm: c**(-3/2) dA(A, G).
    q = -1.5 if inverse else -0.5
    expected = d1 * c**q
    big = np.max(np.abs(expected), axis=(-2, -1))
    top, tiny = float(np.finfo(dtype).max), float(np.finfo(dtype).smallest_normal)
    # The grid keeps clear of the edges of the normal range (factor 1e3), so
    # which side a case falls on does not depend on rounding.
    assert np.all((big > 1e3 * top) | (big < top / 1e3))
    assert np.all((big < tiny / 1e3) | (big > 1e3 * tiny))
    if np.any(big > top):
        with pytest.raises(ValueError, match="not representable.*overflows"):
            _grad(route, inverse, Ac, G)
    elif np.any(big < tiny):
        with pytest.raises(ValueError, match="not representable.*underflow"):
            _grad(route, inverse, Ac, G)
    else:
        dc = _grad(route, inverse, Ac, G)
        assert dc.dtype == dtype
        # compared after scaling back, so that the norms do not overflow
        assert np.all(fro(dc.astype(np.float64) / c**q - d1) <= bound * fro(d1))
    if inverse:
        # With the cotangent scaled like A, dA(cA, cG) = c**(-1/2) dA(A, G),
        # representable on the whole grid.
        dc = _grad(route, inverse, Ac, G * dtype(c)).astype(np.float64)
        assert np.all(fro(dc * np.sqrt(c) - d1) <= bound * fro(d1))


@pytest.mark.parametrize("route", ROUTES)
def test_gradient_out_of_range_raises_float64(route):
    A, _ = spd(5, 5, 2.0)
    G = np.random.default_rng(6).standard_normal(A.shape)
    # inv_sqrtm: dA = c**(-3/2) dA(A, G): 1e375 and 1e-375 at c = 1e-250 and
    # 1e250, while cA itself is an ordinary float64 matrix.
    with pytest.raises(ValueError, match="not representable.*overflows"):
        _grad(route, True, A * 1e-250, G)
    with pytest.raises(ValueError, match="not representable.*underflow"):
        _grad(route, True, A * 1e250, G)
    # A zero cotangent has the exact gradient zero, at any scale.
    np.testing.assert_array_equal(_grad(route, True, A * 1e250, np.zeros_like(G)), 0)


def test_minimum_norm_zero_gradient_is_not_underflow():
    # A zero matrix (and the zero block of a singular one) gets the exact
    # minimum-norm gradient 0 from the eigh route, with a nonzero G.
    A, _ = spd(1, 4, 1.0, batch=(2,))
    A[1] = 0
    G = np.ones(A.shape)
    dA = nla.sqrtm_vjp(A, G)
    np.testing.assert_array_equal(dA[1], 0)
    assert np.all(dA[0] != 0)
    S = np.diag([0.0, 0.0, 1.0])
    dS = nla.sqrtm_vjp(S, np.diag([1.0, 0.0, 0.0]))
    np.testing.assert_array_equal(dS, 0)
