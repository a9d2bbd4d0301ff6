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
@pytest.mark.parametrize("private_bytes", [0, 1 << 27])  # both accumulation strategies
def test_kernels_match_reference(d, n, k, s, dtype, private_bytes, monkeypatch):
    monkeypatch.setattr(ssk, "_PRIVATE_BYTES", private_bytes)
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
