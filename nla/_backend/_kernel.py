"""The kernel registry: one hot loop, an implementation per backend.

A :class:`Kernel` declares exactly which namespaces each of its variants
serves:

* ``generic``: written against the array API standard only; serves every
  namespace (NumPy, CuPy, array_api_strict, torch, ...).
* ``numpy``: a NumPy/SciPy-only reference (the ``"numpy"`` engine); serves
  NumPy input only.
* ``numba``: a zero-argument builder that compiles the Numba variant on
  first use (the ``"numba"`` engine); NumPy input only.
* ``cupy``: CuPy input only.

:meth:`Kernel.select` never hands an array to a variant that does not serve
its namespace: a namespace without a variant gets the generic code if there
is one, else a :class:`TypeError` naming the kernel and the namespace.
"""

from __future__ import annotations

import threading

from .._config import _check_engine, _require, resolve_engine
from ._namespace import is_cupy_namespace, is_numpy_namespace

__all__ = ["Kernel", "registry"]

#: every Kernel ever constructed, by name (tests walk it)
registry: dict = {}


class Kernel:
    """One hot loop with up to four implementations.

    Parameters
    ----------
    name : str
        Registry key, e.g. ``"sketch.fwht"``.
    generic : callable, optional
        Array-API-standard implementation; serves any namespace.
    numpy : callable, optional
        NumPy-only implementation: the ``"numpy"`` engine and the reference
        the Numba variant is tested against. When absent, `generic` is the
        ``"numpy"`` engine.
    numba : callable, optional
        Zero-argument *builder* that imports Numba, compiles and returns the
        Numba implementation (NumPy input). It runs on first use only.
    cupy : callable, optional
        Implementation for CuPy input.

    Notes
    -----
    Selection per call: CuPy input -> `cupy`, else `generic`; NumPy input ->
    the CPU engine from :func:`nla._config.resolve_engine` (`numba` when it
    resolves to Numba and the kernel has one, else `numpy`, else
    `generic`); any other namespace -> `generic`. Where no variant serves
    the input's namespace, a TypeError says so.
    """

    def __init__(self, name, *, generic=None, numpy=None, numba=None, cupy=None):
        if name in registry:
            raise ValueError(f"kernel {name!r} is already registered")
        if generic is None and numpy is None:
            raise ValueError(f"kernel {name!r} needs a generic or a NumPy implementation")
        self.name = name
        self.generic = generic
        self.numpy = numpy
        self._numba_builder = numba
        self._numba = None
        self.cupy = cupy
        self._lock = threading.Lock()
        registry[name] = self

    @property
    def reference(self):
        """The implementation the others are tested against (NumPy input)."""
        return self.numpy if self.numpy is not None else self.generic

    @property
    def engines(self) -> tuple:
        """Engines that have a variant of this kernel."""
        out = ["numpy"]
        if self._numba_builder is not None:
            out.append("numba")
        if self.cupy is not None or self.generic is not None:
            out.append("cupy")
        return tuple(out)

    def serves(self, xp) -> bool:
        """Whether some variant accepts arrays of namespace `xp`."""
        if self.generic is not None or is_numpy_namespace(xp):
            return True
        return is_cupy_namespace(xp) and self.cupy is not None

    def build_numba(self):
        """Return the compiled Numba variant (compiling on first use), or None."""
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

        Raises
        ------
        TypeError
            If no variant serves `xp`.
        """
        if engine is not None:
            _check_engine(engine)
        if is_numpy_namespace(xp):
            chosen = resolve_engine(engine)
            if chosen == "numba" and self._numba_builder is not None:
                return self.build_numba()
            return self.reference
        if is_cupy_namespace(xp) and self.cupy is not None:
            return self.cupy
        if self.generic is not None:
            return self.generic
        raise TypeError(
            f"kernel {self.name!r} has no implementation for {xp.__name__} arrays "
            "(it has NumPy-only variants); convert the input to NumPy first"
        )

    def __call__(self, xp, *args, engine=None, **kwargs):
        return self.select(xp, engine)(*args, **kwargs)

    def __repr__(self):
        kinds = [k for k in ("generic", "numpy", "cupy") if getattr(self, k) is not None]
        if self._numba_builder is not None:
            kinds.append("numba")
        return f"Kernel({self.name!r}, variants={tuple(kinds)})"
