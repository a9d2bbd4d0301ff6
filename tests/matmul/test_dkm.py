"""sampled_matmul and sampled_matmul_error: unbiasedness, the variance
identity, optimality of the probabilities, input checks."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import nla
from tests.matmul._stats import max_z, threshold

R = 400  # repetitions of the statistical tests


def _pair(seed=0, m=8, n=60, p=5):
    rng = np.random.default_rng(seed)
    # uneven column and row norms, so that the probabilities matter
    A = rng.standard_normal((m, n)) * rng.uniform(0.1, 3.0, n)
    B = rng.standard_normal((n, p)) * rng.uniform(0.1, 3.0, n)[:, None]
    return A, B


def _estimates(f, reps=R):
    return np.array([f(seed) for seed in range(reps)])


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"probabilities": "uniform"},
        {"replace": False},
        {"probabilities": "uniform", "replace": False},
    ],
    ids=["optimal", "uniform", "optimal-noreplace", "uniform-noreplace"],
)
def test_unbiased(kw):
    A, B = _pair()
    G = A @ B
    E = _estimates(lambda s: nla.sampled_matmul(A, B, 15, rng=s, **kw))
    assert max_z(E, G) < threshold(G.size)


def test_unbiased_user_probabilities_and_gram_sparse():
    A, _ = _pair(1, m=6, n=50)
    X = A.T  # (50, 6): the Gram matrix X^T X
    p = np.random.default_rng(3).uniform(0.5, 1.0, 50)
    p /= p.sum()
    G = X.T @ X
    E = _estimates(lambda s: nla.sampled_matmul(X, X, 12, probabilities=p, transpose_a=True,
                                                rng=s))
    assert max_z(E, G) < threshold(G.size)
    Xs = sp.csr_array(np.where(np.abs(X) > 0.5, X, 0.0))
    Gs = (Xs.T @ Xs).toarray()
    E = _estimates(lambda s: nla.sampled_matmul(Xs, Xs, 12, transpose_a=True, rng=s))
    assert max_z(E, Gs) < threshold(Gs.size)


def test_the_unbiasedness_test_detects_a_small_bias():
    A, B = _pair()
    G = A @ B
    E = _estimates(lambda s: 1.2 * nla.sampled_matmul(A, B, 15, rng=s))
    assert max_z(E, G) > threshold(G.size)


@pytest.mark.parametrize("probabilities", ["optimal", "uniform"])
def test_variance_identity(probabilities):
    """E||AB - C||_F^2 = (sum_k |a_k|^2 |b_k|^2 / p_k - ||AB||_F^2) / c, within
    4.5 standard errors of the Monte Carlo mean (false alarm < 1e-5)."""
    A, B = _pair(2)
    G = A @ B
    c = 20
    err = np.array([np.linalg.norm(nla.sampled_matmul(A, B, c, probabilities=probabilities,
                                                      rng=s) - G) ** 2 for s in range(R)])
    want = nla.sampled_matmul_error(A, B, c, probabilities=probabilities, exact=True)
    se = err.std(ddof=1) / np.sqrt(R)
    assert abs(err.mean() - want) < 4.5 * se
    # the formula itself, by enumerating every outcome of one sample
    na, nb = np.linalg.norm(A, axis=0), np.linalg.norm(B, axis=1)
    p = na * nb / np.sum(na * nb) if probabilities == "optimal" else np.full(A.shape[1],
                                                                            1 / A.shape[1])
    one = sum(p[k] * np.linalg.norm(np.outer(A[:, k], B[k]) / p[k] - G) ** 2
              for k in range(A.shape[1]))
    np.testing.assert_allclose(want, one / c, rtol=1e-10)


def test_optimal_probabilities_minimize_the_variance():
    A, B = _pair(4)
    c = 10
    best = nla.sampled_matmul_error(A, B, c, exact=True)
    uni = nla.sampled_matmul_error(A, B, c, probabilities="uniform", exact=True)
    assert best < uni
    rng = np.random.default_rng(0)
    for _ in range(20):
        p = rng.uniform(0.01, 1.0, A.shape[1])
        p /= p.sum()
        assert best <= nla.sampled_matmul_error(A, B, c, probabilities=p, exact=True)
    # and empirically: optimal beats uniform by more than the Monte Carlo error
    G = A @ B
    e_opt = [np.linalg.norm(nla.sampled_matmul(A, B, c, rng=s) - G) ** 2 for s in range(R)]
    e_uni = [np.linalg.norm(nla.sampled_matmul(A, B, c, probabilities="uniform", rng=s) - G)
             ** 2 for s in range(R)]
    assert np.mean(e_opt) + 4 * np.std(e_opt) / np.sqrt(R) < np.mean(e_uni)


@given(
    m=st.integers(1, 6), n=st.integers(1, 40), p=st.integers(1, 6),
    c=st.integers(1, 50), seed=st.integers(0, 2**32 - 1),
)
def test_properties(m, n, p, c, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n)) * np.exp(rng.uniform(-3, 3, n))
    B = rng.standard_normal((n, p))
    G = A @ B
    bound = nla.sampled_matmul_error(A, B, c)
    exact = nla.sampled_matmul_error(A, B, c, exact=True)
    scale = np.sum(np.linalg.norm(A, axis=0) * np.linalg.norm(B, axis=1)) ** 2
    eps = 1e-12 * scale
    assert -eps <= exact <= bound + eps
    np.testing.assert_allclose(bound, scale / c, rtol=1e-12)
    np.testing.assert_allclose(nla.sampled_matmul_error(A, B, 1), c * bound, rtol=1e-12)
    C = nla.sampled_matmul(A, B, c, rng=seed)
    assert C.shape == (m, p) and np.all(np.isfinite(C))
    # without replacement, c >= n takes every index: the exact product
    full = nla.sampled_matmul(A, B, n, replace=False, rng=seed)
    np.testing.assert_allclose(full, G, atol=n * 1e-15 * np.sqrt(scale))
    # c = 1 with one nonzero term is exact too
    np.testing.assert_array_equal(nla.sampled_matmul(A, B, c, rng=seed),
                                  nla.sampled_matmul(A, B, c, rng=seed))


def test_dtype_reproducibility_and_forms():
    A, B = _pair(5)
    C32 = nla.sampled_matmul(A.astype(np.float32), B.astype(np.float32), 10, rng=1)
    assert C32.dtype == np.float32
    C64 = nla.sampled_matmul(A, B, 10, rng=1)
    np.testing.assert_allclose(C32, C64, rtol=1e-4, atol=1e-4 * np.abs(C64).max())
    np.testing.assert_array_equal(C64, nla.sampled_matmul(A, B, 10, rng=1))
    # A^T B without forming A^T: same draws as the explicit transpose
    At = np.asfortranarray(A.T)
    np.testing.assert_allclose(nla.sampled_matmul(At, B, 10, transpose_a=True, rng=1), C64,
                               rtol=1e-13)
    # sparse input gives the dense result of the same draws
    np.testing.assert_allclose(nla.sampled_matmul(sp.csr_array(A), sp.csc_array(B), 10, rng=1),
                               C64, rtol=1e-13)


def test_zero_product_is_exact_zero_without_warnings():
    A = np.zeros((4, 7))
    B = np.random.default_rng(0).standard_normal((7, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for kw in ({}, {"probabilities": "uniform"}, {"replace": False}):
            C = nla.sampled_matmul(A, B, 5, rng=0, **kw)
            assert C.shape == (4, 3) and not np.any(C)
        assert nla.sampled_matmul_error(A, B, 5) == 0.0
        assert nla.sampled_matmul_error(A, B, 5, exact=True) == 0.0
        assert not np.any(nla.mlmc_matmul(A, B, rng=0))


@pytest.mark.parametrize(
    "args, kw, name",
    [
        ((np.ones((3, 4)), np.ones((5, 2)), 3), {}, "inner dimensions"),
        ((np.ones((3, 4)), np.ones((4, 2)), 0), {}, "c"),
        ((np.ones((3, 4)), np.ones((4, 2)), -2), {}, "c"),
        ((np.ones((3, 4)), np.ones((4, 2)), 3), {"probabilities": [0.5, 0.5, 0.5, -0.5]},
         "probabilities"),
        ((np.ones((3, 4)), np.ones((4, 2)), 3), {"probabilities": [0.3, 0.3, 0.3, 0.3]},
         "probabilities"),
        ((np.ones((3, 4)), np.ones((4, 2)), 3), {"probabilities": [0.0, 0.5, 0.25, 0.25]},
         "probabilities"),
        ((np.full((3, 4), np.nan), np.ones((4, 2)), 3), {}, "A"),
        ((np.ones((3, 4)), np.full((4, 2), np.inf), 3), {}, "B"),
    ],
)
def test_bad_input(args, kw, name):
    with pytest.raises(ValueError, match=name):
        nla.sampled_matmul(*args, rng=0, **kw)
