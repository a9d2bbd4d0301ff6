"""The sparse sign sketch (CountSketch for one nonzero per column)."""

from __future__ import annotations

import math

import numpy as np

from .._backend import device_of, is_cupy_namespace, is_numpy_namespace, matmul, rmatmul
from .._random import check_rng, signs
from .._validate import check_dtype, check_int
from ._base import SketchOperator, check_dims
from ._sparse_sign_kernels import as_csc, sparse_sign_cols, sparse_sign_rows

__all__ = ["SparseSignSketch", "sparse_sign"]


def _distinct_rows(rng, d, k, s):
    """For each of d columns, s distinct row indices in [0, k) (sorted)."""
    if 4 * s > k:
        return np.sort(np.argsort(rng.random((d, k)), axis=1)[:, :s], axis=1)
    rows = np.sort(rng.integers(0, k, size=(d, s)), axis=1)
    if s == 1:
        return rows
    while True:
        bad = np.flatnonzero(np.any(np.diff(rows, axis=1) == 0, axis=1))
        if bad.size == 0:
            return rows
        rows[bad] = np.sort(rng.integers(0, k, size=(bad.size, s)), axis=1)


class SparseSignSketch(SketchOperator):
    """Sparse sign sketch: ``s`` nonzeros ``+-1/sqrt(s)`` in every column.

    Create it with :func:`sparse_sign`; the methods are documented on
    :class:`SketchOperator`, plus :meth:`to_sparse`.

    Attributes
    ----------
    nnz_per_column : int
        ``s``, the number of nonzeros in each column.

    Examples
    --------
    >>> import nla
    >>> S = nla.sketch.sparse_sign(100, 10, nnz_per_column=4, rng=0)
    >>> S.nnz_per_column, S.to_sparse().nnz
    (4, 400)
    """

    _native_sparse = True

    def __init__(self, d, k, s, rng, dtype):
        super().__init__(d, k, dtype)
        self.nnz_per_column = s
        self._rows_idx = _distinct_rows(rng, d, k, s).astype(np.int64)
        sg = signs(rng, d * s).reshape(d, s)
        self._vals = (sg / math.sqrt(s)).astype(dtype)

    def to_sparse(self):
        """The sketch as a sparse matrix.

        Returns
        -------
        scipy.sparse.csc_array, shape (k, d)
            ``s`` nonzeros per column, in ``S.dtype``.

        Examples
        --------
        >>> import numpy as np, nla
        >>> S = nla.sketch.sparse_sign(20, 5, nnz_per_column=2, rng=0)
        >>> A = S.to_sparse()
        >>> A.format, A.shape, A.nnz
        ('csc', (5, 20), 40)
        >>> np.array_equal(A.toarray(), S.to_dense())
        True
        """
        return as_csc(self._rows_idx, self._vals, self._k)

    def _xp_matrix(self, xp, like):
        """S in the namespace and on the device of `like`: a cupyx CSR matrix
        on CuPy, dense for other non-NumPy namespaces (no sparse arrays).

        Products with it go through ``matmul`` / ``rmatmul`` and ``.T``,
        which serve both (a sparse matrix has no ``swapaxes``, so never
        ``xp.matrix_transpose``).
        """
        if is_cupy_namespace(xp):  # pragma: no cover - needs a GPU
            return self._on_gpu_csr("S", self.to_sparse, like.dtype, device_of(like))
        return self._on("dense", xp, self._to_dense, like.dtype, device_of(like))

    def _cols(self, X, xp, engine):
        if is_numpy_namespace(xp):
            return sparse_sign_cols(xp, self._rows_idx, self._vals, self._k, X, engine=engine)
        return matmul(self._xp_matrix(xp, X), X)

    def _rows(self, X, xp, engine):
        if is_numpy_namespace(xp):
            return sparse_sign_rows(xp, self._rows_idx, self._vals, self._k, X, engine=engine)
        return matmul(X, self._xp_matrix(xp, X).T)

    def _adjoint_cols(self, Y, xp, engine):
        if is_numpy_namespace(xp):
            S = self.to_sparse().astype(Y.dtype)
            return np.asarray(S.T @ Y)
        return rmatmul(self._xp_matrix(xp, Y), Y, xp)

    # sparse X: scipy with NumPy, cupyx with CuPy (never another namespace)
    def _sparse_matrix(self, xp, like):
        if is_numpy_namespace(xp):
            return self.to_sparse().astype(like.dtype)
        return self._xp_matrix(xp, like)  # pragma: no cover - cupyx sparse

    def _sparse_cols(self, X, xp, engine):
        return matmul(self._sparse_matrix(xp, X), X)

    def _sparse_rows(self, X, xp, engine):
        return matmul(X, self._sparse_matrix(xp, X).T)

    def _to_dense(self, engine=None):
        return self.to_sparse().toarray()


def sparse_sign(d, k, *, nnz_per_column=8, rng=None, dtype=None):
    """Sparse sign sketch (CountSketch-like) of shape ``(k, d)``.

    Every column holds ``s = min(nnz_per_column, k)`` nonzeros ``+-1/sqrt(s)``
    in distinct rows chosen uniformly at random, so ``E ||S x||^2 = ||x||^2``.
    Applying it to ``X`` costs ``O(s nnz(X))``: the usual fastest embedding for
    sketch-and-precondition.

    Parameters
    ----------
    d : int
        Input dimension (>= 1).
    k : int
        Sketch size (>= 1).
    nnz_per_column : int, optional
        Nonzeros per column (default 8; 1 gives CountSketch).
    rng : None, int or numpy.random.Generator, optional
        Source of randomness (SPEC 7).
    dtype : {float64, float32}, optional
        dtype of the operator (default float64).

    Returns
    -------
    SparseSignSketch

    See Also
    --------
    gaussian, srht, fjlt

    References
    ----------
    .. [1] X. Meng and M. W. Mahoney, "Low-distortion subspace embeddings in
       input-sparsity time and applications to robust linear regression",
       STOC 2013.

    Examples
    --------
    >>> import numpy as np, nla
    >>> S = nla.sketch.sparse_sign(500, 40, nnz_per_column=4, rng=0)
    >>> A = S.to_dense()
    >>> A.shape, int((A != 0).sum(axis=0).max())
    ((40, 500), 4)
    """
    d, k = check_dims(d, k, k_le_d=False, kind="sparse sign")
    s = check_int(nnz_per_column, "nnz_per_column", low=1)
    return SparseSignSketch(d, k, min(s, k), check_rng(rng), check_dtype(dtype))
