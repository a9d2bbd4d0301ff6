"""matfun family (see docs/families/matfun.rst): differentiable matrix square roots."""

from ._api import (
    inv_sqrtm,
    inv_sqrtm_vjp,
    inv_sqrtm_with_vjp,
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
]
