"""Constructors shared by the low-rank tests (hypothesis builds, never filters)."""

import numpy as np
from hypothesis import strategies as st

from tests.helpers import seeds, with_singular_values


@st.composite
def low_rank_problem(draw, max_dim=30):
    """(A, k, rank): an m x n matrix of exact rank `rank` <= k <= min(m, n)."""
    m = draw(st.integers(2, max_dim))
    n = draw(st.integers(2, max_dim))
    rank = draw(st.integers(1, min(m, n)))
    k = draw(st.integers(rank, min(m, n)))
    log_kappa = draw(st.floats(0.0, 4.0))
    seed = draw(seeds)
    rng = np.random.default_rng(seed)
    s = np.logspace(0, -log_kappa, rank)
    return with_singular_values(rng, m, n, s), k, rank


def geometric(m, n, decay, seed, *, nsv=None):
    """A with singular values decay**j, j = 0..nsv-1 (default min(m, n))."""
    rng = np.random.default_rng(seed)
    nsv = min(m, n) if nsv is None else nsv
    s = decay ** np.arange(nsv)
    return with_singular_values(rng, m, n, s), s


def device1():
    """``(array_api_strict, Device("device1"))``: a non-default device.

    array_api_strict refuses to combine arrays of different devices, so any
    array a function makes on the default device while working on input from
    this one raises, and results left on the default device are caught by
    comparing ``.device``.
    """
    import pytest

    xs = pytest.importorskip("array_api_strict")
    return xs, xs.Device("device1")

