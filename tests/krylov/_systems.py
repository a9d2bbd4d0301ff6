"""Small constructed systems for the Krylov tests (shared by the tables)."""

from __future__ import annotations

import numpy as np

from tests.helpers import random_orthogonal

N = 12
#: condition number of the constructed matrices (eigen/singular values in [1, KAPPA])
KAPPA = 10.0


def nonsymmetric(rng, n=N, kappa=KAPPA):
    """A = S + K: S SPD with eigenvalues in [1, kappa - 2], K skew with ||K|| = 2.

    The field of values lies in Re z >= 1, so restarted GMRES converges, and
    cond(A) <= ||A|| ||A^-1|| <= kappa.
    """
    S = spd(rng, n, kappa - 2.0)
    G = rng.standard_normal((n, n))
    K = G - G.T
    return S + 2.0 * K / np.linalg.norm(K, 2)


def spd(rng, n=N, kappa=KAPPA):
    lam = np.linspace(1.0, kappa, n)
    q = random_orthogonal(rng, n)
    A = (q * lam) @ q.T
    return (A + A.T) / 2


def system(rng, kind="nonsymmetric"):
    A = nonsymmetric(rng) if kind == "nonsymmetric" else spd(rng)
    return {"A": A, "b": rng.standard_normal(N)}


def spd_diag_dominant_bool(x):
    """A boolean SPD matrix of x's shape: the identity."""
    return np.eye(x.shape[-1], dtype=bool)


def integer_spd(x):
    """An integer SPD matrix of x's shape: round(8 x) made diagonally dominant."""
    y = np.rint(8 * x).astype(np.int64)
    y = (y + y.T) // 2
    return y + np.diag(np.abs(y).sum(axis=1) + 1)


def integer_nonsingular(x):
    y = np.rint(8 * x).astype(np.int64)
    return y + np.diag(np.abs(y).sum(axis=1) + 1)
