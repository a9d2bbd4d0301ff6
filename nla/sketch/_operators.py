"""Sketching operators: Gaussian, SRHT, sparse sign and the Fast JL transform.

Every operator is a ``k x d`` linear map ``S`` with ``E ||S x||^2 = ||x||^2``.
It supports ``S @ X`` and ``X @ S.T`` for 1-D and 2-D, dense or sparse ``X``
(sparse input is never densified whole), ``S.T @ Y`` (the adjoint),
``to_dense()``, and :func:`scipy.sparse.linalg.aslinearoperator`. The random
parts are drawn on the host from a :class:`numpy.random.Generator` and copied
to the caller's array library and device on first use (and cached per library,
device and dtype), so a given ``rng`` gives the same operator on every backend.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from .._backend import (
    array_namespace,
    device_of,
    is_cupy_namespace,
    is_numpy_namespace,
    is_sparse,
    matmul,
)
from .._random import check_rng
from .._validate import check_array, check_dtype, check_finite_through, check_int, check_real
from ._fwht import fwht_kernel, sketch_cols_kernel, sketch_rows_kernel
from ._sparse_sign_kernels import as_csc, sparse_sign_cols, sparse_sign_rows
from ._transforms import next_power_of_two

__all__ = [
    "SketchOperator",
    "GaussianSketch",
    "SRHTSketch",
    "SparseSignSketch",
    "FJLTSketch",
    "gaussian",
    "srht",
    "sparse_sign",
    "fjlt",
]

#: bytes of dense scratch used per block when a sparse input is transformed
_BLOCK_BYTES = 1 << 25


class SketchOperator:
    """Base class of the sketching operators: a random ``k x d`` linear map.

    Do not instantiate it (or its subclasses) directly; the constructors
    :func:`gaussian`, :func:`srht`, :func:`sparse_sign` and :func:`fjlt`
    validate their arguments and draw the random parts.

    A sketch ``S`` acts like a ``(k, d)`` matrix: ``S @ X`` (:meth:`apply`),
    ``X @ S.T`` (:meth:`apply_rows`), ``S.T @ Y`` and ``Y @ S``
    (:meth:`adjoint`) for 1-D and 2-D ``X`` and ``Y``, dense or
    ``scipy.sparse`` (sparse input is never densified whole), in any array
    library (results come back in the library and on the device of the
    input). It also works with :func:`scipy.sparse.linalg.aslinearoperator`.

    Attributes
    ----------
    shape : tuple of int
        ``(k, d)``: the sketch size and the input dimension.
    dtype : numpy.dtype
        float32 or float64. Products promote like a matrix product: a
        float32 sketch applied to float64 data gives float64.
    T : object
        The transpose, for ``X @ S.T`` and ``S.T @ Y``.

    See Also
    --------
    gaussian, srht, sparse_sign, fjlt

    Notes
    -----
    Subclasses implement ``_cols`` (``S @ X`` for dense ``X`` of shape
    ``(d, n)``), ``_rows`` (``X @ S.T`` for dense ``X`` of shape ``(n, d)``)
    and ``_adjoint_cols`` (``S.T @ Y`` for ``Y`` of shape ``(k, n)``), each on
    arrays already in the result dtype and namespace.

    Examples
    --------
    >>> import numpy as np, nla
    >>> S = nla.sketch.srht(100, 10, rng=0)
    >>> isinstance(S, nla.sketch.SketchOperator)
    True
    >>> S.shape, S.dtype
    ((10, 100), dtype('float64'))
    >>> X = np.random.default_rng(1).standard_normal((100, 4))
    >>> np.allclose(S @ X, S.to_dense() @ X)
    True
    >>> np.allclose(X.T @ S.T, (S @ X).T)
    True
    """

    #: whether sparse input is handled natively (else it is densified in blocks)
    _native_sparse = False
    #: make ``ndarray @ S`` defer to our ``__rmatmul__``
    __array_ufunc__ = None

    def __init__(self, d, k, dtype):
        self._d = d
        self._k = k
        self.dtype = dtype
        self._cache = {}

    # -- basic protocol -------------------------------------------------
    @property
    def shape(self):
        """``(k, d)``: output and input dimensions."""
        return (self._k, self._d)

    ndim = 2

    @property
    def T(self):
        """The transpose ``S.T``, for ``X @ S.T`` and ``S.T @ Y``."""
        return _Transposed(self)

    def __repr__(self):
        dtype = np.dtype(self.dtype).name
        return f"<{type(self).__name__} of shape {self.shape} and dtype {dtype}>"

    def __matmul__(self, X):
        return self.apply(X)

    def __rmatmul__(self, X):
        # X @ S with X of shape (n, k) equals (S.T @ X.T).T
        X = check_array(X, "X", ndim=(1, 2), allow_sparse=True)
        if X.shape[-1] != self._k:
            raise ValueError(
                f"X @ S needs X.shape[-1] == {self._k} (the sketch size), "
                f"got X.shape={tuple(X.shape)}"
            )
        if X.ndim == 1:
            return self.adjoint(X)
        return self.adjoint(X.T).T

    # -- helpers -------------------------------------------------------
    def _on(self, key, xp, make, dtype=None, device=None):
        """Host array `make()` moved to `xp` on `device`.

        Cached per namespace, device and dtype, so an operator applied to
        arrays on two devices keeps one copy on each.
        """
        ck = (
            key,
            getattr(xp, "__name__", str(xp)),
            None if device is None else str(device),
            None if dtype is None else str(dtype),
        )
        if ck not in self._cache:
            arr = make()
            if dtype is not None:
                arr = arr.astype(_np_dtype(dtype), copy=False)
            if not is_numpy_namespace(xp):
                arr = xp.asarray(arr) if device is None else xp.asarray(arr, device=device)
            self._cache[ck] = arr
        return self._cache[ck]

    def _on_gpu_csr(self, key, make, dtype, device):  # pragma: no cover - needs a GPU
        """Host sparse matrix `make()` as a cupyx CSR matrix on `device`."""
        import cupyx.scipy.sparse as csp

        ck = (key, "cupyx", str(device), str(dtype))
        if ck not in self._cache:
            host = sp.csr_matrix(make().astype(_np_dtype(dtype)))
            with device:
                self._cache[ck] = csp.csr_matrix(host)
        return self._cache[ck]

    # True where every column of S @ X is non-finite whenever that column of
    # X has a NaN or an Inf, so the finiteness check can read the small
    # result instead of X (see ``_check_later``)
    _output_reveals_nonfinite = False

    def _check_later(self, X):
        """Whether X's finiteness check may wait for the result (dense NumPy)."""
        return self._output_reveals_nonfinite and isinstance(X, np.ndarray)

    def _prepare(self, X, expect_axis, expect_len, what, check_finite=True):
        X = check_array(
            X, "X", ndim=(1, 2), allow_sparse=True, allow_empty=True, check_finite=check_finite
        )
        axis = 0 if X.ndim == 1 else expect_axis
        if X.shape[axis] != expect_len:
            raise ValueError(
                f"{what} needs X.shape[{axis if X.ndim > 1 else 0}] == {expect_len}, "
                f"got X.shape={tuple(X.shape)}"
            )
        xp = array_namespace(X)
        if is_sparse(X):
            dt = np.result_type(self.dtype, X.dtype)
            if dt.kind not in "fc":
                dt = np.dtype(np.float64)
            if X.dtype != dt:
                X = X.astype(dt)
            return X, xp, dt
        dt = xp.result_type(_xp_dtype(xp, self.dtype), X.dtype)
        if X.dtype != dt:
            X = xp.astype(X, dt)
        return X, xp, dt

    # -- public application --------------------------------------------
    def apply(self, X, *, engine=None, check_finite=True):
        """Sketch the columns of `X`: ``S @ X``.

        Parameters
        ----------
        X : array_like or sparse, shape (d,) or (d, n)
            Dense array of any array API library, or ``scipy.sparse`` (1-D
            or 2-D; it is transformed one block of columns at a time, never
            densified whole). Integer input is promoted to float64. Never
            modified.
        engine : {"auto", "numpy", "numba"}, optional
            CPU engine for the kernels (see :func:`nla.config`).
        check_finite : bool, optional
            Reject NaN and Inf in `X` (default). With False the check is
            skipped and non-finite input gives non-finite output (every
            sketch here carries a NaN or an Inf in a column of `X` into that
            column of the result).

        Returns
        -------
        Y : array, shape (k,) or (k, n)
            Dense, in the array library and on the device of `X` (NumPy for
            sparse `X`), dtype promoted from ``S.dtype`` and ``X.dtype``.

        Raises
        ------
        ValueError
            If ``X.shape[0] != d``, `X` is not 1-D or 2-D, or holds NaN or
            Inf (with `check_finite`).
        TypeError
            If `X` does not have a numeric dtype.

        See Also
        --------
        apply_rows : ``X @ S.T``, sketching the rows.
        adjoint : ``S.T @ Y``.

        Notes
        -----
        ``S @ X`` calls this method. Libraries whose arrays refuse a foreign
        right operand (``array_api_strict``) still work here.

        Examples
        --------
        >>> import numpy as np, scipy.sparse as sp, nla
        >>> S = nla.sketch.sparse_sign(50, 8, rng=0)
        >>> X = sp.random(50, 3, density=0.2, random_state=1, format="csc")
        >>> Y = S.apply(X)
        >>> type(Y).__name__, Y.shape
        ('ndarray', (8, 3))
        >>> np.allclose(Y, S.to_dense() @ X.toarray())
        True
        """
        later = check_finite and self._check_later(X)
        X, xp, _ = self._prepare(X, 0, self._d, "S @ X", check_finite=check_finite and not later)
        if X.ndim == 1 and is_sparse(X):
            # a 1-D sparse array (scipy's sparray): as a one-column matrix
            return self.apply(
                X.tocoo().reshape((self._d, 1)), engine=engine, check_finite=check_finite
            )[:, 0]
        if X.ndim == 1:
            out = self._cols(xp.reshape(X, (-1, 1)), xp, engine)[:, 0]
        elif is_sparse(X):
            if self._native_sparse:
                return self._sparse_cols(X, xp, engine)
            return self._blocked(X, xp, engine, cols=True)
        else:
            out = self._cols(X, xp, engine)
        return check_finite_through(out, X, "X", ndim=(1, 2), allow_empty=True) if later else out

    def apply_rows(self, X, *, engine=None, check_finite=True):
        """Sketch the rows of `X`: ``X @ S.T``.

        This is the usual layout for a point set (one point per row).

        Parameters
        ----------
        X : array_like or sparse, shape (d,) or (n, d)
            Dense array of any array API library, or ``scipy.sparse`` (1-D
            or 2-D; it is transformed one block of rows at a time). Integer
            input is promoted to float64. Never modified.
        engine : {"auto", "numpy", "numba"}, optional
            CPU engine for the kernels (see :func:`nla.config`).
        check_finite : bool, optional
            Reject NaN and Inf in `X` (default); see :meth:`apply`.

        Returns
        -------
        Y : array, shape (k,) or (n, k)
            Dense, in the array library and on the device of `X` (NumPy for
            sparse `X`). For 1-D `X` this equals ``S @ X``.

        Raises
        ------
        ValueError
            If ``X.shape[-1] != d``, `X` is not 1-D or 2-D, or holds NaN or
            Inf (with `check_finite`).
        TypeError
            If `X` does not have a numeric dtype.

        See Also
        --------
        apply : ``S @ X``, sketching the columns.

        Notes
        -----
        ``X @ S.T`` calls this method for NumPy and scipy.sparse `X`. Array
        libraries that refuse a foreign right operand in ``X @ S.T``
        (``array_api_strict`` among them) need this spelling.

        Examples
        --------
        >>> import numpy as np, nla
        >>> X = np.random.default_rng(0).standard_normal((5, 64))  # 5 points
        >>> S = nla.sketch.fjlt(64, 16, rng=1)
        >>> Y = S.apply_rows(X)
        >>> Y.shape
        (5, 16)
        >>> np.allclose(Y, X @ S.T) and np.allclose(Y, X @ S.to_dense().T)
        True
        """
        later = check_finite and self._check_later(X)
        X, xp, _ = self._prepare(X, 1, self._d, "X @ S.T", check_finite=check_finite and not later)
        if X.ndim == 1 and is_sparse(X):
            return self.apply_rows(
                X.tocoo().reshape((1, self._d)), engine=engine, check_finite=check_finite
            )[0, :]
        if X.ndim == 1:
            out = self._rows(xp.reshape(X, (1, -1)), xp, engine)[0, :]
        elif is_sparse(X):
            if self._native_sparse:
                return self._sparse_rows(X, xp, engine)
            return self._blocked(X, xp, engine, cols=False)
        else:
            out = self._rows(X, xp, engine)
        return check_finite_through(out, X, "X", ndim=(1, 2), allow_empty=True) if later else out

    def adjoint(self, Y, *, engine=None):
        """Apply the transpose: ``S.T @ Y``.

        Parameters
        ----------
        Y : array_like or sparse, shape (k,) or (k, n)
            Vectors in the sketch space. Sparse `Y` is densified (it lives in
            the small ``k``-dimensional space). Never modified.
        engine : {"auto", "numpy", "numba"}, optional
            CPU engine for the kernels (see :func:`nla.config`).

        Returns
        -------
        Z : array, shape (d,) or (d, n)
            Dense, in the array library and on the device of `Y`.

        Raises
        ------
        ValueError
            If ``Y.shape[0] != k``, `Y` is not 1-D or 2-D, or holds NaN or
            Inf.

        See Also
        --------
        apply : ``S @ X``.

        Notes
        -----
        ``S.T @ Y`` and ``Y @ S`` (as ``(S.T @ Y.T).T``) call this method.
        For the Hadamard sketches the cost is ``O(d log d)`` per column, the
        same as :meth:`apply`.

        Examples
        --------
        >>> import numpy as np, nla
        >>> S = nla.sketch.gaussian(30, 5, rng=0)
        >>> x = np.random.default_rng(1).standard_normal(30)
        >>> y = np.random.default_rng(2).standard_normal(5)
        >>> z = S.adjoint(y)
        >>> z.shape
        (30,)
        >>> bool(np.isclose(y @ (S @ x), z @ x))  # <y, S x> = <S.T y, x>
        True
        >>> np.allclose(S.T @ y, z) and np.allclose(y @ S, z)
        True
        """
        Y, xp, _ = self._prepare(Y, 0, self._k, "S.T @ Y")
        if is_sparse(Y):
            Y = Y.toarray()  # Y lives in the small sketch space
        if Y.ndim == 1:
            return self._adjoint_cols(xp.reshape(Y, (-1, 1)), xp, engine)[:, 0]
        return self._adjoint_cols(Y, xp, engine)

    def _blocked(self, X, xp, engine, *, cols):
        """Apply to sparse X one dense block at a time."""
        if cols:
            X = X.tocsc()
            n = X.shape[1]
            width = max(1, _BLOCK_BYTES // (8 * max(1, self._padded_d())))
            parts = [
                self._cols(_dense(X[:, j : j + width]), xp, engine)
                for j in range(0, n, width)
            ]
            if not parts:
                return _zeros(xp, (self._k, 0), X.dtype, device_of(X))
            return xp.concat(parts, axis=1)
        X = X.tocsr()
        n = X.shape[0]
        height = max(1, _BLOCK_BYTES // (8 * max(1, self._padded_d())))
        parts = [
            self._rows(_dense(X[i : i + height]), xp, engine)
            for i in range(0, n, height)
        ]
        if not parts:
            return _zeros(xp, (0, self._k), X.dtype, device_of(X))
        return xp.concat(parts, axis=0)

    def _padded_d(self):
        return self._d

    # -- LinearOperator protocol (scipy.sparse.linalg.aslinearoperator) --
    def matvec(self, x):
        """``S @ x`` for a vector of shape ``(d,)`` or ``(d, 1)``.

        Part of the protocol :func:`scipy.sparse.linalg.aslinearoperator`
        uses; prefer ``S @ x``.

        Examples
        --------
        >>> import numpy as np, nla
        >>> S = nla.sketch.gaussian(6, 2, rng=0)
        >>> S.matvec(np.ones(6)).shape
        (2,)
        """
        x = np.asarray(x) if not hasattr(x, "__array_namespace__") else x
        return self.apply(x.reshape(-1)).reshape(-1) if x.ndim == 2 else self.apply(x)

    def rmatvec(self, y):
        """``S.T @ y`` for a vector of shape ``(k,)`` or ``(k, 1)``.

        Part of the LinearOperator protocol; prefer ``S.T @ y``.

        Examples
        --------
        >>> import numpy as np, nla
        >>> S = nla.sketch.gaussian(6, 2, rng=0)
        >>> S.rmatvec(np.ones(2)).shape
        (6,)
        """
        y = np.asarray(y) if not hasattr(y, "__array_namespace__") else y
        return self.adjoint(y.reshape(-1)).reshape(-1) if y.ndim == 2 else self.adjoint(y)

    def matmat(self, X):
        """``S @ X`` for a matrix of shape ``(d, n)`` (see :meth:`apply`).

        Part of the LinearOperator protocol; prefer ``S @ X``.

        Examples
        --------
        >>> import numpy as np, nla
        >>> S = nla.sketch.gaussian(6, 2, rng=0)
        >>> S.matmat(np.ones((6, 3))).shape
        (2, 3)
        """
        return self.apply(X)

    def rmatmat(self, Y):
        """``S.T @ Y`` for a matrix of shape ``(k, n)`` (see :meth:`adjoint`).

        Part of the LinearOperator protocol; prefer ``S.T @ Y``.

        Examples
        --------
        >>> import numpy as np, nla
        >>> S = nla.sketch.gaussian(6, 2, rng=0)
        >>> S.rmatmat(np.ones((2, 3))).shape
        (6, 3)
        """
        return self.adjoint(Y)

    def as_linear_operator(self):
        """This sketch as a :class:`scipy.sparse.linalg.LinearOperator`.

        ``scipy.sparse.linalg.aslinearoperator(S)`` gives an equivalent
        operator; this method spells it out for code that does not import
        SciPy's sparse linear algebra.

        Returns
        -------
        scipy.sparse.linalg.LinearOperator
            Shape ``(k, d)`` and dtype ``S.dtype``, with ``matvec``,
            ``rmatvec``, ``matmat`` and ``rmatmat`` calling this sketch (so
            ``L.T`` and ``L.H`` work too). It takes and returns NumPy arrays.

        See Also
        --------
        scipy.sparse.linalg.aslinearoperator

        Examples
        --------
        >>> import numpy as np, nla
        >>> from scipy.sparse.linalg import lsqr
        >>> S = nla.sketch.srht(64, 16, rng=0)
        >>> L = S.as_linear_operator()
        >>> L.shape
        (16, 64)
        >>> x = np.random.default_rng(1).standard_normal(64)
        >>> np.allclose(L @ x, S @ x) and np.allclose(L.T @ (S @ x), S.T @ (S @ x))
        True
        >>> b = S @ x
        >>> z = lsqr(L, b, atol=1e-12, btol=1e-12)[0]  # minimum-norm solution of S z = b
        >>> bool(np.allclose(S @ z, b))
        True
        """
        from scipy.sparse.linalg import LinearOperator

        return LinearOperator(
            self.shape,
            matvec=self.matvec,
            rmatvec=self.rmatvec,
            matmat=self.matmat,
            rmatmat=self.rmatmat,
            dtype=self.dtype,
        )

    def to_dense(self):
        """The sketch as a dense NumPy array.

        Costs ``O(k d)`` memory; meant for small sketches and for tests.

        Returns
        -------
        numpy.ndarray, shape (k, d)
            The matrix of the linear map, in ``S.dtype``.

        Examples
        --------
        >>> import numpy as np, nla
        >>> S = nla.sketch.sparse_sign(8, 4, nnz_per_column=2, rng=0)
        >>> A = S.to_dense()
        >>> A.shape, [int(c) for c in (A != 0).sum(axis=0)]
        ((4, 8), [2, 2, 2, 2, 2, 2, 2, 2])
        """
        return self._cols(np.eye(self._d, dtype=self.dtype), _np_xp(), "numpy")


class _Transposed:
    """``S.T``: supports ``X @ S.T`` and ``S.T @ Y``."""

    __array_ufunc__ = None

    def __init__(self, op):
        self._op = op

    @property
    def shape(self):
        return (self._op._d, self._op._k)

    @property
    def dtype(self):
        return self._op.dtype

    ndim = 2

    @property
    def T(self):
        return self._op

    def __rmatmul__(self, X):
        return self._op.apply_rows(X)

    def __matmul__(self, Y):
        return self._op.adjoint(Y)

    def to_dense(self):
        return self._op.to_dense().T

    def __repr__(self):
        return f"<transpose of {self._op!r}>"


def _np_xp():
    return array_namespace(np.empty(0))


def _zeros(xp, shape, dtype, device):
    """``xp.zeros`` on `device` (None: the default device)."""
    if device is None:
        return xp.zeros(shape, dtype=dtype)
    return xp.zeros(shape, dtype=dtype, device=device)


def _np_dtype(dt):
    try:
        return np.dtype(dt)
    except TypeError:
        return np.dtype(str(dt).split(".")[-1])


def _xp_dtype(xp, dt):
    name = np.dtype(dt).name
    return getattr(xp, name)


def _dense(block):
    out = block.toarray()
    return np.asarray(out) if isinstance(out, np.matrix) else out


def _check_dims(d, k, *, k_le_d, kind):
    d = check_int(d, "d", low=1)
    k = check_int(k, "k", low=1)
    if k_le_d and k > d:
        raise ValueError(
            f"k must be <= d for a {kind} sketch, got k={k} > d={d}; "
            "a sketch that does not reduce the dimension is pointless here "
            "(nla.sketch.gaussian allows any k)"
        )
    return d, k


# ---------------------------------------------------------------------------
# Gaussian
# ---------------------------------------------------------------------------


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
        g = rng.standard_normal((k, d))
        g *= 1.0 / math.sqrt(k)
        self._G = g.astype(dtype, copy=False)

    def _mat(self, xp, like):
        return self._on("G", xp, lambda: self._G, like.dtype, device_of(like))

    def _cols(self, X, xp, engine):
        return self._mat(xp, X) @ X

    def _rows(self, X, xp, engine):
        return X @ xp.matrix_transpose(self._mat(xp, X))

    def _adjoint_cols(self, Y, xp, engine):
        return xp.matrix_transpose(self._mat(xp, Y)) @ Y

    def _sparse_cols(self, X, xp, engine):
        G = self._mat(xp, X)
        return matmul(X.T, G.T).T

    def _sparse_rows(self, X, xp, engine):
        return matmul(X, self._mat(xp, X).T)

    def to_dense(self):
        return self._G.copy()


# ---------------------------------------------------------------------------
# Sparse sign
# ---------------------------------------------------------------------------


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
        sg = rng.integers(0, 2, size=(d, s), dtype=np.int8) * 2 - 1
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
        """S in the namespace and on the device of `like`: CSR on CuPy,
        dense for other non-NumPy namespaces (which have no sparse arrays)."""
        if is_cupy_namespace(xp):  # pragma: no cover - needs a GPU
            return self._on_gpu_csr("S", self.to_sparse, like.dtype, device_of(like))
        return self._on("dense", xp, self.to_dense, like.dtype, device_of(like))

    def _cols(self, X, xp, engine):
        if is_numpy_namespace(xp):
            return sparse_sign_cols(xp, self._rows_idx, self._vals, self._k, X, engine=engine)
        return self._xp_matrix(xp, X) @ X

    def _rows(self, X, xp, engine):
        if is_numpy_namespace(xp):
            return sparse_sign_rows(xp, self._rows_idx, self._vals, self._k, X, engine=engine)
        return X @ xp.matrix_transpose(self._xp_matrix(xp, X))

    def _adjoint_cols(self, Y, xp, engine):
        if is_numpy_namespace(xp):
            S = self.to_sparse().astype(Y.dtype)
            return np.asarray(S.T @ Y)
        return xp.matrix_transpose(self._xp_matrix(xp, Y)) @ Y

    def _sparse_cols(self, X, xp, engine):
        if not is_numpy_namespace(xp):  # pragma: no cover - cupyx sparse
            return matmul(self._xp_matrix(xp, X), X)
        return matmul(self.to_sparse().astype(X.dtype), X)

    def _sparse_rows(self, X, xp, engine):
        if not is_numpy_namespace(xp):  # pragma: no cover - cupyx sparse
            return matmul(X, self._xp_matrix(xp, X).T)
        return matmul(X, self.to_sparse().astype(X.dtype).T)

    def to_dense(self):
        return self.to_sparse().toarray()


# ---------------------------------------------------------------------------
# Hadamard-based sketches: SRHT and FJLT share ``H D`` and differ in P
# ---------------------------------------------------------------------------


class _HadamardSketch(SketchOperator):
    """``S = P H D`` (d padded with zeros to a power of two ``d_pad``)."""

    def __init__(self, d, k, rng, dtype):
        super().__init__(d, k, dtype)
        self.d_pad = next_power_of_two(d)
        sg = rng.integers(0, 2, size=self.d_pad, dtype=np.int8) * 2 - 1
        self._signs = sg.astype(dtype)

    def _padded_d(self):
        return self.d_pad

    @property
    def _output_reveals_nonfinite(self):
        # every output entry is a nonzero combination of a row of H D x, and
        # every entry of H D x is a +-1 combination of all of x (the
        # butterflies propagate NaN and Inf to every output), so one nonzero
        # in P makes each column of the result non-finite with X's column
        return self._csr_parts()[0][-1] > 0

    def _hd_rows(self, X, xp, engine):
        """``(H D x_i)`` for every row of X (n, d): returns (n, d_pad)."""
        n = X.shape[0]
        dev = device_of(X)
        if self.d_pad != self._d:
            pad = _zeros(xp, (n, self.d_pad - self._d), X.dtype, dev)
            X = xp.concat((X, pad), axis=1)
        signs = self._on("signs", xp, lambda: self._signs, X.dtype, dev)
        return fwht_kernel(xp, X, signs, engine=engine)

    # subclasses define ``_csr_parts()`` -> (indptr, indices, data) of the
    # k x d_pad matrix P, and ``_rows_generic`` for non-NumPy namespaces

    def _rows(self, X, xp, engine):
        if is_numpy_namespace(xp):
            indptr, indices, data = self._csr_parts()
            if (
                X.ndim == 2
                and X.shape[0] >= 8
                and X.flags.f_contiguous
                and not X.flags.c_contiguous
            ):
                # rows of X are columns of the C-ordered X.T: column panels
                return sketch_cols_kernel(
                    xp, X.T, self._signs, self.d_pad, indptr, indices, data, engine=engine
                ).T
            return sketch_rows_kernel(
                xp, X, self._signs, self.d_pad, indptr, indices, data, engine=engine
            )
        return self._rows_generic(X, xp, engine)

    def _cols(self, X, xp, engine):
        if (
            is_numpy_namespace(xp)
            and X.ndim == 2
            and X.shape[1] >= 8
            and not X.flags.f_contiguous
        ):
            # transform along axis 0 by column panels: no transposed copy of X
            indptr, indices, data = self._csr_parts()
            return sketch_cols_kernel(
                xp, X, self._signs, self.d_pad, indptr, indices, data, engine=engine
            )
        return xp.matrix_transpose(self._rows(xp.matrix_transpose(X), xp, engine))

    def _adjoint_cols(self, Y, xp, engine):
        Z = self._p_adjoint(Y, xp)  # (d_pad, n)
        W = fwht_kernel(xp, xp.matrix_transpose(Z), engine=engine)  # (n, d_pad)
        signs = self._on("signs", xp, lambda: self._signs, W.dtype, device_of(W))
        W = W * signs
        return xp.matrix_transpose(W[:, : self._d])


class SRHTSketch(_HadamardSketch):
    """Subsampled randomized Hadamard transform ``sqrt(d_pad/k) R H D``.

    Create it with :func:`srht`; every method is documented on
    :class:`SketchOperator`.

    Attributes
    ----------
    d_pad : int
        ``d`` rounded up to a power of two (inputs are padded with zeros).
    rows : numpy.ndarray of int64, shape (k,)
        The sampled rows of ``H D`` (sorted).
    scale : float
        ``sqrt(d_pad / k)``.

    Examples
    --------
    >>> import nla
    >>> S = nla.sketch.srht(100, 10, rng=0)
    >>> S.d_pad, S.rows.shape
    (128, (10,))
    """

    def __init__(self, d, k, rng, dtype):
        super().__init__(d, k, rng, dtype)
        self.rows = np.sort(rng.choice(self.d_pad, size=k, replace=False)).astype(np.int64)
        self.scale = math.sqrt(self.d_pad / k)

    def _csr_parts(self):
        k = self._k
        return (
            np.arange(k + 1, dtype=np.int64),
            self.rows,
            np.full(k, self.scale, dtype=self.dtype),
        )

    def _rows_generic(self, X, xp, engine):
        Z = self._hd_rows(X, xp, engine)
        idx = self._on("rows", xp, lambda: self.rows, device=device_of(Z))
        return xp.take(Z, idx, axis=1) * self.scale

    def _p_adjoint(self, Y, xp):
        n = Y.shape[1]
        if is_numpy_namespace(xp):
            Z = np.zeros((self.d_pad, n), dtype=Y.dtype)
            Z[self.rows] = Y * self.scale
            return Z
        # generic scatter: a one-hot matrix product (k is small)
        E = self._on("onehot", xp, self._onehot, Y.dtype, device_of(Y))
        return xp.matrix_transpose(E) @ (Y * self.scale)

    def _onehot(self):
        E = np.zeros((self._k, self.d_pad))
        E[np.arange(self._k), self.rows] = 1.0
        return E


#: constant in front of the FHL row density ``ln(n)^2 / alpha``. With 1 (the
#: bare bound) the measured distortion of pairwise distances matches a dense
#: Gaussian map's within a few percent (see the sketch benchmark and plot).
_FJLT_DENSITY_CONSTANT = 1.0

#: Least expected number of nonzeros per row of P. Given z = H D x, output i
#: is Gaussian with variance v_i = sum_{j in row i} z_j^2 / (q k), so
#: ``k Var(||S x||^2 / ||x||^2) = 2 + 3 CV^2(v_i)`` with
#: ``CV^2 = d_pad sum z_j^4 / ||z||^4 / m``, m = q d_pad; for spread-out z
#: (H D x of generic x) ``d_pad sum z^4 / ||z||^4 ~ 3``, giving
#: ``2 + 9 / m`` against a Gaussian map's 2 (measured to within 3% for
#: m = 4 ... 32). m >= 22 keeps that variance within 1.21x, i.e. the spread
#: of the distortion within 10% of a Gaussian map's; the bare FHL density is
#: far below that for few points (about 4 for n = 20).
_FJLT_MIN_NNZ_PER_ROW = 22.0


def _fhl_density(d_pad, k, n_points):
    """Default density of P: Ailon-Chazelle's ln^2(n)/d divided by FHL's alpha,
    with at least ``_FJLT_MIN_NNZ_PER_ROW`` nonzeros per row expected."""
    ln_n = math.log(max(n_points, 3)) if n_points is not None else math.log(max(d_pad, 3))
    # eps implied by k = 4 ln n / (eps^2/2 - eps^3/3), to first order
    eps = min(0.99, math.sqrt(8.0 * ln_n / k))
    alpha = max(1.0, min(math.log(1.0 / eps) / eps, ln_n))
    nnz_per_row = max(_FJLT_DENSITY_CONSTANT * ln_n**2 / alpha, _FJLT_MIN_NNZ_PER_ROW)
    return min(1.0, nnz_per_row / d_pad)


class FJLTSketch(_HadamardSketch):
    """Fast Johnson-Lindenstrauss transform ``P H D`` (Ailon-Chazelle).

    Create it with :func:`fjlt`; every method is documented on
    :class:`SketchOperator`.

    Attributes
    ----------
    d_pad : int
        ``d`` rounded up to a power of two (inputs are padded with zeros).
    q : float
        Density of ``P``.
    P : scipy.sparse.csr_array, shape (k, d_pad)
        The sparse Gaussian projection applied after ``H D``.

    Examples
    --------
    >>> import nla
    >>> S = nla.sketch.fjlt(1000, 50, q=0.05, rng=0)
    >>> S.d_pad, S.P.shape, S.q
    (1024, (50, 1024), 0.05)
    """

    def __init__(self, d, k, q, rng, dtype):
        super().__init__(d, k, rng, dtype)
        self.q = q
        counts = rng.binomial(self.d_pad, q, size=k)
        indptr = np.zeros(k + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        cols = np.empty(indptr[-1], dtype=np.int64)
        for i in range(k):
            if counts[i]:
                cols[indptr[i] : indptr[i + 1]] = np.sort(
                    rng.choice(self.d_pad, size=counts[i], replace=False)
                )
        vals = rng.standard_normal(indptr[-1]) / math.sqrt(q * k)
        self.P = sp.csr_array((vals.astype(dtype), cols, indptr), shape=(k, self.d_pad))

    def _p_dense(self):
        return self.P.toarray()

    def _csr_parts(self):
        return (
            self.P.indptr.astype(np.int64),
            self.P.indices.astype(np.int64),
            self.P.data,
        )

    def _rows_generic(self, X, xp, engine):
        Z = self._hd_rows(X, xp, engine)
        if is_cupy_namespace(xp):  # pragma: no cover - needs a GPU
            P = self._on_gpu_csr("P", lambda: self.P, Z.dtype, device_of(Z))
            return (P @ Z.T).T
        P = self._on("Pdense", xp, self._p_dense, Z.dtype, device_of(Z))
        return Z @ xp.matrix_transpose(P)

    def _p_adjoint(self, Y, xp):
        if is_numpy_namespace(xp):
            return np.asarray(self.P.T.astype(Y.dtype) @ Y)
        P = self._on("Pdense", xp, self._p_dense, Y.dtype, device_of(Y))
        return xp.matrix_transpose(P) @ Y


# ---------------------------------------------------------------------------
# constructors
# ---------------------------------------------------------------------------


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
    d, k = _check_dims(d, k, k_le_d=False, kind="Gaussian")
    return GaussianSketch(d, k, check_rng(rng), check_dtype(dtype))


def srht(d, k, *, rng=None, dtype=None):
    """Subsampled randomized Hadamard transform of shape ``(k, d)``.

    ``S = sqrt(d_pad / k) R H D`` where ``D`` is a random +-1 diagonal, ``H``
    the orthonormal Walsh-Hadamard transform of order ``d_pad`` (``d`` padded
    with zeros to the next power of two) and ``R`` samples ``k`` of the
    ``d_pad`` rows uniformly without replacement. Applying it costs
    ``O(d log d)`` per vector.

    Parameters
    ----------
    d : int
        Input dimension (>= 1).
    k : int
        Sketch size, ``1 <= k <= d``.
    rng : None, int or numpy.random.Generator, optional
        Source of randomness (SPEC 7).
    dtype : {float64, float32}, optional
        dtype of the operator (default float64).

    Returns
    -------
    SRHTSketch

    See Also
    --------
    fjlt, sparse_sign, gaussian, nla.fwht

    References
    ----------
    .. [1] J. A. Tropp, "Improved analysis of the subsampled randomized
       Hadamard transform", Adv. Adapt. Data Anal. 3 (2011).

    Examples
    --------
    >>> import numpy as np, nla
    >>> S = nla.sketch.srht(1000, 64, rng=0)
    >>> x = np.random.default_rng(1).standard_normal(1000)
    >>> y = S @ x
    >>> y.shape
    (64,)
    >>> bool(0.5 < np.linalg.norm(y) / np.linalg.norm(x) < 1.5)
    True
    """
    d, k = _check_dims(d, k, k_le_d=True, kind="SRHT")
    return SRHTSketch(d, k, check_rng(rng), check_dtype(dtype))


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
    d, k = _check_dims(d, k, k_le_d=False, kind="sparse sign")
    s = check_int(nnz_per_column, "nnz_per_column", low=1)
    return SparseSignSketch(d, k, min(s, k), check_rng(rng), check_dtype(dtype))


def fjlt(d, k, *, q=None, n_points=None, rng=None, dtype=None):
    """Fast Johnson-Lindenstrauss transform ``S = P H D`` of shape ``(k, d)``.

    ``D`` is a random +-1 diagonal, ``H`` the orthonormal Walsh-Hadamard
    transform of order ``d_pad`` (``d`` padded to a power of two), and ``P``
    a sparse ``k x d_pad`` matrix whose entries are nonzero with probability
    `q`, with value ``N(0, 1/(q k))``; hence ``E ||S x||^2 = ||x||^2``.

    Parameters
    ----------
    d : int
        Input dimension (>= 1).
    k : int
        Target dimension, ``1 <= k <= d`` (see :func:`jl_dim`).
    q : float, optional
        Density of ``P`` in (0, 1]. The default is the sparse choice allowed
        by Fandina, Hogsgaard and Larsen: Ailon and Chazelle's
        ``ln(n)^2 / d_pad`` divided by ``alpha = min(ln(1/eps)/eps, ln n)``,
        with ``eps`` the distortion implied by ``k`` and ``n``. Each output
        coordinate then sums about ``m = ln(n)^2 / alpha`` entries of
        ``H D x``, but at least 22 (capped at ``d_pad``): the variance of
        ``||S x||^2`` exceeds a Gaussian map's by a factor of about
        ``1 + 4.5 / m``, and 22 keeps that within 1.21 for few points.
    n_points : int, optional
        Number of points to be embedded, used only for the default `q`. When
        not given, ``n = d_pad`` is assumed.
    rng : None, int or numpy.random.Generator, optional
        Source of randomness (SPEC 7).
    dtype : {float64, float32}, optional
        dtype of the operator (default float64).

    Returns
    -------
    FJLTSketch

    See Also
    --------
    jl_dim, srht, nla.fwht

    Notes
    -----
    After ``H D`` every vector is spread out (its largest entry is
    ``O(sqrt(log n / d))`` of its norm with high probability), which is what
    lets ``P`` be sparse. The cost is ``O(d log d + k q d)`` per vector; the
    transform dominates, so `q` matters little for speed but the default keeps
    the distortion close to that of a dense Gaussian map.

    References
    ----------
    .. [1] N. Ailon and B. Chazelle, "The Fast Johnson-Lindenstrauss
       Transform and approximate nearest neighbors", SIAM J. Comput. 39 (2009).
    .. [2] O. N. Fandina, M. M. Hogsgaard and K. G. Larsen, "The Fast
       Johnson-Lindenstrauss Transform is Even Faster", ICML 2023,
       arXiv:2204.01800.

    Examples
    --------
    >>> import numpy as np, nla
    >>> X = np.random.default_rng(0).standard_normal((100, 1024))
    >>> S = nla.sketch.fjlt(1024, nla.sketch.jl_dim(100, 0.5), rng=1)
    >>> Y = X @ S.T
    >>> Y.shape
    (100, 222)
    >>> ratio = np.linalg.norm(Y[0] - Y[1]) / np.linalg.norm(X[0] - X[1])
    >>> bool(0.5 < ratio < 1.5)
    True
    """
    d, k = _check_dims(d, k, k_le_d=True, kind="FJLT")
    d_pad = next_power_of_two(d)
    if n_points is not None:
        n_points = check_int(n_points, "n_points", low=1)
    if q is None:
        q = _fhl_density(d_pad, k, n_points)
    else:
        q = check_real(q, "q", low=0.0, high=1.0, low_open=True)
    return FJLTSketch(d, k, q, check_rng(rng), check_dtype(dtype))
