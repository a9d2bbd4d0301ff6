"""The shared backend helpers over namespace x device x dtype.

The private helpers of ``nla._backend`` that take arrays run on every
namespace the families use: the result stays in the caller's namespace, on
its device and in its dtype, and agrees with the NumPy result. (They take
input the families have already validated, so they have no place in the
bad-input matrix.)
"""

import numpy as np
import pytest

import nla._backend as be
from tests.helpers import random_orthogonal

_BACKENDS = ["numpy", "strict", "strict-device1", "torch"]


def _convert(backend, dtype):
    if backend == "numpy":
        return lambda a: np.asarray(a, dtype=dtype)
    if backend.startswith("strict"):
        xs = pytest.importorskip("array_api_strict")
        dev = xs.Device("device1") if backend.endswith("device1") else None
        xdt = getattr(xs, np.dtype(dtype).name)
        return lambda a: xs.asarray(np.asarray(a, dtype=dtype), dtype=xdt, device=dev)
    torch = pytest.importorskip("torch")
    tdt = getattr(torch, np.dtype(dtype).name)
    return lambda a: torch.asarray(np.asarray(a, dtype=dtype)).to(tdt)


def _same_place(out, like):
    xp, xo = be.array_namespace(like), be.array_namespace(out)
    assert xo is xp, (xo, xp)
    assert be.device_of(out) == be.device_of(like)
    assert out.dtype == like.dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("backend", _BACKENDS)
def test_helpers_stay_in_namespace_and_agree(backend, dtype):
    conv = _convert(backend, dtype)
    rng = np.random.default_rng(0)
    s_true = np.logspace(0, -2, 6)
    Lh = (random_orthogonal(rng, 40, 6) * s_true) @ random_orthogonal(rng, 6).T
    Th = np.triu(rng.standard_normal((6, 6))) + 6 * np.eye(6)
    Bh = rng.standard_normal((6, 3))
    L, T, B = conv(Lh), conv(Th), conv(Bh)
    xp = be.array_namespace(L)
    tol = 100 * 40 * np.finfo(dtype).eps * 100  # kappa(L) = 100

    # conversions and dtypes
    np.testing.assert_array_equal(be.to_host(L), Lh.astype(dtype))
    assert be.numpy_dtype(L.dtype) == np.dtype(dtype)
    assert be.namespace_dtype(xp, np.dtype(dtype)) == L.dtype
    assert be.work_dtype(L) == np.dtype(dtype)
    assert not be.is_sparse(L) and not be.is_cupy_sparse(L) and not be.is_operator(L)
    assert be.is_numpy_namespace(xp) == (backend == "numpy")
    assert not be.is_cupy_namespace(xp)

    # linear algebra
    s = be.svdvals(L, xp)
    _same_place(s, L)
    np.testing.assert_allclose(be.to_host(s), s_true, rtol=tol)
    assert be.numerical_rank(s, rtol=0.05) == 4  # s = 1, .4, .16, .063, .025, .01
    for Q, R in [be.qr_thin(L, xp), (be.orth(L, xp), None)]:
        _same_place(Q, L)
        Qh = be.to_host(Q).astype(np.float64)
        np.testing.assert_allclose(Qh.T @ Qh, np.eye(6), atol=tol)
        if R is not None:
            np.testing.assert_allclose(Qh @ be.to_host(R), Lh, atol=tol)
    X = be.solve_triangular(T, B, xp=xp)
    _same_place(X, B)
    np.testing.assert_allclose(be.to_host(X), np.linalg.solve(Th, Bh), rtol=tol, atol=tol)
    P = be.matmul(L, T)
    _same_place(P, L)
    np.testing.assert_allclose(be.to_host(P), Lh @ Th, rtol=tol, atol=tol)
    Pt = be.rmatmul(L, L, xp)
    _same_place(Pt, L)
    np.testing.assert_allclose(be.to_host(Pt), Lh.T @ Lh, rtol=tol, atol=tol)
    U, Vt = be.sign_fix(L, T, xp)
    _same_place(U, L)
    Uh = be.to_host(U)
    assert np.all(Uh[np.argmax(np.abs(Uh), axis=0), np.arange(6)] > 0)
    np.testing.assert_array_equal(np.abs(Uh), np.abs(Lh.astype(dtype)))


def test_cholesky_qr2_and_its_refusal():
    rng = np.random.default_rng(1)
    L = random_orthogonal(rng, 50, 5) * np.logspace(0, -3, 5)
    Q, R = be.cholesky_qr2(L)
    np.testing.assert_allclose(Q @ R, L, atol=1e-13)
    # rank-deficient: the Cholesky factorization fails, so it declines
    assert be.cholesky_qr2(np.ones((50, 3))) is None


def test_linalg_module_and_registry():
    import scipy.linalg

    assert be.linalg_module(be.array_namespace(np.ones(1))) is scipy.linalg
    xs = pytest.importorskip("array_api_strict")
    assert be.linalg_module(xs) is None
    assert "sketch.fwht" in be.registry and isinstance(be.registry["sketch.fwht"], be.Kernel)
