"""Every low-rank function on every array library we can run here.

Array libraries: NumPy, array_api_strict on its default device and on a
second one (``Device("device1")``: any array made on the default device while
working on such input makes array_api_strict raise), and torch CPU tensors
when torch is installed (torch has no ``__array_namespace__``, like CuPy's
ndarray, so it stands in for the device path). For float32 and float64
input: the result is in the input's library, on its device, in its dtype,
and agrees with the NumPy result of the same dtype. The random draws are made
on the host for all of these libraries, so the paths differ only in rounding.
"""

import array_api_compat
import numpy as np
import pytest

import nla
from nla._backend import to_host
from tests.helpers import random_orthogonal

from ._build import geometric

BACKENDS = ["numpy", "strict", "strict-device1", "torch"]
DTYPES = [np.float32, np.float64]


def _convert(backend, X):
    """`X` (NumPy) in `backend`, same dtype."""
    if backend == "numpy":
        return X
    if backend == "torch":
        torch = pytest.importorskip("torch")
        return torch.asarray(X)
    xs = pytest.importorskip("array_api_strict")
    if backend == "strict":
        return xs.asarray(X)
    return xs.asarray(X, device=xs.Device("device1"))


def _check_parts(parts, like, dtype):
    """Every part in the library and on the device of `like`, of `dtype`."""
    want_ns = array_api_compat.array_namespace(like)
    want_dev = array_api_compat.device(like)
    for part in parts:
        assert array_api_compat.array_namespace(part) == want_ns
        assert array_api_compat.device(part) == want_dev
        assert to_host(part).dtype == dtype


def _eps(dtype):
    return float(np.finfo(dtype).eps)


def _rank5(m, n, dtype, seed=4):
    # exact rank 5, singular values 2^-j (kappa = 16, gaps >= 1/16)
    A, s = geometric(m, n, 0.5, seed, nsv=5)
    return A.astype(dtype), s


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("shape", [(40, 30), (30, 40)])
def test_rsvd(backend, dtype, shape):
    # each path returns the exact SVD of some A + E with ||E||_2 <= e = c eps
    # max(m, n) ||A||_2 (backward-stable QR/SVD steps, c = 100 for their
    # number): two paths differ by 2e in s (Weyl) and in U diag(s) Vt (each
    # is within e of A, whose rank is <= k)
    A, s = _rank5(*shape, dtype)
    e = 100 * _eps(dtype) * max(shape) * s[0]
    ref = nla.rsvd(A, 5, rng=1)
    Ab = _convert(backend, A)
    got = nla.rsvd(Ab, 5, rng=1)
    assert isinstance(got, nla.SVDResult)
    _check_parts((*got, got.to_dense()), Ab, dtype)
    np.testing.assert_allclose(to_host(got.s), ref.s, rtol=0, atol=2 * e)
    np.testing.assert_allclose(to_host(got.to_dense()), ref.to_dense(), rtol=0, atol=2 * e)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("backend", BACKENDS)
def test_range_finder(backend, dtype):
    # Q spans range(A + E) with ||E|| <= e (as above): sin(range Q, range A)
    # <= e / s_5 (Wedin), so ||A - Q Q^T A||_2 <= e / s_5 * ||A||_2
    A, s = _rank5(40, 30, dtype)
    e = 100 * _eps(dtype) * 40 * s[0]
    Ab = _convert(backend, A)
    Q = nla.lowrank.range_finder(Ab, 5, rng=0)
    _check_parts((Q,), Ab, dtype)
    Qh = to_host(Q).astype(np.float64)
    assert np.max(np.abs(Qh.T @ Qh - np.eye(5))) <= 100 * 5 * _eps(dtype)
    A64 = A.astype(np.float64)
    assert np.linalg.norm(A64 - Qh @ (Qh.T @ A64), 2) <= 2 * e / s[4] * s[0]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("sketch", ["srht", "sparse_sign", "gaussian"])
def test_nystrom(backend, dtype, sketch):
    # rank 5 = k (kappa = 16): each path recovers A to 1e3 kappa eps max(m, n)
    # ||A|| (test_nystrom.test_exact_recovery_when_rank_le_k), so two paths
    # differ by twice that
    A, s = _rank5(100, 50, dtype, seed=6)
    tol = 2e3 * 16 * _eps(dtype) * 100 * s[0]
    ref = nla.nystrom(A, 5, sketch=sketch, rng=2)
    Ab = _convert(backend, A)
    g = nla.nystrom(Ab, 5, sketch=sketch, rng=2)
    _check_parts((g.left, g.right, g.to_dense()), Ab, dtype)
    assert g.left.shape == (100, 5) and g.right.shape == (5, 50)
    np.testing.assert_allclose(to_host(g.to_dense()), ref.to_dense(), rtol=0, atol=tol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("backend", BACKENDS)
def test_nystrom_psd(backend, dtype):
    # P = G G^T of rank 4: each path recovers P to 1e3 kappa eps n ||P||
    # (test_nystrom.test_psd_exact_recovery); twice that between paths, in
    # the product and (Weyl) in the eigenvalues
    rng = np.random.default_rng(8)
    G = rng.standard_normal((30, 4))
    P = (G @ G.T).astype(dtype)
    lam = np.linalg.eigvalsh(G @ G.T)[::-1][:4]
    tol = 2e3 * (lam[0] / lam[3]) * _eps(dtype) * 30 * lam[0]
    ref = nla.nystrom_psd(P, 4, rng=0)
    Pb = _convert(backend, P)
    f = nla.nystrom_psd(Pb, 4, rng=0)
    _check_parts((f.U, f.eigenvalues, f.to_dense()), Pb, dtype)
    np.testing.assert_allclose(to_host(f.eigenvalues), ref.eigenvalues, rtol=0, atol=tol)
    np.testing.assert_allclose(to_host(f.to_dense()), ref.to_dense(), rtol=0, atol=tol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("core", ["projection", "cross"])
@pytest.mark.parametrize("method", ["deim", "qdeim", "qr", "leverage", "uniform"])
def test_cur(backend, dtype, method, core):
    # the selection runs on the host from quantities that agree to rounding
    # across paths (the same draws); for this fixed, well-separated input it
    # picks the same indices, so C and R are the same entries of A and the
    # core agrees to the rounding of its pseudoinverses: kappa c eps max(m, n)
    # relative, c = 1e3 (test_cur.test_non_default_device_and_sparse_input)
    A, _ = _rank5(40, 30, dtype, seed=5)
    ref = nla.cur(A, 5, method=method, core=core, rng=1)
    Ab = _convert(backend, A)
    f = nla.cur(Ab, 5, method=method, core=core, rng=1)
    _check_parts((f.C, f.U, f.R, f.to_dense()), Ab, dtype)
    assert type(f.col_idx) is np.ndarray and f.col_idx.dtype == np.int64
    assert type(f.row_idx) is np.ndarray and f.row_idx.dtype == np.int64
    np.testing.assert_array_equal(f.col_idx, ref.col_idx)
    np.testing.assert_array_equal(f.row_idx, ref.row_idx)
    np.testing.assert_array_equal(to_host(f.C), ref.C)
    np.testing.assert_array_equal(to_host(f.R), ref.R)
    A64 = A.astype(np.float64)
    if core == "projection":
        kappa = np.linalg.cond(A64[:, ref.col_idx]) + np.linalg.cond(A64[ref.row_idx, :])
    else:
        kappa = np.linalg.cond(A64[np.ix_(ref.row_idx, ref.col_idx)])
    tol = 1e3 * kappa * _eps(dtype) * 40 * np.linalg.norm(ref.U.astype(np.float64), 2)
    np.testing.assert_allclose(to_host(f.U), ref.U, rtol=0, atol=tol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("method", ["exact", "randomized"])
def test_pinv_cr(backend, dtype, method):
    # full-rank factors and a rank-deficient R (both formulas): each path is
    # within 1e3 kappa eps max-dim ||A^+|| of A^+ (test_pinv_cr.
    # test_matches_numpy_pinv), so twice that between paths
    rng = np.random.default_rng(6)
    C = rng.standard_normal((9, 4))
    R = rng.standard_normal((4, 7))
    R_def = R.copy()
    R_def[3] = R[0] - R[1]
    W = random_orthogonal(rng, 4)
    for Cn, Rn in ((C, R), (C, R_def), (C @ W, W.T @ R)):
        Cn, Rn = Cn.astype(dtype), Rn.astype(dtype)
        P0 = nla.pinv_cr(Cn, Rn, method=method, rng=3)
        Cb, Rb = _convert(backend, Cn), _convert(backend, Rn)
        P = nla.pinv_cr(Cb, Rb, method=method, rng=3)
        _check_parts((P,), Cb, dtype)
        A = Cn.astype(np.float64) @ Rn.astype(np.float64)
        s = np.linalg.svd(A, compute_uv=False)
        kappa = s[0] / s[s > 1e-4 * s[0]][-1]
        tol = 2e3 * kappa * _eps(dtype) * 9 * np.linalg.norm(P0.astype(np.float64), 2)
        np.testing.assert_allclose(to_host(P), P0, rtol=0, atol=tol)
