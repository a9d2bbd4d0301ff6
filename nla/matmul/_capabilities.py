"""Capability records of the matmul family (see :mod:`nla._capabilities`)."""

from .._capabilities import Capabilities

_SPARSE_NOTE = "scipy.sparse A or B give a NumPy result."

RECORDS = [
    Capabilities(
        "sampled_matmul",
        "matmul",
        sparse=True,
        notes="Indices are drawn on the host and the sampled columns and rows "
        "gathered with ``take`` in the caller's library. " + _SPARSE_NOTE,
    ),
    Capabilities(
        "sampled_matmul_error",
        "matmul",
        sparse=True,
        notes="Returns a Python float: column and row norms in the caller's "
        "library, the sum on the host.",
    ),
    Capabilities(
        "mlmc_matmul",
        "matmul",
        sparse=True,
        notes="Rank levels use rsvd; precision levels round in the "
        "caller's library (float16 by Veltkamp splitting in float32). "
        + _SPARSE_NOTE,
    ),
]
