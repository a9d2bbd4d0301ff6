import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import nla
from tests.helpers import assert_namespace, to_host

from ._build import device1, geometric, low_rank_problem

EPS = np.finfo(np.float64).eps
METHODS = ["deim", "qdeim", "qr", "leverage", "uniform"]
CORES = ["projection", "cross"]


def _dense(X):
    return X.toarray() if sp.issparse(X) else to_host(X)


@given(
    low_rank_problem(max_dim=25),
    st.sampled_from(["deim", "qdeim", "qr", "leverage"]),
    st.sampled_from(CORES),
    st.booleans(),
)
def test_exact_recovery_when_rank_le_k(prob, method, core, sparse):
    # deim / qdeim / qr / leverage pick indices from (approximations of) the dominant
    # subspaces, so A[I, J] has the rank of A a.s.; then C U R = A exactly.
    # Errors: pseudoinverses cut at eps max(m, n) s_max and the selected
    # submatrix can be worse conditioned than A by the DEIM/QR factors
    # (DEIM: <= sqrt(m n) 2^k in theory; Q-DEIM: <= sqrt(m n) sqrt(4^k + 6k - 1)
    # / 3 (Drmac-Gugercin); O(sqrt(k m)) in practice); the tolerance is
    # 1e3 * kappa^2 * eps * max(m, n)^2 * ||A||: one factor max(m, n) for the
    # rounding of the products and pseudoinverses, one (with kappa^2) for the
    # core's pseudoinverse of a submatrix with condition up to kappa(A) times
    # the selection factor
    A, k, rank = prob
    B = sp.csr_matrix(A) if sparse else A
    f = nla.cur(B, k, method=method, core=core, rng=3)
    s = np.linalg.svd(A, compute_uv=False)
    kappa = s[0] / s[rank - 1]
    tol = 1e3 * kappa**2 * EPS * max(A.shape) ** 2 * s[0]
    assert np.linalg.norm(_dense(f.to_dense()) - A, 2) <= tol


@pytest.mark.parametrize("core", CORES)
@pytest.mark.parametrize("sparse", [False, True])
def test_uniform_exact_recovery_with_generic_matrix(core, sparse):
    # a Haar-random rank-4 matrix: every 4 x 4 submatrix is invertible a.s.,
    # so uniform selection recovers it exactly (kappa = 10; same tolerance)
    A, _ = geometric(30, 25, 10 ** (-1 / 3), 1, nsv=4)
    f = nla.cur(sp.csr_matrix(A) if sparse else A, 4, method="uniform", core=core, rng=0)
    assert np.linalg.norm(_dense(f.to_dense()) - A, 2) <= 1e3 * 100 * EPS * 30**2


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("core", CORES)
def test_literal_columns_and_rows_dense_and_sparse(method, core):
    A, _ = geometric(40, 30, 0.7, 2)
    f = nla.cur(A, 5, method=method, core=core, oversample=2, rng=1)
    assert f.C.shape == (40, 7) and f.R.shape == (7, 30) and f.U.shape == (7, 7)
    np.testing.assert_array_equal(f.C, A[:, f.col_idx])
    np.testing.assert_array_equal(f.R, A[f.row_idx, :])
    assert len(set(f.col_idx.tolist())) == 7 and len(set(f.row_idx.tolist())) == 7
    S = sp.csr_matrix(A * (np.abs(A) > 0.05))
    g = nla.cur(S, 5, method=method, core=core, rng=1)
    assert sp.issparse(g.C) and sp.issparse(g.R)
    np.testing.assert_array_equal(g.C.toarray(), S.toarray()[:, g.col_idx])
    np.testing.assert_array_equal(g.R.toarray(), S.toarray()[g.row_idx, :])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("seed", range(3))
def test_deim_type_bound_for_projection_core(method, seed):
    # Sorensen-Embree (2016, Thm 4.1): for ANY k row indices p and column
    # indices q with P^T U_k and V_k^T Q invertible (U_k, V_k the exact leading
    # singular vectors), the projection core gives
    #   ||A - C C^+ A R^+ R||_2 <= (eta_p + eta_q) s_{k+1},
    # eta_p = ||(P^T U_k)^{-1}||_2, eta_q = ||(V_k^T Q)^{-1}||_2.
    # The 1 + 1e-8 factor and the additive term absorb rounding.
    A, s = geometric(60, 45, 0.6, seed)
    k = 6
    f = nla.cur(A, k, method=method, rng=seed)
    U, _, Vt = np.linalg.svd(A)
    eta_p = 1 / np.linalg.svd(U[f.row_idx, :k], compute_uv=False)[-1]
    eta_q = 1 / np.linalg.svd(Vt[:k, f.col_idx], compute_uv=False)[-1]
    err = np.linalg.norm(A - f.to_dense(), 2)
    assert err <= (1 + 1e-8) * (eta_p + eta_q) * s[k] + 1e-12


def test_deim_selection_is_good():
    # DEIM on (near-exact) singular vectors: eta <= sqrt(k m / 3) 2^k in theory;
    # in practice O(sqrt(k m)). Check the realized error is within
    # (eta_p + eta_q) s_{k+1} with the O(sqrt(k m)) size, bound 2 sqrt(k m).
    A, s = geometric(80, 60, 0.6, 7)
    k = 6
    f = nla.cur(A, k, method="deim", n_iter=10, rng=0)
    err = np.linalg.norm(A - f.to_dense(), 2)
    assert err <= 2 * (np.sqrt(k * 80) + np.sqrt(k * 60)) * s[k]


@pytest.mark.parametrize("seed", range(3))
def test_qdeim_a_priori_bound(seed):
    # Drmac-Gugercin (2016, Thm 2.1 via Businger-Golub pivoting): Q-DEIM on an
    # orthonormal d x k basis V selects rows with ||(V[p, :])^{-1}||_2 <=
    # sqrt(d - k + 1) sqrt(4^k + 6k - 1) / 3. It applies to the basis the
    # selection ran on: rsvd's factors, reproduced from the same rng (cur
    # draws nothing before its rsvd call). With the exact singular vectors
    # the error then obeys the Sorensen-Embree bound checked above.
    m, n, k = 70, 50, 5
    A, s = geometric(m, n, 0.6, seed)
    f = nla.cur(A, k, method="qdeim", rng=seed)
    U, _, Vt = nla.rsvd(A, k, rng=seed)
    for basis, idx, d in ((U, f.row_idx, m), (Vt.T, f.col_idx, n)):
        eta = 1 / np.linalg.svd(basis[idx, :], compute_uv=False)[-1]
        assert eta <= np.sqrt(d - k + 1) * np.sqrt(4.0**k + 6 * k - 1) / 3
    # Q-DEIM indices are the column pivots of QR with pivoting (scipy's as
    # the outside reference)
    import scipy.linalg

    np.testing.assert_array_equal(
        f.col_idx, scipy.linalg.qr(Vt, mode="r", pivoting=True)[1][:k]
    )
    np.testing.assert_array_equal(
        f.row_idx, scipy.linalg.qr(U.T, mode="r", pivoting=True)[1][:k]
    )


@pytest.mark.parametrize("method", METHODS)
def test_same_rng_same_result(method):
    A, _ = geometric(30, 20, 0.7, 3)
    a = nla.cur(A, 4, method=method, rng=11)
    b = nla.cur(A, 4, method=method, rng=np.random.default_rng(11))
    np.testing.assert_array_equal(a.col_idx, b.col_idx)
    np.testing.assert_array_equal(a.row_idx, b.row_idx)
    np.testing.assert_array_equal(a.U, b.U)


@pytest.mark.parametrize("method", METHODS)
def test_weights_bias_selection(method):
    # columns of weight zero vanish from A diag(w): DEIM/QR/leverage never need
    # them while the positive-weight part has rank >= c, and uniform sampling
    # gives them probability zero
    A, _ = geometric(40, 30, 0.8, 5)
    w = np.ones(30)
    w[::2] = 0.0
    f = nla.cur(A, 5, method=method, weights=w, rng=0)
    assert np.all(w[f.col_idx] > 0)
    np.testing.assert_array_equal(f.C, A[:, f.col_idx])  # literal, unweighted


def test_engines_agree(engine):
    A, _ = geometric(50, 40, 0.7, 6)
    f = nla.cur(A, 6, method="deim", rng=0, engine=engine)
    g = nla.cur(A, 6, method="deim", rng=0, engine="numpy")
    np.testing.assert_array_equal(f.col_idx, g.col_idx)
    np.testing.assert_array_equal(f.row_idx, g.row_idx)


@pytest.mark.parametrize("sparse", [False, True])
def test_qr_engines_agree(engine, sparse):
    # the engines differ only in the summation order of the sketch S A (SRHT
    # for dense, sparse sign for sparse A), an O(eps log d) relative
    # difference; the pivots of a generic sketch have no near-ties, so the
    # indices agree, and C, R and the core are then computed from the same
    # entries of A by the same code: identical
    A, _ = geometric(50, 40, 0.7, 6)
    B = sp.csr_matrix(A) if sparse else A
    f = nla.cur(B, 6, method="qr", oversample=2, rng=0, engine=engine)
    g = nla.cur(B, 6, method="qr", oversample=2, rng=0, engine="numpy")
    np.testing.assert_array_equal(f.col_idx, g.col_idx)
    np.testing.assert_array_equal(f.row_idx, g.row_idx)
    np.testing.assert_array_equal(f.U, g.U)


@pytest.mark.parametrize("method", ["qr", "qdeim", "deim"])
def test_dtype_and_namespace(xp, method):
    A, _ = geometric(30, 20, 0.6, 8)
    f = nla.cur(xp.asarray(A), 4, method=method, rng=0)
    for part in (f.C, f.U, f.R):
        assert_namespace(part, xp)
    g = nla.cur(A.astype(np.float32), 4, rng=0)
    assert g.U.dtype == g.C.dtype == np.float32


def test_input_unmodified_readonly():
    A, _ = geometric(30, 20, 0.6, 9)
    A.setflags(write=False)
    before = A.copy()
    for method in METHODS:
        nla.cur(A[:, ::-1], 3, method=method, weights=np.ones(20), rng=0)
    np.testing.assert_array_equal(A, before)


@pytest.mark.parametrize(
    "args, kw, exc, match",
    [
        ((np.ones((5, 4)), 0), {}, ValueError, "k"),
        ((np.ones((5, 4)), 5), {}, ValueError, "k"),
        ((np.ones(5), 1), {}, ValueError, "A"),
        ((np.ones((2, 5, 4)), 1), {}, ValueError, "A"),
        ((np.full((5, 4), np.nan), 1), {}, ValueError, "A"),
        ((np.ones((5, 4)), 1), {"method": "svd"}, ValueError, "method"),
        ((np.ones((5, 4)), 1), {"core": "inverse"}, ValueError, "core"),
        ((np.ones((5, 4)), 1), {"oversample": -1}, ValueError, "oversample"),
        ((np.ones((5, 4)), 1), {"weights": np.ones(3)}, ValueError, "weights"),
        ((np.ones((5, 4)), 1), {"weights": -np.ones(4)}, ValueError, "weights"),
        ((np.ones((5, 4)), 1), {"weights": np.zeros(4)}, ValueError, "weights"),
        ((np.ones((5, 4)), 1), {"weights": np.full(4, np.nan)}, ValueError, "weights"),
    ],
)
def test_bad_input(args, kw, exc, match):
    with pytest.raises(exc, match=match):
        nla.cur(*args, **kw)


def _pick_first_two_probabilities(p):
    """Exact P(i among the first two draws) of successive sampling by `p`."""
    q = p.copy()
    for j in range(p.size):
        others = np.arange(p.size) != j
        q[others] += p[j] * p[others] / (1 - p[j])
    return q


def test_sample_without_replacement():
    from nla.lowrank._cur import _sample

    p = np.array([0.4, 0.0, 0.25, 0.15, 0.0, 0.1, 0.1])
    # distinct indices; zero-probability ones only after every positive one
    for seed in range(20):
        idx = _sample(np.random.default_rng(seed), p, 7)
        assert sorted(idx.tolist()) == list(range(7))
        assert set(idx[:5].tolist()) == {0, 2, 3, 5, 6}
        np.testing.assert_array_equal(idx, _sample(np.random.default_rng(seed), p, 7))
        assert idx.dtype == np.int64
    # frequencies: the first draw has law p, the first two draws contain i with
    # probability p_i + sum_{j != i} p_j p_i / (1 - p_j). Counts over N
    # independent calls are binomial; 6 standard deviations bound each of the
    # 7 deviations (a two-sided 6-sigma excursion has probability < 2e-9 by the
    # normal approximation, so a correct sampler essentially never fails), while
    # sampling with replacement or proportional to sqrt(p) misses by > 20 sigma
    N = 20000
    rng = np.random.default_rng(123)
    first = np.zeros(7)
    pair = np.zeros(7)
    for _ in range(N):
        idx = _sample(rng, p, 2)
        first[idx[0]] += 1
        pair[idx] += 1
    q = _pick_first_two_probabilities(p)
    for counts, prob in ((first, p), (pair, q)):
        sd = np.sqrt(N * prob * (1 - prob))
        assert np.all(np.abs(counts - N * prob) <= 6 * sd + 1e-12)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("core", CORES)
def test_non_default_device_and_sparse_input(method, core):
    # exact rank 5, k = 5. The selection runs on the host from quantities
    # that agree to rounding across paths (the same draws); for this fixed,
    # well-separated input it picks the same indices, so C and R are the
    # same literal entries and the core is computed from identical inputs: it
    # agrees to the rounding of its pseudoinverses, kappa * c eps max(m, n)
    # relative (c = 1e3 as in test_exact_recovery_when_rank_le_k), with kappa
    # the condition number of the pseudoinverted blocks (C and R, or A[I, J]).
    # The weighted selection (weights made on the device) is checked as well.
    xs, dev = device1()
    A, s = geometric(40, 30, 0.5, 5, nsv=5)
    w = np.linspace(1.0, 2.0, 30)
    for weights in (None, w):
        fn = nla.cur(A, 5, method=method, core=core, weights=weights, rng=1)
        f = nla.cur(
            xs.asarray(A, device=dev), 5, method=method, core=core, weights=weights, rng=1
        )
        for part in (f.C, f.U, f.R, f.to_dense()):
            assert_namespace(part, xs)
            assert part.device == dev
        # the indices are NumPy arrays on the host (documented)
        assert type(f.col_idx) is np.ndarray and type(f.row_idx) is np.ndarray
        np.testing.assert_array_equal(f.col_idx, fn.col_idx)
        np.testing.assert_array_equal(f.row_idx, fn.row_idx)
        np.testing.assert_array_equal(to_host(f.C), fn.C)
        np.testing.assert_array_equal(to_host(f.R), fn.R)
        if core == "projection":
            kappa = np.linalg.cond(fn.C) + np.linalg.cond(fn.R)
        else:
            kappa = np.linalg.cond(A[np.ix_(fn.row_idx, fn.col_idx)])
        tol = 1e3 * kappa * EPS * 40 * np.linalg.norm(fn.U, 2)
        np.testing.assert_allclose(to_host(f.U), fn.U, rtol=0, atol=tol)
    # sparse input: scipy.sparse C and R, a NumPy core, exact recovery with
    # the tolerance of test_exact_recovery_when_rank_le_k (kappa = 16)
    g = nla.cur(sp.csr_matrix(A), 5, method=method, core=core, rng=1)
    assert sp.issparse(g.C) and sp.issparse(g.R) and type(g.U) is np.ndarray
    np.testing.assert_array_equal(g.C.toarray(), A[:, g.col_idx])
    np.testing.assert_array_equal(g.R.toarray(), A[g.row_idx, :])
    assert np.linalg.norm(_dense(g.to_dense()) - A, 2) <= 1e3 * 16**2 * EPS * 40**2 * s[0]
