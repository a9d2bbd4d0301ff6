"""Matrix square root and inverse square root of SPD batches, with gradients."""

from ._sqrtm import (
    inv_sqrtm,
    inv_sqrtm_vjp,
    inv_sqrtm_with_vjp,
    pade_coefficients,
    sqrtm,
    sqrtm_vjp,
    sqrtm_with_vjp,
)

__all__ = [
    "sqrtm",
    "inv_sqrtm",
    "sqrtm_vjp",
    "inv_sqrtm_vjp",
    "sqrtm_with_vjp",
    "inv_sqrtm_with_vjp",
    "pade_coefficients",
]
