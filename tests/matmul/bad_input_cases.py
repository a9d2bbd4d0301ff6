"""Bad-input rows of the matmul family (see tests/_bad_input_cases.py)."""

from types import MappingProxyType

import numpy as np

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
from tests.test_backend_matrix import SEED

_M, _N, _P = 12, 60, 9
_FLOAT32_LEVEL = float(np.finfo(np.float32).eps / np.finfo(np.float64).eps)


def _inputs(rng):
    return {"A": rng.standard_normal((_M, _N)), "B": rng.standard_normal((_N, _P))}


def _drop_col(x):
    return x[:, :-1]


def _drop_row(x):
    return x[:-1]


def _args(degree):
    return (
        Arg("A", (2,), degree, sparse=True,
            extra=MappingProxyType({"inner": (_drop_col, "raise")})),
        Arg("B", (2,), degree, sparse=True,
            extra=MappingProxyType({"inner": (_drop_row, "raise")})),
    )


def _probs(values):
    return np.asarray(values, dtype=np.float64)


_PROBABILITIES = Opt(
    "probabilities",
    (
        ("unknown", "bogus"),
        ("int", 1),
        ("bool", True),
        ("None", None),
        ("negative", _probs([2.0 / _N - 1.0 / _N] * (_N - 2) + [-0.5, 0.5 + 2.0 / _N])),
        ("unnormalized", _probs(np.full(_N, 2.0 / _N))),
        ("length", _probs(np.full(_N - 1, 1.0 / (_N - 1)))),
        ("nan", _probs([np.nan] + [1.0 / (_N - 1)] * (_N - 1))),
        ("zero-where-needed", _probs([0.0] + [1.0 / (_N - 1)] * (_N - 1))),
        ("2d", _probs(np.full((_N, 1), 1.0 / _N))),
    ),
)

_RANKS = Opt("ranks", (("zero", 0), ("float", 2.5), ("str", "bogus"), ("bool", True),
                       ("decreasing", (3, 2)), ("above", 10**6), ("empty", ())))
_PRECISIONS = Opt("precisions", (
    ("unknown", ("float8", "float64")), ("str", "float32"), ("int", 1),
    ("decreasing", ("float64", "float32")), ("one", ("float64",)),
    ("wrong-top", ("float16", "float32")),
))

_COMMON = (RNG, ENGINE, bool_opt("transpose_a"))

FNS = [
    Fn("sampled_matmul", lambda: nla.sampled_matmul, "", _inputs, _args(1),
       (int_opt("c", 1), _PROBABILITIES, bool_opt("replace"), *_COMMON),
       _fixed(c=40, rng=SEED), _one),
    Fn("sampled_matmul", lambda: nla.sampled_matmul, "without-replacement", _inputs, _args(1),
       (), _fixed(c=40, replace=False, rng=SEED), _one),
    Fn("sampled_matmul_error", lambda: nla.sampled_matmul_error, "", _inputs, _args(2),
       (int_opt("c", 1), _PROBABILITIES, bool_opt("exact"), ENGINE, bool_opt("transpose_a")),
       _fixed(c=40), lambda r: {"value": np.asarray([r], dtype=np.float64)}),
    Fn("mlmc_matmul", lambda: nla.mlmc_matmul, "rank", _inputs, _args(1),
       (real_opt("budget", 0.0, low_open=True), real_opt("tol", 0.0, low_open=True),
        str_opt("levels"), _RANKS, _PRECISIONS, int_opt("blocks", 1),
        bool_opt("return_info"), *_COMMON),
       _fixed(tol=0.1, rng=SEED), _one),
    Fn("mlmc_matmul", lambda: nla.mlmc_matmul, "data", _inputs, _args(1), (),
       _fixed(levels="data", blocks=2, budget=1.5, rng=SEED), _one),
    # level 0 runs in float32 by design: agreement to float32 rounding
    Fn("mlmc_matmul", lambda: nla.mlmc_matmul, "precision", _inputs, _args(1), (),
       _fixed(levels="precision", budget=2.0, rng=SEED), _one, _FLOAT32_LEVEL),
]
