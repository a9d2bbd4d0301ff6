"""Backend-matrix cases of the tensor family (see tests/test_backend_matrix.py)."""

import numpy as np

import nla
from tests.tensor._build import planted, spectra
from tests.test_backend_matrix import SEED, Case

SHAPE, CORE = (6, 5, 4), (2, 3, 2)


def _inputs(rng):
    return {"X": planted(rng, SHAPE, CORE, noise=1e-2)}


def _exact(rng):
    return {"X": planted(rng, SHAPE, CORE)}


def gap_condition(inputs, ref, core=CORE):
    """Sensitivity of the truncated subspaces: ``max_n sigma_1 / (sigma_R - sigma_R+1)``
    of the unfoldings (the reconstruction moves by this times a perturbation)."""
    worst = 1.0
    for s2, r in zip(spectra(inputs["X"]), core, strict=True):
        s = np.sqrt(s2)
        below = s[r] if r < s.size else 0.0
        worst = max(worst, s[0] / (s[r - 1] - below))
    return worst


def error_condition(inputs, ref):
    """The gap condition, and for ``rel_error`` (from ``||X||^2 - ||core||^2``)
    the cancellation factor ``1 / rel_error^2``."""
    cond = gap_condition(inputs, ref)
    if "rel_error" in ref:
        cond = max(cond, 1.0 / float(ref["rel_error"][0]) ** 2)
    return cond


def _parts(t, H):
    return {"dense": H(t.to_dense()), "rel_error": np.asarray([t.rel_error])}


def _dense(t, H):
    return {"dense": H(t.to_dense())}


def _tucker(**kw):
    return lambda a, dt: nla.tucker(a.X, **kw)


CASES = [
    *(
        Case("tucker", _inputs, _tucker(core_shape=CORE, method=m, tol=1e-12),
             variant=m, compare=_parts, cond=error_condition)
        for m in ("hooi", "st-hosvd", "hosvd")
    ),
    Case("tucker", _exact, _tucker(core_shape=CORE, method="hooi"), variant="exact-rank",
         compare=_dense, cond=gap_condition),
    Case("tucker", _inputs, _tucker(budget=80, tol=1e-12), variant="budget",
         compare=_parts, cond=error_condition),
    Case("tucker", _inputs, _tucker(core_shape=CORE, svd="rsvd", rng=SEED, tol=1e-12),
         variant="rsvd", compare=_parts, cond=error_condition),
    *(
        Case("tucker_core_shape", _inputs,
             lambda a, dt, m=m: (a.X, nla.tucker_core_shape(a.X, 80, method=m)),
             variant=m, compare=lambda r, H: {"shape": np.asarray(r[1])})
        for m in ("ip", "greedy", "bang-for-buck", "greedy-true-loss")
    ),
    Case("tucker_core_shape", _inputs,
         lambda a, dt: (a.X, nla.tucker_core_shape(a.X, target_error=0.05)),
         variant="target", compare=lambda r, H: {"shape": np.asarray(r[1])}),
    Case("tucker_params", lambda rng: {},
         lambda a, dt: np.asarray(nla.tucker_params(SHAPE, CORE))),
    Case("TuckerResult.to_dense", _inputs,
         lambda a, dt: nla.tucker(a.X, CORE, tol=1e-12).to_dense(), cond=gap_condition),
]
