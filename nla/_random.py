"""SPEC 7 random number handling, identical for every backend.

All randomness is drawn on the host from a :class:`numpy.random.Generator` and
then moved to the caller's namespace and device, so a given ``rng`` gives the
same draws on every engine and backend (the results computed from them agree
to rounding).
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_rng", "normal", "signs", "integers", "uniform", "spawn"]


def check_rng(rng, name="rng"):
    """Turn `rng` (None, int, SeedSequence, BitGenerator or Generator) into a Generator.

    ``numpy.random.RandomState`` is rejected, as SPEC 7 prescribes for the
    ``rng`` keyword. A Generator passed in is used as is (its state advances).
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, np.random.RandomState):
        raise TypeError(
            f"{name} must be None, an int or a numpy.random.Generator; "
            "the legacy RandomState is not accepted (use np.random.default_rng)"
        )
    if rng is None or isinstance(
        rng, (np.random.SeedSequence, np.random.BitGenerator)
    ):
        return np.random.default_rng(rng)
    if isinstance(rng, bool) or not isinstance(rng, numbers.Integral):
        raise TypeError(
            f"{name} must be None, an int or a numpy.random.Generator, "
            f"got {type(rng).__name__}"
        )
    if rng < 0:
        raise ValueError(f"{name} must be a non-negative integer seed, got {rng}")
    return np.random.default_rng(int(rng))


def spawn(rng, n):
    """``n`` independent child Generators of `rng` (deterministic)."""
    return rng.spawn(n)


def _move(a, xp, device):
    """Host array `a` as an array of `xp` on `device` (None: xp's default)."""
    if xp is None:
        return a
    if device is None:
        return xp.asarray(a)
    return xp.asarray(a, device=device)


def normal(rng, shape, *, dtype=np.float64, scale=1.0, xp=None, device=None):
    """Standard normal draws times `scale`, in `dtype`, moved to `xp`.

    `device` is where the result goes (pass ``nla._dispatch.device_of(X)``
    to match an input ``X``); None means the default device of `xp`.
    """
    out = rng.standard_normal(shape, dtype=np.float64)
    if scale != 1.0:
        out *= scale
    return _move(out.astype(dtype, copy=False), xp, device)


def signs(rng, n, *, dtype=np.float64, xp=None, device=None):
    """``n`` independent Rademacher signs (+1/-1) in `dtype`."""
    out = (rng.integers(0, 2, size=n, dtype=np.int8) * 2 - 1).astype(dtype)
    return _move(out, xp, device)


def integers(rng, low, high, size, *, xp=None, device=None):
    """Uniform integers in ``[low, high)`` as int64."""
    return _move(rng.integers(low, high, size=size, dtype=np.int64), xp, device)


def uniform(rng, size, *, xp=None, device=None):
    """Uniform draws in ``[0, 1)`` (float64)."""
    return _move(rng.random(size), xp, device)
