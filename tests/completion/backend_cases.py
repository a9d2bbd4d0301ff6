"""Backend-matrix cases of the completion family (see tests/test_backend_matrix.py).

The family serves NumPy input only (index gathers and Numba kernels on the
host), so these cases check NumPy in both precisions, scipy.sparse input of
``complete_sparse``, and the TypeError for every other library.
"""

import nla
from tests.completion._build import (
    COLS,
    FIXED,
    ROWS,
    SMALL_COND,
    SMALL_RANK,
    SMALL_SHAPE,
    small_matrix,
)
from tests.test_backend_matrix import SEED, Case


def _values(rng):
    return {"values": small_matrix(rng)[ROWS, COLS]}


def _full(rng):
    return {"M": small_matrix(rng)}


def _fit(a, method="robust-altmin", **kw):
    return nla.complete(ROWS, COLS, a.values, SMALL_SHAPE, SMALL_RANK, method=method,
                        rng=SEED, **FIXED, **kw)


def _dense(f, H):
    return {"dense": H(f.to_dense())}


CASES = [
    *(
        Case("complete", _values, lambda a, dt, m=m: _fit(a, m), variant=m, compare=_dense,
             cond=SMALL_COND)
        for m in ("robust-altmin", "altmin")
    ),
    Case("complete", _values, lambda a, dt: _fit(a, reg=0.1, reg_weights="count", biases=True),
         variant="biases", compare=_dense, cond=SMALL_COND),
    Case(
        "complete_sparse",
        _full,
        lambda a, dt: nla.complete_sparse(a.M, SMALL_RANK, rng=SEED, **FIXED),
        compare=_dense,
        cond=SMALL_COND,
        matrix="M",
        sparse_reference=True,
    ),
    Case("tune_complete", _values,
         lambda a, dt: nla.tune_complete(ROWS, COLS, a.values, SMALL_SHAPE, ranks=(1, 2),
                                         regs=(0.0, 0.01), maxiter=15, rng=SEED),
         compare=lambda t, H: {"dense": H(t.completion.to_dense())}, cond=SMALL_COND),
    Case("Completion.predict", _values,
         lambda a, dt: _fit(a).predict(ROWS[:7], COLS[:7]), cond=SMALL_COND),
    Case("Completion.to_dense", _values, lambda a, dt: _fit(a).to_dense(), cond=SMALL_COND),
]
