"""Backend-matrix cases of the svd_update family (see tests/test_backend_matrix.py).

The family runs on NumPy and scipy.sparse only: the other array libraries
must raise TypeError, which the matrix checks from the capability records.
Inputs are exact rank-5 matrices (spectrum 5..1), so every update is exact
and the results are compared through ``U diag(s) Vt`` and ``s``.
"""

import numpy as np

import nla
from tests.svd_update._build import SPECTRUM, low_rank
from tests.test_backend_matrix import SEED, Case

K = SPECTRUM.size
M, N, START = 30, 20, 18

#: the Gram route moves the factors by eps sigma_1^2 / sigma_k^2 (x10 constants)
COND = 10 * float(SPECTRUM[0] / SPECTRUM[-1]) ** 2


def parts(factors, H=np.asarray):
    U, s, Vt = (H(x) for x in factors)
    return {"product": (U * s) @ Vt, "s": s}


def factors(model):
    """The factors as a tuple (results must hold arrays only)."""
    return (model.U, model.s, model.Vt)


def _rows(rng):
    A = low_rank(rng, M, N)
    return {"A": A[:START], "E": A[START:]}


def _cols(rng):
    A = low_rank(rng, N, M)
    return {"A": A[:, :START], "E": A[:, START:]}


def _update(rng):
    A = low_rank(rng, M, N, SPECTRUM[:3])
    return {"A": A, "D": rng.standard_normal((M, 2)), "E": rng.standard_normal((N, 2))}


def _full(rng):
    return {"A": low_rank(rng, M, N)}


def _model(A, **kw):
    return nla.IncrementalSVD(K, rng=SEED, **kw).fit(A)


def _f(call):
    return lambda a, dt: factors(call(a))


def _cmp(result, H):
    return parts(result, H)


CASES = [
    Case("IncrementalSVD.fit", _full, _f(lambda a: _model(a.A)), compare=_cmp, cond=COND,
         matrix="A"),
    *(
        Case("IncrementalSVD.add_rows", _rows,
             _f(lambda a, m=m: _model(a.A, method=m).add_rows(a.E)),
             variant=m, compare=_cmp, cond=COND, matrix="E")
        for m in ("sparse", "zha-simon", "vecharynski-saad", "rpi")
    ),
    Case("IncrementalSVD.add_columns", _cols, _f(lambda a: _model(a.A).add_columns(a.E)),
         compare=_cmp, cond=COND, matrix="E"),
    Case("IncrementalSVD.update", _update, _f(lambda a: _model(a.A).update(a.D, a.E)),
         compare=_cmp, cond=COND, matrix="E"),
    Case("IncrementalSVD.refine", _full,
         _f(lambda a: nla.IncrementalSVD(3, rng=SEED).fit(a.A).refine(a.A)), compare=_cmp,
         cond=COND, matrix="A"),
    Case("IncrementalSVD.partial_fit", _rows,
         _f(lambda a: nla.IncrementalSVD(K, rng=SEED).partial_fit(a.A).partial_fit(a.E)),
         compare=_cmp, cond=COND, matrix="E"),
    Case("IncrementalSVD.transform", _rows,
         lambda a, dt: _model(a.A).transform(a.E),
         compare=lambda r, H: {"coords": np.abs(H(r))}, cond=COND, matrix="E"),
]
