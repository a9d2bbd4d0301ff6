"""Bad-input rows of the Krylov family (see tests/test_bad_input.py)."""

from __future__ import annotations

import functools
from types import MappingProxyType

import numpy as np

import nla
from tests._bad_input_cases import (
    ENGINE,
    Arg,
    Fn,
    Opt,
    _drop_row,
    _fixed,
    bool_opt,
    int_opt,
    real_opt,
    str_opt,
)
from tests.krylov._systems import (
    KAPPA,
    N,
    integer_nonsingular,
    integer_spd,
    nonsymmetric,
    spd,
)
from tests.test_backend_matrix import _widen

_RTOL = 1e-10
_ROWS = MappingProxyType({"rows": (_drop_row, "raise")})


def _x(result):
    return {"x": _widen(result[0])}


def _xs(result):
    return {"xs": _widen(result[0])}


def _eye(x):
    return np.eye(x.shape[-1], dtype=bool)


def _eye_stack(x):
    return np.broadcast_to(np.eye(x.shape[-1], dtype=bool), x.shape).copy()


def _int_spd_stack(x):
    return np.stack([integer_spd(a) for a in x])


def _nonsymmetric(x):
    return x + 0.5 * np.triu(np.ones_like(x), 1)


def _negative(x):
    return x - 20.0 * np.eye(x.shape[-1])


@functools.cache
def _foreign_recycle():
    """A recycle object of a system of another order."""
    rng = np.random.default_rng(3)
    A = nonsymmetric(rng, N + 2)
    return nla.gcrodr(A, rng.standard_normal(N + 2), m=8, k=3)[1].recycle


def _recycle_opt():
    return Opt("recycle", (("str", "bogus"), ("int", 1), ("list", [1]),
                           ("other-n", _foreign_recycle())))


def _callback_opt():
    return Opt("callback", (("str", "bogus"), ("int", 1)))


def _common_options(k_high):
    return (
        int_opt("k", 0, k_high),
        _recycle_opt(),
        real_opt("rtol", 0.0, 1.0, high_open=True, none=False),
        real_opt("atol", 0.0, none=False),
        int_opt("maxiter", 1, none=True),
        _callback_opt(),
        int_opt("n_solutions", 0),
        ENGINE,
    )


def _only_ab(make):
    """The inputs without x0 and M (extreme scales of A need the zero start)."""
    def only(rng):
        full = make(rng)
        return {"A": full["A"], "b": full["b"]}

    return only


def _gcrodr_inputs(rng):
    A = nonsymmetric(rng)
    return {"A": A, "b": rng.standard_normal(N), "x0": 0.1 * rng.standard_normal(N),
            "M": np.eye(N) + 0.01 * rng.standard_normal((N, N))}


def _cg_inputs(rng):
    A = spd(rng)
    return {"A": A, "b": rng.standard_normal(N), "x0": 0.1 * rng.standard_normal(N),
            "M": np.diag(1.0 / np.diag(A))}


def _sequence_inputs(rng):
    A, E = spd(rng), spd(rng)
    return {"As": np.stack([A + 0.01 * c * E for c in range(3)]),
            "bs": rng.standard_normal((3, N)), "params": np.array([0.0, 0.02, 0.01])}


def _gcrodr_fns():
    A = Arg("A", (2,), {"x": -1}, sparse=True, complex=True, bool_values=_eye,
            int_values=integer_nonsingular, extra=_ROWS)
    b = Arg("b", (1,), {"x": 1}, complex=True, extra=_ROWS)
    x0 = Arg("x0", (1,), complex=True, extra=_ROWS)
    M = Arg("M", (2,), sparse=True, complex=True, bool_values=_eye,
            int_values=integer_nonsingular, extra=_ROWS)
    opts = (int_opt("m", 1), *_common_options(7))
    return [
        Fn("gcrodr", lambda: nla.gcrodr, "", _only_ab(_gcrodr_inputs), (A, b), opts,
           _fixed(m=8, k=3, rtol=_RTOL), _x, KAPPA, _RTOL),
        Fn("gcrodr", lambda: nla.gcrodr, "x0-M", _gcrodr_inputs, (A, b, x0, M), (),
           _fixed(m=8, k=3, rtol=_RTOL), _x, KAPPA, _RTOL, sweep=("x0", "M")),
    ]


def _cg_fns():
    extra = MappingProxyType({"rows": (_drop_row, "raise"),
                              "nonsymmetric": (_nonsymmetric, "raise"),
                              "indefinite": (_negative, "raise")})
    A = Arg("A", (2,), {"x": -1}, sparse=True, bool_values=_eye, int_values=integer_spd,
            extra=extra)
    b = Arg("b", (1,), {"x": 1}, complex=True, extra=_ROWS)
    x0 = Arg("x0", (1,), complex=True, extra=_ROWS)
    M = Arg("M", (2,), sparse=True, bool_values=_eye, int_values=integer_spd, extra=extra)
    return [
        Fn("cg_recycled", lambda: nla.cg_recycled, "", _only_ab(_cg_inputs), (A, b),
           _common_options(N), _fixed(k=2, rtol=_RTOL), _x, KAPPA, _RTOL),
        Fn("cg_recycled", lambda: nla.cg_recycled, "x0-M", _cg_inputs, (A, b, x0, M), (),
           _fixed(k=2, rtol=_RTOL), _x, KAPPA, _RTOL, sweep=("x0", "M")),
    ]


def _sequence_fns():
    As = Arg("As", (3,), {"xs": -1}, complex=True, bool_values=_eye_stack,
             int_values=_int_spd_stack, extra=_ROWS)
    bs = Arg("bs", (1, 2), {"xs": 1}, complex=True, extra=MappingProxyType(
        {"rows": (_drop_row, "raise"), "cols": (lambda x: x[..., :-1], "raise")}))
    params = Arg("params", (1, 2, 3, 4), {"xs": 0}, extra=_ROWS)
    opts = (
        bool_opt("sort"),
        str_opt("method"),
        Opt("M", (("str", "bogus"), ("shape", np.eye(3)))),
        int_opt("m", 2),
        int_opt("k", 0, 7, none=True),
        real_opt("rtol", 0.0, 1.0, high_open=True, none=False),
        _callback_opt(),
        Opt("assume_spd", (("str", "yes"), ("int", 1))),
        int_opt("n_solutions", 0),
        ENGINE,
    )
    return [
        Fn("solve_sequence", lambda: nla.solve_sequence, "", _sequence_inputs,
           (As, bs, params), opts, _fixed(m=8, k=3, rtol=_RTOL), _xs, 2 * KAPPA, _RTOL),
    ]


FNS = [*_gcrodr_fns(), *_cg_fns(), *_sequence_fns()]
