"""Array namespace inference, host conversion and dtype mapping.

scipy.sparse inputs count as NumPy, cupyx.scipy.sparse inputs as CuPy. Which
library an array comes from is always decided by array-api-compat (which
knows CuPy arrays and torch tensors, neither of which carries
``__array_namespace__``), never by looking for that attribute.
"""

from __future__ import annotations

import sys

import array_api_compat
import numpy as np
import scipy.sparse as sp

__all__ = [
    "array_namespace",
    "is_numpy_namespace",
    "is_cupy_namespace",
    "is_sparse",
    "is_cupy_sparse",
    "device_of",
    "to_host",
    "numpy_dtype",
    "namespace_dtype",
    "work_dtype",
]


def is_cupy_sparse(x) -> bool:
    """True for cupyx.scipy.sparse arrays and matrices (only if cupyx is loaded)."""
    mod = sys.modules.get("cupyx.scipy.sparse")
    return mod is not None and bool(mod.issparse(x))


def is_sparse(x) -> bool:
    """True for scipy.sparse and cupyx.scipy.sparse arrays and matrices."""
    return sp.issparse(x) or is_cupy_sparse(x)


def device_of(x):
    """Device of `x`; None for NumPy and scipy.sparse (there is only the CPU).

    Random draws and new arrays made for `x` are created there, so results
    stay on the caller's device.
    """
    if isinstance(x, np.ndarray) or sp.issparse(x):
        return None
    if is_cupy_sparse(x):  # pragma: no cover - needs a GPU
        return array_api_compat.device(x.data)
    return array_api_compat.device(x)


def _device_key(x):
    try:
        return array_api_compat.device(x)
    except Exception:  # pragma: no cover - exotic arrays
        return None


def array_namespace(*arrays):
    """Return the array API namespace shared by `arrays`.

    ``None`` and Python scalars are ignored. scipy.sparse inputs count as NumPy
    and cupyx.scipy.sparse inputs as CuPy. Lists and tuples are read as NumPy
    arrays. With no array at all the NumPy namespace is returned.

    Raises
    ------
    TypeError
        If the arrays come from different libraries, or an argument is not an
        array of a library array-api-compat knows.
    ValueError
        If the arrays live on different devices.
    """
    dense = []
    kinds = set()
    for a in arrays:
        if a is None or isinstance(a, (bool, int, float, complex)):
            continue
        if sp.issparse(a):
            kinds.add("numpy")
            continue
        if is_cupy_sparse(a):  # pragma: no cover - needs a GPU
            kinds.add("cupy")
            dense.append(a.data)
            continue
        if isinstance(a, (list, tuple)):
            a = np.asarray(a)
        dense.append(a)
    if not dense:
        if kinds == {"cupy"}:  # pragma: no cover
            import cupy

            return array_api_compat.array_namespace(cupy.empty(0))
        return array_api_compat.array_namespace(np.empty(0))
    try:
        xp = array_api_compat.array_namespace(*dense)
    except TypeError as exc:
        raise TypeError(
            "inputs come from different array libraries; pass arrays of one "
            f"library only ({exc})"
        ) from None
    if "numpy" in kinds and not is_numpy_namespace(xp):
        raise TypeError(
            "scipy.sparse inputs can only be combined with NumPy arrays, "
            f"not with {xp.__name__} arrays"
        )
    if "cupy" in kinds and not is_cupy_namespace(xp):  # pragma: no cover - GPU
        raise TypeError(
            "cupyx.scipy.sparse inputs can only be combined with CuPy arrays, "
            f"not with {xp.__name__} arrays"
        )
    devices = {_device_key(a) for a in dense}
    if len(devices) > 1:
        raise ValueError(
            f"inputs live on different devices ({sorted(map(str, devices))}); "
            "move them to one device first"
        )
    return xp


def is_numpy_namespace(xp) -> bool:
    """True if `xp` is NumPy (or array-api-compat's NumPy wrapper)."""
    return array_api_compat.is_numpy_namespace(xp)


def is_cupy_namespace(xp) -> bool:
    """True if `xp` is CuPy (or array-api-compat's CuPy wrapper)."""
    return array_api_compat.is_cupy_namespace(xp)


def to_host(x):
    """`x` as a NumPy array (no copy for NumPy input, a device copy otherwise).

    Meant for small arrays (factors, indices, singular values) and tests.
    Works for NumPy, CuPy (``.get()``), torch tensors (on the CPU or moved
    there), array_api_strict (DLPack) and scipy.sparse (densified: only for
    small matrices).
    """
    if isinstance(x, np.ndarray):
        return x
    if sp.issparse(x):
        return x.toarray()
    if is_cupy_sparse(x):  # pragma: no cover - needs a GPU
        return x.get().toarray()
    if isinstance(x, (list, tuple, int, float, complex, np.generic)):
        return np.asarray(x)
    if array_api_compat.is_cupy_array(x):  # pragma: no cover - needs a GPU
        return x.get()
    if array_api_compat.is_torch_array(x):
        return x.detach().cpu().numpy()
    try:
        return np.from_dlpack(x)
    except Exception:
        # array_api_strict: its arrays on a non-default device refuse DLPack
        # export to the CPU; go through their default device
        xp = array_namespace(x)
        try:
            cpu = xp.asarray(x, device=xp.__array_namespace_info__().default_device())
            return np.from_dlpack(cpu)
        except Exception:
            return np.asarray(x)


def numpy_dtype(dtype):
    """The NumPy dtype equal to `dtype`, a dtype of any namespace.

    float32/float64/complex64/complex128 of torch, CuPy or array_api_strict
    map to NumPy's; integer and boolean dtypes map too. Raises TypeError for
    anything else.
    """
    try:
        return np.dtype(dtype)
    except TypeError:
        pass
    text = str(dtype).rsplit(".", 1)[-1]
    try:
        return np.dtype(text)
    except TypeError:
        raise TypeError(f"no NumPy dtype corresponds to {dtype!r}") from None


def namespace_dtype(xp, dtype):
    """The dtype of namespace `xp` equal to the NumPy dtype `dtype`."""
    return getattr(xp, np.dtype(dtype).name)


def work_dtype(A):
    """NumPy float32 for float32 (or complex64) input, else float64.

    The working precision of an algorithm on `A` (any namespace, sparse or a
    LinearOperator with ``dtype None``), as a NumPy dtype for host draws.
    """
    dt = getattr(A, "dtype", None)
    if dt is None:
        return np.dtype(np.float64)
    dt = numpy_dtype(dt)
    return np.dtype(np.float32) if dt in (np.float32, np.complex64) else np.dtype(np.float64)
