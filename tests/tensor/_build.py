"""Constructed tensors for the tensor family's tests."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import strategies as st

from tests.helpers import random_orthogonal


def planted(rng, shape, core_shape, noise=0.0):
    """``G x_1 U_1 ... x_N U_N`` with a Gaussian core and Haar factors, plus
    `noise` times a Gaussian tensor of unit Frobenius norm per entry scale."""
    X = rng.standard_normal(core_shape)
    for n, (i, r) in enumerate(zip(shape, core_shape, strict=True)):
        X = np.moveaxis(np.tensordot(random_orthogonal(rng, i, r), X, axes=(1, n)), 0, n)
    if noise:
        X = X + noise * np.linalg.norm(X) / math.sqrt(X.size) * rng.standard_normal(shape)
    return X


def decaying(rng, shape, rate):
    """A full tensor whose unfoldings have geometrically decaying spectra:
    a Gaussian tensor multiplied in every mode by ``Q diag(rate**i)``."""
    X = rng.standard_normal(shape)
    for n, i in enumerate(shape):
        M = random_orthogonal(rng, i) * rate ** np.arange(i)
        X = np.moveaxis(np.tensordot(M, X, axes=(1, n)), 0, n)
    return X


def unfold(X, n):
    return np.moveaxis(X, n, 0).reshape(X.shape[n], -1)


def spectra(X):
    """Squared singular values of every unfolding (full length I_n), by SVD."""
    out = []
    for n, i in enumerate(X.shape):
        s = np.linalg.svd(unfold(X, n), compute_uv=False) ** 2
        out.append(np.r_[s, np.zeros(i - s.size)])
    return out


def params(shape, R):
    return math.prod(R) + sum(i * r for i, r in zip(shape, R, strict=True))


def kept(spec, R):
    """The surrogate: kept squared singular values, summed over modes."""
    return float(sum(s[:r].sum() for s, r in zip(spec, R, strict=True)))


def brute_force_budget(X, budget):
    """Best surrogate value over every core shape within `budget`."""
    spec = spectra(X)
    best = -1.0
    for R in itertools.product(*(range(1, i + 1) for i in X.shape)):
        if params(X.shape, R) <= budget:
            best = max(best, kept(spec, R))
    return best


def brute_force_target(X, target):
    """Fewest parameters over every shape whose HOSVD bound meets `target`."""
    spec = spectra(X)
    total = float(np.sum(X * X))
    goal = len(X.shape) * total - target**2 * total
    best = math.inf
    for R in itertools.product(*(range(1, i + 1) for i in X.shape)):
        if kept(spec, R) >= goal * (1 - 1e-12):
            best = min(best, params(X.shape, R))
    return best


@st.composite
def small_tensors(draw, max_dim=6, orders=(2, 3, 4)):
    """A tensor of small shape with decaying unfolding spectra."""
    N = draw(st.sampled_from(orders))
    cap = max_dim if N < 4 else 4
    shape = tuple(draw(st.integers(2, cap)) for _ in range(N))
    rate = draw(st.floats(0.3, 0.9))
    seed = draw(st.integers(0, 2**32 - 1))
    return decaying(np.random.default_rng(seed), shape, rate)


@st.composite
def tensors_with_budget(draw, **kw):
    X = draw(small_tensors(**kw))
    lo, hi = 1 + sum(X.shape), params(X.shape, X.shape)
    frac = draw(st.floats(0.0, 1.0))
    return X, int(lo + frac * (hi - lo))
