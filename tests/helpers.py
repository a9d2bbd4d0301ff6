"""Test helpers shared by every family: conversions and matrix constructors.

Hypothesis strategies here *construct* well-posed inputs (shape, rank,
condition number, spectrum and a seed) instead of filtering random matrices.
"""

import array_api_compat
import numpy as np
from hypothesis import strategies as st

from nla._backend import to_host

__all__ = [
    "to_host",
    "assert_namespace",
    "random_orthogonal",
    "with_singular_values",
    "spd_with_condition",
    "seeds",
]


def assert_namespace(result, xp):
    """Assert that `result` came back in the namespace `xp` of the inputs."""
    got = array_api_compat.array_namespace(result)
    want = array_api_compat.array_namespace(xp.asarray([1.0]))
    assert got == want, f"result namespace {got.__name__} != input namespace {want.__name__}"


def random_orthogonal(rng, n, k=None):
    """An n x k matrix with orthonormal columns (Haar distributed)."""
    k = n if k is None else k
    q, r = np.linalg.qr(rng.standard_normal((n, k)))
    return q * np.sign(np.diag(r))


def with_singular_values(rng, m, n, s):
    """``U diag(s) V^T`` with Haar-random U (m x r) and V (n x r), r = len(s)."""
    s = np.asarray(s, dtype=float)
    r = s.size
    return (random_orthogonal(rng, m, r) * s) @ random_orthogonal(rng, n, r).T


def spd_with_condition(rng, n, kappa, *, batch=()):
    """SPD matrices with eigenvalues log-spaced in [1/kappa, 1] (exact kappa)."""
    out = np.empty(tuple(batch) + (n, n))
    for idx in np.ndindex(*batch) if batch else [()]:
        lam = np.logspace(0, -np.log10(kappa), n)
        rng.shuffle(lam)
        q = random_orthogonal(rng, n)
        out[idx] = (q * lam) @ q.T
    return (out + np.swapaxes(out, -1, -2)) / 2


seeds = st.integers(min_value=0, max_value=2**32 - 1)
