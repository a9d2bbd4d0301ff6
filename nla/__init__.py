"""nla: randomized and structured numerical linear algebra.

Pure-array algorithms that run on NumPy, with optional Numba kernels and a
CuPy backend chosen from the inputs. The documentation is built from ``docs/``.
"""

__version__ = "0.1.0.dev0"

from ._config import available_engines, config, get_config
from . import sketch
from .sketch import fwht

__all__ = [
    "__version__",
    "available_engines",
    "config",
    "get_config",
    "sketch",
    "fwht",
]
