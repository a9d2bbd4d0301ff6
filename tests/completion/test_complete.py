"""Tests of nla.complete / nla.complete_sparse and the Completion result."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import nla
from nla.completion._altmin import Problem, half_step, make_layout
from tests.completion._build import low_rank, rel_err, sample

METHODS = ("robust-altmin", "altmin")
EPS64 = np.finfo(np.float64).eps


def _problem(seed, m=300, n=200, k=4, fraction=0.2):
    rng = np.random.default_rng(seed)
    M = low_rank(rng, m, n, k)
    r, c = sample(rng, (m, n), fraction)
    return M, r, c


# ------------------------------------------------------------- exact recovery


@pytest.mark.parametrize("method", METHODS)
def test_exact_recovery(method, engine):
    """|Omega| = 12,000 uniform samples, 6x the k (m + n - k) degrees of freedom."""
    M, r, c = _problem(0)
    f = nla.complete(r, c, M[r, c], M.shape, 4, method=method, tol=1e-12, maxiter=200,
                     rng=1, engine=engine)
    assert f.converged
    assert rel_err(f.to_dense(), M) <= 1e-6


@pytest.mark.parametrize("method", METHODS)
def test_exact_recovery_at_the_size_of_the_issue(method):
    """2000 x 1500, k = 8, |Omega| = 2 (m + n) k log n uniform samples (about
    15x the degrees of freedom), the whole matrix to 1e-6."""
    m, n, k = 2000, 1500, 8
    rng = np.random.default_rng(17)
    M = low_rank(rng, m, n, k)
    keys = rng.choice(m * n, int(2 * (m + n) * k * np.log(n)), replace=False)
    r, c = np.divmod(keys, n)
    f = nla.complete(r, c, M[r, c], (m, n), k, method=method, tol=1e-12, maxiter=300, rng=0)
    assert f.converged
    assert rel_err(f.to_dense(), M) <= 1e-6


@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 4), m=st.integers(40, 90),
       n=st.integers(40, 90))
def test_recovery_of_constructed_problems(seed, k, m, n):
    """Half of the entries of an incoherent rank-k matrix (>= 4x its degrees of freedom)."""
    rng = np.random.default_rng(seed)
    M = low_rank(rng, m, n, k)
    r, c = sample(rng, (m, n), 0.5)
    f = nla.complete(r, c, M[r, c], M.shape, k, method="altmin", tol=1e-12, maxiter=300,
                     rng=seed)
    assert rel_err(f.to_dense(), M) <= 1e-6


def test_float32_is_kept_and_recovers_to_float32_accuracy():
    M, r, c = _problem(2, 120, 80, 3, 0.4)
    f = nla.complete(r, c, M[r, c].astype(np.float32), M.shape, 3, tol=1e-7, maxiter=200,
                     rng=0)
    assert f.U.dtype == f.V.dtype == f.to_dense().dtype == np.float32
    assert f.predict(r[:5], c[:5]).dtype == np.float32
    assert rel_err(f.to_dense().astype(np.float64), M) <= 1e-4


# -------------------------------------------------------- monotone objective


@pytest.mark.parametrize("weights", ["none", "count"])
@given(seed=st.integers(0, 2**32 - 1), reg=st.floats(1e-3, 10.0))
def test_altmin_objective_never_increases(weights, seed, reg):
    """Each exact half-step minimizes the objective over one block: it cannot rise
    (up to the rounding of its evaluation, |Omega| eps relative)."""
    rng = np.random.default_rng(seed)
    M = low_rank(rng, 50, 40, 3) + 0.3 * rng.standard_normal((50, 40))
    r, c = sample(rng, M.shape, 0.4)
    f = nla.complete(r, c, M[r, c], M.shape, 3, method="altmin", reg=reg, reg_weights=weights,
                     biases=True, tol=0.0, maxiter=15, init="random", rng=seed)
    obj = np.array([h.objective for h in f.history])
    slack = r.size * EPS64 * obj[:-1]
    assert np.all(np.diff(obj) <= slack)


# ----------------------------------------------- O(delta) robustness property


def _state_after_one_sweep(seed):
    rng = np.random.default_rng(seed)
    M = low_rank(rng, 80, 60, 3)
    r, c = sample(rng, M.shape, 0.4)
    f = nla.complete(r, c, M[r, c], M.shape, 3, method="altmin", tol=0.0, maxiter=1, rng=seed)
    return M, r, c, f


def _exact_half_step(U, r, c, vals, n):
    prob = Problem("altmin", 0.0, 0.0, False, 1, "numpy")
    lay = make_layout(c, r, n)
    V, _ = half_step(prob, lay, vals, np.zeros((n, U.shape[1])), None, U, None, 0.0)
    return V


@given(seed=st.integers(0, 2**16), log_delta=st.floats(-8.0, -2.0))
def test_inexact_row_solves_move_the_next_iterate_by_order_delta(seed, log_delta):
    """Perturb every row of U by a relative error delta (what an inexact solve
    leaves): the next exact half-step moves by at most L delta, with L the
    first-order constant measured at delta = 1e-9 (a linear, not sqrt(delta),
    dependence), up to a factor 2 for the second-order term."""
    M, r, c, f = _state_after_one_sweep(seed)
    U, n, vals = f.U, M.shape[1], M[r, c]
    E = np.random.default_rng(seed + 1).standard_normal(U.shape)
    E *= (np.linalg.norm(U, axis=1) / np.linalg.norm(E, axis=1))[:, None]
    V0 = _exact_half_step(U, r, c, vals, n)

    def moved(delta):
        V = _exact_half_step(U + delta * E, r, c, vals, n)
        return np.linalg.norm(V - V0) / np.linalg.norm(V0)

    L = moved(1e-9) / 1e-9
    delta = 10.0**log_delta
    assert moved(delta) <= 2 * L * delta + 1e3 * EPS64


def test_robust_half_step_with_d_cg_steps_is_the_exact_solve():
    """CG on a d x d system ends at the solution after d steps (to rounding)."""
    M, r, c, f = _state_after_one_sweep(3)
    n, vals = M.shape[1], M[r, c]
    lay = make_layout(c, r, n)
    exact = _exact_half_step(f.U, r, c, vals, n)
    prob = Problem("robust-altmin", 0.0, 0.0, False, 3, "numpy")
    V, _ = half_step(prob, lay, vals, np.zeros_like(exact), None, f.U, None, 0.0)
    assert rel_err(V, exact) <= 1e-8


def test_robust_and_exact_reach_the_same_completion():
    M, r, c = _problem(4, 150, 100, 3, 0.3)
    a = nla.complete(r, c, M[r, c], M.shape, 3, method="altmin", tol=1e-12, rng=0)
    b = nla.complete(r, c, M[r, c], M.shape, 3, method="robust-altmin", tol=1e-12, rng=0)
    assert rel_err(b.to_dense(), a.to_dense()) <= 1e-8


# ------------------------------------------------------------ engines, rng


@pytest.mark.parametrize("method", METHODS)
def test_numba_engine_equals_numpy_reference(method):
    if "numba" not in nla.available_engines():
        pytest.skip("numba is not installed")
    M, r, c = _problem(5, 60, 50, 3, 0.5)
    kw = dict(method=method, reg=0.1, biases=True, tol=0.0, maxiter=10, rng=0)
    a = nla.complete(r, c, M[r, c], M.shape, 3, engine="numpy", **kw)
    b = nla.complete(r, c, M[r, c], M.shape, 3, engine="numba", **kw)
    # ten contractive sweeps of the same map: rounding differences stay at
    # the level of the conditioning of the row solves
    assert rel_err(b.to_dense(), a.to_dense()) <= 1e-10


@pytest.mark.parametrize("method", METHODS)
def test_same_rng_same_bits(method):
    M, r, c = _problem(6, 60, 50, 3, 0.3)
    kw = dict(method=method, validation=0.2, tol=0.0, maxiter=10, rng=11)
    a = nla.complete(r, c, M[r, c], M.shape, 3, **kw)
    b = nla.complete(r, c, M[r, c], M.shape, 3, **kw)
    np.testing.assert_array_equal(a.U, b.U)
    np.testing.assert_array_equal(a.V, b.V)


# ------------------------------------------------------ outside references


def test_fully_observed_fit_is_the_truncated_svd():
    """With every entry observed and reg = 0, the minimizer is the best rank-k
    approximation (Eckart-Young), here with a gap sigma_3 / sigma_4 = 4."""
    rng = np.random.default_rng(8)
    Q1, _ = np.linalg.qr(rng.standard_normal((40, 6)))
    Q2, _ = np.linalg.qr(rng.standard_normal((30, 6)))
    A = (Q1 * np.array([8.0, 6.0, 4.0, 1.0, 0.5, 0.2])) @ Q2.T
    U, s, Vt = np.linalg.svd(A)
    best = (U[:, :3] * s[:3]) @ Vt[:3]
    f = nla.complete_sparse(A, 3, method="altmin", tol=1e-14, maxiter=500, rng=0)
    assert rel_err(f.to_dense(), best) <= 1e-8


def test_altmin_half_step_matches_per_row_ridge_by_lstsq():
    rng = np.random.default_rng(9)
    m, n, k, reg = 20, 15, 3, 0.7
    r, c = sample(rng, (m, n), 0.5)
    vals = rng.standard_normal(r.size)
    U = rng.standard_normal((m, k))
    prob = Problem("altmin", reg, reg, False, 1, "numpy")
    V, _ = half_step(prob, make_layout(c, r, n), vals, np.zeros((n, k)), None, U, None, 0.0)
    for j in range(n):
        sel = c == j
        A = np.vstack([U[r[sel]], np.sqrt(reg) * np.eye(k)])
        b = np.concatenate([vals[sel], np.zeros(k)])
        want = np.linalg.lstsq(A, b, rcond=None)[0]
        np.testing.assert_allclose(V[j], want, rtol=1e-10, atol=1e-12)


# --------------------------------------------------------- documented rules


def test_duplicate_pairs_raise_naming_them():
    with pytest.raises(ValueError, match="duplicate"):
        nla.complete([0, 1, 0], [2, 0, 2], [1.0, 2.0, 3.0], (3, 3), 1)


def test_complete_sparse_sums_duplicates_and_keeps_explicit_zeros():
    rng = np.random.default_rng(10)
    M = low_rank(rng, 30, 20, 2)
    r, c = sample(rng, M.shape, 0.6)
    vals = M[r, c].copy()
    vals[::7] = 0.0  # explicit zeros: observed values 0
    dup = sp.coo_array((np.concatenate([vals / 2, vals - vals / 2]),
                        (np.concatenate([r, r]), np.concatenate([c, c]))), shape=M.shape)
    a = nla.complete_sparse(dup, 2, tol=0.0, maxiter=20, rng=0)
    b = nla.complete(r, c, vals, M.shape, 2, tol=0.0, maxiter=20, rng=0)
    np.testing.assert_allclose(a.to_dense(), b.to_dense(), rtol=0, atol=1e-12)
    assert dup.nnz == 2 * r.size  # the input was not modified


def test_unobserved_rows_and_columns_get_zero_factors():
    rng = np.random.default_rng(11)
    M = low_rank(rng, 30, 20, 2)
    r, c = sample(rng, M.shape, 0.7)
    keep = (r != 4) & (c != 7)
    for biases in (False, True):
        f = nla.complete(r[keep], c[keep], M[r[keep], c[keep]], M.shape, 2, biases=biases,
                         reg=0.1, tol=0.0, maxiter=30, rng=0)
        assert np.all(f.U[4] == 0) and np.all(f.V[7] == 0)
        D = f.to_dense()
        assert np.all(np.isfinite(D))
        if biases:
            assert f.row_bias[4] == 0 and f.col_bias[7] == 0
            np.testing.assert_allclose(D[4, 7], f.mean)


def test_empty_observations_give_the_zero_model():
    f = nla.complete([], [], np.array([]), (5, 4), 2)
    assert f.converged and not np.any(f.to_dense())
    g = nla.complete_sparse(sp.csr_array((5, 4)), 2)
    assert not np.any(g.to_dense())


def test_validation_early_stopping_returns_the_best_sweep():
    rng = np.random.default_rng(12)
    M = low_rank(rng, 80, 60, 3)
    noisy = M + 0.5 * rng.standard_normal(M.shape)
    r, c = sample(rng, M.shape, 0.3)
    seen = []
    f = nla.complete(r, c, noisy[r, c], M.shape, 8, method="altmin", validation=0.2,
                     patience=2, maxiter=100, tol=0.0, rng=0,
                     callback=lambda it, info: seen.append((it, info.val_rmse)))
    vals = [v for _, v in seen]
    assert f.converged and [it for it, _ in seen] == list(range(1, f.n_iter + 1))
    assert f.best_iter == 1 + int(np.argmin(vals))
    assert f.n_iter - f.best_iter == 2
    # the returned factors are the best sweep's: their held-out error is the minimum
    assert f.history[f.best_iter - 1].val_rmse == min(vals)


def test_maxiter_without_convergence_warns():
    M, r, c = _problem(13, 60, 50, 3, 0.3)
    with pytest.warns(nla.ConvergenceWarning):
        f = nla.complete(r, c, M[r, c], M.shape, 3, tol=1e-14, maxiter=2, rng=0)
    assert not f.converged and f.n_iter == 2


def test_tol_zero_runs_maxiter_sweeps_quietly():
    M, r, c = _problem(13, 60, 50, 3, 0.3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = nla.complete(r, c, M[r, c], M.shape, 3, tol=0.0, maxiter=4, rng=0)
    assert f.converged and f.n_iter == 4 and len(f.history) == 4


def test_to_dense_refuses_above_the_limit_and_names_predict():
    M, r, c = _problem(14, 30, 20, 2, 0.5)
    f = nla.complete(r, c, M[r, c], M.shape, 2, rng=0)
    with pytest.raises(ValueError, match="predict"):
        f.to_dense(max_bytes=100)


def test_user_init_and_sample_splitting_and_scaling():
    M, r, c = _problem(15, 60, 50, 2, 0.6)
    rng = np.random.default_rng(0)
    U0, V0 = rng.standard_normal((60, 2)), rng.standard_normal((50, 2))
    f = nla.complete(r, c, M[r, c], M.shape, 2, method="altmin", init=(U0, V0), tol=1e-12,
                     maxiter=300, rng=0)
    assert rel_err(f.to_dense(), M) <= 1e-6
    g = nla.complete(r, c, M[r, c], M.shape, 2, split_samples=True, maxiter=5, tol=0.0,
                     rng=0)
    assert np.all(np.isfinite(g.to_dense()))
    # values scaled by a power of two: factors scale exactly
    h1 = nla.complete(r, c, M[r, c], M.shape, 2, tol=0.0, maxiter=5, rng=0)
    h2 = nla.complete(r, c, M[r, c] * 2.0**-600, M.shape, 2, tol=0.0, maxiter=5, rng=0)
    np.testing.assert_array_equal(h2.to_dense(), h1.to_dense() * 2.0**-600)


@pytest.mark.parametrize("bad, match", [
    (dict(rows=[0, 5]), "rows"),
    (dict(cols=[0, -1]), "cols"),
    (dict(values=[1.0, np.nan]), "values"),
    (dict(values=[1.0, np.inf]), "values"),
    (dict(rank=0), "rank"),
    (dict(rank=4), "rank"),
    (dict(values=[1.0]), "values"),
    (dict(rows=[0.0, 1.0]), "rows"),
])
def test_bad_input_messages(bad, match):
    kw = dict(rows=[0, 1], cols=[0, 1], values=[1.0, 2.0], shape=(3, 3), rank=1)
    kw.update(bad)
    with pytest.raises((ValueError, TypeError), match=match):
        nla.complete(**kw)


# ---------------------------------------------------------------- tuning


def test_tune_complete_finds_the_rank_and_refits_on_all_entries():
    rng = np.random.default_rng(16)
    M = low_rank(rng, 80, 60, 3)
    noisy = M + 0.05 * rng.standard_normal(M.shape)
    r, c = sample(rng, M.shape, 0.5)
    t = nla.tune_complete(r, c, noisy[r, c], M.shape, ranks=(1, 3, 8), regs=(0.0, 0.01),
                          biases=False, maxiter=30, rng=0)
    assert t.rank == 3
    assert len(t.scores) == 6
    best = min(t.scores, key=lambda s: s.val_rmse)
    assert (best.rank, best.reg, best.best_iter) == (t.rank, t.reg, t.maxiter)
    assert t.completion.rank == 3 and t.completion.n_iter == t.maxiter
    # the refit sees every entry: its training error is over all of them
    assert rel_err(t.completion.to_dense(), M) < 0.1


def test_tune_complete_validates_its_grids():
    with pytest.raises(ValueError, match="ranks"):
        nla.tune_complete([0, 1], [0, 1], [1.0, 2.0], (3, 3), ranks=(4,))
    with pytest.raises(ValueError, match="regs"):
        nla.tune_complete([0, 1], [0, 1], [1.0, 2.0], (3, 3), ranks=(1,), regs=())
