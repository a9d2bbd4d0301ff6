"""Sketching operators and the fast Walsh-Hadamard transform.

.. autosummary::

   gaussian
   srht
   sparse_sign
   fjlt
   jl_dim
   fwht
   make_sketch
"""

from ._factory import SKETCH_KINDS, make_sketch
from ._jl import jl_dim
from ._operators import (
    FJLTSketch,
    GaussianSketch,
    SketchOperator,
    SparseSignSketch,
    SRHTSketch,
    fjlt,
    gaussian,
    sparse_sign,
    srht,
)
from ._transforms import fwht

__all__ = [
    "fwht",
    "gaussian",
    "srht",
    "sparse_sign",
    "fjlt",
    "jl_dim",
    "make_sketch",
    "SKETCH_KINDS",
    "SketchOperator",
    "GaussianSketch",
    "SRHTSketch",
    "SparseSignSketch",
    "FJLTSketch",
]
