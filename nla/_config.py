"""Engine configuration: which CPU implementation runs the hot kernels.

The configuration lives in a :class:`contextvars.ContextVar`, so ``with
nla.config(engine=...)`` is local to the current thread (and asyncio task) and
never leaks into other threads.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib.util
import os
from types import MappingProxyType

__all__ = ["config", "get_config", "available_engines", "resolve_engine"]

#: Engines a user may ask for on the CPU. ``"auto"`` means "decide for me".
CPU_ENGINES = ("numpy", "numba")
_ALLOWED = ("auto",) + CPU_ENGINES

_INSTALL_HINT = {
    "numba": "install it with `pip install numba` (or `pip install nla[numba]`)",
    "cupy": "install a CuPy wheel matching your CUDA, e.g. `pip install nla[cupy]`",
}

_DEFAULTS = MappingProxyType({"engine": "auto"})
_state: contextvars.ContextVar = contextvars.ContextVar("nla_config", default=_DEFAULTS)


def _check_engine(engine, name="engine"):
    if not isinstance(engine, str) or engine not in _ALLOWED:
        raise ValueError(f"{name} must be one of {_ALLOWED}, got {engine!r}")
    return engine


def get_config() -> dict:
    """Return the current configuration as a new ``dict``.

    Returns
    -------
    dict
        ``{"engine": ...}`` as set by the innermost active :func:`config`
        block (``"auto"`` outside any block).

    See Also
    --------
    config, available_engines

    Examples
    --------
    >>> import nla
    >>> nla.get_config()["engine"]
    'auto'
    >>> with nla.config(engine="numpy"):
    ...     nla.get_config()["engine"]
    'numpy'
    """
    return dict(_state.get())


@contextlib.contextmanager
def config(*, engine=None):
    """Context manager that sets nla options for the enclosed block.

    Parameters
    ----------
    engine : {"auto", "numpy", "numba"}, optional
        CPU engine for kernels. ``"auto"`` picks ``NLA_ENGINE`` if set, else
        Numba when importable, else NumPy. ``None`` leaves it unchanged.
        CuPy inputs always run the CuPy kernels, whatever is set here.

    Raises
    ------
    ValueError
        If `engine` is not one of the allowed names.
    ImportError
        If the requested engine is not installed.

    Notes
    -----
    The setting is stored in a :mod:`contextvars` variable: it is local to the
    thread (or task) that entered the block and is restored on exit, even if
    the block raises.

    Examples
    --------
    >>> import numpy as np, nla
    >>> with nla.config(engine="numpy"):
    ...     y = nla.fwht(np.ones(4))
    >>> y
    array([2., 0., 0., 0.])
    """
    new = dict(_state.get())
    if engine is not None:
        _check_engine(engine)
        if engine != "auto":
            _require(engine)
        new["engine"] = engine
    token = _state.set(MappingProxyType(new))
    try:
        yield MappingProxyType(new)
    finally:
        _state.reset(token)


_IMPORTABLE: dict = {}


def _importable(module: str) -> bool:
    if module not in _IMPORTABLE:
        _IMPORTABLE[module] = importlib.util.find_spec(module) is not None
    return _IMPORTABLE[module]


def _require(engine: str) -> None:
    if engine == "numpy":
        return
    if not _importable(engine):
        raise ImportError(
            f"engine {engine!r} was requested but {engine} is not installed; "
            f"{_INSTALL_HINT[engine]}"
        )


def _gpu_usable() -> bool:
    if not _importable("cupy"):
        return False
    try:  # pragma: no cover - needs a GPU
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def available_engines() -> tuple:
    """Engines that can run on this machine.

    Returns
    -------
    tuple of str
        Always contains ``"numpy"``; ``"numba"`` when Numba is importable and
        ``"cupy"`` when CuPy is importable and sees a GPU.

    Examples
    --------
    >>> import nla
    >>> "numpy" in nla.available_engines()
    True
    """
    out = ["numpy"]
    if _importable("numba"):
        out.append("numba")
    if _gpu_usable():
        out.append("cupy")
    return tuple(out)


def resolve_engine(engine=None) -> str:
    """Resolve the CPU engine: per-call > ``config`` > ``NLA_ENGINE`` > auto.

    ``"auto"`` at every level means Numba if importable, else NumPy.
    """
    if engine is not None:
        _check_engine(engine)
    for candidate, name in (
        (engine, "engine"),
        (_state.get()["engine"], "nla.config(engine=...)"),
        (os.environ.get("NLA_ENGINE") or None, "NLA_ENGINE"),
    ):
        if candidate is not None and candidate != "auto":
            _check_engine(candidate, name)
            _require(candidate)
            return candidate
    return "numba" if _importable("numba") else "numpy"
