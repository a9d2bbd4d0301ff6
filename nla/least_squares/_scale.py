"""Power-of-two scaling of the data of :func:`nla.lstsq`.

Every route squares the scale of ``A`` somewhere: the Gram matrices of the
dense route (``A^T A``, ``Y^T Y``), the products ``A^T r`` of its
refinement, the 2-norms of LSQR and of the stopping tests. Out of a band
around 1 these over- or underflow long before the answer does (``||A|| ~
1e160`` overflows ``A^T A``; ``||A|| ~ 1e-160`` underflows ``A^T r``, whose
lost digits the refinement cannot restore). So ``A`` and each column of
``B`` whose largest entry lies outside ``[2^-E, 2^E]`` (``E = maxexp / 8``:
128 for float64, 16 for float32) is first multiplied by a power of two that
brings that entry into ``[1/2, 1)``. Multiplying by a power of two is exact
(short of the subnormal range), so the scaled problem has exactly the
solution ``2^(b_j - a) x_j``, and data inside the band is not touched at all.

Inside the band the worst intermediate quantity of any route stays far
from the limits of the format: with ``cond(A) <= 1/u`` (beyond it the
``rcond`` cut-off applies) the solution lies within ``2^(2E + p)`` of 1
(``p`` the precision in bits), and its square, which a 2-norm forms, within
``2^(4E + 2p)``: inside ``2^(maxexp - 1)`` for both formats.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .._backend import device_of, is_sparse, numpy_dtype, to_host

__all__ = ["Scaling", "column_exponents", "matrix_exponent", "scale_columns", "times_pow2"]


def _band(dtype):
    """``E``: data with largest magnitude in ``[2^-E, 2^E]`` is not scaled."""
    return np.finfo(numpy_dtype(dtype)).maxexp // 8


def _chunk(dtype):
    """Largest ``|k|`` for which ``2^k`` is a normal number of `dtype`."""
    return np.finfo(numpy_dtype(dtype)).maxexp // 2


def _exponent(amax, band):
    """``-e`` with ``amax = f 2^e``, ``f`` in ``[1/2, 1)``; 0 when `amax` is
    zero, NaN/Inf (left to the caller's checks) or inside the band."""
    if not math.isfinite(amax) or amax == 0.0:
        return 0
    if 2.0**-band <= amax <= 2.0**band:
        return 0
    return -math.frexp(amax)[1]


def _abs_max(X, xp):
    """Largest ``|x|`` of a dense or scipy.sparse matrix, as a Python float."""
    if is_sparse(X):
        return float(np.max(np.abs(X.data))) if X.nnz else 0.0
    return float(xp.max(xp.abs(X))) if X.shape[0] * X.shape[1] else 0.0


def matrix_exponent(A, SA, xp):
    """Exponent ``a`` that brings ``A`` into range (0 when it is in range).

    The sketch ``S A`` (already formed) decides cheaply: its entries are
    within a factor polynomial in ``n`` of those of ``A``, far less than the
    band's margin. Only when ``S A`` is out of the band (or zero, or has
    overflowed) is ``A`` itself read.
    """
    band = _band(A.dtype)
    smax = _abs_max(SA, xp)
    if math.isfinite(smax) and smax != 0.0 and _exponent(smax, band) == 0:
        return 0
    return _exponent(_abs_max(A, xp), band)


def column_exponents(B, xp):
    """Per-column exponents of ``B`` (``(n, k)``), or None when all are 0."""
    if B.shape[0] == 0 or B.shape[1] == 0:
        return None
    band = _band(B.dtype)
    colmax = to_host(xp.max(xp.abs(B), axis=0))
    exps = tuple(_exponent(float(v), band) for v in colmax)
    return exps if any(exps) else None


def times_pow2(X, e):
    """``X 2^e`` (dense or scipy.sparse) in steps whose factors are normal
    numbers of the dtype of `X`; exact unless the result is subnormal."""
    cap = _chunk(X.dtype)
    while e:
        k = max(-cap, min(cap, e))
        X = X * (2.0**k)
        e -= k
    return X


def scale_columns(X, exps, xp):
    """``X diag(2^exps)`` for a dense ``(r, k)`` `X`, in exact steps."""
    cap = _chunk(X.dtype)
    left = list(exps)
    while any(left):
        step = [max(-cap, min(cap, e)) for e in left]
        f = xp.asarray([2.0**k for k in step], dtype=X.dtype, device=device_of(X))
        X = X * f[None, :]
        left = [e - k for e, k in zip(left, step, strict=True)]
    return X


@dataclasses.dataclass(frozen=True)
class Scaling:
    """The scaled problem is ``(2^a A) X' = B diag(2^b)``.

    Attributes
    ----------
    a : int
        Exponent applied to ``A``.
    b : tuple of int or None
        Exponents applied to the columns of ``B`` (None: not scaled).
    """

    a: int
    b: tuple | None

    @property
    def active(self) -> bool:
        return bool(self.a) or self.b is not None

    def _b(self, k):
        return self.b if self.b is not None else (0,) * k

    def solution(self, X, xp):
        """``X = X' 2^(a - b_j)`` per column; ValueError if it overflows."""
        exps = tuple(self.a - e for e in self._b(X.shape[1]))
        if any(exps):
            with np.errstate(over="ignore"):  # NumPy-backed xp; checked below
                X = scale_columns(X, exps, xp)
            if not bool(xp.all(xp.isfinite(X))):
                raise ValueError(
                    "the least-squares solution is not representable in "
                    f"{numpy_dtype(X.dtype)}: A is too small relative to b (some "
                    "entries of x = A^+ b exceed the largest finite number)"
                )
        return X

    def residual_norms(self, res, xp):
        """Column 2-norms of ``B - A X = (B' - A' X') diag(2^-b)``, taken of
        the scaled residual `res` (whose squares cannot overflow)."""
        rn = xp.linalg.vector_norm(res, axis=0)
        if self.b is None:
            return rn
        return scale_columns(rn[None, :], tuple(-e for e in self.b), xp)[0, :]
