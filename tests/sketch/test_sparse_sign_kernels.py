"""The Numba sparse-sign kernels against their NumPy/SciPy references."""

import numpy as np
import pytest

import nla
from nla.sketch import _sparse_sign_kernels as ssk

pytestmark = pytest.mark.skipif(
    "numba" not in nla.available_engines(), reason="numba not installed"
)


@pytest.mark.parametrize(
    "d, n, k, s", [(1, 1, 1, 1), (50, 3, 7, 3), (1000, 40, 64, 8), (333, 1, 20, 20)]
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("strategy", ["chunked", "striped"])
def test_kernels_match_reference(d, n, k, s, dtype, strategy, monkeypatch):
    if strategy == "chunked":  # row chunks with partial sums, whatever the size
        monkeypatch.setattr(ssk, "_MIN_CHUNK_ROWS", 1)
        assert ssk.n_chunks(d, k, n, np.dtype(dtype).itemsize) == min(16, max(1, d // k))
    else:  # column blocks, one pass over X's rows
        monkeypatch.setattr(ssk, "_PRIVATE_BYTES", 0)
    S = nla.sketch.sparse_sign(d, k, nnz_per_column=s, rng=d + n)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((d, n)).astype(dtype)
    ref = ssk.sparse_sign_cols.reference(S._rows_idx, S._vals, k, X)
    # a fresh build honours the patched budget
    cols = ssk._build_cols()
    got = cols(S._rows_idx, S._vals, k, X)
    eps = np.finfo(dtype).eps
    # each output sums at most d * s terms: |error| <= d s eps sum |terms|
    bound = d * s * eps * (np.abs(S.to_dense()) @ np.abs(X.astype(np.float64)))
    assert got.dtype == dtype
    assert np.all(np.abs(got - ref) <= bound + 1e-30)
    Xr = np.ascontiguousarray(X.T)
    got_r = ssk.sparse_sign_rows.build_numba()(S._rows_idx, S._vals, k, Xr)
    ref_r = ssk.sparse_sign_rows.reference(S._rows_idx, S._vals, k, Xr)
    assert np.all(np.abs(got_r - ref_r) <= bound.T + 1e-30)


@pytest.mark.parametrize("d, n, k", [(5000, 1, 64), (5000, 9, 64), (3000, 63, 100), (800, 100, 30),
                                     (5000, 300, 1000)])
def test_cols_bits_do_not_depend_on_the_thread_count(d, n, k):
    """Same bits with one thread and with all of them (the row chunks and
    their order of summation are fixed by the shapes; see also the
    subprocess test in test_reliability)."""
    import numba

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("Numba has a single thread here")
    S = nla.sketch.sparse_sign(d, k, rng=1)
    X = np.random.default_rng(2).standard_normal((d, n))
    cols = ssk.sparse_sign_cols.build_numba()
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = cols(S._rows_idx, S._vals, k, X)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = cols(S._rows_idx, S._vals, k, X)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one, many)
