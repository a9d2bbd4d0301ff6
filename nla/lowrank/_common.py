"""What only the low-rank family needs: its input checks, power-of-two
rescaling of thin intermediates, and the power-iteration step.

Everything general (namespaces, host copies, dtypes, thin QR, products with
sparse matrices and LinearOperators, numerical rank) comes from
:mod:`nla._backend` and :mod:`nla._validate`.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.sparse.linalg import LinearOperator

from .._backend import is_cupy_sparse, is_numpy_namespace, is_operator, linalg_module, orth
from .._validate import check_matrix, check_rank

__all__ = [
    "check_lowrank_matrix",
    "check_target_rank",
    "in_window",
    "normalize_columns",
    "orth_scaled",
    "scale_exponent",
    "times_pow2",
]




class _CastOperator(LinearOperator):
    """A LinearOperator whose products are returned in `dtype`.

    Applies the dtype policy of :func:`nla._validate.check_array` to an
    operator: float16 products become float32, non-native byte order native.
    """

    def __init__(self, op, dtype):
        super().__init__(dtype, op.shape)
        self._op = op

    def _matvec(self, x):
        return np.asarray(self._op.matvec(x)).astype(self.dtype, copy=False)

    def _rmatvec(self, x):
        return np.asarray(self._op.rmatvec(x)).astype(self.dtype, copy=False)

    def _matmat(self, X):
        return np.asarray(self._op.matmat(X)).astype(self.dtype, copy=False)

    def _rmatmat(self, X):
        return np.asarray(self._op.rmatmat(X)).astype(self.dtype, copy=False)


def _operator_dtype_policy(A, name):
    """The dtype policy of dense input, applied to a LinearOperator's dtype."""
    if A.dtype is None:
        return A
    dt = np.dtype(A.dtype)
    if dt.kind == "f" and dt.itemsize > 8:
        raise TypeError(
            f"{name} has extended precision dtype {dt}, which nla does not support; "
            "use float32 or float64 (integers and booleans become float64, "
            "float16 float32)"
        )
    native = dt.newbyteorder("=")
    target = np.dtype(np.float32) if native == np.float16 else native
    return A if target == dt else _CastOperator(A, target)


def check_lowrank_matrix(A, func, name="A", *, allow_operator=False, check_finite=True):
    """:func:`nla._validate.check_matrix`, refusing ``cupyx.scipy.sparse`` input.

    The family's sparse paths (column scaling, row and column extraction,
    sketches of sparse input) are written for ``scipy.sparse``; a
    ``cupyx.scipy.sparse`` matrix raises a TypeError naming `name` and
    `func` instead of failing somewhere inside. A LinearOperator follows
    the dtype policy of arrays: a float16 or non-native operator has its
    products converted (float32, native), an extended precision one is
    refused.
    """
    if is_cupy_sparse(A):
        raise TypeError(
            f"{func}: {name} must be a dense array, a scipy.sparse matrix or a "
            f"LinearOperator; cupyx.scipy.sparse input is not supported (pass "
            f"{name}.toarray() for a dense CuPy array, or {name}.get() for "
            "scipy.sparse on the host)"
        )
    A, xp = check_matrix(A, name, allow_operator=allow_operator, check_finite=check_finite)
    if is_operator(A):
        A = _operator_dtype_policy(A, name)
    return A, xp


def check_target_rank(k, A, name="k"):
    """``1 <= k <= min(A.shape)``."""
    return check_rank(k, name, min(A.shape))


def scale_exponent(X, dt, xp):
    """``(e, amax)``: ``e`` with ``max|X| 2^-e`` in ``[1/2, 1)``, or 0 when
    no rescaling is needed; ``amax = max|X|`` (NaN or Inf if `X` has them).

    No rescaling is needed while ``max|X|`` lies in ``[2^-W, 2^W]`` with
    ``W`` a quarter of the exponent range of `dt` (256 for float64, 32 for
    float32): there Gram matrices, squared norms and their square roots
    neither over- nor underflow. Inside that window results therefore stay
    bit-identical to the unscaled computation.
    """
    amax = float(xp.max(xp.abs(X))) if math.prod(X.shape) else 0.0
    if amax == 0.0 or not math.isfinite(amax):
        return 0, amax
    e = math.frexp(amax)[1]
    window = np.finfo(dt).maxexp // 4
    return (0 if -window <= e <= window else e), amax


def times_pow2(X, e):
    """``X 2^e``, exact wherever the result is normal (two factors, so that
    neither factor over- or underflows; 0 returns `X` itself)."""
    if e == 0:
        return X
    h = e // 2
    return (X * math.ldexp(1.0, h)) * math.ldexp(1.0, e - h)


def in_window(X, dt, xp):
    """`X` scaled by a power of two into the window of :func:`scale_exponent`
    (`X` itself when it is there already)."""
    e, _ = scale_exponent(X, dt, xp)
    return times_pow2(X, -e)


def orth_scaled(Y, xp, dt):
    """Orthonormal basis of range(Y), computed on `Y` scaled into the window.

    NumPy's thin QR is CholeskyQR2, whose Gram matrix squares the scale of
    `Y`: out of range it would silently fall back to Householder (other
    column signs), and Householder itself overflows for entries near the
    largest float. Scaling by a power of two first is exact and keeps the
    basis independent of the scale of `A`.
    """
    return orth(in_window(Y, dt, xp), xp)


def normalize_columns(Y, xp):
    """A well-conditioned basis of range(Y) for power iterations.

    NumPy: the Householder QR of ``numpy.linalg``, which keeps the power
    iteration within NumPy's BLAS library between the products with A (the
    cheaper LU of SciPy runs in a second one; see the benchmark docs). Other
    libraries with an LU (CuPy) use its unit lower-triangular factor, the
    rest a thin QR.
    """
    if is_numpy_namespace(xp) and isinstance(Y, np.ndarray):
        return np.linalg.qr(Y)[0]
    mod = linalg_module(xp)
    if mod is not None and hasattr(mod, "lu"):
        L, _ = mod.lu(Y, permute_l=True, check_finite=False)
        return L
    return orth(Y, xp)
