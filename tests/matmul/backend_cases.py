"""Backend-matrix cases of the matmul family (see tests/test_backend_matrix.py)."""

import numpy as np

import nla
from tests.helpers import with_singular_values
from tests.test_backend_matrix import SEED, Case

_M, _N, _P = 12, 60, 9


def _pair(rng):
    return {"A": rng.standard_normal((_M, _N)), "B": rng.standard_normal((_N, _P))}


def _long(rng):
    return {"A": rng.standard_normal((_M, 200)), "B": rng.standard_normal((200, _P))}


def _tall(rng):
    s = 0.5 ** np.arange(8)
    return {"A": with_singular_values(rng, _N, 8, s), "B": rng.standard_normal((_N, _P))}


def _error_compare(r, H):
    return {"value": np.asarray([r[1]], dtype=np.float64)}


def _mlmc(levels, **kw):
    def call(a, dt):
        return nla.mlmc_matmul(a.A, a.B, levels=levels, rng=SEED, **kw)

    return call


#: the precision hierarchy computes its level-0 product in float32 by design,
#: so libraries agree to float32 rounding of an n-term sum, not float64's
_FLOAT32_LEVEL = float(np.finfo(np.float32).eps / np.finfo(np.float64).eps)

CASES = [
    Case("sampled_matmul", _pair, lambda a, dt: nla.sampled_matmul(a.A, a.B, 30, rng=SEED),
         variant="optimal", matrix="A"),
    Case("sampled_matmul", _pair,
         lambda a, dt: nla.sampled_matmul(a.A, a.B, 30, replace=False, rng=SEED),
         variant="without-replacement", matrix="A"),
    Case("sampled_matmul", _tall,
         lambda a, dt: nla.sampled_matmul(a.A, a.B, 30, transpose_a=True, rng=SEED),
         variant="gram-form", matrix="A"),
    Case("sampled_matmul_error", _pair,
         lambda a, dt: (a.B, nla.sampled_matmul_error(a.A, a.B, 30)),
         compare=_error_compare, matrix="A"),
    Case("sampled_matmul_error", _pair,
         lambda a, dt: (a.B, nla.sampled_matmul_error(a.A, a.B, 30, exact=True)),
         variant="exact", compare=_error_compare, matrix="A",
         cond=100.0),  # the difference of two sums of squares, about 100 apart
    Case("mlmc_matmul", _tall,
         _mlmc("rank", ranks=3, tol=0.05, transpose_a=True), variant="rank", matrix="A",
         cond=2.0 ** 7),  # the rank-3 basis of a spectrum halving per step
    Case("mlmc_matmul", _long, _mlmc("data", blocks=2, budget=0.8), variant="data",
         matrix="A"),
    Case("mlmc_matmul", _pair, _mlmc("precision", budget=3.0), variant="precision",
         matrix="A", cond=_FLOAT32_LEVEL),
]
