"""Capability records of the Krylov family (see :mod:`nla._capabilities`)."""

from .._capabilities import Capabilities

_WHY = (
    "the solvers are built on SciPy's sparse products, LinearOperators and Numba "
    "kernels over NumPy memory; convert the input to NumPy"
)
_UNSUPPORTED = {"array_api_strict": _WHY, "cupy": _WHY, "torch": _WHY}
_HOST = ("U", "C", "Z", "AZ")
_NOTE = (
    "float32 (complex64) systems are solved in float64 (complex128) and x is "
    "returned in the input's precision; the recycle blocks stay in float64."
)

RECORDS = [
    Capabilities(
        "gcrodr",
        "krylov",
        unsupported=_UNSUPPORTED,
        dtypes=("float32", "float64", "complex64", "complex128"),
        sparse=True,
        linear_operator=True,
        host_outputs=_HOST,
        notes="A and M may be dense, scipy.sparse or LinearOperator. " + _NOTE,
    ),
    Capabilities(
        "cg_recycled",
        "krylov",
        unsupported=_UNSUPPORTED,
        sparse=True,
        linear_operator=True,
        host_outputs=_HOST,
        notes="Real float64 CSR A with no or a diagonal preconditioner runs the fused "
        "Numba kernel; other input a NumPy loop (complex Hermitian A too). " + _NOTE,
    ),
    Capabilities(
        "solve_sequence",
        "krylov",
        unsupported=_UNSUPPORTED,
        dtypes=("float32", "float64", "complex64", "complex128"),
        batch=True,
        sparse=False,
        linear_operator=False,
        host_outputs=_HOST,
        notes="As is a sequence of dense, scipy.sparse or LinearOperator matrices (a "
        "3-D array is a stack); xs is returned stacked, in input order. " + _NOTE,
    ),
]
