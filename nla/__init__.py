"""nla: randomized and structured numerical linear algebra.

Pure-array algorithms that run on NumPy, with optional Numba kernels and a
CuPy backend chosen from the inputs. The documentation is built from ``docs/``.

Every family lives in its own subpackage; its public functions and result
classes are also available at the top level (``nla.lstsq``, ``nla.rsvd``,
``nla.sqrtm``). The sketch constructors stay in :mod:`nla.sketch`
(``nla.sketch.srht``); of that family only ``nla.fwht`` is flat. See the
conventions page of the documentation.
"""

import importlib as _importlib

__version__ = "0.1.0.dev0"

from . import sketch
from ._backend import ConvergenceWarning
from ._config import available_engines, config, get_config
from .sketch import fwht

__all__ = [
    "__version__",
    "available_engines",
    "config",
    "get_config",
    "sketch",
    "fwht",
    "ConvergenceWarning",
]

# Families whose public names are re-exported flat. A family's folder never
# carries the name of a public function (see the conventions page).
_FAMILIES = (
    "least_squares",
    "lowrank",
    "matfun",
    "svd_update",
    "completion",
    "tensor",
    "krylov",
    "matmul",
)
for _name in _FAMILIES:
    _mod = _importlib.import_module(f".{_name}", __name__)
    for _pub in _mod.__all__:
        globals()[_pub] = getattr(_mod, _pub)
    __all__ += [p for p in _mod.__all__ if p not in __all__]
del _name, _mod, _importlib
