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

from ._base import SketchOperator
from ._factory import SKETCH_KINDS, make_sketch
from ._gaussian import GaussianSketch, gaussian
from ._hadamard import FJLTSketch, SRHTSketch, fjlt, srht
from ._jl import jl_dim
from ._sparse_sign import SparseSignSketch, sparse_sign
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
