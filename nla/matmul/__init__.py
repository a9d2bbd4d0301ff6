"""Sampled and multilevel Monte Carlo matrix multiplication."""

from ._dkm import sampled_matmul, sampled_matmul_error
from ._mlmc import MLMCInfo, mlmc_matmul

__all__: list[str] = ["sampled_matmul", "sampled_matmul_error", "mlmc_matmul", "MLMCInfo"]
