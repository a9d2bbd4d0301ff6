"""SPEC 7 random number handling for every backend.

Small draws (signs, indices, permutations) are made on the host from the
:class:`numpy.random.Generator` and moved to the caller's device, so they
are identical on every engine and backend. Large Gaussian test matrices for
CuPy input are drawn on the GPU instead: a 63-bit seed is taken from the
caller's Generator and seeds ``cupy.random.default_rng`` on the input's
device. Results then repeat exactly for a given ``rng`` on that backend and
agree with the NumPy results in distribution, not draw for draw. Every other
namespace (NumPy, array_api_strict, torch) gets the host draws.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._backend import is_cupy_namespace

__all__ = ["check_rng", "normal", "signs", "device_seed"]


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


def device_seed(rng):
    """A 63-bit seed taken from `rng`, for a generator on a device."""
    return int(rng.integers(0, 2**63 - 1, dtype=np.int64))


def _move(a, xp, device):
    """Host array `a` as an array of `xp` on `device` (None: xp's default)."""
    if xp is None:
        return a
    if device is None:
        return xp.asarray(a)
    return xp.asarray(a, device=device)


def normal(rng, shape, *, dtype=np.float64, scale=1.0, xp=None, device=None):
    """Standard normal draws times `scale`, in `dtype`, in namespace `xp`.

    `device` is where the result goes (pass ``nla._backend.device_of(X)``
    to match an input ``X``); None means the default device of `xp`. For
    CuPy the draws are made on the device (see the module docstring).
    """
    if xp is not None:
        if is_cupy_namespace(xp):  # pragma: no cover - needs a GPU
            import cupy

            with cupy.cuda.Device(getattr(device, "id", None)):
                gen = cupy.random.default_rng(device_seed(rng))
                out = gen.standard_normal(shape, dtype=np.float64)
                if scale != 1.0:
                    out *= scale
                return out.astype(np.dtype(dtype), copy=False)
    out = rng.standard_normal(shape, dtype=np.float64)
    if scale != 1.0:
        out *= scale
    return _move(out.astype(dtype, copy=False), xp, device)


def signs(rng, n, *, dtype=np.float64, xp=None, device=None):
    """``n`` independent Rademacher signs (+1/-1) in `dtype`."""
    out = (rng.integers(0, 2, size=n, dtype=np.int8) * 2 - 1).astype(dtype)
    return _move(out, xp, device)
