"""Backend-matrix cases of the Krylov family (see tests/test_backend_matrix.py)."""

from __future__ import annotations

import numpy as np

import nla
from tests.krylov._systems import KAPPA, N, nonsymmetric, spd
from tests.test_backend_matrix import Case

#: the solvers stop at ||r|| <= rtol ||b||: the solution error is within cond * rtol
_RTOL = 1e-10


def _x(result, H):
    x, _ = result
    return {"x": H(x)}


def _xs(result, H):
    xs, _ = result
    return {"xs": H(xs)}


def _nonsym(rng):
    return {"A": nonsymmetric(rng), "b": rng.standard_normal(N)}


def _spd(rng):
    return {"A": spd(rng), "b": rng.standard_normal(N)}


def _stack(rng):
    A = spd(rng)
    E = spd(rng)
    return {"As": np.stack([A + 0.01 * c * E for c in range(3)]),
            "bs": rng.standard_normal((3, N))}


CASES = [
    Case("gcrodr", _nonsym, lambda a, dt: nla.gcrodr(a.A, a.b, m=8, k=3, rtol=_RTOL),
         compare=_x, cond=KAPPA, solver_tol=_RTOL, matrix="A"),
    Case("cg_recycled", _spd, lambda a, dt: nla.cg_recycled(a.A, a.b, k=2, rtol=_RTOL),
         compare=_x, cond=KAPPA, solver_tol=_RTOL, matrix="A"),
    Case("solve_sequence", _stack,
         lambda a, dt: nla.solve_sequence(a.As, a.bs, m=8, k=3, rtol=_RTOL),
         compare=_xs, cond=2 * KAPPA, solver_tol=_RTOL),
]
