import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import nla
from tests.helpers import assert_namespace, to_numpy

from ._build import geometric, low_rank_problem

EPS = np.finfo(np.float64).eps
METHODS = ["deim", "qr", "leverage", "uniform"]
CORES = ["projection", "cross"]


def _dense(X):
    return X.toarray() if sp.issparse(X) else to_numpy(X)


@given(
    low_rank_problem(max_dim=25),
    st.sampled_from(["deim", "qr", "leverage"]),
    st.sampled_from(CORES),
    st.booleans(),
)
def test_exact_recovery_when_rank_le_k(prob, method, core, sparse):
    # deim / qr / leverage pick indices from (approximations of) the dominant
    # subspaces, so A[I, J] has the rank of A a.s.; then C U R = A exactly.
    # Errors: pseudoinverses cut at eps max(m, n) s_max and the selected
    # submatrix can be worse conditioned than A by the DEIM/QR factors
    # (<= sqrt(m n) 2^k in theory, O(sqrt(k m)) in practice); the tolerance is
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


def test_dtype_and_namespace(xp):
    A, _ = geometric(30, 20, 0.6, 8)
    f = nla.cur(xp.asarray(A), 4, method="qr", rng=0)
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
