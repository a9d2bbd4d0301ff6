"""Core-shape selection: budgets, the integer program against brute force and
the greedy rules, monotonicity, permutation equivariance, planted shapes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nla
from tests.tensor._build import (
    brute_force_budget,
    brute_force_target,
    decaying,
    kept,
    params,
    planted,
    spectra,
    tensors_with_budget,
)

SURROGATE = ("ip", "greedy", "bang-for-buck")
# the surrogate is a sum of squared singular values computed two ways (Gram
# eigenvalues here, SVD in the reference): they agree to ~ I_n eps ||X||^2
RTOL = 1e-10


@settings(max_examples=20)
@given(tensors_with_budget())
def test_budget_never_exceeded_and_ip_beats_greedy(case):
    X, budget = case
    spec = spectra(X)
    values = {}
    for method in SURROGATE:
        R = nla.tucker_core_shape(X, budget, method=method)
        assert len(R) == X.ndim and all(1 <= r <= i for r, i in zip(R, X.shape, strict=True))
        assert nla.tucker_params(X.shape, R) <= budget
        values[method] = kept(spec, R)
    total = float(np.sum(X * X))
    for method in ("greedy", "bang-for-buck"):
        assert values["ip"] >= values[method] - RTOL * total


@settings(max_examples=20)
@given(tensors_with_budget(max_dim=5))
def test_ip_equals_brute_force(case):
    X, budget = case
    R = nla.tucker_core_shape(X, budget)
    total = float(np.sum(X * X))
    assert kept(spectra(X), R) == pytest.approx(brute_force_budget(X, budget), abs=RTOL * total)


@settings(max_examples=10)
@given(tensors_with_budget(max_dim=5), st.floats(0.02, 0.6))
def test_target_error_is_the_cheapest_shape_meeting_the_bound(case, target):
    X = case[0]
    R = nla.tucker_core_shape(X, target_error=target)
    spec = spectra(X)
    total = float(np.sum(X * X))
    bound = math.sqrt(max(X.ndim * total - kept(spec, R), 0.0) / total)
    assert bound <= target * (1 + 1e-8)
    assert params(X.shape, R) == brute_force_target(X, target)
    # HOSVD reaches the target (the bound holds for it)
    assert nla.tucker(X, R, method="hosvd").rel_error <= target * (1 + 1e-8)


@settings(max_examples=10)
@given(tensors_with_budget(max_dim=5), st.sampled_from(SURROGATE))
def test_monotone_in_the_budget(case, method):
    X, budget = case
    spec = spectra(X)
    total = float(np.sum(X * X))
    full = params(X.shape, X.shape)
    last = -1.0
    for b in sorted({budget, (budget + full) // 2, full}):
        value = kept(spec, nla.tucker_core_shape(X, b, method=method))
        if method == "ip":  # only the exact optimum is monotone; greedy rules need not be
            assert value >= last - RTOL * total
        last = value


@settings(max_examples=10)
@given(tensors_with_budget(orders=(3, 4)), st.randoms(use_true_random=False))
def test_permutation_equivariance(case, rand):
    X, budget = case
    perm = list(range(X.ndim))
    rand.shuffle(perm)
    spec = spectra(X)
    total = float(np.sum(X * X))
    R = nla.tucker_core_shape(X, budget)
    Rp = nla.tucker_core_shape(np.transpose(X, perm), budget)
    # the same optimum value; the same shape, permuted, unless two optima tie
    assert kept(spec, R) == pytest.approx(
        kept([spec[p] for p in perm], Rp), abs=RTOL * total
    )
    if all(abs(kept(spec, R) - kept(spec, S)) > 1e-9 * total for S in _neighbours(R, X.shape)):
        assert tuple(R[p] for p in perm) == Rp


def _neighbours(R, shape):
    out = []
    for n in range(len(R)):
        for d in (-1, 1):
            S = list(R)
            S[n] += d
            if 1 <= S[n] <= shape[n] and tuple(S) != tuple(R):
                out.append(tuple(S))
    return out


@pytest.mark.parametrize("method", ["ip", "greedy", "bang-for-buck", "greedy-true-loss"])
@pytest.mark.parametrize(
    "shape, core", [((20, 18, 16), (2, 5, 3)), ((12, 10, 9, 8), (3, 2, 4, 2))]
)
def test_planted_shape_is_recovered(method, shape, core):
    X = planted(np.random.default_rng(7), shape, core, noise=1e-3)
    need = params(shape, core)
    # a budget that fits the planted shape but no shape containing it
    budget = min(params(shape, [r + (m == n) for m, r in enumerate(core)])
                 for n in range(len(core))) - 1
    assert nla.tucker_core_shape(X, budget, method=method) == core
    assert need <= budget


def test_target_error_recovers_planted_shape_and_tucker_meets_it():
    X = planted(np.random.default_rng(3), (15, 14, 13), (3, 4, 2), noise=1e-4)
    R = nla.tucker_core_shape(X, target_error=1e-2)
    assert R == (3, 4, 2)
    t = nla.tucker(X, target_error=1e-2)
    assert t.core_shape == (3, 4, 2) and t.rel_error <= 1e-2


def test_budget_fraction_and_tucker_budget():
    X = decaying(np.random.default_rng(1), (10, 9, 8), 0.6)
    frac = 0.3
    budget = math.floor(frac * X.size)
    assert nla.tucker_core_shape(X, frac) == nla.tucker_core_shape(X, budget)
    t = nla.tucker(X, budget=frac)
    R = nla.tucker_core_shape(X, budget)
    assert t.core_shape == R and t.n_params <= budget
    ref = nla.tucker(X, R)
    assert t.rel_error == pytest.approx(ref.rel_error, rel=1e-12)


def test_greedy_true_loss_steps_and_budget():
    X = decaying(np.random.default_rng(2), (8, 7, 6), 0.5)
    seen = []
    R = nla.tucker_core_shape(X, 120, method="greedy-true-loss",
                              callback=lambda it, info: seen.append((it, info)))
    assert params(X.shape, R) <= 120
    assert [it for it, _ in seen] == list(range(1, len(seen) + 1))
    assert seen[-1][1]["core_shape"] == R
    errs = [info["rel_error"] for _, info in seen]
    assert all(b <= a + 1e-12 for a, b in zip(errs, errs[1:], strict=False))
    # each step is the best single increment of the true loss
    last = seen[-2][1]["core_shape"] if len(seen) > 1 else (1, 1, 1)
    for n in range(3):
        S = list(last)
        S[n] += 1
        if S[n] <= X.shape[n] and params(X.shape, S) <= 120:
            assert nla.tucker(X, S).rel_error >= errs[-1] - 1e-9


def test_greedy_true_loss_target():
    X = planted(np.random.default_rng(4), (9, 8, 7), (2, 3, 2), noise=1e-3)
    R = nla.tucker_core_shape(X, target_error=0.01, method="greedy-true-loss")
    assert nla.tucker(X, R).rel_error <= 0.01


def test_zero_tensor_and_flat_spectra():
    assert nla.tucker_core_shape(np.zeros((4, 5, 3)), 40) == (1, 1, 1)
    # an exact rank-(1, 1, 1) tensor: extra ranks gain nothing and are not taken
    X = np.einsum("i,j,k->ijk", *(np.arange(1.0, i + 1) for i in (4, 5, 3)))
    for method in SURROGATE:
        assert nla.tucker_core_shape(X, 200, method=method) == (1, 1, 1)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"budget": 12}, "budget"),  # the all-ones core needs 1 + 4 + 5 + 3 = 13
        ({"budget": 0}, "budget"),
        ({"budget": 1.5}, "budget"),
        ({"budget": 0.0}, "budget"),
        ({"budget": True}, "budget"),
        ({}, "budget"),
        ({"budget": 20, "target_error": 0.1}, "target_error"),
        ({"target_error": 0.0}, "target_error"),
        ({"target_error": 2.0}, "target_error"),
        ({"budget": 20, "method": "brute"}, "method"),
        ({"budget": 20, "eps": 0.0}, "eps"),
        ({"budget": 20, "callback": 3}, "callback"),
    ],
)
def test_bad_options(kwargs, match):
    X = np.ones((4, 5, 3))
    with pytest.raises((ValueError, TypeError), match=match):
        nla.tucker_core_shape(X, **kwargs)


@pytest.mark.parametrize(
    "X, match",
    [
        (np.ones(5), "X"),
        (np.full((3, 3), np.nan), "X"),
        (np.full((3, 3, 2), np.inf), "X"),
        (np.ones((3, 0, 2)), "X"),
    ],
)
def test_bad_tensors(X, match):
    with pytest.raises(ValueError, match=match):
        nla.tucker_core_shape(X, 20)
