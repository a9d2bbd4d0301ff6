import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import nla
from tests.helpers import assert_namespace, random_orthogonal, to_host

from ._build import device1, geometric, low_rank_problem

EPS = np.finfo(np.float64).eps


@given(
    low_rank_problem(),
    st.sampled_from(["srht", "gaussian"]),
    st.booleans(),
)
def test_exact_recovery_when_rank_le_k(prob, sketch, sparse):
    A, k, _ = prob
    B = sp.csr_matrix(A) if sparse else A
    g = nla.nystrom(B, k, sketch=sketch, rng=2)
    assert g.left.shape == (A.shape[0], k) and g.right.shape == (k, A.shape[1])
    # the eps-truncated core cuts directions below rcond * s_max = eps max(m, n)
    # s_max; with kappa(A) <= 1e4 nothing of A is cut, and the remaining error is
    # rounding amplified by the sketch conditioning (Nakatsukasa, Thm 4.1):
    # O(kappa * eps * max(m, n)) relative, 1e3 is the margin
    s = np.linalg.svd(A, compute_uv=False)
    kappa = s[0] / s[s > 1e-12 * s[0]][-1]
    tol = 1e3 * kappa * EPS * max(A.shape) * s[0]
    assert np.linalg.norm(to_host(g.to_dense()) - A, 2) <= tol


@pytest.mark.parametrize("shape", [(7, 9), (20, 50), (30, 31)])
@pytest.mark.parametrize("sketch", ["srht", "sparse_sign"])
def test_exact_recovery_without_room_to_oversample(shape, sketch):
    # k = m < n: r = m, so X has no spare column. A structured X can lose a
    # direction here (found by Hypothesis on a 7 x 9 matrix of rank 7; the
    # benchmark's "no spare column" case counts how often), so X is Gaussian
    # in this case; same tolerance as above.
    m, n = shape
    rng = np.random.default_rng(m * n)
    A = random_orthogonal(rng, m) @ np.eye(m, n) @ random_orthogonal(rng, n).T
    for seed in range(10):
        g = nla.nystrom(A, m, sketch=sketch, rng=seed)
        assert np.linalg.norm(g.to_dense() - A, 2) <= 1e3 * EPS * n


@pytest.mark.parametrize("sparse", [False, True])
def test_sparse_sign_exact_recovery(sparse):
    # a sparse sign sketch of 8 nonzeros per column in >= 20 dimensions is
    # full rank for these fixed seeds; same tolerance as above (kappa = 10)
    A, _ = geometric(60, 50, 0.1 ** (1 / 5), 4, nsv=6)
    g = nla.nystrom(sp.csr_matrix(A) if sparse else A, 6, sketch="sparse_sign", rng=5)
    assert np.linalg.norm(g.to_dense() - A, 2) <= 1e3 * 10 * EPS * 60


@pytest.mark.parametrize("seed", range(5))
def test_error_relative_to_optimum(seed):
    # ||A - A_GN|| <= (1 + ||P_{AX,Y}||) ||(I - P_{AX}) A|| (Nakatsukasa 2020,
    # eq. (4.3)); ||P_{AX,Y}|| ~ (sqrt(4r) + sqrt(r)) / (sqrt(4r) - sqrt(r))
    # = 3 for Y of 4r columns (Marchenko-Pastur edges; 5.8 for 2r, which
    # small r can approach); ||(I - P_AX) A||_F is within a factor
    # (1 + k/(p-1))^{1/2} ~ 1.5 of the optimum in expectation (HMT 10.5) for
    # p = r - k oversampling; rank-k truncation adds up to the optimum once
    # more. Hence <= 1 + 6.8 * 1.5 ~ 11.2 times the optimum: bound 15.
    m, n, k = 150, 120, 10
    A, s = geometric(m, n, 0.75, seed)
    g = nla.nystrom(A, k, rng=seed)
    opt = np.sqrt(np.sum(s[k:] ** 2))
    assert np.linalg.norm(A - g.to_dense()) <= 15 * opt


def test_same_rng_and_dtypes():
    A, _ = geometric(60, 50, 0.7, 1)
    a = nla.nystrom(A, 5, rng=3)
    b = nla.nystrom(A, 5, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a.left, b.left)
    np.testing.assert_array_equal(a.right, b.right)
    f = nla.nystrom(A.astype(np.float32), 5, rng=0)
    assert f.left.dtype == f.right.dtype == np.float32
    assert f.rank == 5 and f.shape == A.shape


def test_zero_matrix():
    g = nla.nystrom(np.zeros((10, 8)), 3, rng=0)
    assert np.all(g.to_dense() == 0)


def test_namespaces(xp):
    A, _ = geometric(40, 30, 0.5, 2)
    g = nla.nystrom(xp.asarray(A), 5, rng=0)
    assert_namespace(g.left, xp)
    gn = nla.nystrom(A, 5, rng=0)
    np.testing.assert_allclose(to_host(g.to_dense()), gn.to_dense(), atol=1e-12)


@given(low_rank_problem(max_dim=25))
def test_psd_exact_recovery(prob):
    A, k, rank = prob
    rng = np.random.default_rng(rank)
    Q = random_orthogonal(rng, A.shape[0], rank)
    lam = np.linalg.svd(A, compute_uv=False)[:rank]
    P = (Q * lam) @ Q.T
    P = (P + P.T) / 2
    k = min(k, P.shape[0])
    f = nla.nystrom_psd(P, k, rng=0)
    ev = to_host(f.eigenvalues)
    assert np.all(ev >= 0) and np.all(np.diff(ev) <= 0)
    # shift nu = eps ||Y||_F and the eigenvalue cut at eps * lambda_max give an
    # O(kappa * eps * n) relative error (Tropp et al. 2017, Sec. 4); margin 1e3
    kappa = lam[0] / lam[-1]
    assert np.linalg.norm(f.to_dense() - P, 2) <= 1e3 * kappa * EPS * P.shape[0] * lam[0]


def test_psd_sparse_and_namespace(xp):
    rng = np.random.default_rng(0)
    G = rng.standard_normal((30, 4))
    P = G @ G.T
    f = nla.nystrom_psd(xp.asarray(P), 4, rng=0)
    assert_namespace(f.U, xp)
    fs = nla.nystrom_psd(sp.csr_matrix(P), 4, rng=0)
    np.testing.assert_allclose(fs.to_dense(), P, atol=1e-10 * np.linalg.norm(P, 2))


@pytest.mark.parametrize(
    "fn, args, kw, exc, match",
    [
        (nla.nystrom, (np.ones((5, 4)), 0), {}, ValueError, "k"),
        (nla.nystrom, (np.ones((5, 4)), 5), {}, ValueError, "k"),
        (nla.nystrom, (np.ones(5), 1), {}, ValueError, "A"),
        (nla.nystrom, (np.ones((2, 3, 4)), 1), {}, ValueError, "A"),
        (nla.nystrom, (np.full((5, 4), np.inf), 1), {}, ValueError, "A"),
        (nla.nystrom, (np.ones((5, 4)), 1), {"sketch": "fft"}, ValueError, "sketch"),
        (nla.nystrom, (np.ones((5, 4)), 1), {"rcond": 2.0}, ValueError, "rcond"),
        (nla.nystrom, (np.ones((5, 4)), 1), {"oversample": -2}, ValueError, "oversample"),
        (nla.nystrom_psd, (np.ones((5, 4)), 1), {}, ValueError, "square"),
        (nla.nystrom_psd, (np.eye(4), 5), {}, ValueError, "k"),
        (nla.nystrom_psd, (np.full((4, 4), np.nan), 1), {}, ValueError, "A"),
    ],
)
def test_bad_input(fn, args, kw, exc, match):
    with pytest.raises(exc, match=match):
        fn(*args, **kw)


# A dense A is checked for NaN/Inf through its sketches A X and Y^T A: a
# single non-finite entry anywhere, of any kind, must still be reported
# (naming A) for every sketch and for the identity-sketch shapes.
@pytest.mark.parametrize(
    "shape, k", [((200, 150), 5), ((30, 500), 5), ((500, 30), 5), ((12, 10), 8)]
)
@pytest.mark.parametrize("sketch", ["srht", "sparse_sign", "gaussian"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_found_through_the_sketches(shape, k, sketch, bad, engine):
    rng = np.random.default_rng(3)
    for trial in range(4):
        A = rng.standard_normal(shape)
        A[rng.integers(shape[0]), rng.integers(shape[1])] = bad
        with pytest.raises(ValueError, match="A must not contain NaN"):
            nla.nystrom(A, k, sketch=sketch, rng=trial, engine=engine)


def _sparse_low_rank(m, n, rank, seed):
    """A sparse m x n matrix of exact rank `rank` (a product of sparse factors)."""
    rng = np.random.default_rng(seed)
    B = rng.standard_normal((m, rank)) * (rng.random((m, rank)) < 0.6)
    C = rng.standard_normal((rank, n)) * (rng.random((rank, n)) < 0.1)
    A = B @ C
    return sp.csr_matrix(A), A


def _forbid_densify(monkeypatch, shape):
    """Make densifying a sparse matrix of `shape` (or its transpose) raise.

    Thin products (``A @ X`` computed sparse @ sparse and then made dense)
    are allowed: only the whole matrix must never become dense.
    """
    whole = {tuple(shape), tuple(shape[::-1])}

    def guard(method):
        def checked(self, *args, **kwargs):
            if tuple(self.shape) in whole:
                raise AssertionError("sparse input was densified")
            return method(self, *args, **kwargs)

        return checked

    for cls in (
        sp.csr_matrix, sp.csc_matrix, sp.coo_matrix, sp.csr_array, sp.csc_array, sp.coo_array
    ):
        monkeypatch.setattr(cls, "toarray", guard(cls.toarray))
        monkeypatch.setattr(cls, "todense", guard(cls.todense))


@pytest.mark.parametrize(
    "m, n, k",
    [
        (30, 5000, 5),  # Y sketch as tall as m (m <= 4r): Y = I
        (3000, 15, 5),  # X sketch as wide as n (r = n): X = I
        (40, 12, 2),  # both identities
        (400, 300, 5),  # both sketched
    ],
)
@pytest.mark.parametrize("sketch", ["sparse_sign", "gaussian"])
def test_sparse_input_stays_sparse(monkeypatch, m, n, k, sketch):
    # SRHT is left out: the sketch family transforms sparse input in dense
    # blocks by design; these two sketches take sparse input natively.
    # Rank(A) = 4 <= k, so sparse and dense input both recover A; their
    # difference is bounded by twice the exact-recovery tolerance above
    # (1e3 * kappa * eps * max(m, n) * s_max), the sketches being identical
    S, A = _sparse_low_rank(m, n, min(4, k), seed=m + n)
    ref = nla.nystrom(A, k, sketch=sketch, rng=3).to_dense()
    s = np.linalg.svd(A, compute_uv=False)
    kappa = s[0] / s[min(4, k) - 1]
    _forbid_densify(monkeypatch, A.shape)
    with pytest.raises(AssertionError, match="densified"):
        S.toarray()  # the guard is active
    g = nla.nystrom(S, k, sketch=sketch, rng=3)
    monkeypatch.undo()
    tol = 2e3 * kappa * EPS * max(m, n) * s[0]
    assert np.linalg.norm(g.to_dense() - ref, 2) <= tol
    assert np.linalg.norm(g.to_dense() - A, 2) <= tol


@pytest.mark.parametrize(
    "sketch, sparse", [("srht", False), ("sparse_sign", False), ("sparse_sign", True)]
)
def test_engines_agree(engine, sketch, sparse):
    # the same draws on every engine (made on the host); the kernels differ
    # only in summation order, an O(eps log d) relative change of the sketched
    # products. For A of exact rank 6 <= k (kappa = 10), the result is A up to
    # the exact-recovery tolerance 1e3 * kappa * eps * max(m, n) * s_max on
    # both engines, hence within twice that of each other
    A, s = geometric(120, 90, 0.1 ** (1 / 5), 7, nsv=6)
    B = sp.csr_matrix(A) if sparse else A
    f = nla.nystrom(B, 6, sketch=sketch, rng=4, engine=engine)
    g = nla.nystrom(B, 6, sketch=sketch, rng=4, engine="numpy")
    tol = 2e3 * 10 * EPS * 120 * s[0]
    assert np.linalg.norm(f.to_dense() - g.to_dense(), 2) <= tol


def _rank_one(m, n, seed):
    rng = np.random.default_rng(seed)
    return np.outer(rng.standard_normal(m), rng.standard_normal(n))


@pytest.mark.parametrize("sketch", ["srht", "sparse_sign", "gaussian"])
def test_non_default_device_and_sparse_input(sketch):
    # exact rank 5 (kappa = 16), k = 5: each path recovers A to within the
    # tolerance of test_exact_recovery_when_rank_le_k, 1e3 kappa eps max(m, n)
    # ||A||, so two paths differ by twice that; the column norms of `left` are
    # the singular values of the approximation, within the same distance of
    # those of A (Weyl). Also a rank-one A with k = 3 (the core keeps one
    # direction, `left` and `right` are padded with zeros) and A = 0.
    xs, dev = device1()
    A, _ = geometric(100, 50, 0.5, 6, nsv=5)
    rel = 2 * 1e3 * 16 * EPS * 100  # relative to ||B||_2 (1 for B = 0)
    cases = [(A, 5), (_rank_one(100, 50, 7), 3), (np.zeros((100, 50)), 3)]
    for B, k in cases:
        gn = nla.nystrom(B, k, sketch=sketch, rng=2)
        tol = rel * max(np.linalg.norm(B, 2), 1.0)
        g = nla.nystrom(xs.asarray(B, device=dev), k, sketch=sketch, rng=2)
        for part in (g.left, g.right, g.to_dense()):
            assert_namespace(part, xs)
            assert part.device == dev
        assert g.left.shape == (100, k) and g.right.shape == (k, 50)
        left = to_host(g.left)
        np.testing.assert_allclose(to_host(g.to_dense()), gn.to_dense(), rtol=0, atol=tol)
        np.testing.assert_allclose(
            np.linalg.norm(left, axis=0), np.linalg.norm(gn.left, axis=0), rtol=0, atol=tol
        )
        if k == 3:  # padded: columns 2 and 3 are exact zeros on every path
            assert np.all(left[:, 1:] == 0)
        if sketch != "srht":  # sparse input: NumPy results, the same sketches
            gs = nla.nystrom(sp.csr_matrix(B), k, sketch=sketch, rng=2)
            assert type(gs.left) is np.ndarray and type(gs.right) is np.ndarray
            np.testing.assert_allclose(gs.to_dense(), gn.to_dense(), rtol=0, atol=tol)


def test_psd_non_default_device_and_sparse_input():
    # P = G G^T of rank 4: each path recovers P to within 1e3 kappa eps n
    # ||P|| (test_psd_exact_recovery), so they differ by twice that in the
    # product and (Weyl) in the eigenvalues
    xs, dev = device1()
    rng = np.random.default_rng(8)
    G = rng.standard_normal((30, 4))
    P = G @ G.T
    lam = np.linalg.eigvalsh(P)[::-1][:4]
    tol = 2 * 1e3 * (lam[0] / lam[3]) * EPS * 30 * lam[0]
    fn = nla.nystrom_psd(P, 4, rng=0)
    f = nla.nystrom_psd(xs.asarray(P, device=dev), 4, rng=0)
    for part in (f.U, f.eigenvalues, f.to_dense()):
        assert_namespace(part, xs)
        assert part.device == dev
    np.testing.assert_allclose(to_host(f.eigenvalues), fn.eigenvalues, rtol=0, atol=tol)
    np.testing.assert_allclose(to_host(f.to_dense()), fn.to_dense(), rtol=0, atol=tol)
    fs = nla.nystrom_psd(sp.csr_matrix(P), 4, rng=0)
    assert type(fs.U) is np.ndarray and type(fs.eigenvalues) is np.ndarray
    np.testing.assert_allclose(fs.eigenvalues, fn.eigenvalues, rtol=0, atol=tol)
    np.testing.assert_allclose(fs.to_dense(), fn.to_dense(), rtol=0, atol=tol)
