"""Constructed inputs of the svd_update tests."""

import numpy as np
import scipy.sparse as sp

from tests.helpers import with_singular_values

METHODS = ("sparse", "zha-simon", "vecharynski-saad", "rpi")

#: spectrum of the rank-5 test matrices: sigma_1 / sigma_5 = 5
SPECTRUM = np.array([5.0, 4.0, 3.0, 2.0, 1.0])


def low_rank(rng, m, n, s=SPECTRUM):
    return with_singular_values(rng, m, n, s)


def planted(rng, m, n, s=SPECTRUM, noise=1e-3):
    """A rank-len(s) matrix plus small Gaussian noise (a clear gap after len(s))."""
    return with_singular_values(rng, m, n, s) + noise * rng.standard_normal((m, n))


def as_form(x, sparse):
    return sp.csr_array(x) if sparse else x


def dense_product(model):
    return (np.asarray(model.U, np.float64) * np.asarray(model.s, np.float64)) @ np.asarray(
        model.Vt, np.float64
    )


def defect(X):
    X = np.asarray(X, dtype=np.float64)
    return float(np.max(np.abs(X.T @ X - np.eye(X.shape[1]))))


def exact_bound(eps, size, s):
    """Bound on ``||U S Vt - A||_F / ||A||_F`` when rank(A) <= k.

    Every step is backward stable (``O(size eps)`` relative); the Gram
    route solves the core's eigenproblem on ``M M^T``, whose eigenvectors
    move by ``eps ||M||^2 / gap(sigma^2)``, at most ``eps kappa^2`` with
    ``kappa = sigma_1 / sigma_k`` (the gap to zero included). A factor 10
    covers the constants.
    """
    kappa = float(s[0] / s[-1])
    return 10 * size * eps * kappa**2
