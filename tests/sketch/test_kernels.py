"""Every FWHT variant (Numba row kernel and its SIMD blocks, the CuPy-style
variant run on NumPy arrays, the fused P H D kernel) against the generic
reference, over all lengths 1 .. 2**16, real and complex dtypes, strided and
read-only input, with and without the fused signs."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import nla
from nla.sketch import _fwht

pytestmark = pytest.mark.skipif(
    "numba" not in nla.available_engines(), reason="numba not installed"
)

POWERS = list(range(17))  # d = 1, 2, 4, ..., 2**16
DTYPES = [np.float32, np.float64, np.complex64, np.complex128]


def _data(rng, m, d, dtype):
    x = rng.standard_normal((m, d))
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * rng.standard_normal((m, d))
    return x.astype(dtype)


def _signs(rng, d, dtype):
    return (rng.integers(0, 2, d) * 2 - 1).astype(np.dtype(dtype).type(0).real.dtype)


def _tol(d, dtype):
    # Each of the log2(d) butterfly stages is an orthogonal map (up to the
    # sqrt(2) factor) whose rounding adds at most eps per entry relative to
    # ||x||_2, plus one rounding for the scaling: |err| <= (log2 d + 1) eps
    # ||x||. Twice that covers two implementations that round differently.
    return 2 * (np.log2(d) + 1) * np.finfo(dtype).eps


def _assert_close(got, ref, x):
    d = x.shape[-1]
    norms = np.linalg.norm(x.astype(np.complex128), axis=-1, keepdims=True)
    err = np.abs(got.astype(np.complex128) - ref.astype(np.complex128))
    assert np.all(err <= _tol(d, np.finfo(x.dtype).dtype) * norms + np.finfo(x.dtype).tiny)


def _variants():
    return {
        "numba": _fwht.fwht_kernel.build_numba(),
        "cupy-style": _fwht.fwht_kernel.cupy,
    }


@pytest.mark.parametrize("p", POWERS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("with_signs", [False, True])
def test_variants_match_reference(p, dtype, with_signs):
    d = 2**p
    rng = np.random.default_rng(1000 + p)
    m = 2 if d >= 2**14 else 5
    x = _data(rng, m, d, dtype)
    signs = _signs(rng, d, dtype) if with_signs else None
    x0 = x.copy()
    ref = _fwht.fwht_kernel.reference(x, signs)
    for name, fn in _variants().items():
        got = fn(x, signs)
        assert got.dtype == x.dtype, name
        assert got.shape == x.shape, name
        _assert_close(got, ref, x)
    np.testing.assert_array_equal(x, x0)


@pytest.mark.parametrize("p", POWERS)
@pytest.mark.parametrize("with_signs", [False, True])
def test_numba_float64_bitwise_equal_to_reference(p, with_signs):
    # the SIMD blocks and the radix-8 passes form every a + b and a - b from
    # the same operands, stage by stage, as the reference's butterflies, and
    # the scaling is one multiplication at the end in both: equal bits
    d = 2**p
    rng = np.random.default_rng(p)
    x = rng.standard_normal((3, d))
    signs = _signs(rng, d, np.float64) if with_signs else None
    got = _fwht.fwht_kernel.build_numba()(x, signs)
    np.testing.assert_array_equal(got, _fwht.fwht_kernel.reference(x, signs))


@pytest.mark.parametrize("p", [3, 4, 5, 6, 7, 9, 12])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_simd_blocks_equal_scalar_blocks(p, dtype):
    # real rows take the vector IR blocks, complex rows the scalar form of
    # the same butterflies: the real part of the complex result must match
    # bit for bit (scale 1: the float32 blocks scale in float32, the scalar
    # form in float64, which may round the last bit differently)
    from nla.sketch._hadamard_kernels import row_transform

    d = 2**p
    rng = np.random.default_rng(50 + p)
    x = rng.standard_normal(d).astype(dtype)
    sg = _signs(rng, d, dtype)
    cdt = np.complex64 if dtype == np.float32 else np.complex128
    for use in (False, True):
        out = np.empty_like(x)
        row_transform(x, out, sg, use, 1.0)
        outc = np.empty(d, dtype=cdt)
        row_transform(x.astype(cdt), outc, sg.astype(cdt), use, 1.0)
        np.testing.assert_array_equal(out, outc.real)
        assert not np.any(outc.imag)
        # in place (src is row) gives the same
        y = x.copy()
        row_transform(y, y, sg, use, 1.0)
        np.testing.assert_array_equal(y, out)


@pytest.mark.parametrize("dtype", [np.float32, np.complex128])
def test_strided_and_readonly_input(dtype):
    rng = np.random.default_rng(7)
    base = _data(rng, 12, 256, dtype)
    views = {
        "rows": base[::3],
        "cols": base[:, ::2],
        "fortran": np.asfortranarray(base[:, :64]),
        "reversed": base[::-1, ::-1][:, :128],
    }
    for v in views.values():
        v.flags.writeable = False
        signs = _signs(rng, v.shape[1], dtype)
        keep = v.copy()
        ref = _fwht.fwht_kernel.reference(np.ascontiguousarray(v), signs)
        for fn in _variants().values():
            got = fn(v, signs)
            _assert_close(got, ref, keep)
        np.testing.assert_array_equal(v, keep)
    base.flags.writeable = True


def test_numba_flags_nonfinite():
    fast = _fwht.fwht_kernel.build_numba()
    x = np.ones((3, 64))
    assert fast(x, None, check_finite=True)[1]
    x[1, 5] = np.inf
    assert not fast(x, None, check_finite=True)[1]
    x[1, 5] = np.nan
    assert not fast(x.astype(np.float32), None, check_finite=True)[1]


@given(
    p=st.integers(0, 12),
    m=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
    with_signs=st.booleans(),
)
def test_numba_involution_and_norm(p, m, seed, with_signs):
    # H D is orthogonal and H is symmetric: H (H D x) = D x and ||H D x|| = ||x||
    d = 2**p
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((m, d))
    signs = _signs(rng, d, np.float64) if with_signs else None
    fast = _fwht.fwht_kernel.build_numba()
    y = fast(x, signs)
    np.testing.assert_allclose(
        np.linalg.norm(y, axis=1), np.linalg.norm(x, axis=1), rtol=_tol(d, np.float64)
    )
    back = fast(y)
    dx = x * signs if with_signs else x
    assert np.all(np.abs(back - dx) <= 2 * _tol(d, np.float64) * np.linalg.norm(x, axis=1)[:, None])


@pytest.mark.parametrize("d", [1, 3, 8, 63, 64, 100, 1000, 4096])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])  # sketches take real X
def test_fused_sketch_rows_match_reference(d, dtype):
    # P H D pad(x) for each row with a random sparse P (k x d_pad)
    rng = np.random.default_rng(d)
    d_pad = 1 << max(0, (d - 1).bit_length())
    k = 7
    m = 9  # not a multiple of the kernel's row group
    P = sp.random_array((k, d_pad), density=min(1.0, 12 / d_pad), rng=rng, format="csr")
    P.data = rng.standard_normal(P.nnz)
    indptr = P.indptr.astype(np.int64)
    indices = P.indices.astype(np.int64)
    x = _data(rng, m, d, dtype)[:, :]
    x.flags.writeable = False
    signs = _signs(rng, d_pad, np.float64)
    ref = _fwht.sketch_rows_kernel.reference(x, signs, d_pad, indptr, indices, P.data)
    got = _fwht.sketch_rows_kernel.build_numba()(x, signs, d_pad, indptr, indices, P.data)
    assert got.shape == (m, k)
    # each output is an inner product of a row of P with H D x: error at
    # most ||P_i||_1 times the FWHT error bound
    bound = _tol(d_pad, np.finfo(x.dtype).dtype) * np.linalg.norm(x.astype(np.complex128), axis=1)
    rowsum = np.asarray(abs(P).sum(axis=1)).ravel()
    err = np.abs(got.astype(np.complex128) - ref)
    assert np.all(err <= 2 * bound[:, None] * rowsum[None, :] + 1e-30)


@pytest.mark.parametrize("p", [0, 1, 3, 6, 7, 10, 13])
@pytest.mark.parametrize("n", [8, 9, 40, 100])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_column_panels_match_reference(p, n, dtype):
    # rows of an F-ordered x are the columns of the C-ordered x.T: the
    # Numba kernel transforms them by column panels (widths not multiples
    # of the panel included)
    d = 2**p
    rng = np.random.default_rng(3 * p + n)
    xt = _data(rng, d, n, dtype)
    xt.flags.writeable = False
    x = xt.T
    assert x.flags.f_contiguous and (d == 1 or not x.flags.c_contiguous)
    signs = _signs(rng, d, dtype)
    ref = _fwht.fwht_kernel.reference(np.ascontiguousarray(x), signs)
    fast = _fwht.fwht_kernel.build_numba()
    got = fast(x, signs)
    assert got.shape == x.shape and got.dtype == x.dtype
    _assert_close(got, ref, x)
    got2, finite = fast(x, None, check_finite=True)
    assert finite
    _assert_close(got2, _fwht.fwht_kernel.reference(np.ascontiguousarray(x)), x)
    # axis=0 of the public function takes this path
    _assert_close(nla.fwht(xt, axis=0, engine="numba").T, _fwht.fwht_kernel.reference(x), x)


def test_column_panels_flag_nonfinite():
    fast = _fwht.fwht_kernel.build_numba()
    xt = np.ones((64, 40))
    assert fast(xt.T, None, check_finite=True)[1]
    xt[3, 37] = np.nan
    assert not fast(xt.T, None, check_finite=True)[1]
    with pytest.raises(ValueError):
        nla.fwht(xt, axis=0, engine="numba")


@pytest.mark.parametrize("d", [1, 3, 8, 63, 64, 100, 1000])
@pytest.mark.parametrize("n", [8, 37])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])  # sketches take real X
def test_fused_sketch_cols_match_reference(d, n, dtype):
    rng = np.random.default_rng(d + n)
    d_pad = 1 << max(0, (d - 1).bit_length())
    k = 6
    P = sp.random_array((k, d_pad), density=min(1.0, 10 / d_pad), rng=rng, format="csr")
    P.data = rng.standard_normal(P.nnz)
    indptr = P.indptr.astype(np.int64)
    indices = P.indices.astype(np.int64)
    x = _data(rng, d, n, dtype)
    x.flags.writeable = False
    signs = _signs(rng, d_pad, np.float64)
    ref = _fwht.sketch_cols_kernel.reference(x, signs, d_pad, indptr, indices, P.data)
    got = _fwht.sketch_cols_kernel.build_numba()(x, signs, d_pad, indptr, indices, P.data)
    assert got.shape == (k, n)
    # as for the row kernel: ||P_i||_1 times the FWHT error bound per column
    bound = _tol(d_pad, np.finfo(x.dtype).dtype) * np.linalg.norm(x.astype(np.complex128), axis=0)
    rowsum = np.asarray(abs(P).sum(axis=1)).ravel()
    err = np.abs(got.astype(np.complex128) - ref)
    assert np.all(err <= 2 * rowsum[:, None] * bound[None, :] + 1e-30)


@pytest.mark.parametrize("make", ["srht", "fjlt"])
@pytest.mark.parametrize("order", ["C", "F"])
def test_operator_layouts_agree_with_dense(make, order):
    # S @ X on C-ordered X and X @ S.T on F-ordered X use the column-panel
    # kernel, the other layouts the row kernel: all equal the dense product
    # (error: the FWHT bound times ||P_i||_1 <= sqrt(nnz_i) ||P_i||_2, with
    # generous slack for the dense product's own rounding)
    d, k, n = 300, 20, 24
    S = getattr(nla.sketch, make)(d, k, rng=5)
    D = S.to_dense()
    rng = np.random.default_rng(9)
    X = np.asarray(rng.standard_normal((d, n)), order=order)
    Y = np.asarray(rng.standard_normal((n, d)), order=order)
    tol = 1e-12 * np.sqrt(d)
    for eng in ("numba", "numpy"):
        with nla.config(engine=eng):
            np.testing.assert_allclose(S @ X, D @ X, atol=tol * np.abs(D).sum(1).max())
            np.testing.assert_allclose(Y @ S.T, Y @ D.T, atol=tol * np.abs(D).sum(1).max())
