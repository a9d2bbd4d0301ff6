"""The sketches and the FWHT on torch CPU tensors (skipped without torch).

torch tensors, like CuPy arrays, carry no ``__array_namespace__``: they are
the closest stand-in for the GPU path a machine without a GPU has. Every
method must return a tensor of the input's dtype and device that agrees
with the NumPy result, and must never hand the tensor to a NumPy-only
kernel.
"""

import numpy as np
import pytest

import nla
from tests.sketch._backend_cases import (
    CALLS,
    KINDS,
    RMATMUL_CALLS,
    SHAPES,
    check_close,
    inputs,
    make,
)

torch = pytest.importorskip("torch")

DTYPES = {"float32": (np.float32, torch.float32), "float64": (np.float64, torch.float64)}


def _host(t):
    return t.detach().cpu().numpy()


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("kind", KINDS)
def test_every_method(kind, shape, dtype):
    np_dtype, t_dtype = DTYPES[dtype]
    d, k, n = shape
    S = make(kind, d, k, np_dtype)
    a = inputs(d, k, n, np_dtype)
    at = {name: torch.from_numpy(v.copy()) for name, v in a.items()}
    before = {name: v.clone() for name, v in at.items()}
    D = S.to_dense(engine="numpy")
    for call in {**CALLS, **RMATMUL_CALLS}.values():
        got = call(S, at)
        assert isinstance(got, torch.Tensor)
        assert got.dtype == t_dtype and got.device == at["X"].device
        check_close(_host(got), call(S, a), D, a)
    for name, v in at.items():  # inputs are never modified
        assert torch.equal(v, before[name]), name


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("kind", KINDS)
def test_to_dense_matches_tensor_products(kind, dtype):
    """to_dense() is NumPy by design (it takes no array); as a tensor it
    gives the same products as the operator."""
    np_dtype, t_dtype = DTYPES[dtype]
    S = make(kind, 40, 6, np_dtype)
    D = S.to_dense()
    assert isinstance(D, np.ndarray) and D.dtype == np_dtype
    a = inputs(40, 6, 3, np_dtype)
    X = torch.from_numpy(a["X"])
    check_close(_host(torch.from_numpy(D) @ X), _host(S @ X), D, a)
    Y = torch.from_numpy(a["Y"])
    check_close(_host(torch.from_numpy(S.T.to_dense()) @ Y), _host(S.T @ Y), D, a)


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_fwht(dtype, axis):
    np_dtype, t_dtype = DTYPES[dtype]
    x = np.random.default_rng(3).standard_normal((16, 8, 4)).astype(np_dtype)
    got = nla.fwht(torch.from_numpy(x), axis=axis)
    assert isinstance(got, torch.Tensor) and got.dtype == t_dtype
    want = nla.fwht(x, axis=axis, engine="numpy")
    # both within log2(d) eps ||x|| of the exact transform, per vector
    bound = 8 * np.log2(x.shape[axis]) * np.finfo(np_dtype).eps * np.linalg.norm(x)
    assert np.max(np.abs(_host(got) - want)) <= bound


@pytest.mark.parametrize("kind", KINDS)
def test_non_contiguous_and_promoted_input(kind):
    """Transposed views work; a float32 sketch of float64 tensors gives float64."""
    S = make(kind, 40, 6, np.float32)
    a = inputs(40, 6, 3, np.float64)
    Xt = torch.from_numpy(np.ascontiguousarray(a["X"].T)).T  # a strided view
    assert not Xt.is_contiguous()
    got = S @ Xt
    assert got.dtype == torch.float64
    check_close(_host(got), S @ a["X"], S.to_dense(), a)
