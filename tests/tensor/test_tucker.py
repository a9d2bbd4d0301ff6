"""Tucker decomposition: exactness, the error chain HOOI <= ST-HOSVD <= HOSVD
bound <= sqrt(N) x optimal, TensorLy agreement, dtypes, scales, warnings."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nla
from tests.tensor._build import decaying, planted, small_tensors, spectra

EPS = float(np.finfo(np.float64).eps)


@st.composite
def tensor_and_core(draw):
    X = draw(small_tensors(max_dim=7))
    core = tuple(draw(st.integers(1, i)) for i in X.shape)
    return X, core


def _orthonormal(U, tol):
    r = U.shape[1]
    return np.abs(U.T @ U - np.eye(r)).max() <= tol


@settings(max_examples=25)
@given(tensor_and_core())
def test_error_chain(case):
    X, core = case
    N = X.ndim
    total = float(np.sum(X * X))
    tails = sum(float(s[r:].sum()) for s, r in zip(spectra(X), core, strict=True))
    bound = math.sqrt(tails / total)
    t = {m: nla.tucker(X, core, method=m, tol=1e-10) for m in ("hosvd", "st-hosvd", "hooi")}
    # rounding of the squared errors: a few eps of ||X||^2 -> sqrt in absolute terms
    slack = math.sqrt(64 * max(X.shape) * EPS)
    assert t["hooi"].rel_error <= t["st-hosvd"].rel_error + slack
    assert t["st-hosvd"].rel_error <= bound + slack
    assert t["hosvd"].rel_error <= bound + slack
    # the HOSVD bound is within sqrt(N) of the optimum, which HOOI's error exceeds
    assert bound <= math.sqrt(N) * t["hooi"].rel_error + slack
    for res in t.values():
        D = X - res.to_dense()
        assert res.rel_error == pytest.approx(np.linalg.norm(D) / math.sqrt(total), abs=slack)
        assert all(_orthonormal(U, 100 * max(X.shape) * EPS) for U in res.factors)
        assert res.n_params == nla.tucker_params(X.shape, core)
        assert res.core_shape == core


@pytest.mark.parametrize("method", ["hooi", "st-hosvd", "hosvd"])
@pytest.mark.parametrize(
    "shape, core", [((9, 8, 7), (3, 2, 4)), ((6, 5, 4, 3), (2, 3, 2, 2)), ((12, 10), (4, 4))]
)
def test_exact_for_exact_multilinear_rank(method, shape, core):
    X = planted(np.random.default_rng(11), shape, core)
    t = nla.tucker(X, core, method=method)
    assert t.rel_error <= 100 * max(shape) * EPS
    np.testing.assert_allclose(t.to_dense(), X, atol=100 * max(shape) * EPS * np.abs(X).max())


def test_gram_fallback_keeps_accuracy_below_sqrt_eps():
    """Errors far below sqrt(eps): the Gram route alone would stall near
    sqrt(I_n eps); the QR fallback keeps eps-level accuracy."""
    X = planted(np.random.default_rng(5), (30, 25, 20), (3, 3, 3))
    noise = np.random.default_rng(6).standard_normal(X.shape)
    X = X + 1e-11 * np.linalg.norm(X) / math.sqrt(X.size) * noise
    t = nla.tucker(X, (3, 3, 3), method="hosvd")
    assert t.rel_error <= 2e-11
    assert np.linalg.norm(X - t.to_dense()) / np.linalg.norm(X) == pytest.approx(
        t.rel_error, rel=1e-3
    )


def test_agrees_with_tensorly():
    tl = pytest.importorskip("tensorly")
    from tensorly.decomposition import tucker as tl_tucker

    X = planted(np.random.default_rng(8), (14, 12, 10), (4, 3, 5), noise=0.1)
    core = (4, 3, 5)
    ours = nla.tucker(X, core, init="hosvd", tol=1e-12, maxiter=500)
    tl.set_backend("numpy")
    G, U = tl_tucker(X, core, init="svd", tol=1e-14, n_iter_max=500)
    theirs = np.linalg.norm(X - tl.tucker_to_tensor((G, U))) / np.linalg.norm(X)
    assert abs(ours.rel_error - theirs) <= 1e-6
    # the same subspaces
    for a, b in zip(ours.factors, U, strict=True):
        assert np.linalg.norm(a @ a.T - b @ b.T) <= 1e-5


def test_mode_permutation_equivariance():
    X = decaying(np.random.default_rng(9), (7, 6, 5), 0.7)
    core = (3, 2, 4)
    perm = (2, 0, 1)
    a = nla.tucker(X, core, tol=1e-12)
    b = nla.tucker(np.transpose(X, perm), tuple(core[p] for p in perm), tol=1e-12)
    assert a.rel_error == pytest.approx(b.rel_error, abs=1e-7)


@pytest.mark.parametrize("method", ["hooi", "st-hosvd", "hosvd"])
def test_float32_in_float32_out(method):
    X = decaying(np.random.default_rng(10), (8, 7, 6), 0.6)
    t32 = nla.tucker(X.astype(np.float32), (3, 3, 3), method=method)
    t64 = nla.tucker(X.astype(np.float32).astype(np.float64), (3, 3, 3), method=method)
    assert t32.core.dtype == np.float32 and all(U.dtype == np.float32 for U in t32.factors)
    np.testing.assert_allclose(t32.to_dense(), t64.to_dense(), atol=1e-5 * np.abs(X).max())


@pytest.mark.parametrize("c", [2.0**-1000, 1e-300, 1e-160, 1e160, 1e300, 2.0**1000])
def test_extreme_scales(c):
    X = decaying(np.random.default_rng(12), (6, 5, 4), 0.6)
    ref = nla.tucker(X, (2, 3, 2))
    t = nla.tucker(X * c, (2, 3, 2))
    assert t.rel_error == pytest.approx(ref.rel_error, rel=1e-10)
    top = np.abs(ref.core).max()
    np.testing.assert_allclose(t.core / c, ref.core, rtol=1e-10, atol=1e-12 * top)
    assert nla.tucker_core_shape(X * c, 40) == nla.tucker_core_shape(X, 40)


def test_svd_rsvd_route():
    X = decaying(np.random.default_rng(13), (20, 18, 16), 0.5)
    a = nla.tucker(X, (3, 3, 3), tol=1e-12)
    b = nla.tucker(X, (3, 3, 3), svd="rsvd", rng=0, tol=1e-12)
    c = nla.tucker(X, (3, 3, 3), svd="rsvd", rng=0, tol=1e-12)
    assert b.rel_error == pytest.approx(a.rel_error, rel=1e-8)
    np.testing.assert_array_equal(b.core, c.core)  # the same seed, the same bits


def test_convergence_warning():
    X = decaying(np.random.default_rng(14), (8, 7, 6), 0.9)
    with pytest.warns(nla.ConvergenceWarning, match="maxiter"):
        t = nla.tucker(X, (2, 2, 2), maxiter=1, tol=0.0)
    assert not t.converged and t.n_iter == 1


def test_input_not_modified_and_layouts():
    X = decaying(np.random.default_rng(15), (6, 5, 4), 0.7)
    F = np.asfortranarray(X)
    keep = F.copy()
    a = nla.tucker(F, (2, 2, 2))
    np.testing.assert_array_equal(F, keep)
    b = nla.tucker(X, (2, 2, 2))
    assert a.rel_error == pytest.approx(b.rel_error, rel=1e-12)


def test_zero_tensor():
    t = nla.tucker(np.zeros((4, 3, 2)), (2, 2, 1))
    assert t.rel_error == 0.0 and np.all(t.core == 0)


def test_array_api_strict_agrees():
    xps = pytest.importorskip("array_api_strict")
    X = decaying(np.random.default_rng(16), (6, 5, 4), 0.7)
    a = nla.tucker(X, (2, 3, 2))
    b = nla.tucker(xps.asarray(X), (2, 3, 2))
    assert b.rel_error == pytest.approx(a.rel_error, rel=1e-10)
    np.testing.assert_allclose(np.asarray(b.to_dense()), a.to_dense(), atol=1e-12)


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((np.ones(4), (1,)), {}, "X"),
        ((np.ones((3, 4)), (4, 1)), {}, "core_shape"),
        ((np.ones((3, 4)), (0, 1)), {}, "core_shape"),
        ((np.ones((3, 4)), (-1, 1)), {}, "core_shape"),
        ((np.ones((3, 4)), (1,)), {}, "core_shape"),
        ((np.ones((3, 4)), 2), {}, "core_shape"),
        ((np.full((3, 4), np.nan), (1, 1)), {}, "X"),
        ((np.ones((3, 4)), (1, 1)), {"budget": 20}, "budget"),
        ((np.ones((3, 4)),), {}, "core_shape"),
        ((np.ones((3, 4)),), {"budget": 7}, "budget"),
        ((np.ones((3, 4)), (1, 1)), {"method": "svd"}, "method"),
        ((np.ones((3, 4)), (1, 1)), {"init": "random"}, "init"),
        ((np.ones((3, 4)), (1, 1)), {"maxiter": 0}, "maxiter"),
        ((np.ones((3, 4)), (1, 1)), {"tol": -1.0}, "tol"),
        ((np.ones((3, 4)), (1, 1)), {"svd": "full"}, "svd"),
        ((np.ones((3, 4)), (1, 1)), {"shape_method": "x"}, "shape_method"),
    ],
)
def test_bad_input(args, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        nla.tucker(*args, **kwargs)


def test_tucker_params():
    assert nla.tucker_params((145, 145, 200), (26, 26, 37)) == 26 * 26 * 37 + 145 * 52 + 200 * 37
    with pytest.raises(ValueError, match="core_shape"):
        nla.tucker_params((3, 4), (4, 1))
    with pytest.raises(ValueError, match="shape"):
        nla.tucker_params((3,), (1,))
    with pytest.raises(TypeError, match="shape"):
        nla.tucker_params(3, (1,))
