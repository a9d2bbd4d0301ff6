"""Array namespace inference, kernel registry and delegation helpers.

Three small pieces every family uses:

* :func:`array_namespace` finds the array library from the inputs (NumPy and
  scipy.sparse run on the CPU, CuPy and cupyx.scipy.sparse on the GPU).
* :class:`Kernel` holds up to three implementations of one hot loop: a generic
  reference written against the array API (the ``"numpy"`` engine), a Numba
  variant built lazily, and a CuPy variant. :meth:`Kernel.__call__` picks one.
* Delegation (:func:`linalg_module`, :func:`solve_triangular`, :func:`matmul`)
  covers what the array API standard lacks, with ``scipy.linalg`` for NumPy and
  ``cupyx.scipy.linalg`` for CuPy.
"""

from __future__ import annotations

import sys
import threading

import array_api_compat
import numpy as np
import scipy.sparse as sp

from ._config import _check_engine, _require, resolve_engine

__all__ = [
    "array_namespace",
    "is_numpy_namespace",
    "is_cupy_namespace",
    "is_sparse",
    "Kernel",
    "registry",
    "linalg_module",
    "solve_triangular",
    "matmul",
    "to_numpy",
]


def _cupyx_sparse():
    mod = sys.modules.get("cupyx.scipy.sparse")
    return mod


def _is_cupy_sparse(x) -> bool:
    mod = _cupyx_sparse()
    return mod is not None and mod.issparse(x)


def is_sparse(x) -> bool:
    """True for scipy.sparse and cupyx.scipy.sparse arrays and matrices."""
    return sp.issparse(x) or _is_cupy_sparse(x)


def device_of(x):
    """Device of `x`; None for NumPy and scipy.sparse (there is only the CPU).

    Random draws and new arrays made for `x` are created there, so results
    stay on the caller's device.
    """
    if isinstance(x, np.ndarray) or sp.issparse(x):
        return None
    if is_sparse(x):  # pragma: no cover - cupyx.scipy.sparse, needs a GPU
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
    and cupyx.scipy.sparse inputs as CuPy. With no array at all the NumPy
    namespace is returned.

    Raises
    ------
    TypeError
        If the arrays come from different libraries.
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
        if _is_cupy_sparse(a):  # pragma: no cover - needs a GPU
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


def to_numpy(x):
    """Return `x` as a NumPy array (a copy from the device for CuPy)."""
    if hasattr(x, "get") and not isinstance(x, np.ndarray):  # pragma: no cover
        return x.get()
    return np.asarray(x)


# --------------------------------------------------------------------------
# kernel registry
# --------------------------------------------------------------------------

registry: dict = {}


class Kernel:
    """One hot loop with up to three implementations.

    Parameters
    ----------
    name : str
        Registry key, e.g. ``"sketch.fwht"``.
    reference : callable
        Generic implementation written against the array API standard; it is
        the ``"numpy"`` engine, the fallback for any other namespace, and the
        reference every other variant is tested against.
    numba : callable, optional
        A zero-argument *builder* that imports Numba, compiles, and returns the
        Numba implementation. It runs on first use only.
    cupy : callable, optional
        Implementation for CuPy arrays.

    Notes
    -----
    The engine is chosen per call: CuPy arrays always use the CuPy variant
    (or the generic reference); NumPy arrays use the engine given by
    :func:`nla._config.resolve_engine`; any other namespace (e.g.
    ``array_api_strict``) uses the generic reference.
    """

    def __init__(self, name, reference, *, numba=None, cupy=None):
        if name in registry:
            raise ValueError(f"kernel {name!r} is already registered")
        self.name = name
        self.reference = reference
        self._numba_builder = numba
        self._numba = None
        self.cupy = cupy
        self._lock = threading.Lock()
        registry[name] = self

    @property
    def engines(self) -> tuple:
        """Engines that have a variant of this kernel."""
        out = ["numpy"]
        if self._numba_builder is not None:
            out.append("numba")
        if self.cupy is not None:
            out.append("cupy")
        return tuple(out)

    def numba(self):
        """Return the compiled Numba variant (compiling on first use)."""
        if self._numba_builder is None:
            return None
        if self._numba is None:
            with self._lock:
                if self._numba is None:
                    _require("numba")  # ImportError with the install hint
                    self._numba = self._numba_builder()
        return self._numba

    def select(self, xp, engine=None):
        """Return the implementation for namespace `xp` and `engine`.

        An invalid `engine` name raises ValueError whatever the namespace, so
        a typo is caught on every backend, not only on NumPy input.
        """
        if engine is not None:
            _check_engine(engine)
        if is_cupy_namespace(xp):
            return self.cupy if self.cupy is not None else self.reference
        if not is_numpy_namespace(xp):
            return self.reference
        chosen = resolve_engine(engine)
        if chosen == "numba" and self._numba_builder is not None:
            return self.numba()
        return self.reference

    def __call__(self, xp, *args, engine=None, **kwargs):
        return self.select(xp, engine)(*args, **kwargs)

    def __repr__(self):
        return f"Kernel({self.name!r}, engines={self.engines})"


# --------------------------------------------------------------------------
# delegation for what the array API standard lacks
# --------------------------------------------------------------------------


def linalg_module(xp):
    """``scipy.linalg`` for NumPy, ``cupyx.scipy.linalg`` for CuPy, else None."""
    if is_numpy_namespace(xp):
        import scipy.linalg

        return scipy.linalg
    if is_cupy_namespace(xp):  # pragma: no cover - needs a GPU
        import cupyx.scipy.linalg

        return cupyx.scipy.linalg
    return None


def solve_triangular(a, b, *, lower=False, trans=False, xp=None):
    """Solve ``a @ x = b`` (or ``a.T @ x = b``) for triangular `a`.

    Delegates to ``scipy.linalg.solve_triangular`` / ``cupyx`` where
    available, else falls back to the generic ``xp.linalg.solve``. Leading
    dimensions of `a` and `b` are batch dimensions.
    """
    if xp is None:
        xp = array_namespace(a, b)
    mod = linalg_module(xp)
    if mod is not None and a.ndim == 2:
        return mod.solve_triangular(a, b, lower=lower, trans=1 if trans else 0)
    if mod is not None and is_numpy_namespace(xp):
        return mod.solve_triangular(a, b, lower=lower, trans=1 if trans else 0)
    if trans:
        a = xp.matrix_transpose(a)
    return xp.linalg.solve(a, b)


def matmul(a, b):
    """``a @ b`` where either side may be sparse; the result is dense.

    A sparse right-hand operand with a dense left operand is computed as
    ``(b.T @ a.T).T`` so that the sparse side drives the product and nothing is
    densified.
    """
    if is_sparse(b) and not is_sparse(a):
        out = (b.T @ a.T).T
    else:
        out = a @ b
    if is_sparse(out):
        out = out.toarray()
    if isinstance(out, np.matrix):
        out = np.asarray(out)
    return out
