"""Capability records of the tensor family (see :mod:`nla._capabilities`)."""

from .._capabilities import Capabilities

_DENSE = (
    "Dense tensors of any order >= 2 (leading dimensions are modes, not a "
    "batch). Generic array-API code: Gram matrices, eigendecompositions and "
    "mode products in the caller's library; the work is in float64 and "
    "float32 input gets float32 results."
)

RECORDS = [
    Capabilities(
        "tucker",
        "tensor",
        notes="Returns ``TuckerResult``. " + _DENSE + " Shape selection (``budget=``, "
        "``target_error=``) runs on the host on the unfoldings' spectra.",
    ),
    Capabilities(
        "tucker_core_shape",
        "tensor",
        notes="Returns a tuple of Python ints. The unfoldings' Gram eigenvalues are "
        "computed in the caller's library; the integer program (SciPy's HiGHS) and "
        "the greedy rules run on the host.",
    ),
    Capabilities(
        "tucker_params",
        "tensor",
        array_input=False,
        batch=None,
        sparse=None,
        cupy_sparse=None,
        linear_operator=None,
        notes="Integer arithmetic on shapes; returns a Python int.",
    ),
    Capabilities(
        "TuckerResult.to_dense",
        "tensor",
        batch=None,
        sparse=None,
        cupy_sparse=None,
        linear_operator=None,
        notes="``core x_1 U_1 ... x_N U_N``, in the library of the factors.",
    ),
]
