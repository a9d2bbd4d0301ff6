"""Tests of nla.lstsq: full accuracy, sketch-and-solve statistics, l-infinity."""

import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import nla
from tests.helpers import assert_namespace, random_orthogonal, seeds, to_host

U64 = np.finfo(np.float64).eps
U32 = np.finfo(np.float32).eps


def problem(rng, n, d, kappa, res, *, nrhs=None):
    """A = U diag(s) V^T with cond(A) = kappa exactly and ||A|| = 1;
    b = A x + res * (unit vector orthogonal to range(A)), so ||r*|| = res."""
    Q = random_orthogonal(rng, n, d + (nrhs or 1))
    V = random_orthogonal(rng, d)
    s = np.logspace(0, -np.log10(kappa), d)
    A = (Q[:, :d] * s) @ V.T
    if nrhs is None:
        x = rng.standard_normal(d)
        return A, A @ x + res * Q[:, d]
    X = rng.standard_normal((d, nrhs))
    return A, A @ X + res * Q[:, d:]


def dense_bound(A, b, x_ref, kappa, tol, u=U64):
    """Allowed ||x - x_ref|| / ||x_ref|| for the dense route (refinement).

    The LS perturbation bound: a backward-stable solver is within c d u
    (kappa + kappa^2 eta) of x* (eta = ||r*|| / (||A|| ||x*||), c ~ 10);
    gelsd is one such solver. The refinement ends in one of two ways.
    (a) An update below tol ||x||: the sweep contracts the error by rho <=
    1/2 (else it counts as a stall), so the error left is <= ||dx|| <= tol
    ||x|| in the preconditioned norm; mapping back through N = R^{-1} adds a
    factor cond(R) ~ kappa, but rho itself is ~ d u kappa, so that part is
    ~ d u kappa (kappa tol) <= d u kappa for kappa tol <= 1: it is inside
    the rounding term. (b) A stall accepted at the level 10 d u (cond_S +
    cond_S^2 eta_S) with cond_S, eta_S read from the sketch, which are off
    by at most its distortion (<= 3, so 9 in the kappa^2 term). Hence
    2 tol + 10 (1 + 9) d u (kappa + kappa^2 eta), with no kappa * tol term.
    """
    d = A.shape[1]
    r = np.linalg.norm(b - A @ x_ref)
    eta = r / (np.linalg.norm(A, 2) * np.linalg.norm(x_ref))
    return 2 * tol + 100 * d * u * (kappa + kappa**2 * eta)


def lsqr_bounds(A, b, x, x_ref, tol, kappa_bar=3.0):
    """(optimality, forward-error) checks for the sparse route (LSQR on A N).

    S A = U diag(s) V^T, N = V diag(1/s); for an embedding with distortion
    eps, cond(A N) <= kappa_bar = (1 + eps) / (1 - eps) (3 at eps = 1/2,
    the m = 4 d sparse sign sketch). With ||r*|| >> tol ||b|| LSQR can only
    stop on its test 2, ||(AN)^T r|| <= atol ||AN||_F ||r||, atol = tol / 10
    and ||AN||_F <= sqrt(d) ||AN||. Since A^T r = N^{+T} (AN)^T r with
    ||N^+|| = s_max <= (1 + eps) ||A||:
      ||A^T r|| <= kappa_bar sqrt(d) (tol / 10) ||A|| ||r||       (no kappa),
    up to rounding in evaluating A^T (b - A x), at most 2 w u || |A|^T (|b| +
    |A| |x|) || with w the nonzeros per row plus per column, plus two. And
    x - x* = N ((AN)^T AN)^{-1} (AN)^T r with ||N|| = 1 / s_min, which
    gives (using ||x*|| >= ||A x*|| / ||A||)
      ||x - x*|| / ||x*|| <= kappa(A) kappa_bar^2 sqrt(d) (tol / 10) ||r|| / ||A x*||,
    plus the rounding level of both solvers (dense_bound with tol = 0).
    """
    Ad = A.toarray()
    d = Ad.shape[1]
    s = scipy.linalg.svdvals(Ad)
    rank = int(np.sum(s > s[0] * d * U64 * 10))
    kappa = s[0] / s[rank - 1]
    anorm = s[0]
    r = b - A @ x
    nnz = max(np.diff(A.tocsr().indptr).max(), np.diff(A.tocsc().indptr).max())
    Aabs = abs(A)
    rounding = 2 * (nnz + 2) * U64 * np.linalg.norm(Aabs.T @ (abs(b) + Aabs @ abs(x)))
    opt = np.linalg.norm(A.T @ r) <= (
        kappa_bar * np.sqrt(d) * tol / 10 * anorm * np.linalg.norm(r) + rounding
    )
    r_opt = np.linalg.norm(b - A @ x_ref)
    assert r_opt > 100 * tol * np.linalg.norm(b)  # LSQR's test 1 cannot stop it
    fwd_allowed = (
        kappa * kappa_bar**2 * np.sqrt(d) * tol / 10 * r_opt / np.linalg.norm(A @ x_ref)
        + dense_bound(Ad, b, x_ref, kappa, 0.0)
    )
    fwd = np.linalg.norm(x - x_ref) <= fwd_allowed * np.linalg.norm(x_ref)
    return opt, fwd


# ---------------------------------------------------------------------------
# precondition
# ---------------------------------------------------------------------------


@given(
    n=st.integers(120, 500),
    d=st.integers(2, 30),
    log_kappa=st.floats(0, 8),
    log_res=st.floats(-10, 0),
    seed=seeds,
)
def test_precondition_matches_gelsd(n, d, log_kappa, log_res, seed):
    rng = np.random.default_rng(seed)
    kappa = 10.0**log_kappa
    A, b = problem(rng, n, d, kappa, 10.0**log_res)
    x_ref = scipy.linalg.lstsq(A, b, lapack_driver="gelsd")[0]
    x, info = nla.lstsq(A, b, rng=seed, return_info=True)
    err = np.linalg.norm(x - x_ref) / np.linalg.norm(x_ref)
    assert err <= dense_bound(A, b, x_ref, kappa, 1e-10)
    assert info.method == "precondition" and info.rank == d
    # the sketch's condition number is cond(A) up to the embedding distortion
    assert kappa / 10 <= info.condition_estimate <= kappa * 10
    assert np.isclose(info.residual_norm, np.linalg.norm(b - A @ x), rtol=1e-6, atol=1e-300)


def test_precondition_kappa_1e8_large_residual():
    rng = np.random.default_rng(3)
    kappa = 1e8
    # ||r*|| = 1e-7 puts the problem in the kappa^2 eta regime (kappa^2 eta
    # ~ 1.6e8 > kappa) while keeping the bound below 1e-3
    A, b = problem(rng, 2000, 40, kappa, 1e-7)
    x_ref = scipy.linalg.lstsq(A, b, lapack_driver="gelsd")[0]
    bound = dense_bound(A, b, x_ref, kappa, 1e-10)
    assert bound < 1e-3  # a solver accurate only to 1e-3 would fail below
    with warnings.catch_warnings():
        warnings.simplefilter("error", nla.ConvergenceWarning)
        x, info = nla.lstsq(A, b, rng=0, return_info=True)
    err = np.linalg.norm(x - x_ref) / np.linalg.norm(x_ref)
    assert err <= bound
    assert info.iterations <= 6 and info.converged
    assert info.route == "cholqr"  # d u kappa^2 >> 1e-3: A^T A is unusable
    # the bound is not vacuous: one sweep (no refinement) violates it
    with pytest.warns(nla.ConvergenceWarning, match="did not reach tol"):
        x1, info1 = nla.lstsq(A, b, rng=0, maxiter=1, return_info=True)
    assert not info1.converged
    assert np.linalg.norm(x1 - x_ref) / np.linalg.norm(x_ref) > bound


def test_moderate_condition_takes_seminormal_route():
    rng = np.random.default_rng(4)
    kappa = 1e3
    A, b = problem(rng, 2000, 40, kappa, 1e-2)
    x_ref = scipy.linalg.lstsq(A, b, lapack_driver="gelsd")[0]
    x, info = nla.lstsq(A, b, rng=0, return_info=True)
    assert info.route == "seminormal" and info.converged
    err = np.linalg.norm(x - x_ref) / np.linalg.norm(x_ref)
    assert err <= dense_bound(A, b, x_ref, kappa, 1e-10)


def test_rank_deficient_gives_minimum_norm():
    rng = np.random.default_rng(5)
    n, d, r = 800, 20, 14
    A = (random_orthogonal(rng, n, r) * np.logspace(0, -3, r)) @ random_orthogonal(rng, d, r).T
    b = rng.standard_normal(n)
    x_ref = scipy.linalg.lstsq(A, b, lapack_driver="gelsd")[0]  # minimum norm
    x, info = nla.lstsq(A, b, rng=1, return_info=True)
    assert info.rank == r
    # well-posed on the row space: error ~ d u kappa_r^2 eta, kappa_r = 1e3
    assert np.linalg.norm(x - x_ref) <= 1e-8 * np.linalg.norm(x_ref)


def test_several_right_hand_sides_match_columns():
    rng = np.random.default_rng(7)
    A, B = problem(rng, 600, 12, 1e4, 1e-3, nrhs=3)
    X, info = nla.lstsq(A, B, rng=2, return_info=True)
    assert X.shape == (12, 3) and info.residual_norm.shape == (3,)
    X_ref = scipy.linalg.lstsq(A, B)[0]
    for j in range(3):
        xj = nla.lstsq(A, B[:, j], rng=2)
        assert np.linalg.norm(X[:, j] - X_ref[:, j]) <= 1e-9 * np.linalg.norm(X_ref[:, j])
        assert np.linalg.norm(xj - X_ref[:, j]) <= 1e-9 * np.linalg.norm(X_ref[:, j])


@pytest.mark.parametrize("method", ["precondition", "sketch", "linf"])
def test_float32_stays_float32(method):
    rng = np.random.default_rng(11)
    A, b = problem(rng, 3000, 10, 10.0, 1e-2)
    x = nla.lstsq(A.astype(np.float32), b.astype(np.float32), method=method, rng=0)
    assert x.dtype == np.float32
    if method == "precondition":
        x_ref = scipy.linalg.lstsq(A, b)[0]
        # float32 backward stability: error ~ d u32 (kappa + kappa^2 eta)
        assert np.linalg.norm(x - x_ref) <= 10 * 10 * U32 * 110 * np.linalg.norm(x_ref)
    # mixed precision promotes
    assert nla.lstsq(A.astype(np.float32), b, method=method, rng=0).dtype == np.float64
    assert nla.lstsq(A, b.astype(np.float32), method=method, rng=0).dtype == np.float64


def test_integer_input_promotes():
    A = np.arange(60, dtype=np.int64).reshape(20, 3) % 7 + np.eye(20, 3, dtype=np.int64)
    b = np.arange(20)
    x = nla.lstsq(A, b, rng=0)
    assert x.dtype == np.float64
    np.testing.assert_allclose(x, np.linalg.lstsq(A.astype(float), b.astype(float))[0], rtol=1e-9)


def test_sparse_matches_dense_and_lsqr():
    import scipy.sparse.linalg

    A = sp.random(5000, 60, density=0.02, random_state=3, format="csr") + sp.eye(5000, 60)
    A = (A @ sp.diags(np.logspace(0, -3, 60))).tocsr()  # cond(A) ~ 1e3
    b = np.random.default_rng(0).standard_normal(5000)
    x, info = nla.lstsq(A, b, rng=0, return_info=True)
    assert isinstance(x, np.ndarray) and x.shape == (60,)
    assert info.route == "lsqr" and info.converged
    x_ref = scipy.linalg.lstsq(A.toarray(), b)[0]
    opt, fwd = lsqr_bounds(A, b, x, x_ref, 1e-10)
    assert opt and fwd
    # the checks can fail: LSQR stopped at tol = 1e-3 violates both
    x_loose = nla.lstsq(A, b, rng=0, tol=1e-3)
    assert lsqr_bounds(A, b, x_loose, x_ref, 1e-10) == (False, False)
    plain = scipy.sparse.linalg.lsqr(A, b, atol=1e-10, btol=1e-10)
    assert info.iterations < plain[2]
    X = nla.lstsq(A.tocsc(), np.stack([b, -b], 1), rng=0)
    np.testing.assert_allclose(X[:, 0], -X[:, 1], rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("method", ["sketch", "linf"])
def test_sparse_sketching_methods(method):
    A = sp.random(4000, 8, density=0.05, random_state=4, format="csr") + sp.eye(4000, 8)
    b = np.random.default_rng(1).standard_normal(4000)
    x, info = nla.lstsq(A, b, method=method, rng=0, return_info=True)
    x_ref = scipy.linalg.lstsq(A.toarray(), b)[0]
    r_opt = np.linalg.norm(A @ x_ref - b)
    assert info.method == method
    assert np.linalg.norm(A @ x - b) <= 2 * r_opt


# ---------------------------------------------------------------------------
# sketch-and-solve: the exact Gaussian expectation
# ---------------------------------------------------------------------------


def test_gaussian_sketch_expected_residual():
    """E ||A x' - b||^2 / ||r*||^2 = 1 + d / (m - d - 1) for Gaussian S.

    With A = Q (orthonormal columns, WLOG), the ratio minus one is ||G^+
    g||^2 for independent Gaussian G (m x d) and g (m), whose mean is E tr
    (G^T G)^{-1} = d / (m - d - 1) and whose variance is finite for m - d >
    3. With d = 20, m = 30 the off-by-one alternative d / (m - d) differs
    from it by 0.22 while the ratio's standard deviation is ~1.5, so the
    sample mean of 3000 fixed seeds has a standard error ~0.027: accepting
    within 4 standard errors (a CLT tail of 6e-5) leaves the alternative
    more than 4 standard errors outside, and the test tells them apart.
    """
    rng = np.random.default_rng(2024)
    n, d, m = 200, 20, 30
    A, b = problem(rng, n, d, 1.0, 1.0)
    r_opt2 = np.linalg.norm(b - A @ scipy.linalg.lstsq(A, b)[0]) ** 2
    ratios = np.array(
        [
            np.linalg.norm(A @ nla.lstsq(A, b, method="sketch", sketch="gaussian",
                                         sketch_size=m, rng=s) - b) ** 2 / r_opt2
            for s in range(3000)
        ]
    )
    expected = 1 + d / (m - d - 1)
    off_by_one = 1 + d / (m - d)
    se = ratios.std(ddof=1) / np.sqrt(ratios.size)
    assert abs(ratios.mean() - expected) <= 4 * se
    assert abs(ratios.mean() - off_by_one) > 4 * se  # sharp enough to tell
    assert ratios.min() >= 1 - 1e-12  # x* is optimal


def test_sketch_eps_sets_rows():
    rng = np.random.default_rng(1)
    A, b = problem(rng, 2000, 10, 10.0, 1.0)
    _, info = nla.lstsq(A, b, method="sketch", eps=0.25, rng=0, return_info=True)
    assert info.sketch_size == 10 + 40 + 1
    _, info = nla.lstsq(A, b, method="sketch", sketch_size=77, rng=0, return_info=True)
    assert info.sketch_size == 77
    # a sketch no smaller than A falls back to the exact solver
    x, info = nla.lstsq(A, b, method="sketch", sketch_size=2000, rng=0, return_info=True)
    assert info.method == "exact"
    np.testing.assert_allclose(x, scipy.linalg.lstsq(A, b)[0], rtol=1e-9)


# ---------------------------------------------------------------------------
# l-infinity
# ---------------------------------------------------------------------------


def linf_ratio(A, b, x):
    """||x - x*||_inf / (||r*|| ||A^+|| / sqrt(d)): the achieved eps."""
    x_opt = scipy.linalg.lstsq(A, b)[0]
    r = np.linalg.norm(A @ x_opt - b)
    pinv_norm = 1.0 / scipy.linalg.svdvals(A)[-1]
    return np.max(np.abs(x - x_opt)) / (r * pinv_norm / np.sqrt(A.shape[1]))


def test_linf_bound_on_high_quantile_of_seeds():
    """The bound on a problem where it is nearly tight.

    e_j^T (x' - x*) is close to Gaussian with standard deviation ||r*||
    ||e_j^T A^+|| / sqrt(m - d); the default m is the union bound over the d
    coordinates for ||e_j^T A^+|| = ||A^+||. cond(A) = 1 makes every row of
    A^+ that long, so the 95% quantile of the achieved eps sits near 0.75
    (the 1 - 0.05/d Gaussian quantile over sqrt(2 ln(2 d / delta))), not far
    below 1. A sketch 5 times too small (m - d divided by 5) scales the
    errors by sqrt(5) and must break the bound on the same seeds.
    """
    rng = np.random.default_rng(9)
    n, d = 4096, 16
    A, b = problem(rng, n, d, 1.0, 1.0)
    x_opt = scipy.linalg.lstsq(A, b)[0]
    scale = np.linalg.norm(A @ x_opt - b) / scipy.linalg.svdvals(A)[-1] / np.sqrt(d)
    m = nla.lstsq(A, b, method="linf", rng=0, return_info=True)[1].sketch_size

    def q95(rows):
        errs = [np.max(np.abs(nla.lstsq(A, b, method="linf", sketch_size=rows, rng=s) - x_opt))
                for s in range(40)]
        return np.quantile(errs, 0.95) / scale

    # guarantee: ratio <= eps = 1 with probability 1 - delta = 0.99
    assert q95(m) <= 1.0
    assert q95(d + (m - d) // 5) > 1.0  # the test has power


def heavy_leverage_problem(rng, n, d, n_spikes):
    """A = [I_d; 0]: all leverage on d rows; r* = a few unit spikes elsewhere.

    A CountSketch bucket that holds a leverage row and a spike moves that
    coordinate by a full spike (1), against a bound of ||r*||/sqrt(d) =
    sqrt(n_spikes/d) (Price-Song-Woodruff's counterexample).
    """
    A = np.zeros((n, d))
    A[:d] = np.eye(d)
    b = np.zeros(n)
    b[:d] = rng.standard_normal(d)
    rows = rng.choice(np.arange(d, n), size=n_spikes, replace=False)
    b[rows] = 1.0
    return A, b


def test_linf_dense_meets_bound_where_countsketch_fails():
    n, d, spikes = 4096, 64, 16
    dense, count = [], []
    for s in range(20):
        A, b = heavy_leverage_problem(np.random.default_rng(100 + s), n, d, spikes)
        x, info = nla.lstsq(A, b, method="linf", rng=s, return_info=True)
        dense.append(linf_ratio(A, b, x))
        xc = nla.lstsq(A, b, method="sketch", sketch="countsketch",
                       sketch_size=info.sketch_size, rng=s)
        count.append(linf_ratio(A, b, xc))
    # the dense sketch meets eps = 1 on every seed; CountSketch of the same
    # size misses it by ~ sqrt(d / spikes) = 2 on a large share of them
    assert max(dense) <= 1.0
    assert np.quantile(count, 0.75) >= 1.5


def test_linf_rows_rules():
    rng = np.random.default_rng(0)
    A, b = problem(rng, 4096, 8, 10.0, 1.0)
    _, info = nla.lstsq(A, b, method="linf", eps=2.0, rng=0, return_info=True)
    assert info.sketch_size == 8 + int(np.ceil(2 * 8 * np.log(2 * 8 / 0.01) / 4))
    assert info.sketch == "srht"
    # the theorem's row count exceeds n here: exact fallback
    x, info = nla.lstsq(A, b, method="linf", sketch_size="theorem", rng=0, return_info=True)
    assert info.method == "exact"
    np.testing.assert_allclose(x, scipy.linalg.lstsq(A, b)[0], rtol=1e-9)


# ---------------------------------------------------------------------------
# engines, namespaces, determinism, input handling
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["precondition", "sketch", "linf"])
def test_engines_agree(engine, method):
    rng = np.random.default_rng(4)
    A, b = problem(rng, 1500, 10, 1e3, 1e-2)
    with nla.config(engine=engine):
        x = nla.lstsq(A, b, method=method, rng=3)
    with nla.config(engine="numpy"):
        x0 = nla.lstsq(A, b, method=method, rng=3)
    np.testing.assert_allclose(x, x0, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("method", ["precondition", "sketch", "linf"])
def test_namespaces(xp, method):
    rng = np.random.default_rng(6)
    A, B = problem(rng, 700, 6, 1e3, 1e-2, nrhs=2)
    X = nla.lstsq(xp.asarray(A), xp.asarray(B), method=method, rng=1)
    assert_namespace(X, xp)
    X_np = nla.lstsq(A, B, method=method, rng=1)
    np.testing.assert_allclose(to_host(X), X_np, rtol=1e-7, atol=1e-10)


def test_deterministic_and_inputs_untouched():
    rng = np.random.default_rng(8)
    A, b = problem(rng, 900, 9, 1e2, 1e-1)
    A_f = np.asfortranarray(A)
    A_f.flags.writeable = False
    b_ro = b.copy()
    b_ro.flags.writeable = False
    A_copy, b_copy = A.copy(), b.copy()
    for method in ("precondition", "sketch", "linf"):
        x1 = nla.lstsq(A_f, b_ro, method=method, rng=42)
        x2 = nla.lstsq(A, b, method=method, rng=np.random.default_rng(42))
        np.testing.assert_allclose(x1, x2, rtol=1e-12, atol=1e-14)
    # non-contiguous views
    big = np.zeros((1800, 18))
    big[::2, ::2] = A
    x3 = nla.lstsq(big[::2, ::2], np.repeat(b, 2)[::2], rng=42)
    np.testing.assert_allclose(x3, nla.lstsq(A, b, rng=42), rtol=1e-10)
    np.testing.assert_array_equal(A, A_copy)
    np.testing.assert_array_equal(b, b_copy)


def test_bad_input():
    A = np.ones((10, 3)) + np.eye(10, 3)
    b = np.ones(10)
    with pytest.raises(ValueError, match="rows"):
        nla.lstsq(A, np.ones(9))
    with pytest.raises(ValueError, match="n >= d"):
        nla.lstsq(A.T, np.ones(3))
    for method in ("sketch", "linf"):
        with pytest.raises(ValueError, match="n >= d"):
            nla.lstsq(A.T, np.ones(3), method=method)
    bad = A.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="A must not contain NaN"):
        nla.lstsq(bad, b)
    with pytest.raises(ValueError, match="b must not contain NaN"):
        nla.lstsq(A, np.full(10, np.inf))
    with pytest.raises(ValueError, match="A must not be empty"):
        nla.lstsq(np.ones((0, 3)), np.ones(0))
    with pytest.raises(ValueError, match="A must not be empty"):
        nla.lstsq(np.ones((5, 0)), np.ones(5))
    with pytest.raises(ValueError, match="A must be 2-D"):
        nla.lstsq(np.ones(10), b)
    with pytest.raises(ValueError, match="b must be 1 or 2-D"):
        nla.lstsq(A, np.ones((10, 1, 1)))
    with pytest.raises(ValueError, match="method"):
        nla.lstsq(A, b, method="qr")
    with pytest.raises(ValueError, match="sketch"):
        nla.lstsq(A, b, sketch="fjlt")
    with pytest.raises(ValueError, match="method='linf'"):
        nla.lstsq(A, b, method="linf", sketch="countsketch")
    with pytest.raises(ValueError, match="tol"):
        nla.lstsq(A, b, tol=0.0)
    with pytest.raises(ValueError, match="eps"):
        nla.lstsq(A, b, method="sketch", eps=-1.0)
    with pytest.raises(ValueError, match="delta"):
        nla.lstsq(A, b, method="linf", delta=1.5)
    with pytest.raises(ValueError, match="sketch_size"):
        nla.lstsq(A, b, method="sketch", sketch_size=2)
    with pytest.raises(TypeError, match="sketch_size"):
        nla.lstsq(A, b, method="sketch", sketch_size=2.5)
    with pytest.raises(ValueError, match="maxiter"):
        nla.lstsq(A, b, maxiter=0)
    with pytest.raises(TypeError, match="A must have a real floating dtype"):
        nla.lstsq(A.astype(complex), b)
    with pytest.raises(TypeError, match="A must be an array"):
        nla.lstsq(None, b)
    with pytest.raises(ValueError, match="A must not contain NaN"):
        nla.lstsq(sp.csr_array(bad), b)


def test_sparse_rank_deficient_minimum_norm():
    rng = np.random.default_rng(12)
    A = sp.random(3000, 12, density=0.05, random_state=5, format="csc") + sp.eye(3000, 12)
    A = sp.hstack([A, A[:, :3] + A[:, 3:6]]).tocsr()  # rank 12 of 15 columns
    b = rng.standard_normal(3000)
    x, info = nla.lstsq(A, b, rng=0, return_info=True)
    assert info.rank == 12
    x_ref = scipy.linalg.lstsq(A.toarray(), b)[0]  # gelsd: minimum norm
    # as in test_sparse_matches_dense_and_lsqr, with kappa and d taken over
    # the rank-12 row space (x and x_ref both lie in it)
    assert lsqr_bounds(A, b, x, x_ref, 1e-10) == (True, True)


def test_zero_right_hand_side():
    A = np.random.default_rng(0).standard_normal((50, 4))
    for method in ("precondition", "sketch", "linf"):
        x = nla.lstsq(A, np.zeros(50), method=method, rng=0)
        np.testing.assert_array_equal(x, np.zeros(4))


def test_zero_column_among_right_hand_sides():
    # kappa = 1e8 with ||r*|| = 1e-7: the refinement ends at a stall (d u
    # kappa^2 >> 1), accepted at the rounding level. A zero column of B has
    # x_j = dx_j = 0 throughout; it must neither end the sweeps early (its
    # relative update is 0, not a full step) nor fail the stall test (its
    # zero update is within any level), and inf * 0 must not be formed.
    #
    # The reference is [b, b], not b alone: NumPy sends a product with one
    # column to BLAS gemv and one with two to gemm, whose roundings differ,
    # and at a stall the updates are rounding noise, so a one-column solve
    # may stop a sweep earlier or later. Two-column right-hand sides run the
    # same gemm and trsm calls, in which column 0 of the result does not
    # depend on column 1: [b, 0] must repeat column 0 of [b, b] exactly.
    rng = np.random.default_rng(3)
    A, b = problem(rng, 2000, 40, 1e8, 1e-7)
    B = np.stack([b, np.zeros_like(b)], axis=1)
    x_ref = scipy.linalg.lstsq(A, b, lapack_driver="gelsd")[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X2, info2 = nla.lstsq(A, np.stack([b, b], axis=1), rng=0, return_info=True)
        X, info = nla.lstsq(A, B, rng=0, return_info=True)
        X_dev, _, _ = _solve_both(A, B, rng=0)
    assert info2.converged and info2.route == "cholqr"
    assert info.converged and info.route == "cholqr"
    assert info.iterations == info2.iterations  # the zero column changes nothing
    np.testing.assert_array_equal(X[:, 0], X2[:, 0])
    for x in (X, X_dev):
        np.testing.assert_array_equal(x[:, 1], np.zeros(40))
        err = np.linalg.norm(x[:, 0] - x_ref) / np.linalg.norm(x_ref)
        assert err <= dense_bound(A, b, x_ref, 1e8, 1e-10)


def test_sparse_maxiter_warns():
    A = sp.random(3000, 30, density=0.02, random_state=6, format="csr") + sp.eye(3000, 30)
    A = (A @ sp.diags(np.logspace(0, -4, 30))).tocsr()
    b = np.random.default_rng(2).standard_normal(3000)
    with pytest.warns(nla.ConvergenceWarning, match="lsqr route, 2 of at most 2"):
        _, info = nla.lstsq(A, b, rng=0, maxiter=2, return_info=True)
    assert not info.converged and info.route == "lsqr"
    with warnings.catch_warnings():
        warnings.simplefilter("error", nla.ConvergenceWarning)
        _, info = nla.lstsq(A, b, rng=0, return_info=True)
    assert info.converged


@given(
    n=st.integers(120, 400),
    d=st.integers(2, 20),
    log_kappa=st.floats(0, 8),
    log_res=st.floats(-10, 0),
    seed=seeds,
)
def test_default_refinement_never_warns(n, d, log_kappa, log_res, seed):
    # the stall rule accepts the rounding level c d u (cond + cond^2 eta),
    # which the corrections reach on every well-posed problem up to cond 1e8
    A, b = problem(np.random.default_rng(seed), n, d, 10.0**log_kappa, 10.0**log_res)
    with warnings.catch_warnings():
        warnings.simplefilter("error", nla.ConvergenceWarning)
        _, info = nla.lstsq(A, b, rng=seed, return_info=True)
    assert info.converged


@pytest.mark.parametrize("kind", ["countsketch", "gaussian", "srht"])
def test_precondition_with_other_sketches(kind):
    rng = np.random.default_rng(13)
    kappa = 1e6
    A, b = problem(rng, 1500, 24, kappa, 1e-4)
    x_ref = scipy.linalg.lstsq(A, b, lapack_driver="gelsd")[0]
    x, info = nla.lstsq(A, b, sketch=kind, rng=1, return_info=True)
    assert info.sketch == kind and info.sketch_size == 4 * 24 and info.converged
    err = np.linalg.norm(x - x_ref) / np.linalg.norm(x_ref)
    assert err <= dense_bound(A, b, x_ref, kappa, 1e-10)
    # and on sparse A (LSQR route), where it must stay sparse for these
    As = sp.random(4000, 20, density=0.03, random_state=7, format="csr") + sp.eye(4000, 20)
    As = (As @ sp.diags(np.logspace(0, -3, 20))).tocsr()
    bs = rng.standard_normal(4000)
    xs, info = nla.lstsq(As, bs, sketch=kind, rng=1, return_info=True)
    assert info.sketch == kind and info.converged
    xs_ref = scipy.linalg.lstsq(As.toarray(), bs)[0]
    assert lsqr_bounds(As, bs, xs, xs_ref, 1e-10) == (True, True)


def _forbid_densifying(mp, n_rows, record=None):
    """Make toarray/todense of any scipy.sparse object with n_rows rows raise
    (or, with `record`, log its shape): that is A or a block of A. Smaller
    products (the m x d sketch S A) may still be densified."""
    classes = {k for c in (sp.csr_array, sp.csc_array, sp.coo_array, sp.csr_matrix,
                           sp.csc_matrix, sp.coo_matrix) for k in c.__mro__}
    for klass in classes:
        for name in ("toarray", "todense"):
            if name in vars(klass):
                orig = vars(klass)[name]

                def patched(self, *args, _orig=orig, **kwargs):
                    if n_rows in self.shape:
                        if record is None:
                            raise AssertionError(f"densified a sparse {self.shape} array")
                        record.append(self.shape)
                    return _orig(self, *args, **kwargs)

                mp.setattr(klass, name, patched)


@pytest.mark.parametrize("method", ["precondition", "sketch"])
@pytest.mark.parametrize("kind", ["sparse_sign", "countsketch", "gaussian"])
def test_sparse_never_densified(monkeypatch, method, kind):
    n = 6000
    A = sp.random(n, 15, density=0.01, random_state=8, format="csr") + sp.eye(n, 15)
    A = A.tocsr()
    b = np.random.default_rng(3).standard_normal((n, 2))
    with monkeypatch.context() as mp:
        _forbid_densifying(mp, n)
        X = nla.lstsq(A, b, method=method, sketch=kind, rng=0)
        with pytest.raises(AssertionError, match="densified"):  # the patch works
            A.toarray()
    assert X.shape == (15, 2)


def test_linf_sparse_densifies_in_bounded_blocks(monkeypatch):
    n, d = 70000, 40  # n' = 2**17: 2**25 // (8 n') = 32 columns per block
    A = sp.random(n, d, density=1e-3, random_state=9, format="csc") + sp.eye(n, d)
    b = np.random.default_rng(4).standard_normal(n)
    blocks = []
    with monkeypatch.context() as mp:
        _forbid_densifying(mp, n, record=blocks)
        nla.lstsq(A.tocsr(), b, method="linf", rng=0)
    assert blocks  # the SRHT does densify, but only in column blocks
    assert max(c for _, c in blocks) == 32 and sum(c for _, c in blocks) == d
    assert all(2**17 * c * 8 <= 2**25 for _, c in blocks)


def test_empty_right_hand_sides_rejected():
    A = np.random.default_rng(0).standard_normal((50, 4))
    for method in ("precondition", "sketch", "linf"):
        with pytest.raises(ValueError, match="b must not be empty"):
            nla.lstsq(A, np.zeros((50, 0)), method=method)
    with pytest.raises(ValueError, match="b must not be empty"):
        nla.lstsq(sp.csr_array(A), np.zeros((50, 0)))


# ---------------------------------------------------------------------------
# devices: everything stays on the caller's device
# ---------------------------------------------------------------------------


def _device1():
    """array_api_strict and its non-default Device("device1"). It refuses to
    combine arrays of two devices, so an array made on the default device
    while working on input from device1 raises, and a result left there is
    caught by comparing ``.device``."""
    xs = pytest.importorskip("array_api_strict")
    return xs, xs.Device("device1")


def _solve_both(A, b, **kw):
    """lstsq on NumPy and on device1 (same rng); checks the device and dtype."""
    xs, dev = _device1()
    x_np, info_np = nla.lstsq(A, b, return_info=True, **kw)
    x, info = nla.lstsq(xs.asarray(A, device=dev), xs.asarray(b, device=dev),
                        return_info=True, **kw)
    assert x.device == dev
    assert x.shape == x_np.shape and to_host(x).dtype == A.dtype
    if b.ndim == 2:
        assert info.residual_norm.device == dev
    assert (info.method, info.sketch, info.sketch_size, info.rank) == (
        info_np.method, info_np.sketch, info_np.sketch_size, info_np.rank)
    return to_host(x), x_np, info_np


def _device_problem(dtype, deficient, nrhs, kappa, res, seed=21, n=400, d=6):
    """problem() in `dtype`; `deficient` inserts an exactly zero column (so
    the nonzero singular values, and kappa over them, are unchanged)."""
    rng = np.random.default_rng(seed)
    A, b = problem(rng, n, d - 1 if deficient else d, kappa, res,
                   nrhs=None if nrhs == 1 else nrhs)
    if deficient:
        A = np.insert(A, 2, 0.0, axis=1)
    return A.astype(dtype), b.astype(dtype)


def _columns(x):
    return x.reshape(x.shape[0], -1).T


@pytest.mark.parametrize("nrhs", [1, 2])
@pytest.mark.parametrize("deficient", [False, True])
@pytest.mark.parametrize("kind", ["sparse_sign", "countsketch", "gaussian", "srht"])
@pytest.mark.parametrize("route", ["seminormal", "cholqr"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_precondition_stays_on_device(dtype, route, kind, deficient, nrhs):
    u = np.finfo(dtype).eps
    # NumPy takes the semi-normal route when the sketch shows d u cond^2 <=
    # 1e-3 (cond within a factor 3 of kappa); these kappa sit on either side
    # with that margin. The generic code always runs Cholesky QR.
    kappa = {(np.float64, "seminormal"): 1e3, (np.float64, "cholqr"): 1e7,
             (np.float32, "seminormal"): 3.0, (np.float32, "cholqr"): 300.0}[dtype, route]
    A, b = _device_problem(dtype, deficient, nrhs, kappa, 1e-2)
    x, x_np, info_np = _solve_both(A, b, sketch=kind, rng=1)
    assert info_np.route == ("cholqr" if deficient else route)
    assert info_np.rank == A.shape[1] - deficient
    A64, b64 = A.astype(np.float64), b.astype(np.float64)
    x_ref = scipy.linalg.lstsq(A64, b64, lapack_driver="gelsd")[0]  # minimum norm
    # each result is within dense_bound (in its dtype's u, kappa over the
    # nonzero singular values) of the minimum-norm solution of the rounded
    # data, column by column, so the two are within twice that of each other
    cols = zip(_columns(x), _columns(x_np), _columns(x_ref), _columns(b64), strict=True)
    for xj, xj_np, xj_ref, bj in cols:
        bound = dense_bound(A64, bj, xj_ref, kappa, 1e-10, u=u)
        assert np.linalg.norm(xj - xj_np) <= 2 * bound * np.linalg.norm(xj_ref)


def _sketched_bound(S, A, b, x_S, kappa_S, u):
    """Allowed ||x - x_S|| / ||x_S|| for a sketch-and-solve result x.

    Both namespaces compute the minimum-norm minimizer x_S of ||S A x - S b||
    for the same S (same rng). Forming S A and S b rounds by at most
    gamma_w |S| |A| (w = nonzeros per row of S; the SRHT's Walsh-Hadamard
    transform has the smaller normwise error ~ log2(n) u, inside this
    term), a relative perturbation of 2 w u rho with rho = || |S| |A| || /
    ||S A|| (likewise for b); the Householder QR solve adds c d u (c = 100
    as in dense_bound). With omega the sum, LS perturbation theory gives
    omega (2 kappa_S + (kappa_S + 1) kappa_S eta_S) <= 2 omega (kappa_S +
    kappa_S^2 eta_S), eta_S = ||r_S|| / (||S A|| ||x_S||).
    """
    d = A.shape[1]
    SA, Sb = S @ A, S @ b
    w = np.count_nonzero(S, axis=1).max()
    rho = max(np.linalg.norm(abs(S) @ abs(A), 2) / np.linalg.norm(SA, 2),
              np.linalg.norm(abs(S) @ abs(b)) / np.linalg.norm(Sb))
    omega = 100 * d * u + 2 * w * u * rho
    eta = np.linalg.norm(Sb - SA @ x_S) / (np.linalg.norm(SA, 2) * np.linalg.norm(x_S))
    return 2 * omega * (kappa_S + kappa_S**2 * eta)


@pytest.mark.parametrize("nrhs", [1, 2])
@pytest.mark.parametrize("deficient", [False, True])
@pytest.mark.parametrize(
    "method, kind",
    [("sketch", k) for k in ("sparse_sign", "countsketch", "gaussian", "srht")]
    + [("linf", "srht")],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sketch_and_solve_stay_on_device(dtype, method, kind, deficient, nrhs):
    A, b = _device_problem(dtype, deficient, nrhs, 10.0, 1e-1)
    x, x_np, info = _solve_both(A, b, method=method, sketch=kind, rng=1)
    assert info.method == method and info.sketch == kind
    # the sketch lstsq drew from rng=1, in its dtype, exactly
    n = A.shape[0]
    S = nla.sketch.make_sketch(kind, n, info.sketch_size, rng=np.random.default_rng(1),
                               dtype=dtype)
    S = S.to_dense().astype(np.float64)
    A64, b64 = A.astype(np.float64), b.astype(np.float64)
    SA = S @ A64
    s = scipy.linalg.svdvals(SA)
    r = A.shape[1] - deficient
    kappa_S = s[0] / s[r - 1]
    assert s[r] <= s[0] * 1e-12 if deficient else True  # the zero column
    u = np.finfo(dtype).eps
    for xj, xj_np, bj in zip(_columns(x), _columns(x_np), _columns(b64), strict=True):
        xj_S = scipy.linalg.lstsq(SA, S @ bj, lapack_driver="gelsd")[0]
        bound = _sketched_bound(S, A64, bj, xj_S, kappa_S, u)
        assert np.linalg.norm(xj - xj_np) <= 2 * bound * np.linalg.norm(xj_S)


@pytest.mark.parametrize("method", ["precondition", "sketch", "linf"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_exact_fallback_stays_on_device(method, dtype):
    # n = 12 < m for every method: "sketch" and "linf" run the full-accuracy
    # solver, whose sparse sign sketch has more rows than A
    A, b = _device_problem(dtype, False, 2, 10.0, 1e-2, n=12, d=5)
    x, x_np, info = _solve_both(A, b, method=method, rng=3)
    assert info.method == ("precondition" if method == "precondition" else "exact")
    A64, b64 = A.astype(np.float64), b.astype(np.float64)
    x_ref = scipy.linalg.lstsq(A64, b64, lapack_driver="gelsd")[0]
    cols = zip(_columns(x), _columns(x_np), _columns(x_ref), _columns(b64), strict=True)
    for xj, xj_np, xj_ref, bj in cols:
        bound = dense_bound(A64, bj, xj_ref, 10.0, 1e-10, u=np.finfo(dtype).eps)
        assert np.linalg.norm(xj - xj_np) <= 2 * bound * np.linalg.norm(xj_ref)


@pytest.mark.parametrize("nrhs", [1, 2])
@pytest.mark.parametrize(
    "method, kind",
    [("precondition", k) for k in ("sparse_sign", "countsketch", "gaussian", "srht")]
    + [("sketch", "sparse_sign"), ("linf", "srht")],
)
def test_zero_data_stays_on_device(method, kind, nrhs):
    # b = 0 gives x = 0 exactly (A^T 0 = 0 in the first sweep); A = 0 makes
    # the sketch zero, and x = 0 is made from nothing: both on device1
    A, b = _device_problem(np.float64, False, nrhs, 10.0, 1e-2)
    for A_, b_ in ((A, np.zeros_like(b)), (np.zeros_like(A), b)):
        x, x_np, _ = _solve_both(A_, b_, method=method, sketch=kind, rng=0)
        np.testing.assert_array_equal(x, np.zeros_like(x_np))
        np.testing.assert_array_equal(x_np, np.zeros_like(x_np))


# A dense A is checked for NaN/Inf through its sketch S A: every sketch
# carries a non-finite entry of a column of A into that column of S A (a
# +-1 butterfly, a nonzero Gaussian or sign coefficient). Every method,
# sketch, position and kind of non-finite value must still be reported,
# naming A; a finite A is never rejected.
@pytest.mark.parametrize(
    "method, sketch",
    [("precondition", None), ("precondition", "countsketch"), ("precondition", "gaussian"),
     ("precondition", "srht"), ("sketch", None), ("sketch", "gaussian"), ("linf", None)],
)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_A_found_through_the_sketch(method, sketch, bad, engine):
    rng = np.random.default_rng(7)
    n, d = 600, 6
    for trial in range(4):
        A = rng.standard_normal((n, d))
        A[rng.integers(n), rng.integers(d)] = bad
        with nla.config(engine=engine), pytest.raises(ValueError, match="A must not contain NaN"):
            nla.lstsq(A, np.ones(n), method=method, sketch=sketch, rng=trial)


# ---------------------------------------------------------------------------
# conventions: package layout, shared warning, rcond, engine, sketch plan
# ---------------------------------------------------------------------------


def test_package_is_least_squares_and_lstsq_the_function():
    import importlib

    import nla._backend
    import nla.least_squares as pkg

    assert pkg.lstsq is nla.lstsq and callable(nla.lstsq)
    assert pkg.LstsqInfo is nla.LstsqInfo
    # one warning class, the backend's, under every public name
    assert pkg.ConvergenceWarning is nla.ConvergenceWarning is nla._backend.ConvergenceWarning
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("nla.lstsq")


def test_rcond_validated_and_applied():
    A = np.ones((10, 3)) + np.eye(10, 3)
    b = np.ones(10)
    for bad in (1.0, 1.5, -1e-3):
        with pytest.raises(ValueError, match="rcond"):
            nla.lstsq(A, b, rcond=bad)
    with pytest.raises(TypeError, match="rcond"):
        nla.lstsq(A, b, rcond="1e-3")
    # singular values 1, 0.5, 1e-6 (well separated from any sketch's
    # distortion): a cut at 1e-3 keeps two directions in every method, the
    # default cut (m u) keeps all three, rcond=0 keeps every nonzero one
    rng = np.random.default_rng(14)
    n, d = 3000, 3
    A = (random_orthogonal(rng, n, d) * np.array([1.0, 0.5, 1e-6])) @ random_orthogonal(rng, d).T
    b = rng.standard_normal(n)
    for method in ("precondition", "sketch", "linf"):
        for rcond, rank in ((1e-3, 2), (None, 3), (0.0, 3)):
            _, info = nla.lstsq(A, b, method=method, rcond=rcond, rng=0, return_info=True)
            assert info.rank == rank, (method, rcond)
    # the cut gives the truncated-SVD solution, up to the angle between the
    # kept right singular subspaces of S A and of A: by Wedin's theorem at
    # most about s_3 / s_2 times the sketch's distortion (<= 3), so 30 s_3 /
    # s_2 = 6e-5; keeping the third direction would be off by ~1e6
    x = nla.lstsq(A, b, rcond=1e-3, rng=0)
    x_ref = scipy.linalg.lstsq(A, b, cond=1e-3)[0]
    assert np.linalg.norm(x - x_ref) <= 30 * (1e-6 / 0.5) * np.linalg.norm(x_ref)


def test_engine_validated_and_passed_to_the_sketch(monkeypatch):
    import nla.least_squares._api as api

    A, b = problem(np.random.default_rng(15), 800, 6, 10.0, 1e-2)
    with pytest.raises(ValueError, match="engine"):
        nla.lstsq(A, b, engine="fortran")
    seen = []
    make = api.make_sketch

    def spying_make_sketch(*args, **kwargs):
        S = make(*args, **kwargs)
        apply = S.apply

        def spying_apply(X, **kw):
            seen.append(kw.get("engine"))
            return apply(X, **kw)

        monkeypatch.setattr(S, "apply", spying_apply)
        return S

    monkeypatch.setattr(api, "make_sketch", spying_make_sketch)
    for method in ("precondition", "sketch", "linf"):
        seen.clear()
        x = nla.lstsq(A, b, method=method, engine="numpy", rng=2)
        assert seen and set(seen) == {"numpy"}, method
        with nla.config(engine="numpy"):
            np.testing.assert_array_equal(x, nla.lstsq(A, b, method=method, rng=2))


def test_engine_keyword_agrees_with_config(engine):
    A, b = problem(np.random.default_rng(16), 1500, 10, 1e3, 1e-2)
    for method in ("precondition", "sketch", "linf"):
        with nla.config(engine=engine):
            x_cfg = nla.lstsq(A, b, method=method, rng=3)
        np.testing.assert_array_equal(nla.lstsq(A, b, method=method, engine=engine, rng=3), x_cfg)


@pytest.mark.parametrize("sketch_size", [None, 150])
def test_srht_size_capped_at_n(sketch_size):
    # an SRHT has at most n rows: with n = 100 < 4 d = 160 (or a requested
    # 150) "precondition" uses 100; "sketch" asks for 121 rows, not fewer
    # than n, so it runs the exact solver
    A, b = problem(np.random.default_rng(17), 100, 40, 10.0, 1e-2)
    x, info = nla.lstsq(A, b, sketch="srht", sketch_size=sketch_size, rng=0, return_info=True)
    assert (info.method, info.sketch, info.sketch_size) == ("precondition", "srht", 100)
    x_ref = scipy.linalg.lstsq(A, b)[0]
    np.testing.assert_allclose(x, x_ref, rtol=1e-9)
    _, info = nla.lstsq(A, b, method="sketch", sketch="srht", rng=0, return_info=True)
    assert (info.method, info.sketch, info.sketch_size) == ("exact", "sparse_sign", 160)


def test_sparse_A_needs_numpy_b():
    torch = pytest.importorskip("torch")
    A = sp.random(50, 4, density=0.3, random_state=0, format="csr") + sp.eye(50, 4)
    with pytest.raises(TypeError, match="b must be a NumPy array when A is a scipy.sparse"):
        nla.lstsq(A, torch.ones(50, dtype=torch.float64))


def test_cupyx_sparse_A_rejected_naming_A(monkeypatch):
    """A cupyx.scipy.sparse A gets a TypeError naming A before anything else.

    cupyx is stood in for by a module that recognises one marker class: the
    backend asks ``sys.modules["cupyx.scipy.sparse"].issparse`` (only when
    cupyx is loaded), so the check runs here without a GPU.
    """
    import sys
    import types

    class FakeCupySparse:
        shape = (50, 4)

    fake = types.ModuleType("cupyx.scipy.sparse")
    fake.issparse = lambda x: isinstance(x, FakeCupySparse)
    monkeypatch.setitem(sys.modules, "cupyx.scipy.sparse", fake)
    with pytest.raises(TypeError, match=r"^A is a cupyx\.scipy\.sparse matrix"):
        nla.lstsq(FakeCupySparse(), np.ones(50))


# ---------------------------------------------------------------------------
# torch CPU tensors: the stand-in for array libraries without
# __array_namespace__ (CuPy's ndarray has none either); skipped without torch
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("nrhs", [1, 2])
@pytest.mark.parametrize("method", ["precondition", "sketch", "linf"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_torch_cpu(dtype, method, nrhs):
    torch = pytest.importorskip("torch")
    A, b = _device_problem(dtype, False, nrhs, 100.0, 1e-2, n=700, d=6)
    x, info = nla.lstsq(torch.asarray(A), torch.asarray(b), method=method, rng=1,
                        return_info=True)
    x_np, info_np = nla.lstsq(A, b, method=method, rng=1, return_info=True)
    assert isinstance(x, torch.Tensor) and x.device.type == "cpu"
    assert x.dtype == getattr(torch, np.dtype(dtype).name) and tuple(x.shape) == x_np.shape
    if nrhs == 2:
        assert isinstance(info.residual_norm, torch.Tensor)
    else:
        assert isinstance(info.residual_norm, float)
    assert (info.method, info.sketch, info.sketch_size, info.rank) == (
        info_np.method, info_np.sketch, info_np.sketch_size, info_np.rank)
    # same sketch (same rng) and the same algorithm up to the route (NumPy
    # may take the semi-normal one): within twice the accuracy bound of each
    u = np.finfo(dtype).eps
    A64, b64 = A.astype(np.float64), b.astype(np.float64)
    if method == "precondition":
        x_ref = scipy.linalg.lstsq(A64, b64, lapack_driver="gelsd")[0]
        for xj, xj_np, xj_ref, bj in zip(_columns(to_host(x)), _columns(x_np), _columns(x_ref),
                                         _columns(b64), strict=True):
            bound = dense_bound(A64, bj, xj_ref, 100.0, 1e-10, u=u)
            assert np.linalg.norm(xj - xj_np) <= 2 * bound * np.linalg.norm(xj_ref)
    else:
        S = nla.sketch.make_sketch(info.sketch, A.shape[0], info.sketch_size,
                                   rng=np.random.default_rng(1), dtype=dtype)
        S = S.to_dense().astype(np.float64)
        SA = S @ A64
        s = scipy.linalg.svdvals(SA)
        for xj, xj_np, bj in zip(_columns(to_host(x)), _columns(x_np), _columns(b64), strict=True):
            xj_S = scipy.linalg.lstsq(SA, S @ bj, lapack_driver="gelsd")[0]
            bound = _sketched_bound(S, A64, bj, xj_S, s[0] / s[-1], u)
            assert np.linalg.norm(xj - xj_np) <= 2 * bound * np.linalg.norm(xj_S)
