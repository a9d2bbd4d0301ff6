"""The linear algebra helpers of the shared backend: qr_thin, svdvals, numerical_rank."""

import array_api_compat.numpy as xpn
import numpy as np
import pytest

from nla._backend import array_namespace, numerical_rank, qr_thin, svdvals, to_host
from tests.helpers import assert_namespace, random_orthogonal


# -------------------------------------------------------------------- qr_thin
def _conditioned(m, r, log_kappa, dtype, seed):
    """An m x r matrix with singular values logspace(0, -log_kappa, r)."""
    rng = np.random.default_rng(seed)
    U = random_orthogonal(rng, m, r)
    V = random_orthogonal(rng, r)
    return ((U * np.logspace(0, -log_kappa, r)) @ V.T).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("log_kappa", [0, 3, 5, 6, 8, 9, 10, 12])
@pytest.mark.parametrize("pass_xp", [True, False])
def test_qr_thin(dtype, log_kappa, pass_xp):
    # Whatever the route (CholeskyQR2 below kappa ~ eps^-1/2, Householder
    # above), a QR is backward stable: ||Q^T Q - I|| and ||Q R - L|| / ||L||
    # are O(r eps) with a modest constant; 100 r eps is the acceptance bound.
    m, r = 500, 12
    L = _conditioned(m, r, log_kappa, dtype, log_kappa)
    before = L.copy()
    Q, R = qr_thin(L, xpn) if pass_xp else qr_thin(L)
    eps = np.finfo(dtype).eps
    assert Q.dtype == R.dtype == dtype and Q.shape == (m, r) and R.shape == (r, r)
    assert np.array_equal(R, np.triu(R))
    assert np.max(np.abs(Q.T @ Q - np.eye(r))) <= 100 * r * eps
    assert np.linalg.norm(Q @ R - L) <= 100 * r * eps * np.linalg.norm(L)
    np.testing.assert_array_equal(L, before)


@pytest.mark.parametrize("log_kappa", [0, 12])
def test_qr_thin_other_namespace(xp, log_kappa):
    # other namespaces get the standard's reduced QR: the same bounds, the
    # result in the caller's namespace
    m, r = 200, 8
    L = _conditioned(m, r, log_kappa, np.float64, 7)
    Q, R = qr_thin(xp.asarray(L))
    assert_namespace(Q, xp)
    assert_namespace(R, xp)
    Qh, Rh = to_host(Q), to_host(R)
    eps = np.finfo(np.float64).eps
    assert Qh.shape == (m, r) and Rh.shape == (r, r)
    assert np.array_equal(Rh, np.triu(Rh))
    assert np.max(np.abs(Qh.T @ Qh - np.eye(r))) <= 100 * r * eps
    assert np.linalg.norm(Qh @ Rh - L) <= 100 * r * eps * np.linalg.norm(L)


# -------------------------------------------------------------------- svdvals
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(30, 7), (7, 30), (12, 12)])
def test_svdvals_matches_numpy(xp, dtype, shape):
    # singular values are perfectly conditioned (Weyl): any backward-stable
    # SVD gives them to O(eps max(m, n)) ||X||_2; 100 is the margin
    rng = np.random.default_rng(sum(shape))
    X = rng.standard_normal(shape).astype(dtype)
    s = svdvals(xp.asarray(X))
    assert_namespace(s, xp)
    sh = to_host(s)
    assert sh.dtype == dtype and sh.shape == (min(shape),)
    assert np.all(np.diff(sh) <= 0)
    ref = np.linalg.svd(X.astype(np.float64), compute_uv=False)
    tol = 100 * np.finfo(dtype).eps * max(shape) * ref[0]
    np.testing.assert_allclose(sh, ref, rtol=0, atol=tol)


def test_svdvals_batch_and_explicit_namespace():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((4, 9, 5))
    s = svdvals(X, array_namespace(X))
    assert s.shape == (4, 5)
    for i in range(4):
        ref = np.linalg.svd(X[i], compute_uv=False)
        np.testing.assert_allclose(s[i], ref, rtol=0, atol=100 * 2.2e-16 * 9 * ref[0])


# ------------------------------------------------------------- numerical_rank
def test_numerical_rank_cut_is_strict(xp):
    # a value equal to the threshold is dropped: >= would keep it
    s = xp.asarray([1.0, 0.5, 2.0**-10, 2.0**-20])
    assert numerical_rank(s, rtol=2.0**-10) == 2
    assert numerical_rank(s, atol=2.0**-10) == 2
    assert numerical_rank(s, rtol=2.0**-11) == 3
    assert numerical_rank(s, atol=0.5) == 1
    # the larger of the two thresholds applies
    assert numerical_rank(s, rtol=2.0**-10, atol=0.75) == 1
    assert numerical_rank(s, rtol=0.75, atol=2.0**-10) == 1
    # default: every positive value counts; order does not matter
    assert numerical_rank(xp.asarray([0.0, 3.0, 0.0, 1e-300])) == 2


def test_numerical_rank_threshold_scales_with_the_maximum(xp):
    # rtol is relative to max(s), not to s[0]: ascending input gives the same
    # count, and scaling s does not change it (powers of two: exact products)
    s = np.array([2.0**-30, 2.0**-12, 2.0**-3, 1.0])
    for scale in (2.0**-40, 1.0, 2.0**40):
        assert numerical_rank(xp.asarray(s * scale), rtol=2.0**-12) == 2
        assert numerical_rank(xp.asarray(s[::-1] * scale), rtol=2.0**-12) == 2


def test_numerical_rank_zero_empty_and_int_result(xp):
    assert numerical_rank(xp.zeros(5), rtol=0.1) == 0
    assert numerical_rank(xp.zeros(0)) == 0
    assert numerical_rank(xp.asarray([1.0]), atol=2.0) == 0
    r = numerical_rank(xp.asarray([3.0, 2.0, 1.0]), rtol=0.5)
    assert type(r) is int and r == 2


def test_numerical_rank_counts_beyond_small_integer_types(xp):
    # 100003 values above the threshold: a count accumulated in int8 or
    # int16 (or a sum over booleans, which array_api_strict refuses) would be
    # wrong here. An int32 overflow would need 2**31 values (a 2 GB mask and
    # a 17 GB int64 copy), too large for a unit test; the count is cast to
    # int64 before the sum and returned as a Python int.
    n = 100_003
    s = np.ones(n + 7)
    s[n:] = 2.0**-30
    r = numerical_rank(xp.asarray(s), rtol=2.0**-30)
    assert type(r) is int and r == n


def test_numerical_rank_float32(xp):
    s = xp.asarray(np.array([1.0, 2.0**-8, 2.0**-24], dtype=np.float32))
    assert numerical_rank(s, rtol=2.0**-24) == 2
    assert numerical_rank(s, rtol=2.0**-25) == 3
