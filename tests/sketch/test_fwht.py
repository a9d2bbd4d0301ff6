"""Property tests of nla.fwht (the public transform)."""

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st

import nla
from tests.helpers import assert_namespace, seeds, to_host

log2d = st.integers(min_value=0, max_value=11)


def _rand(seed, shape, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# Rounding: each output is a sum of d terms through log2(d) butterfly levels, so
# |fwht(x) - H x / sqrt(d)| <= c log2(d) eps ||x||_2 (Higham, fast transforms).
def _tol(d, dtype=np.float64):
    return 4 * max(1, np.log2(d)) * np.finfo(dtype).eps


@given(p=log2d, m=st.integers(1, 5), seed=seeds)
def test_equals_dense_hadamard(engine, p, m, seed):
    d = 2**p
    x = _rand(seed, (m, d))
    y = nla.fwht(x, engine=engine)
    ref = x @ scipy.linalg.hadamard(d).T / np.sqrt(d)
    scale = np.linalg.norm(x, axis=1, keepdims=True)
    assert np.all(np.abs(y - ref) <= _tol(d) * scale)


@given(p=log2d, seed=seeds)
def test_involution_and_norm(engine, p, seed):
    d = 2**p
    x = _rand(seed, (3, d))
    y = nla.fwht(x, engine=engine)
    nx = np.linalg.norm(x, axis=1)
    np.testing.assert_allclose(np.linalg.norm(y, axis=1), nx, rtol=_tol(d))
    z = nla.fwht(y, engine=engine)
    assert np.all(np.abs(z - x) <= 2 * _tol(d) * nx[:, None])


@given(p=st.integers(0, 13), seed=seeds, dtype=st.sampled_from([np.float32, np.float64]))
def test_engines_agree_with_reference(p, seed, dtype):
    d = 2**p
    x = _rand(seed, (4, d), dtype)
    ref = nla.fwht(x, engine="numpy")
    assert ref.dtype == dtype
    for eng in nla.available_engines():
        if eng == "cupy":
            continue
        y = nla.fwht(x, engine=eng)
        assert y.dtype == dtype
        bound = _tol(d, dtype) * np.linalg.norm(x.astype(np.float64), axis=1, keepdims=True)
        assert np.all(np.abs(y.astype(np.float64) - ref) <= bound)


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2])
def test_axis_and_batch(engine, axis):
    x = _rand(1, (8, 4, 16))
    y = nla.fwht(x, axis=axis, engine=engine)
    d = x.shape[axis]
    H = scipy.linalg.hadamard(d) / np.sqrt(d)
    ref = np.moveaxis(np.tensordot(H, np.moveaxis(x, axis, 0), axes=(1, 0)), 0, axis)
    np.testing.assert_allclose(y, ref, rtol=0, atol=1e-14 * np.abs(x).sum())


def test_vector_complex_and_int(engine):
    x = np.arange(16)
    y = nla.fwht(x, engine=engine)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, scipy.linalg.hadamard(16) @ x / 4, atol=1e-12)
    z = _rand(2, 8) + 1j * _rand(3, 8)
    np.testing.assert_allclose(
        nla.fwht(z, engine=engine), scipy.linalg.hadamard(8) @ z / np.sqrt(8), atol=1e-14
    )


def test_readonly_noncontiguous_input_unchanged(engine):
    x = _rand(4, (16, 32))
    view = x[::2, ::2]
    view.flags.writeable = False
    before = view.copy()
    y = nla.fwht(view, engine=engine)
    np.testing.assert_array_equal(view, before)
    np.testing.assert_allclose(y, before @ scipy.linalg.hadamard(16) / 4, atol=1e-13)


def test_namespaces(xp):
    x = _rand(5, (3, 32))
    y = nla.fwht(xp.asarray(x))
    assert_namespace(y, xp)
    np.testing.assert_allclose(to_host(y), nla.fwht(x, engine="numpy"), atol=1e-14)
    y0 = nla.fwht(xp.asarray(x), axis=0 if x.shape[0] == 4 else -1)
    assert_namespace(y0, xp)


def test_non_default_device():
    import array_api_strict as xs

    dev = xs.Device("device1")
    x = _rand(6, (3, 16))
    for axis in (-1, 0):
        xx = x if axis == -1 else x.T
        y = nla.fwht(xs.asarray(xx, device=dev), axis=axis)
        assert_namespace(y, xs)
        assert y.device == dev
        got = to_host(xs.asarray(y, device=xs.Device("CPU_DEVICE")))
        np.testing.assert_allclose(got, nla.fwht(xx, axis=axis, engine="numpy"), atol=1e-14)


@pytest.mark.parametrize(
    "x, kwargs, exc, match",
    [
        (np.ones(6), {}, ValueError, "not a power of two; pad x with zeros to length 8"),
        (np.ones((4, 3)), {}, ValueError, r"x.shape\[1\] = 3"),
        (np.ones((4, 3)), {"axis": 2}, ValueError, "axis must be <= 1"),
        (np.array(1.0), {}, ValueError, "at least 1 dimensions"),
        (np.array([1.0, np.nan]), {}, ValueError, "x must not contain NaN or Inf"),
        (np.ones(0), {}, ValueError, "x must not be empty"),
        (np.array(["a", "b"]), {}, TypeError, "x must have"),
        (np.ones(4), {"axis": 0.5}, TypeError, "axis must be an integer"),
    ],
)
def test_bad_input(x, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        nla.fwht(x, **kwargs)


def test_check_finite_false_passes_nan_through():
    y = nla.fwht(np.array([np.nan, 0.0]), check_finite=False)
    assert np.isnan(y).all()
