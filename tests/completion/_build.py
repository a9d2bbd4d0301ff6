"""Constructed completion problems shared by the completion tests and tables."""

from __future__ import annotations

import numpy as np


def low_rank(rng, m, n, k, *, spread=3.0):
    """``A B^T`` with orthonormal-ish random factors and singular values in ``[1, spread]``."""
    Q1, _ = np.linalg.qr(rng.standard_normal((m, k)))
    Q2, _ = np.linalg.qr(rng.standard_normal((n, k)))
    s = np.linspace(spread, 1.0, k) * np.sqrt(m * n / k)
    return (Q1 * s) @ Q2.T


def sample(rng, shape, fraction):
    """Uniform positions (each at most once), at least one per row and column."""
    m, n = shape
    mask = rng.random(shape) < fraction
    mask[np.arange(m), rng.integers(0, n, m)] = True
    mask[rng.integers(0, m, n), np.arange(n)] = True
    return np.nonzero(mask)


def rel_err(A, B):
    return float(np.linalg.norm(A - B) / np.linalg.norm(B))


#: the small problem of the backend-matrix and bad-input tables
SMALL_SHAPE = (30, 20)
SMALL_RANK = 2
_PATTERN = sample(np.random.default_rng(7), SMALL_SHAPE, 0.6)
ROWS, COLS = (np.ascontiguousarray(x, dtype=np.int64) for x in _PATTERN)
#: fixed options: a set number of sweeps (no stopping rule), so that every
#: precision runs the same iteration map
FIXED = {"maxiter": 25, "tol": 0.0}
#: the completion of the small problem is well conditioned: singular values
#: in [1, 3] and 60% of the entries observed
SMALL_COND = 10.0


def small_matrix(rng):
    return low_rank(rng, *SMALL_SHAPE, SMALL_RANK)
