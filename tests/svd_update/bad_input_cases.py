"""Bad-input rows of the svd_update family (see tests/_bad_input_cases.py).

Each method runs on a freshly fitted model (the target builds it per call),
so a call never sees the state another call left. The constructor's options
are swept through the ``fit`` row.
"""

from types import MappingProxyType

import numpy as np

import nla
from tests._bad_input_cases import (
    ENGINE,
    RNG,
    Arg,
    Fn,
    _fixed,
    int_opt,
    real_opt,
    str_opt,
)
from tests.svd_update.backend_cases import (
    COND,
    K,
    M,
    N,
    _cols,
    _full,
    _rows,
    _update,
    factors,
    parts,
)
from tests.test_backend_matrix import SEED


def _parts(model):
    return parts(factors(model), lambda x: np.asarray(x, dtype=np.float64))


def _fresh(maker, **kw):
    A = maker(np.random.default_rng(SEED))["A"]
    return nla.IncrementalSVD(K, rng=SEED, **kw).fit(A)


def _fit(A, k=K, **options):
    return nla.IncrementalSVD(k, **options).fit(A)


_SHORT = MappingProxyType({"short": (lambda x: x[:-1], "raise")})
_WIDE = MappingProxyType({"narrow": (lambda x: x[:, :-1], "raise")})

_CTOR = (
    int_opt("k", 1, min(M, N)),
    str_opt("method"),
    int_opt("buffer", 0),
    int_opt("depth", 1),
    int_opt("width", 1, none=True),
    int_opt("n_iter", 0),
    real_opt("tol", 0.0, 1.0, high_open=True),
    real_opt("orth_tol", 0.0, low_open=True),
    RNG,
    ENGINE,
)


def _rows_fns():
    out = []
    for method in ("sparse", "zha-simon", "vecharynski-saad", "rpi"):
        out.append(Fn(
            "IncrementalSVD.add_rows",
            lambda m=method: _fresh(_rows, method=m, width=3).add_rows, method,
            lambda rng: {"E": _rows(rng)["E"]}, (Arg("E", (2,), sparse=True, extra=_WIDE),),
            compare=_parts, cond=COND,
        ))
    return out


FNS = [
    Fn("IncrementalSVD.fit", lambda: _fit, "", _full,
       (Arg("A", (2,), {"product": 1, "s": 1}, sparse=True),), _CTOR,
       _fixed(rng=SEED), compare=_parts, cond=COND,
       public=lambda: nla.IncrementalSVD(K).fit),
    *_rows_fns(),
    Fn("IncrementalSVD.add_columns", lambda: _fresh(_cols).add_columns, "",
       lambda rng: {"E": _cols(rng)["E"]}, (Arg("E", (2,), sparse=True, extra=_SHORT),),
       compare=_parts, cond=COND),
    Fn("IncrementalSVD.update", lambda: _fresh(_update).update, "",
       lambda rng: {k: v for k, v in _update(rng).items() if k != "A"},
       (Arg("D", (2,), sparse=True, extra=_SHORT), Arg("E", (2,), sparse=True, extra=_SHORT)),
       compare=_parts, cond=COND),
    Fn("IncrementalSVD.refine", lambda: _fresh(_full).refine, "", _full,
       (Arg("A", (2,), sparse=True, extra=_SHORT),), (int_opt("n_iter", 0),),
       compare=_parts, cond=COND),
    Fn("IncrementalSVD.partial_fit", lambda: _fresh(_rows).partial_fit, "fitted",
       lambda rng: {"X": _rows(rng)["E"]}, (Arg("X", (2,), sparse=True, extra=_WIDE),),
       compare=_parts, cond=COND),
    Fn("IncrementalSVD.partial_fit", lambda: nla.IncrementalSVD(K, rng=SEED).partial_fit,
       "first", lambda rng: {"X": _full(rng)["A"]},
       (Arg("X", (2,), {"product": 1, "s": 1}, sparse=True),),
       compare=_parts, cond=COND),
    Fn("IncrementalSVD.transform", lambda: _fresh(_rows).transform, "",
       lambda rng: {"X": _rows(rng)["E"]},
       (Arg("X", (2,), {"coords": 1}, sparse=True, extra=_WIDE),),
       compare=lambda r: {"coords": np.abs(np.asarray(r, dtype=np.float64))}, cond=COND),
]
