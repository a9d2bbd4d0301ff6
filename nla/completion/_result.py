"""The result of a completion: factors, biases, predictions, history."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

from .._validate import check_engine, check_int
from ._checks import check_indices
from ._kernels import observed_dot_kernel

__all__ = ["Completion", "SweepInfo", "DENSE_LIMIT"]

#: bytes above which :meth:`Completion.to_dense` refuses (1 GiB)
DENSE_LIMIT = 2**30


class SweepInfo(NamedTuple):
    """What one sweep of alternating minimization reached.

    Attributes
    ----------
    iteration : int
        The sweep, from 1.
    objective : float
        The minimized objective after the sweep: squared error on the
        training entries plus the ridge terms, in the units of the values
        squared.
    train_rmse : float
        Root mean squared error on the training entries.
    val_rmse : float
        Root mean squared error on the held-out entries (NaN without
        ``validation``).
    seconds : float
        Wall time of the sweep (both half-steps and the errors).
    """

    iteration: int
    objective: float
    train_rmse: float
    val_rmse: float
    seconds: float


@dataclasses.dataclass(frozen=True)
class Completion:
    """A completed low-rank matrix ``mean + row_bias[i] + col_bias[j] + U[i] @ V[j]``.

    Returned by :func:`nla.complete` and :func:`nla.complete_sparse`.

    Attributes
    ----------
    U : ndarray, shape (m, rank)
        Row factors. A row without observed entries has a zero row here.
    V : ndarray, shape (n, rank)
        Column factors (zero rows for unobserved columns).
    row_bias, col_bias : ndarray or None
        Per-row and per-column offsets (``biases=True``), else None.
    mean : float
        The global offset (the mean of the training values with
        ``biases=True``, else 0).
    shape : tuple of int
        ``(m, n)``.
    method : str
        ``"robust-altmin"`` or ``"altmin"``.
    n_iter : int
        Sweeps run (with ``validation``, the factors are those of the best
        sweep, ``best_iter``).
    best_iter : int
        The sweep whose factors are returned.
    converged : bool
        Whether the stopping rule (or early stopping) ended the iteration
        before ``maxiter``.
    history : tuple of SweepInfo
        One record per sweep.
    """

    U: np.ndarray
    V: np.ndarray
    row_bias: np.ndarray | None
    col_bias: np.ndarray | None
    mean: float
    shape: tuple
    method: str
    n_iter: int
    best_iter: int
    converged: bool
    history: tuple

    @property
    def rank(self) -> int:
        """Number of columns of the factors."""
        return int(self.U.shape[1])

    def predict(self, rows, cols, *, engine=None):
        """Predicted entries at ``(rows[e], cols[e])``.

        Parameters
        ----------
        rows, cols : array_like of int, shape (nnz,)
            Row and column indices (``0 <= rows < m``, ``0 <= cols < n``).
        engine : {None, "auto", "numpy", "numba"}, optional
            Kernel engine (see :func:`nla.config`).

        Returns
        -------
        ndarray, shape (nnz,)
            In the dtype of the factors.

        Examples
        --------
        >>> import numpy as np, nla
        >>> rng = np.random.default_rng(0)
        >>> M = rng.standard_normal((30, 2)) @ rng.standard_normal((2, 20))
        >>> r, c = np.nonzero(rng.random(M.shape) < 0.6)
        >>> f = nla.complete(r, c, M[r, c], M.shape, 2, tol=1e-12, rng=0)
        >>> bool(np.allclose(f.predict([0, 1], [5, 7]), M[[0, 1], [5, 7]]))
        True
        """
        check_engine(engine)
        m, n = self.shape
        rows = check_indices(rows, "rows", m)
        cols = check_indices(cols, "cols", n)
        if rows.size != cols.size:
            raise ValueError(
                f"rows and cols must have the same length, got {rows.size} and {cols.size}"
            )
        return self._predict(rows, cols, engine)

    def _predict(self, rows, cols, engine):
        out = observed_dot_kernel(np, rows, cols, self.U, self.V, engine=engine)
        if self.row_bias is not None:
            out = out + (self.row_bias[rows] + self.col_bias[cols])
            out += self.U.dtype.type(self.mean)
        return out

    def to_dense(self, *, max_bytes=DENSE_LIMIT, engine=None):
        """The completed ``m x n`` matrix as a dense array.

        Parameters
        ----------
        max_bytes : int, optional
            Refuse (ValueError) when the matrix would take more memory than
            this; :meth:`predict` gives any entries without forming it.
        engine : {None, "auto", "numpy", "numba"}, optional
            Accepted for uniformity (the product is a BLAS call).

        Returns
        -------
        ndarray, shape (m, n)

        Examples
        --------
        >>> import numpy as np, nla
        >>> rng = np.random.default_rng(1)
        >>> M = rng.standard_normal((20, 2)) @ rng.standard_normal((2, 15))
        >>> r, c = np.nonzero(rng.random(M.shape) < 0.7)
        >>> f = nla.complete(r, c, M[r, c], M.shape, 2, tol=1e-12, rng=0)
        >>> bool(np.linalg.norm(f.to_dense() - M) < 1e-6 * np.linalg.norm(M))
        True
        """
        check_engine(engine)
        limit = check_int(max_bytes, "max_bytes", low=0)
        m, n = self.shape
        need = m * n * self.U.dtype.itemsize
        if need > limit:
            raise ValueError(
                f"the dense {m} x {n} matrix would take {need} bytes, above "
                f"max_bytes={limit}; use predict(rows, cols) for the entries you need"
            )
        out = self.U @ self.V.T
        if self.row_bias is not None:
            out += self.row_bias[:, None]
            out += self.col_bias[None, :]
            out += self.U.dtype.type(self.mean)
        return out

