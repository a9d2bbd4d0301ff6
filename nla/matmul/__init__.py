"""Sampled and multilevel Monte Carlo matrix multiplication."""

# the shared capability table first: it imports this family's records, which
# must not be imported before it (doctest collection imports every module)
from .. import _capabilities  # noqa: F401
from ._dkm import sampled_matmul, sampled_matmul_error
from ._mlmc import MLMCInfo, mlmc_matmul

__all__: list[str] = ["sampled_matmul", "sampled_matmul_error", "mlmc_matmul", "MLMCInfo"]
