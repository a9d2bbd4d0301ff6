"""The dense Gaussian sketch ``S = G / sqrt(k)``."""

from __future__ import annotations

import math

from .._backend import device_of, matmul
from .._random import check_rng, normal
from .._validate import check_dtype
from ._base import SketchOperator, check_dims

__all__ = ["GaussianSketch", "gaussian"]


class GaussianSketch(SketchOperator):
    """Dense Gaussian sketch ``S = G / sqrt(k)``, G with i.i.d. N(0, 1) entries.

    Create it with :func:`gaussian`; every method is documented on
    :class:`SketchOperator`.

    Examples
    --------
    >>> import nla
    >>> nla.sketch.gaussian(100, 10, rng=0)
    <GaussianSketch of shape (10, 100) and dtype float64>
    """

    _native_sparse = True

    def __init__(self, d, k, rng, dtype):
        super().__init__(d, k, dtype)
        self._G = normal(rng, (k, d), dtype=dtype, scale=1.0 / math.sqrt(k))

    def _mat(self, xp, like):
        return self._on("G", xp, lambda: self._G, like.dtype, device_of(like))

    def _cols(self, X, xp, engine):
        return self._mat(xp, X) @ X

    def _rows(self, X, xp, engine):
        return X @ xp.matrix_transpose(self._mat(xp, X))

    def _adjoint_cols(self, Y, xp, engine):
        return xp.matrix_transpose(self._mat(xp, Y)) @ Y

    # sparse X (scipy, or cupyx with CuPy): ``.T`` and ``@`` only, which
    # both kinds of sparse matrix have
    def _sparse_cols(self, X, xp, engine):
        G = self._mat(xp, X)
        return matmul(X.T, G.T).T

    def _sparse_rows(self, X, xp, engine):
        return matmul(X, self._mat(xp, X).T)

    def _to_dense(self, engine):
        return self._G.copy()



def gaussian(d, k, *, rng=None, dtype=None):
    """Dense Gaussian sketch of shape ``(k, d)``.

    ``S = G / sqrt(k)`` with ``G`` having i.i.d. standard normal entries, so
    ``E ||S x||^2 = ||x||^2``. Costs ``O(k d)`` memory and ``O(k d n)`` time to
    apply, but gives the sharpest embedding per row.

    Parameters
    ----------
    d : int
        Input dimension (>= 1).
    k : int
        Sketch size (>= 1; any size is allowed).
    rng : None, int or numpy.random.Generator, optional
        Source of randomness (SPEC 7).
    dtype : {float64, float32}, optional
        dtype of the operator (default float64).

    Returns
    -------
    GaussianSketch

    See Also
    --------
    srht, sparse_sign, fjlt

    Examples
    --------
    >>> import numpy as np, nla
    >>> S = nla.sketch.gaussian(1000, 50, rng=0)
    >>> X = np.random.default_rng(1).standard_normal((1000, 3))
    >>> (S @ X).shape
    (50, 3)
    >>> np.allclose(S @ X, S.to_dense() @ X)
    True
    """
    d, k = check_dims(d, k, k_le_d=False, kind="Gaussian")
    return GaussianSketch(d, k, check_rng(rng), check_dtype(dtype))
