"""The sketches on array_api_strict, on its default and on its second device.

array_api_strict stands in for every library that is not NumPy (CuPy
among them): it has only the standard's functions, refuses to mix devices
and has no sparse arrays, so a NumPy-only kernel, a host array made for a
device array, or a dense random matrix made where a sparse one is meant
all show up here.
"""

import numpy as np
import pytest

import nla
from nla.sketch import FJLTSketch, SRHTSketch
from tests.helpers import assert_namespace, to_host
from tests.sketch._backend_cases import CALLS, KINDS, SHAPES, check_close, inputs, make

xs = pytest.importorskip("array_api_strict")

DEVICES = {
    "default": xs.Device("CPU_DEVICE"),
    "device1": xs.Device("device1"),
}
DTYPES = {"float32": (np.float32, xs.float32), "float64": (np.float64, xs.float64)}


def _host(z):
    """An array_api_strict array (any device) as NumPy."""
    return to_host(xs.asarray(z, device=DEVICES["default"]))


@pytest.mark.parametrize("device", list(DEVICES))
@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("kind", KINDS)
def test_every_method(kind, shape, dtype, device):
    np_dtype, xs_dtype = DTYPES[dtype]
    dev = DEVICES[device]
    d, k, n = shape
    S = make(kind, d, k, np_dtype)
    a = inputs(d, k, n, np_dtype)
    ax = {name: xs.asarray(v, device=dev) for name, v in a.items()}
    D = S.to_dense(engine="numpy")
    for call in CALLS.values():
        got = call(S, ax)
        assert_namespace(got, xs)
        assert got.dtype == xs_dtype
        assert got.device == dev
        check_close(_host(got), call(S, a), D, a)


@pytest.mark.parametrize("device", list(DEVICES))
@pytest.mark.parametrize("kind", KINDS)
def test_dtype_promotion(kind, device):
    """A float32 sketch of float64 data gives float64, like a matrix product."""
    dev = DEVICES[device]
    S = make(kind, 40, 6, np.float32)
    a = inputs(40, 6, 3, np.float64)
    for name in ("apply", "apply_rows", "adjoint", "matvec", "rmatvec"):
        got = CALLS[name](S, {n: xs.asarray(v, device=dev) for n, v in a.items()})
        assert got.dtype == xs.float64 and got.device == dev, name


@pytest.mark.parametrize("device", list(DEVICES))
@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_fwht(dtype, device, axis):
    np_dtype, xs_dtype = DTYPES[dtype]
    dev = DEVICES[device]
    x = np.random.default_rng(3).standard_normal((16, 8, 4)).astype(np_dtype)
    got = nla.fwht(xs.asarray(x, device=dev), axis=axis)
    assert got.dtype == xs_dtype and got.device == dev
    want = nla.fwht(x, axis=axis, engine="numpy")
    # both within log2(d) eps ||x|| of the exact transform, per vector
    bound = 8 * np.log2(x.shape[axis]) * np.finfo(np_dtype).eps * np.linalg.norm(x)
    assert np.max(np.abs(_host(got) - want)) <= bound


@pytest.mark.parametrize("kind", ["srht", "fjlt"])
def test_hadamard_sketches_never_form_p_densely(kind):
    """Off NumPy, P and P.T are applied as gathers: nothing of size k x d_pad
    (a dense P or a one-hot scatter matrix) is ever made or cached."""
    d, k, n = 512, 40, 3
    S = make(kind, d, k, np.float64)
    assert isinstance(S, (SRHTSketch, FJLTSketch))
    a = inputs(d, k, n, np.float64)
    ax = {name: xs.asarray(v, device=DEVICES["device1"]) for name, v in a.items()}
    for call in CALLS.values():
        call(S, ax)
    sizes = [int(np.prod(v.shape)) for v in S._cache.values()]
    assert max(sizes) < k * S.d_pad // 2


@pytest.mark.parametrize("q", [1e-9, 0.004, 1.0])
def test_fjlt_sparse_p_any_density(q):
    """Empty rows and columns of P (or an empty P) and a full P: the gathers
    agree with the NumPy kernels."""
    S = nla.sketch.fjlt(256, 12, q=q, rng=2)
    if q == 1e-9:
        assert S.P.nnz == 0
    a = inputs(256, 12, 4, np.float64)
    ax = {name: xs.asarray(v, device=DEVICES["device1"]) for name, v in a.items()}
    D = S.to_dense(engine="numpy")
    for name in ("apply", "apply_rows", "adjoint", "rmatvec"):
        check_close(_host(CALLS[name](S, ax)), CALLS[name](S, a), D, a)


@pytest.mark.parametrize("kind", KINDS)
def test_vector_shapes_and_errors(kind):
    """matvec/rmatvec keep a column vector's shape and name a bad argument."""
    S = make(kind, 40, 6, np.float64)
    dev = DEVICES["device1"]
    assert S.matvec(xs.ones((40, 1), device=dev)).shape == (6, 1)
    assert S.rmatvec(xs.ones((6,), device=dev)).shape == (40,)
    with pytest.raises(ValueError, match=r"needs a vector x of shape \(40,\) or \(40, 1\)"):
        S.matvec(xs.ones((40, 2), device=dev))
    with pytest.raises(ValueError, match=r"needs y.shape\[0\] == 6"):
        S.rmatvec(xs.ones((5,), device=dev))


@pytest.mark.parametrize("kind", KINDS)
def test_engine_validated_on_every_method(kind):
    """A bad engine name is an error on every path, also where no kernel runs
    (the Gaussian sketch, array_api_strict input)."""
    S = make(kind, 40, 6, np.float64)
    X = xs.ones((40, 2))
    for call in (
        lambda: S.apply(X, engine="gpu"),
        lambda: S.apply_rows(xs.ones((2, 40)), engine="gpu"),
        lambda: S.adjoint(xs.ones((6, 2)), engine="gpu"),
        lambda: S.matvec(xs.ones(40), engine="gpu"),
        lambda: S.rmatvec(xs.ones(6), engine="gpu"),
        lambda: S.matmat(X, engine="gpu"),
        lambda: S.rmatmat(xs.ones((6, 2)), engine="gpu"),
        lambda: S.to_dense(engine="gpu"),
        lambda: S.as_linear_operator(engine="gpu"),
    ):
        with pytest.raises(ValueError, match="engine must be one of"):
            call()
    for eng in nla.available_engines():
        if eng != "cupy":
            np.testing.assert_array_equal(
                _host(S.matvec(xs.ones(40), engine=eng)), _host(S @ xs.ones(40))
            )
