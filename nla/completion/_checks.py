"""Input checks of the completion family (NumPy data only)."""

from __future__ import annotations

import numpy as np

from .._backend import is_sparse
from .._validate import check_array, check_int

__all__ = ["require_numpy", "check_indices", "check_values", "check_shape"]

_ARRAYS = (np.ndarray, list, tuple)


def require_numpy(x, name):
    """TypeError unless `x` is a NumPy array, a list or a tuple."""
    if x is None:
        raise TypeError(f"{name} must be an array, got None")
    if is_sparse(x) or not isinstance(x, _ARRAYS):
        raise TypeError(
            f"{name} must be a NumPy array (the completion family runs NumPy and "
            f"Numba code on the host), got {type(x).__module__}.{type(x).__name__}"
        )
    return x


def check_indices(x, name, size):
    """A 1-D int64 array of indices in ``[0, size)``."""
    require_numpy(x, name)
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(f"{name} is a masked array; pass {name}.data or {name}.filled(...)")
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of integers") from exc
    if arr.size == 0 and arr.dtype.kind in "f":
        arr = arr.astype(np.int64)  # an empty list reads as float64
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must hold integers (indices), got dtype {arr.dtype}; "
            f"convert with {name}.astype(int) if the values are integral"
        )
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got ndim={arr.ndim}")
    if arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi >= size:
            bad = lo if lo < 0 else hi
            raise ValueError(
                f"{name} holds the index {bad}, outside [0, {size}) (the matrix shape)"
            )
    return np.ascontiguousarray(arr, dtype=np.int64)


def check_values(values, name="values"):
    """A 1-D finite float32/float64 array (possibly empty)."""
    require_numpy(values, name)
    return check_array(values, name, ndim=1, allow_empty=True)


def check_shape(shape, name="shape"):
    """``(m, n)`` with positive integers."""
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__"):
        raise TypeError(f"{name} must be a pair of integers (m, n), got {shape!r}")
    if len(shape) != 2:
        raise ValueError(f"{name} must be a pair of integers (m, n), got {shape!r}")
    return tuple(check_int(s, name, low=1) for s in shape)
