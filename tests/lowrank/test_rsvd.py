import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from scipy.sparse.linalg import aslinearoperator
from sklearn.utils.extmath import randomized_svd

import nla
from tests.helpers import assert_namespace, to_host, with_singular_values

from ._build import device1, geometric, low_rank_problem

EPS = np.finfo(np.float64).eps


def _err(A, U, s, Vt, ord="fro"):
    return np.linalg.norm(A - (to_host(U) * to_host(s)) @ to_host(Vt), ord)


@given(low_rank_problem(), st.sampled_from(["dense", "sparse", "operator"]))
def test_exact_recovery_when_rank_le_k(prob, kind):
    A, k, _ = prob
    B = {"dense": A, "sparse": sp.csr_matrix(A), "operator": aslinearoperator(A)}[kind]
    U, s, Vt = nla.rsvd(B, k, rng=1)
    # backward-stable QR/LU/SVD steps: error O(eps * max(m, n)) * ||A||_2 per
    # step and a handful of steps; 1e3 is the margin for the step count
    tol = 1e3 * EPS * max(A.shape) * np.linalg.norm(A, 2)
    assert _err(A, U, s, Vt, 2) <= tol
    np.testing.assert_allclose(
        to_host(U).T @ to_host(U), np.eye(k), atol=1e3 * EPS * max(A.shape)
    )
    assert np.all(np.diff(s) <= 0)
    s_ref = np.linalg.svd(A, compute_uv=False)[:k]
    np.testing.assert_allclose(s, s_ref, atol=tol)


@pytest.mark.parametrize("seed", range(6))
def test_tail_bound_without_power_iterations(seed):
    # Halko-Martinsson-Tropp, eq. (1.9) (simplified form of Thm 10.8, p >= 4):
    # with probability >= 1 - 6 p^-p, ||A - QQ^T A|| <= (1 + 17 sqrt(1 + k/p)) s_{k+1}
    #   + 8 sqrt(k + p) / (p + 1) (sum_{j>k} s_j^2)^{1/2};
    # truncating Q^T A to rank k adds at most s_{k+1}.
    m, n, k, p = 120, 90, 10, 10
    A, s = geometric(m, n, 0.8, seed)
    U, sv, Vt = nla.rsvd(A, k, oversample=p, n_iter=0, rng=seed)
    tail = np.sqrt(np.sum(s[k:] ** 2))
    bound = (2 + 17 * np.sqrt(1 + k / p)) * s[k] + 8 * np.sqrt(k + p) / (p + 1) * tail
    assert _err(A, U, sv, Vt, 2) <= bound


def test_many_power_iterations_never_lose_accuracy():
    # singular values down to 1e-12: unnormalized powers A (A^T A)^q with q = 20
    # collapse onto the top singular vector; normalized ones converge to the
    # dominant subspace, so the error approaches s_{k+1} (HMT Cor. 10.10:
    # factor C^{1/(2q+1)} with C < 100 gives < 1.3; truncation adds s_{k+1}).
    rng = np.random.default_rng(3)
    s = np.logspace(0, -12, 40)
    A = with_singular_values(rng, 200, 150, s)
    k = 15
    U, sv, Vt = nla.rsvd(A, k, n_iter=20, rng=0)
    assert _err(A, U, sv, Vt, 2) <= 2.5 * s[k]


@pytest.mark.parametrize("n_iter", [0, 1, 2, 4])
def test_matches_sklearn_accuracy(n_iter):
    # equal (k, oversample, n_iter): the same algorithm up to the normalization
    # and the random draws; medians over 5 seeds agree within 25% (normalized
    # iterations are never worse in exact arithmetic; 25% covers the seed noise)
    k, p = 8, 10
    ours, theirs = [], []
    for seed in range(5):
        A, _ = geometric(150, 100, 0.7, 10 + seed)
        U, s, Vt = nla.rsvd(A, k, oversample=p, n_iter=n_iter, rng=seed)
        ours.append(_err(A, U, s, Vt))
        U, s, Vt = randomized_svd(A, k, n_oversamples=p, n_iter=n_iter, random_state=seed)
        theirs.append(_err(A, U, s, Vt))
    assert np.median(ours) <= 1.25 * np.median(theirs)


def test_same_rng_same_result_and_sign_convention():
    A, _ = geometric(50, 40, 0.8, 0)
    r1 = nla.rsvd(A, 5, rng=7)
    r2 = nla.rsvd(A, 5, rng=np.random.default_rng(7))
    for a, b in zip(r1, r2, strict=True):
        np.testing.assert_array_equal(a, b)
    U = r1[0]
    idx = np.argmax(np.abs(U), axis=0)
    assert np.all(U[idx, np.arange(U.shape[1])] > 0)


def test_wide_readonly_noncontiguous_and_unmodified():
    A, _ = geometric(80, 60, 0.7, 1)
    B = np.asfortranarray(A.T)[:, ::1]  # 60 x 80, wide
    B.setflags(write=False)
    before = B.copy()
    U, s, Vt = nla.rsvd(B[:, ::2], 5, n_iter=6, rng=0)
    np.testing.assert_array_equal(B, before)
    assert U.shape == (60, 5) and Vt.shape == (5, 40)
    s_ref = np.linalg.svd(B[:, ::2], compute_uv=False)[:5]
    np.testing.assert_allclose(s, s_ref, rtol=1e-6)


def test_dtypes():
    A, _ = geometric(40, 30, 0.5, 2)
    U, s, Vt = nla.rsvd(A.astype(np.float32), 4, rng=0)
    assert U.dtype == s.dtype == Vt.dtype == np.float32
    U, s, Vt = nla.rsvd(np.arange(30).reshape(6, 5), 2, rng=0)
    assert U.dtype == np.float64


def test_namespaces(xp):
    A, _ = geometric(40, 30, 0.5, 2)
    U, s, Vt = nla.rsvd(xp.asarray(A), 5, rng=0)
    for r in (U, s, Vt):
        assert_namespace(r, xp)
    Un, sn, Vtn = nla.rsvd(A, 5, rng=0)
    np.testing.assert_allclose(to_host(s), sn, rtol=1e-12)
    np.testing.assert_allclose(_err(A, U, s, Vt), _err(A, Un, sn, Vtn), rtol=1e-6, atol=1e-14)


def test_range_finder():
    A, _ = geometric(50, 40, 0.5, 3)
    Q = nla.lowrank.range_finder(A, 10, rng=0)
    np.testing.assert_allclose(Q.T @ Q, np.eye(10), atol=1e-12)


@pytest.mark.parametrize(
    "args, kw, exc, match",
    [
        ((np.ones((5, 4)), 0), {}, ValueError, "k"),
        ((np.ones((5, 4)), 5), {}, ValueError, "k"),
        ((np.ones(5), 1), {}, ValueError, "A"),
        ((np.ones((3, 4, 5)), 1), {}, ValueError, "A"),
        ((np.full((5, 4), np.nan), 1), {}, ValueError, "A"),
        ((np.ones((0, 4)), 1), {}, ValueError, "A"),
        ((np.ones((5, 4)), 1), {"n_iter": "fast"}, ValueError, "n_iter"),
        ((np.ones((5, 4)), 1), {"n_iter": -1}, ValueError, "n_iter"),
        ((np.ones((5, 4)), 1), {"oversample": -1}, ValueError, "oversample"),
        ((np.ones((5, 4)), 1.5), {}, TypeError, "k"),
        ((np.ones((5, 4)), 1), {"rng": np.random.RandomState(0)}, TypeError, "rng"),
        ((np.ones((5, 4), dtype=complex), 1), {}, TypeError, "A"),
    ],
)
def test_bad_input(args, kw, exc, match):
    with pytest.raises(exc, match=match):
        nla.rsvd(*args, **kw)


def test_non_default_device_and_sparse_operator_input():
    # exact rank 5 with singular values 2^-j (gaps >= 2^-4 = 1/16): every path
    # returns the exact SVD of some A + E with ||E||_2 <= c eps max(m, n) ||A||_2
    # (backward-stable QR/LU/SVD steps, c = 100 for their number), so two
    # paths differ by at most 2 ||E|| in s (Weyl) and by 2 ||E|| / gap in each
    # singular vector (Wedin); the sign convention fixes the signs
    xs, dev = device1()
    A, s = geometric(40, 30, 0.5, 4, nsv=5)
    e = 100 * EPS * max(A.shape) * s[0]
    tol_s, tol_v = 2 * e, 2 * e / (s[3] - s[4])
    for B in (A, A.T):  # tall, and wide (which runs on B.T)
        Un, sn, Vtn = nla.rsvd(B, 5, rng=1)
        U, sv, Vt = nla.rsvd(xs.asarray(B, device=dev), 5, rng=1)
        for got, want, tol in ((U, Un, tol_v), (sv, sn, tol_s), (Vt, Vtn, tol_v)):
            assert_namespace(got, xs)
            assert got.device == dev
            np.testing.assert_allclose(to_host(got), want, rtol=0, atol=tol)
        # sparse and LinearOperator input: NumPy results, the same draws
        for C in (sp.csr_matrix(B), aslinearoperator(B)):
            triples = zip(nla.rsvd(C, 5, rng=1), (Un, sn, Vtn), (tol_v, tol_s, tol_v), strict=True)
            for got, want, tol in triples:
                assert type(got) is np.ndarray
                np.testing.assert_allclose(got, want, rtol=0, atol=tol)
    Q = nla.lowrank.range_finder(xs.asarray(A, device=dev), 5, rng=0)
    assert Q.device == dev
    Qn = to_host(Q)
    # Q spans range(A + E): sin(range(Q), range(A)) <= ||E|| / s_5 (Wedin), so
    # ||A - Q Q^T A||_2 <= ||E|| / s_5 * ||A||_2 (factor 2 for margin)
    assert np.linalg.norm(A - Qn @ (Qn.T @ A), 2) <= 2 * e / s[4] * s[0]
