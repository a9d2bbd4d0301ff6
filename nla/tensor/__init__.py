"""Tucker decomposition and core-shape selection under a parameter budget."""

from ._shape import tucker_core_shape
from ._tucker import TuckerResult, tucker, tucker_params

__all__ = ["tucker", "tucker_core_shape", "tucker_params", "TuckerResult"]
