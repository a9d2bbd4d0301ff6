"""Bad-input rows of the completion family (see tests/_bad_input_cases.py).

``values`` and ``M`` are swept over every input class; the index arrays
``rows`` and ``cols`` and ``shape`` are options with their invalid values
(floats, negative or too large indices, wrong lengths or dimensions,
duplicate pairs), each of which must raise an error naming them.
"""

import functools
from types import MappingProxyType

import numpy as np
import scipy.sparse as sp

import nla
from tests._bad_input_cases import (
    ENGINE,
    RNG,
    Arg,
    Fn,
    Opt,
    _fixed,
    _one,
    bool_opt,
    int_opt,
    real_opt,
    str_opt,
)
from tests.completion._build import (
    COLS,
    FIXED,
    ROWS,
    SMALL_COND,
    SMALL_RANK,
    SMALL_SHAPE,
    small_matrix,
)
from tests.test_backend_matrix import SEED, _widen

_M, _N = SMALL_SHAPE


def _dense(result):
    return {"dense": _widen(result.to_dense())}


def _values(rng):
    return {"values": small_matrix(rng)[ROWS, COLS]}


def _full(rng):
    return {"M": small_matrix(rng)}


def _index_opt(name, good, size, *, duplicates=False):
    bad = [
        ("None", None),
        ("float", good.astype(np.float64)),
        ("bool", good > 0),
        ("negative", np.where(np.arange(good.size) == 3, -1, good)),
        ("too-large", np.where(np.arange(good.size) == 3, size, good)),
        ("short", good[:-1]),
        ("2d", good[None, :]),
        ("str", "bogus"),
        ("sparse", sp.coo_array(good[None, :])),
    ]
    if duplicates:
        bad.append(("duplicate", _dup(name)))
    return Opt(name, tuple(bad))


def _dup(name):
    """`name` with a duplicate pair: entry 1 moved onto entry 0 where the other
    coordinate of entry 1 already equals that of entry 0 (found in the pattern)."""
    own, other = (ROWS, COLS) if name == "rows" else (COLS, ROWS)
    # entries e != f with other[e] == other[f]: moving own[f] to own[e] duplicates
    for f in range(1, other.size):
        e = int(np.flatnonzero(other == other[f])[0])
        if e != f:
            out = own.copy()
            out[f] = own[e]
            return out
    raise AssertionError("no duplicate could be made")  # pragma: no cover


_OPTIONS = (
    str_opt("method"),
    real_opt("reg", 0.0),
    str_opt("reg_weights"),
    bool_opt("biases"),
    Opt("init", (("unknown", "bogus"), ("int", 1), ("None", None),
                 ("wrong-shape", (np.zeros((2, 2)), np.zeros((2, 2)))),
                 ("nan", (np.full((_M, SMALL_RANK), np.nan), np.ones((_N, SMALL_RANK)))),
                 ("triple", (np.ones((_M, 2)), np.ones((_N, 2)), np.ones(2))))),
    real_opt("validation", 0.0, 1.0, low_open=True, high_open=True),
    int_opt("patience", 1),
    bool_opt("split_samples"),
    int_opt("maxiter", 1),
    real_opt("tol", 0.0),
    int_opt("inner_maxiter", 1),
    ENGINE,
    RNG,
    Opt("callback", (("int", 1), ("str", "bogus"))),
)
_RANK = int_opt("rank", 1, min(SMALL_SHAPE))
_SHAPE = Opt("shape", (("None", None), ("str", "bogus"), ("int", 30), ("triple", (30, 20, 2)),
                       ("zero", (0, 20)), ("float", (30.5, 20)), ("small", (30, 5))))
_SHORT = MappingProxyType({"short": (lambda x: x[:-1], "raise")})


def _complete_fns():
    out = []
    for method in ("robust-altmin", "altmin"):
        out.append(Fn(
            "complete", lambda: nla.complete, method, _values,
            (Arg("values", (1,), {"dense": 1}, extra=_SHORT),),
            (_index_opt("rows", ROWS, _M, duplicates=True),
             _index_opt("cols", COLS, _N, duplicates=True), _SHAPE, _RANK,
             *_OPTIONS),
            _fixed(rows=ROWS, cols=COLS, shape=SMALL_SHAPE, rank=SMALL_RANK, method=method,
                   rng=SEED, **FIXED),
            compare=_dense, cond=SMALL_COND,
        ))
    out.append(Fn(
        "complete_sparse", lambda: nla.complete_sparse, "", _full,
        (Arg("M", (2,), {"dense": 1}, sparse=True),),
        (_RANK, *_OPTIONS),
        _fixed(rank=SMALL_RANK, rng=SEED, **FIXED),
        compare=_dense, cond=SMALL_COND,
        sparse_reference=True,  # the stored entries are the observed set
    ))
    return out


def _tune_fns():
    grid = Opt("ranks", (("empty", ()), ("zero", (0,)), ("float", (2.5,)), ("str", "bogus"),
                         ("above", (21,)), ("None", None)))
    regs = Opt("regs", (("empty", ()), ("negative", (-1.0,)), ("nan", (np.nan,)),
                        ("str", "bogus"), ("None", None)))
    opts = [o for o in _OPTIONS if o.name in ("method", "reg_weights", "biases", "patience",
                                             "maxiter", "inner_maxiter", "engine", "rng")]
    return [Fn(
        "tune_complete", lambda: nla.tune_complete, "", _values,
        (Arg("values", (1,), {"dense": 1}, extra=_SHORT),),
        (_index_opt("rows", ROWS, _M, duplicates=True),
         _index_opt("cols", COLS, _N, duplicates=True), _SHAPE, grid, regs,
         real_opt("validation", 0.0, 1.0, low_open=True, high_open=True, none=False), *opts),
        _fixed(rows=ROWS, cols=COLS, shape=SMALL_SHAPE, ranks=(1, 2), regs=(0.0,), rng=SEED,
               maxiter=15),
        compare=lambda t: _dense(t.completion), cond=SMALL_COND,
    )]


@functools.cache
def _fitted():
    M = small_matrix(np.random.default_rng(SEED))
    return nla.complete(ROWS, COLS, M[ROWS, COLS], SMALL_SHAPE, SMALL_RANK, rng=SEED, **FIXED)


def _result_fns():
    return [
        Fn("Completion.predict", lambda: _fitted().predict, "",
           options=(_index_opt("rows", ROWS[:9], _M), _index_opt("cols", COLS[:9], _N), ENGINE),
           defaults=_fixed(rows=ROWS[:9], cols=COLS[:9]), compare=_one),
        Fn("Completion.to_dense", lambda: _fitted().to_dense, "",
           options=(Opt("max_bytes", (("below", -1), ("small", 8), ("float", 2.5),
                                      ("None", None), ("str", "bogus"))), ENGINE),
           compare=_one),
    ]


FNS = [*_complete_fns(), *_tune_fns(), *_result_fns()]
