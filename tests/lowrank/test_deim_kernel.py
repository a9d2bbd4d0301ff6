import numpy as np
import pytest
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st

from nla.lowrank._deim import deim_kernel, deim_reference
from tests.helpers import random_orthogonal, seeds


def naive_deim(V):
    """DEIM as defined by Chaturantabut and Sorensen: interpolate, take the
    largest residual (the slow reference both variants are checked against)."""
    n, k = V.shape
    p = [int(np.argmax(np.abs(V[:, 0])))]
    for j in range(1, k):
        c = np.linalg.solve(V[p, :j], V[p, j])
        r = V[:, j] - V[:, :j] @ c
        p.append(int(np.argmax(np.abs(r))))
    return np.array(p)


@st.composite
def bases(draw):
    n = draw(st.integers(1, 60))
    k = draw(st.integers(1, min(n, 12)))
    rng = np.random.default_rng(draw(seeds))
    return random_orthogonal(rng, n, k)


@given(bases())
def test_reference_is_deim_and_gepp(V):
    idx = deim_reference(V)
    np.testing.assert_array_equal(idx, naive_deim(V))
    # DEIM indices are the first k row pivots of Gaussian elimination with
    # partial pivoting (Sorensen-Embree 2016, Sec. 3): scipy's LU as outside reference
    _, piv = scipy.linalg.lu_factor(V) if V.shape[0] == V.shape[1] else (None, None)
    if piv is not None:
        perm = np.arange(V.shape[0])
        for i, p in enumerate(piv):
            perm[i], perm[p] = perm[p], perm[i]
        np.testing.assert_array_equal(idx, perm[: V.shape[1]])


@given(bases())
def test_numba_matches_reference(V):
    pytest.importorskip("numba")
    np.testing.assert_array_equal(deim_kernel(np, V, engine="numba"), deim_reference(V))


def test_rank_deficient_gives_distinct_indices(engine):
    V = np.zeros((7, 4))
    V[:, 0] = 1.0
    V[2, 1] = 3.0
    idx = deim_kernel(np, V, engine=engine)
    assert len(set(idx.tolist())) == 4
    np.testing.assert_array_equal(idx, deim_reference(V))


def test_noncontiguous_float32_input(engine):
    rng = np.random.default_rng(0)
    V = random_orthogonal(rng, 50, 6).astype(np.float32)
    W = np.asfortranarray(V)[::1, :]
    np.testing.assert_array_equal(deim_kernel(np, W, engine=engine), deim_reference(V))
