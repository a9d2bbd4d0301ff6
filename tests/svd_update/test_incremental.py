"""Tests of nla.IncrementalSVD: exactness, sparse == dense, transposition,
orthogonality over many updates, reproducibility, bad input, no densifying."""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import nla
from tests.svd_update._build import (
    METHODS,
    SPECTRUM,
    as_form,
    defect,
    dense_product,
    exact_bound,
    low_rank,
    planted,
)

EPS = float(np.finfo(np.float64).eps)
K = SPECTRUM.size


def _rows(model, A, start, step, sparse):
    for i in range(start, A.shape[0], step):
        model.add_rows(as_form(A[i : i + step], sparse))
    return model


def _cols(model, A, start, step, sparse):
    for j in range(start, A.shape[1], step):
        model.add_columns(as_form(A[:, j : j + step], sparse))
    return model


def _assert_exact(model, A, s=SPECTRUM):
    bound = exact_bound(EPS, max(A.shape), s)
    err = np.linalg.norm(dense_product(model) - A) / np.linalg.norm(A)
    assert err <= bound, f"reconstruction error {err:.3g} > {bound:.3g}"
    ref = np.linalg.svd(A, compute_uv=False)[: model.k]
    assert np.max(np.abs(model.s - ref)) <= bound * ref[0]
    assert defect(model.U) <= 4096 * EPS and defect(model.Vt.T) <= 4096 * EPS


# ------------------------------------------------------------ exact updates


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_add_rows_exact(method, sparse):
    A = low_rank(np.random.default_rng(0), 70, 40)
    model = nla.IncrementalSVD(K, method=method, rng=1).fit(A[:20])
    _assert_exact(_rows(model, A, 20, 9, sparse), A)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_add_columns_exact(method, sparse):
    A = low_rank(np.random.default_rng(1), 40, 70)
    model = nla.IncrementalSVD(K, method=method, rng=1).fit(A[:, :15])
    _assert_exact(_cols(model, A, 15, 11, sparse), A)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_update_exact(method, sparse):
    rng = np.random.default_rng(2)
    A = low_rank(rng, 50, 30, SPECTRUM[:3])
    D, E = rng.standard_normal((50, 2)), rng.standard_normal((30, 2))
    model = nla.IncrementalSVD(K, method=method).fit(A)
    model.update(as_form(D, sparse), as_form(E, sparse))
    B = A + D @ E.T
    _assert_exact(model, B, np.linalg.svd(B, compute_uv=False)[:K])


def test_fit_matches_numpy_svd():
    """The Krylov start (a matrix too large for the dense path) against LAPACK."""
    rng = np.random.default_rng(3)
    A = planted(rng, 300, 200, noise=1e-6)
    model = nla.IncrementalSVD(K, rng=0).fit(A)
    ref = np.linalg.svd(A, compute_uv=False)[:K]
    # the part of A outside the top-K space has norm ~ 1e-6 sqrt(mn): Krylov
    # with 4 blocks resolves the spectrum to far below that
    np.testing.assert_allclose(model.s, ref, rtol=1e-10)


# ------------------------------------------------------------ agreement


@pytest.mark.parametrize("method", METHODS)
def test_sparse_path_equals_dense_path(method):
    rng = np.random.default_rng(4)
    A = planted(rng, 60, 45)
    out = []
    for sparse in (False, True):
        model = nla.IncrementalSVD(K, method=method, rng=7).fit(A[:25])
        _rows(model, A, 25, 7, sparse)
        out.append(dense_product(model))
    # same rule, same draws: the two differ by rounding, amplified by the
    # sensitivity of each truncation (sigma_1 / gap = 5 / (1 - noise level))
    bound = 10 * max(A.shape) * EPS * (SPECTRUM[0] / 0.9) ** 2
    assert np.linalg.norm(out[0] - out[1]) <= bound * np.linalg.norm(out[0])


@pytest.mark.parametrize("method", METHODS)
def test_add_columns_is_add_rows_of_transpose(method):
    rng = np.random.default_rng(5)
    A = planted(rng, 40, 60)
    E = rng.standard_normal((40, 6))
    cols = nla.IncrementalSVD(K, method=method, rng=3).fit(A).add_columns(E)
    rows = nla.IncrementalSVD(K, method=method, rng=3).fit(A.T).add_rows(E.T)
    bound = 10 * 66 * EPS * (SPECTRUM[0] / 0.9) ** 2
    diff = np.linalg.norm(dense_product(cols) - dense_product(rows).T)
    assert diff <= bound * np.linalg.norm(dense_product(cols))
    np.testing.assert_allclose(cols.s, rows.s, rtol=bound)


def test_methods_agree_with_zha_simon_when_not_exact():
    """On a full-rank matrix every rule truncates the same augmented matrix
    when the batch fits in the residual basis, so all equal Zha-Simon."""
    rng = np.random.default_rng(6)
    A = planted(rng, 50, 40, noise=1e-2)
    ref = _rows(nla.IncrementalSVD(K, method="zha-simon").fit(A[:20]), A, 20, 3, False)
    for method in ("sparse", "vecharynski-saad", "rpi"):
        got = _rows(nla.IncrementalSVD(K, method=method, width=3, rng=0).fit(A[:20]),
                    A, 20, 3, False)
        np.testing.assert_allclose(got.s, ref.s, rtol=1e-9, err_msg=method)


# ------------------------------------------------------------ orthogonality


@pytest.mark.parametrize("method", ["sparse", "zha-simon"])
def test_orthogonality_after_2000_updates(method):
    rng = np.random.default_rng(8)
    n, k = 12, 3
    A = planted(rng, 2010, n, SPECTRUM[:k], noise=1e-2)
    model = nla.IncrementalSVD(k, method=method).fit(A[:10])
    worst = 0.0
    for i in range(10, A.shape[0]):
        model.add_rows(A[i : i + 1])
        worst = max(worst, defect(model._V))
    # the rule keeps the measured defect below orth_tol = 4096 eps; the
    # tracked side is off its estimate by at most the rounding of one
    # update, eps (k + 1)
    tol = 4096 * EPS + EPS * (k + 1)
    assert defect(model.U) <= tol and defect(model.Vt.T) <= tol and worst <= tol
    ref = np.linalg.svd(A, compute_uv=False)[:k]
    assert np.all(np.abs(model.s - ref) <= 0.05 * ref)  # truncation error, noise 1e-2


def test_reorthonormalization_keeps_the_product():
    rng = np.random.default_rng(9)
    A = low_rank(rng, 200, 30)
    loose = _rows(nla.IncrementalSVD(K).fit(A[:20]), A, 20, 1, False)
    tight = _rows(nla.IncrementalSVD(K, orth_tol=1e-15).fit(A[:20]), A, 20, 1, False)
    assert tight.n_reorth > loose.n_reorth
    _assert_exact(tight, A)


# ------------------------------------------------------------ options


def test_buffer_reports_k_and_helps():
    rng = np.random.default_rng(10)
    A = planted(rng, 120, 50, noise=0.3)
    ref = np.linalg.svd(A, compute_uv=False)[:K]
    errs = []
    for p in (0, 10):
        model = _rows(nla.IncrementalSVD(K, buffer=p).fit(A[:30]), A, 30, 10, False)
        assert model.U.shape == (120, K) and model.s.shape == (K,) and model.Vt.shape == (K, 50)
        errs.append(np.max(np.abs(model.s - ref) / ref))
    assert errs[1] < errs[0]


def test_refine_recovers_truncation_loss():
    rng = np.random.default_rng(11)
    A = planted(rng, 150, 60, noise=0.3)
    model = _rows(nla.IncrementalSVD(K).fit(A[:30]), A, 30, 10, False)
    ref = np.linalg.svd(A, compute_uv=False)[:K]
    before = np.max(np.abs(model.s - ref) / ref)
    after = np.max(np.abs(model.refine(A, n_iter=3).s - ref) / ref)
    assert after < before / 2
    assert defect(model.U) <= 4096 * EPS


def test_sklearn_habits():
    rng = np.random.default_rng(12)
    X = planted(rng, 60, 20)
    model = nla.IncrementalSVD(K)
    for i in range(0, 60, 20):
        model.partial_fit(X[i : i + 20])
    assert model.n_features_in_ == 20
    np.testing.assert_array_equal(model.components_, model.Vt)
    np.testing.assert_array_equal(model.singular_values_, model.s)
    Z = model.transform(X)
    np.testing.assert_allclose(Z, X @ model.Vt.T, rtol=1e-13, atol=1e-13 * np.linalg.norm(X))
    # on the rows seen, the coordinates are U S up to the part of X outside
    # the top-K space (noise 1e-3 per entry, so ~1e-3 sqrt(n) per row)
    assert np.max(np.abs(Z - model.U * model.s)) <= 1e-3 * 20
    np.testing.assert_allclose(model.transform(sp.csr_array(X)), Z, rtol=1e-12)


def test_from_svd_sorts_and_continues():
    rng = np.random.default_rng(13)
    A = low_rank(rng, 40, 30)
    U, s, Vt = np.linalg.svd(A[:20], full_matrices=False)
    perm = np.array([2, 0, 4, 1, 3])
    model = nla.IncrementalSVD.from_svd(U[:, perm], s[perm], Vt[perm], method="zha-simon")
    assert np.all(np.diff(model.s) <= 0) and model.method == "zha-simon"
    _assert_exact(model.add_rows(A[20:]), A)


def test_factors_are_read_only_views():
    model = nla.IncrementalSVD(2).fit(np.eye(4))
    with pytest.raises(ValueError):
        model.U[0, 0] = 1.0


# ------------------------------------------------------------ hypothesis


@st.composite
def _problems(draw):
    m = draw(st.integers(8, 40))
    n = draw(st.integers(6, 30))
    rank = draw(st.integers(1, min(5, m // 2, n)))
    k = draw(st.integers(rank, min(m // 2, n)))
    decay = draw(st.floats(0.0, 1.0))
    s = np.logspace(0, -decay, rank)
    batches = draw(st.lists(st.integers(0, 9), min_size=1, max_size=4))
    seed = draw(st.integers(0, 2**32 - 1))
    return m, n, k, s, batches, seed


@given(_problems(), st.sampled_from(METHODS), st.booleans(), st.booleans())
def test_property_exact_and_reproducible(problem, method, sparse, single):
    m, n, k, s, batches, seed = problem
    rng = np.random.default_rng(seed)
    dtype = np.float32 if single else np.float64
    start = m // 2
    A = low_rank(rng, m + sum(batches), n, s)
    runs = []
    for _ in range(2):
        model = nla.IncrementalSVD(k, method=method, rng=seed).fit(A[:start].astype(dtype))
        i = start
        for b in batches:
            model.add_rows(as_form(A[i : i + b].astype(dtype), sparse))
            i += b
        runs.append(model)
    for name in ("U", "s", "Vt"):
        assert getattr(runs[0], name).dtype == dtype
        np.testing.assert_array_equal(getattr(runs[0], name), getattr(runs[1], name))
    B = A[:i]
    eps = float(np.finfo(dtype).eps)
    bound = exact_bound(eps, max(B.shape), s)
    err = np.linalg.norm(dense_product(runs[0]) - B) / np.linalg.norm(B)
    assert err <= bound
    assert defect(runs[0].U) <= 4096 * eps + eps * (k + 10)


# ------------------------------------------------------------ bad input


def test_bad_input():
    A = low_rank(np.random.default_rng(14), 20, 10)
    with pytest.raises(ValueError, match="not fitted"):
        nla.IncrementalSVD(2).add_rows(A)
    with pytest.raises(ValueError, match="not fitted"):
        nla.IncrementalSVD(2).update(A[:, :1], A[:1].T)
    with pytest.raises(ValueError, match=r"\bk\b"):
        nla.IncrementalSVD(11).fit(A)
    model = nla.IncrementalSVD(2).fit(A)
    with pytest.raises(ValueError, match=r"\bE\b"):
        model.add_rows(np.ones((2, 9)))
    with pytest.raises(ValueError, match=r"\bE\b"):
        model.add_columns(np.ones((19, 2)))
    bad = np.ones((2, 10))
    bad[1, 3] = np.nan
    with pytest.raises(ValueError, match=r"\bE\b"):
        model.add_rows(bad)
    bad[1, 3] = np.inf
    with pytest.raises(ValueError, match=r"\bE\b"):
        model.add_rows(sp.csr_array(bad))
    with pytest.raises(ValueError, match=r"\bD\b"):
        model.update(np.ones((20, 2)), np.ones((10, 1)))
    with pytest.raises(ValueError, match="method"):
        nla.IncrementalSVD(2, method="brand")
    before = [np.array(x) for x in (model.U, model.s, model.Vt)]
    model.add_rows(np.ones((0, 10))).add_columns(sp.csr_array((20, 0)))
    model.update(np.ones((20, 0)), np.ones((10, 0)))
    for x, y in zip(before, (model.U, model.s, model.Vt), strict=True):
        np.testing.assert_array_equal(x, y)
    assert model.shape == (20, 10)


# ------------------------------------------------------------ sparse stays sparse


@pytest.mark.parametrize("side", ["rows", "columns"])
def test_huge_sparse_is_never_densified(side):
    """A side of 4e6: a dense 4e6 x 20 array would take 640 MB; the factors
    take 32 MB, and the peak memory of the updates stays below half the
    dense size (it would be above it if anything 4e6 x 20 were formed)."""
    big, small = 4_000_000, 20
    rng = np.random.default_rng(15)
    e = np.zeros((big, 1))
    e[0] = 1.0
    f = np.zeros((small, 1))
    f[0] = 1.0
    tracemalloc.start()
    try:
        if side == "columns":  # A is big x small, gaining columns
            model = nla.IncrementalSVD.from_svd(e, np.ones(1), f.T)
            model.add_columns(sp.random(big, 3, density=1e-5, random_state=rng, format="csc"))
            shape = (big, small + 3)
        else:  # A is small x big, gaining rows
            model = nla.IncrementalSVD.from_svd(f, np.ones(1), e.T)
            model.add_rows(sp.random(3, big, density=1e-5, random_state=rng, format="coo"))
            shape = (small + 3, big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert model.shape == shape
    assert peak < big * small * 8 / 2, f"peak {peak / 1e6:.0f} MB"
    assert np.all(np.isfinite(model.s)) and model.s[0] >= 1.0
