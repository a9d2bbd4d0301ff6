"""Bad-input rows of the tensor family (see tests/_bad_input_cases.py)."""

import functools

import numpy as np

import nla
from tests._bad_input_cases import (
    CHECK_FINITE,
    ENGINE,
    RNG,
    Arg,
    Fn,
    Opt,
    _fixed,
    _one,
    int_opt,
    real_opt,
    str_opt,
)
from tests.tensor._build import planted
from tests.tensor.backend_cases import CORE, SHAPE, error_condition, gap_condition
from tests.test_backend_matrix import SEED


def _inputs(rng):
    return {"X": planted(rng, SHAPE, CORE, noise=1e-2)}


def _parts(t):
    return {"dense": np.asarray(t.to_dense(), dtype=np.float64),
            "rel_error": np.asarray([t.rel_error])}


def _shape(r):
    return {"shape": np.asarray(r)}


_X = Arg("X", (2, None), {"dense": 1, "rel_error": 0})
_X_SHAPE = Arg("X", (2, None), 0)

_CORE_SHAPE = Opt("core_shape", (
    ("zero", (0, 3, 2)), ("negative", (-1, 3, 2)), ("above", (7, 3, 2)),
    ("short", (2, 3)), ("long", (2, 3, 2, 1)), ("float", 2.5), ("float-entry", (2.5, 3, 2)),
    ("str", "bogus"), ("bool-entry", (True, 3, 2)), ("nan", (np.nan, 3, 2)),
))
_BUDGET = Opt("budget", (
    ("str", "bogus"), ("float", 2.5), ("nan", float("nan")), ("zero", 0),
    ("negative", -5), ("too-small", 15), ("zero-fraction", 0.0), ("bool", True),
    ("list", [80]),
))
_TARGET = real_opt("target_error", 0.0, 1.0, low_open=True)
_HOOI = (int_opt("maxiter", 1), real_opt("tol", 0.0, none=False))
_TUCKER_OPTIONS = (
    str_opt("method"), str_opt("shape_method"), str_opt("init"), str_opt("svd"),
    *_HOOI, RNG, CHECK_FINITE, ENGINE,
)
_SHAPE_OPTIONS = (
    str_opt("method"), real_opt("eps", 0.0, 1.0, low_open=True, none=False), *_HOOI,
    Opt("callback", (("int", 3), ("str", "bogus"))), CHECK_FINITE, ENGINE,
)


@functools.cache
def _result():
    return nla.tucker(_inputs(np.random.default_rng(SEED))["X"], CORE)


def _tucker_fns():
    out = []
    for variant, kw in (
        ("hooi", {"core_shape": CORE, "tol": 1e-12}),
        ("st-hosvd", {"core_shape": CORE, "method": "st-hosvd"}),
        ("hosvd", {"core_shape": CORE, "method": "hosvd"}),
        ("rsvd", {"core_shape": CORE, "svd": "rsvd", "rng": SEED, "tol": 1e-12}),
    ):
        out.append(
            Fn("tucker", lambda: nla.tucker, variant, _inputs, (_X,),
               (_CORE_SHAPE, _BUDGET, _TARGET, *_TUCKER_OPTIONS), _fixed(**kw), _parts,
               error_condition)
        )
    out.append(
        Fn("tucker", lambda: nla.tucker, "budget", _inputs, (_X,), (_BUDGET,),
           _fixed(budget=80, tol=1e-12), _parts, error_condition)
    )
    out.append(
        Fn("tucker", lambda: nla.tucker, "target", _inputs, (_X,), (_TARGET,),
           _fixed(target_error=0.05, tol=1e-12), _parts, error_condition)
    )
    return out


def _shape_fns():
    out = []
    for method in ("ip", "greedy", "bang-for-buck", "greedy-true-loss"):
        out.append(
            Fn("tucker_core_shape", lambda: nla.tucker_core_shape, method, _inputs,
               (_X_SHAPE,), (_BUDGET, _TARGET, *_SHAPE_OPTIONS),
               _fixed(budget=80, method=method), _shape)
        )
    out.append(
        Fn("tucker_core_shape", lambda: nla.tucker_core_shape, "target", _inputs,
           (_X_SHAPE,), (_TARGET,), _fixed(target_error=0.05), _shape)
    )
    return out


FNS = [
    *_tucker_fns(),
    *_shape_fns(),
    Fn("tucker_params", lambda: nla.tucker_params,
       options=(Opt("shape", (("str", "bogus"), ("float", 2.5), ("None", None),
                              ("short", (6,)), ("zero", (0, 5, 4)), ("bool-entry", (True, 5, 4)))),
                _CORE_SHAPE),
       defaults=_fixed(shape=SHAPE, core_shape=CORE), compare=lambda r: {"result": np.asarray(r)}),
    Fn("TuckerResult.to_dense", lambda: _result().to_dense, compare=_one, cond=1.0),
]

__all__ = ["FNS", "gap_condition"]
