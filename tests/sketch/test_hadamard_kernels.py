"""Numba Hadamard kernels (FWHT, fused P H D) against their references."""

import numpy as np
import pytest

import nla
from nla.sketch import _fwht

pytestmark = pytest.mark.skipif(
    "numba" not in nla.available_engines(), reason="numba not installed"
)

LENGTHS = [1, 2, 4, 8, 16, 32, 64, 128, 512, 2048, 2**13, 2**16]


def _tol(d, dtype):
    # log2(d) butterfly levels, each adding at most eps relative to ||x||_2
    return 4 * max(1, np.log2(d)) * np.finfo(dtype).eps


@pytest.mark.parametrize("d", LENGTHS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
@pytest.mark.parametrize("with_signs", [False, True])
def test_fwht_kernel_matches_reference(d, dtype, with_signs):
    rng = np.random.default_rng(d)
    m = 3 if d > 4096 else 9
    x = rng.standard_normal((m, d)).astype(dtype)
    if np.iscomplexobj(x):
        x = x + 1j * rng.standard_normal((m, d))
    signs = (rng.integers(0, 2, d) * 2 - 1).astype(x.real.dtype) if with_signs else None
    ref = _fwht.fwht_kernel.reference(x, signs)
    fast = _fwht.fwht_kernel.build_numba()
    got = fast(x, signs)
    assert got.dtype == x.dtype
    norms = np.linalg.norm(x.astype(np.complex128), axis=1, keepdims=True)
    assert np.all(np.abs(got - ref) <= _tol(d, x.real.dtype) * norms)
    got2, finite = fast(x, signs, check_finite=True)
    assert finite
    np.testing.assert_array_equal(got2, got)
    # the CuPy variant uses only operations NumPy shares: run it on NumPy
    cu = _fwht.fwht_kernel.cupy(x, signs)
    assert np.all(np.abs(cu - ref) <= _tol(d, x.real.dtype) * norms)


def test_fwht_kernel_flags_nonfinite_rows():
    x = np.ones((3, 16))
    x[1, 5] = np.inf
    _, finite = _fwht.fwht_kernel.build_numba()(x, None, check_finite=True)
    assert not finite
    x[1, 5] = np.nan
    _, finite = _fwht.fwht_kernel.build_numba()(x, None, check_finite=True)
    assert not finite


def test_fwht_kernel_noncontiguous_readonly():
    x = np.random.default_rng(0).standard_normal((8, 64))[:, ::2]
    x.flags.writeable = False
    before = x.copy()
    got = _fwht.fwht_kernel.build_numba()(x)
    np.testing.assert_array_equal(x, before)
    want = _fwht.fwht_kernel.reference(np.ascontiguousarray(x))
    np.testing.assert_allclose(got, want, atol=1e-14)


@pytest.mark.parametrize("d", [1, 3, 8, 100, 1024, 5000])
@pytest.mark.parametrize("m", [1, 3, 4, 9])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_sketch_rows_matches_reference(d, m, dtype):
    rng = np.random.default_rng(d * 10 + m)
    d_pad = 1 << max(0, (d - 1).bit_length())
    k = max(1, min(d, 17))
    # a random CSR P with 0..5 nonzeros per row (empty rows included)
    counts = rng.integers(0, 6, size=k)
    indices = np.concatenate(
        [np.sort(rng.choice(d_pad, size=min(c, d_pad), replace=False)) for c in counts]
        + [np.zeros(0, dtype=np.int64)]
    ).astype(np.int64)
    indptr = np.concatenate([[0], np.cumsum([min(c, d_pad) for c in counts])]).astype(np.int64)
    data = rng.standard_normal(indices.size)
    signs = (rng.integers(0, 2, d_pad) * 2 - 1).astype(float)
    x = rng.standard_normal((m, d)).astype(dtype)
    ref = _fwht.sketch_rows_kernel.reference(x, signs, d_pad, indptr, indices, data)
    got = _fwht.sketch_rows_kernel.build_numba()(x, signs, d_pad, indptr, indices, data)
    assert got.dtype == dtype and got.shape == (m, k)
    # |error| <= (levels + nnz) eps ||P_i||_1 ||x||_2
    l1 = np.array([np.abs(data[indptr[i] : indptr[i + 1]]).sum() for i in range(k)])[None, :]
    bound = (np.log2(2 * d_pad) + 6) * 4 * np.finfo(dtype).eps * l1 * np.linalg.norm(
        x.astype(np.float64), axis=1, keepdims=True
    )
    assert np.all(np.abs(got.astype(np.float64) - ref) <= bound + 1e-300)
