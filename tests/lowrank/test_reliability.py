"""Regression tests of issue 10 for the low-rank family.

nystrom_psd at extreme scales and on non-symmetric or indefinite input,
options validated on every path, the dtype policy for every kind of input
(dense, sparse, LinearOperator), and overflow-safe range finding.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, aslinearoperator

import nla
from nla._backend import to_host
from tests.helpers import random_orthogonal, with_singular_values

EPS = np.finfo(np.float64).eps


def _psd(n, rank, seed, *, dtype=np.float64):
    rng = np.random.default_rng(seed)
    Q = random_orthogonal(rng, n, rank)
    P = ((Q * np.logspace(0, -1, rank)) @ Q.T).astype(dtype)
    return (P + P.T) / 2


# -- item 2: nystrom_psd at extreme scales -----------------------------------


@pytest.mark.parametrize("scale", [1e-300, 1e-160, 1e160, 1e300])
@pytest.mark.parametrize("form", ["dense", "sparse"])
def test_nystrom_psd_scaled_identity(scale, form):
    # the case: ||A Omega||_F^2 overflowed and eigh got NaN
    # (LinAlgError "Eigenvalues did not converge"); the eigenvalues of c I are
    # c, representable for every scale here. Backward-stable steps: relative
    # error O(n eps), 1e3 the step-count margin of the family's tests.
    A = np.eye(20) * scale
    f = nla.nystrom_psd(sp.csr_matrix(A) if form == "sparse" else A, 3, rng=0)
    np.testing.assert_allclose(f.eigenvalues, scale, rtol=1e3 * 20 * EPS)
    np.testing.assert_allclose(f.U.T @ f.U, np.eye(3), atol=1e3 * 20 * EPS)


def test_nystrom_psd_near_the_largest_float():
    # lambda_max = 1.7e308 is representable: right answer, same as at scale 1
    P = _psd(30, 5, 0)
    P = P / np.linalg.norm(P, 2)
    ref = nla.nystrom_psd(P, 5, rng=0).eigenvalues
    got = nla.nystrom_psd(P * 1.7e308, 5, rng=0).eigenvalues
    np.testing.assert_allclose(got / 1.7e308, ref, rtol=1e3 * 30 * EPS)


def test_nystrom_psd_unrepresentable_eigenvalues_raise():
    # eigenvalue 30 * 1e308 overflows: a clear error, not a LinAlgError
    with pytest.raises(ValueError, match="eigenvalue.*of A exceed.*float64 range"):
        nla.nystrom_psd(np.full((30, 30), 1e308), 1, rng=0)


def test_nystrom_psd_nan_without_check_finite_raises_clearly():
    A = np.eye(20)
    A[0, 0] = np.nan
    with pytest.raises(ValueError, match="A @ Omega is not finite.*check_finite=False"):
        nla.nystrom_psd(A, 3, rng=0, check_finite=False)


# -- item 3: nystrom_psd on non-symmetric or indefinite A --------------------


def _signs(n):
    d = np.ones(n)
    d[::2] = -1.0
    return np.diag(d)


@pytest.mark.parametrize("form", ["dense", "sparse"])
@pytest.mark.parametrize(
    "name, A",
    [("diag(+-1)", _signs(20)), ("-I", -np.eye(20)), ("-PSD", -_psd(20, 5, 1))],
)
@pytest.mark.parametrize("k, oversample", [(3, 10), (1, 0), (20, 0)])
def test_nystrom_psd_indefinite_raises(name, A, form, k, oversample):
    # before: diag(+-1) gave eigenvalues [3.73, 1.54, 1.08], -I gave zeros
    B = sp.csr_matrix(A) if form == "sparse" else A
    with pytest.raises(ValueError, match="A must be positive semidefinite"):
        nla.nystrom_psd(B, k, oversample=oversample, rng=0)


@pytest.mark.parametrize("form", ["dense", "sparse"])
@pytest.mark.parametrize("k, oversample", [(3, 10), (1, 0), (2, 0), (20, 0)])
def test_nystrom_psd_non_symmetric_raises(form, k, oversample):
    # triu(ones) has ||A - A^T||_F / ||A||_F = sqrt(380 / 210) = 1.35; with
    # one column (k = 1, oversample = 0) the sketch has no skew part and
    # A^T Omega is compared with A Omega instead
    A = np.triu(np.ones((20, 20)))
    B = sp.csr_matrix(A) if form == "sparse" else A
    with pytest.raises(ValueError, match="A must be symmetric"):
        nla.nystrom_psd(B, k, oversample=oversample, rng=0)


def test_nystrom_psd_symmetry_estimate_is_an_estimate():
    # Omega^T K Omega of a Haar Omega (n x l) has E ||.||_F^2 = l (l - 1) /
    # (n (n - 1)) ||K||_F^2 for skew K: the reported value is within a small
    # factor of the true ratio (here l (l - 1) / 2 = 55 independent terms)
    rng = np.random.default_rng(3)
    S = _psd(60, 60, 2)
    G = rng.standard_normal((60, 60))
    K = (G - G.T) / 2
    for t in (1e-6, 1e-3, 1.0):
        A = S + t * K / np.linalg.norm(K) * np.linalg.norm(S)
        true = np.linalg.norm(A - A.T) / np.linalg.norm(A)
        with pytest.raises(ValueError, match="A must be symmetric") as info:
            nla.nystrom_psd(A, 1, oversample=10, rng=0)
        est = float(str(info.value).split("about ")[1].split(" ")[0])
        assert true / 3 <= est <= 3 * true


def test_nystrom_psd_rounding_level_asymmetry_and_negativity_pass():
    # a product formed in two orders is symmetric only up to rounding, and a
    # PSD matrix of low rank has eigenvalues at rounding level of either sign:
    # both are far below the sqrt(eps) thresholds
    rng = np.random.default_rng(4)
    for dtype in (np.float64, np.float32):
        for n in (30, 400):
            G = rng.standard_normal((n, 6)).astype(dtype)
            d = rng.random(6).astype(dtype)
            A = G @ (d[:, None] * G.T)
            assert not np.array_equal(A, A.T)
            for k, p in ((6, 10), (1, 0), (6, 0)):
                f = nla.nystrom_psd(A, k, oversample=p, rng=1)
                assert f.eigenvalues.dtype == dtype


def test_nystrom_psd_kernel_matrix_passes():
    # a Gaussian kernel matrix in float32 (numerically of low rank, with
    # eigenvalues at rounding level of either sign) is accepted
    X = np.random.default_rng(5).standard_normal((300, 2)).astype(np.float32)
    D = np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1)
    K = np.exp(-D / 8).astype(np.float32)
    for k, p in ((10, 10), (1, 0), (300, 0)):
        nla.nystrom_psd(K, k, oversample=p, rng=0)


def test_nystrom_psd_threshold_sides():
    # a skew part of relative size 1e-4 is found, one of 1e-12 (below
    # sqrt(eps) = 1.5e-8) is taken for rounding; likewise a negative
    # eigenvalue of -1e-3 lambda_max is found, -1e-13 lambda_max is not
    rng = np.random.default_rng(6)
    n = 50
    Q = random_orthogonal(rng, n)
    S = (Q * np.linspace(1.0, 0.5, n)) @ Q.T
    S = (S + S.T) / 2
    G = rng.standard_normal((n, n))
    K = (G - G.T) / np.linalg.norm(G - G.T) * np.linalg.norm(S)
    with pytest.raises(ValueError, match="A must be symmetric"):
        nla.nystrom_psd(S + 1e-4 * K, 5, rng=0)
    nla.nystrom_psd(S + 1e-12 * K, 5, rng=0)
    for neg, raises in ((-1e-3, True), (-1e-13, False)):
        lam = np.linspace(1.0, 0.5, n)
        lam[-1] = neg
        A = (Q * lam) @ Q.T
        A = (A + A.T) / 2
        if raises:
            with pytest.raises(ValueError, match="A must be positive semidefinite"):
                nla.nystrom_psd(A, n, oversample=0, rng=0)
        else:
            nla.nystrom_psd(A, n, oversample=0, rng=0)


# -- item 7: options validated on every path ---------------------------------

A = np.random.default_rng(0).standard_normal((12, 9))
P = A @ A.T


@pytest.mark.parametrize("rng", ["42", 1.5, np.random.RandomState(0)])
@pytest.mark.parametrize("method", ["exact", "randomized"])
def test_pinv_cr_rng_validated_for_every_method(rng, method):
    # before: method="exact" accepted rng="42"
    with pytest.raises(TypeError, match="rng"):
        nla.pinv_cr(A[:, :4], A[:4, :], method=method, rng=rng)
    with pytest.raises(ValueError, match="rng"):
        nla.pinv_cr(A[:, :4], A[:4, :], method=method, rng=-1)


def _calls():
    return {
        "rsvd": lambda **kw: nla.rsvd(A, 3, rng=0, **kw),
        "range_finder": lambda **kw: nla.lowrank.range_finder(A, 3, rng=0, **kw),
        "nystrom": lambda **kw: nla.nystrom(A, 3, rng=0, **kw),
        "nystrom_psd": lambda **kw: nla.nystrom_psd(P, 3, rng=0, **kw),
        "cur": lambda **kw: nla.cur(A, 3, rng=0, **kw),
        "pinv_cr": lambda **kw: nla.pinv_cr(A[:, :4], A[:4, :], **kw),
    }


@pytest.mark.parametrize("name", list(_calls()))
@pytest.mark.parametrize("bad", ["no", None, 1, 0.0])
def test_check_finite_must_be_a_bool(name, bad):
    # before: any truthy or falsy object was accepted
    with pytest.raises(TypeError, match="check_finite must be True or False"):
        _calls()[name](check_finite=bad)
    _calls()[name](check_finite=np.True_)


@pytest.mark.parametrize("method", ["deim", "qdeim", "qr", "leverage", "uniform"])
@pytest.mark.parametrize(
    "bad, exc", [("bogus", ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError)]
)
def test_cur_n_iter_validated_for_every_method(method, bad, exc):
    # before: "qr" and "uniform" (which run no randomized SVD) ignored n_iter
    with pytest.raises(exc, match="n_iter"):
        nla.cur(A, 3, method=method, n_iter=bad, rng=0)


@pytest.mark.parametrize("method", ["deim", "qdeim", "qr", "leverage", "uniform"])
@pytest.mark.parametrize("engine", ["bogus", 1, "cupy"])
def test_cur_engine_validated_for_every_method(method, engine):
    with pytest.raises(ValueError, match="engine"):
        nla.cur(A, 3, method=method, engine=engine, rng=0)


@pytest.mark.parametrize("sketch", ["auto", "srht", "sparse_sign", "gaussian"])
@pytest.mark.parametrize("engine", ["bogus", 1, "cupy"])
def test_nystrom_engine_validated_for_every_sketch(sketch, engine):
    with pytest.raises(ValueError, match="engine"):
        nla.nystrom(A, 3, sketch=sketch, engine=engine, rng=0)


# -- item 6: the dtype policy for dense, sparse and LinearOperator input ------


def _sparse_with_dtype(X, dtype):
    """CSR with data of `dtype` (scipy cannot convert to big-endian itself)."""
    S = sp.csr_matrix(X)
    return sp.csr_matrix((S.data.astype(dtype), S.indices, S.indptr), shape=S.shape)


class _Op(LinearOperator):
    """An operator whose products come back in `dtype`, as its dtype says."""

    def __init__(self, M, dtype):
        super().__init__(np.dtype(dtype), M.shape)
        self.M = M

    def _matmat(self, X):
        return (self.M @ X).astype(self.dtype)

    def _rmatmat(self, X):
        return (self.M.T @ X).astype(self.dtype)

    def _matvec(self, x):
        return self._matmat(x.reshape(-1, 1)).ravel()

    def _rmatvec(self, x):
        return self._rmatmat(x.reshape(-1, 1)).ravel()


def _lowrank_calls(X, Xpsd):
    return [
        lambda: nla.rsvd(X, 3, rng=0).U,
        lambda: nla.lowrank.range_finder(X, 3, rng=0),
        lambda: nla.nystrom(X, 3, rng=0).left,
        lambda: nla.nystrom_psd(Xpsd, 3, rng=0).U,
        lambda: nla.cur(X, 3, rng=0).U,
    ]


@pytest.mark.parametrize(
    "dtype, want", [(np.float16, np.float32), (">f4", np.float32), (">f8", np.float64)]
)
@pytest.mark.parametrize("form", ["dense", "sparse"])
def test_dtype_policy_converts(dtype, want, form):
    if form == "sparse" and dtype == np.float16:
        pytest.skip("scipy.sparse has no float16")
    conv = (lambda M: _sparse_with_dtype(M, dtype)) if form == "sparse" else (
        lambda M: M.astype(dtype)
    )
    X, Xp = conv(A), conv(P / np.linalg.norm(P))
    for call in _lowrank_calls(X, Xp):
        out = call()
        assert out.dtype == np.dtype(want)
    out = nla.pinv_cr(A[:, :4].astype(dtype), A[:4, :].astype(dtype))
    assert out.dtype == np.dtype(want)


@pytest.mark.parametrize("form", ["dense", "sparse"])
def test_dtype_policy_refuses_longdouble(form):
    conv = (lambda M: _sparse_with_dtype(M, np.longdouble)) if form == "sparse" else (
        lambda M: M.astype(np.longdouble)
    )
    if np.dtype(np.longdouble).itemsize <= 8:
        pytest.skip("longdouble is float64 on this platform")
    X, Xp = conv(A), conv(P)
    for call in _lowrank_calls(X, Xp):
        with pytest.raises(TypeError, match="A has extended precision dtype"):
            call()
    with pytest.raises(TypeError, match="C has extended precision dtype"):
        nla.pinv_cr(A[:, :4].astype(np.longdouble), A[:4, :])


@pytest.mark.parametrize(
    "dtype, want", [(np.float16, np.float32), (">f4", np.float32), (">f8", np.float64)]
)
@pytest.mark.parametrize("fn", ["rsvd", "range_finder"])
def test_operator_dtype_policy(dtype, want, fn):
    # before: a float16 operator reached LAPACK ("array type float16 is
    # unsupported in linalg") and a big-endian float32 one gave float64
    op = _Op(A, dtype)
    if fn == "rsvd":
        U, s, Vt = nla.rsvd(op, 3, rng=0)
        assert U.dtype == s.dtype == Vt.dtype == np.dtype(want)
        ref = nla.rsvd(A.astype(dtype).astype(want), 3, rng=0)
        np.testing.assert_allclose(s, ref.s, rtol=1e3 * np.finfo(want).eps * 12)
    else:
        Q = nla.lowrank.range_finder(op, 3, rng=0)
        assert Q.dtype == np.dtype(want)


@pytest.mark.parametrize("fn", ["rsvd", "range_finder"])
def test_operator_longdouble_refused(fn):
    if np.dtype(np.longdouble).itemsize <= 8:
        pytest.skip("longdouble is float64 on this platform")
    f = nla.rsvd if fn == "rsvd" else nla.lowrank.range_finder
    with pytest.raises(TypeError, match="A has extended precision dtype"):
        f(_Op(A, np.longdouble), 3, rng=0)


# -- overflow in the first product of the range finder -----------------------


@pytest.mark.parametrize("form", ["dense", "sparse", "operator"])
def test_rsvd_near_the_largest_float(form):
    # sigma_max = 1.2e308 is representable, but A @ Omega (Gaussian columns
    # of norm ~ sqrt(n)) overflows and Householder QR of entries near the
    # largest float does too: before, "SVD did not converge" (rsvd, cur) and
    # NaN (range_finder); now the same result as at scale 1
    B = np.random.default_rng(0).standard_normal((40, 30))
    c = 1e307
    X = {"dense": c * B, "sparse": sp.csr_matrix(c * B), "operator": aslinearoperator(c * B)}[
        form
    ]
    ref = nla.rsvd(B, 3, rng=0)
    got = nla.rsvd(X, 3, rng=0)
    # rsvd of a full-rank matrix is not exact, but both runs use the same
    # Omega up to a power of two: the results agree to rounding
    np.testing.assert_allclose(got.s / c, ref.s, rtol=1e3 * 40 * EPS)
    Q = nla.lowrank.range_finder(X, 3, rng=0)
    assert np.all(np.isfinite(Q))
    np.testing.assert_allclose(Q.T @ Q, np.eye(3), atol=1e3 * 40 * EPS)
    if form != "operator":
        f = nla.cur(X, 3, rng=0)
        np.testing.assert_array_equal(f.col_idx, nla.cur(B, 3, rng=0).col_idx)


# -- the new checks and rescaling on every array library ---------------------


@pytest.mark.parametrize("backend", ["strict", "strict-device1", "torch"])
@pytest.mark.parametrize("dtype, scale", [(np.float64, 1e160), (np.float32, 1e30)])
def test_checks_and_rescaling_on_every_library(backend, dtype, scale):
    from tests.lowrank.test_backends import _check_parts, _convert

    eye = np.eye(20, dtype=dtype)
    for k, p in ((3, 10), (1, 0)):
        f = nla.nystrom_psd(_convert(backend, eye * dtype(scale)), k, oversample=p, rng=0)
        _check_parts([f.U, f.eigenvalues], _convert(backend, eye), np.dtype(dtype))
        ev = to_host(f.eigenvalues)
        np.testing.assert_allclose(ev, scale, rtol=1e3 * 20 * np.finfo(dtype).eps)
        with pytest.raises(ValueError, match="A must be positive semidefinite"):
            nla.nystrom_psd(_convert(backend, -eye), k, oversample=p, rng=0)
        with pytest.raises(ValueError, match="A must be symmetric"):
            nla.nystrom_psd(_convert(backend, np.triu(np.ones_like(eye))), k, oversample=p, rng=0)
    # rank 3, kappa 10: the basis is NumPy's at scale 1 up to rounding
    # amplified by kappa (as in test_extremes) and up to column signs (NumPy
    # orthonormalizes by CholeskyQR2, the others by Householder)
    rng = np.random.default_rng(0)
    B = with_singular_values(rng, 40, 30, np.logspace(0, -1, 3)).astype(dtype)
    ref = nla.lowrank.range_finder(B, 3, rng=0)
    Q = nla.lowrank.range_finder(_convert(backend, B * dtype(scale)), 3, rng=0)
    tol = 1e3 * 10 * 40 * np.finfo(dtype).eps
    np.testing.assert_allclose(np.abs(to_host(Q)), np.abs(ref), atol=tol)
