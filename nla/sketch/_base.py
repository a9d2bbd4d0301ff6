"""The base of the sketching operators: :class:`SketchOperator` and what
every sketch shares (validation, the dense/sparse/1-D dispatch of ``S @ X``
and ``X @ S.T``, blocked application to sparse input, the LinearOperator
protocol and the per-namespace cache of the random parts).

Every operator is a ``k x d`` linear map ``S`` with ``E ||S x||^2 = ||x||^2``.
The random parts are drawn on the host from a :class:`numpy.random.Generator`
(through :mod:`nla._random`) and copied to the caller's array library and
device on first use (cached per library, device and dtype), so a given
``rng`` gives the same operator on every backend. A subclass implements

* ``_cols(X, xp, engine)``: ``S @ X`` for dense ``X`` of shape ``(d, n)``;
* ``_rows(X, xp, engine)``: ``X @ S.T`` for dense ``X`` of shape ``(n, d)``;
* ``_adjoint_cols(Y, xp, engine)``: ``S.T @ Y`` for dense ``Y`` of shape
  ``(k, n)``;

each on arrays already in the result dtype and namespace, and, when
``_native_sparse`` is set, ``_sparse_cols`` / ``_sparse_rows`` for sparse
``X`` (otherwise sparse input is densified one block at a time). NumPy-only
kernels are called only for NumPy input: other namespaces take generic
array-API code.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.sparse as sp

from .._backend import (
    array_namespace,
    device_of,
    is_numpy_namespace,
    is_sparse,
    namespace_dtype,
    numpy_dtype,
)
from .._validate import (
    check_array,
    check_engine,
    check_finite_through,
    check_flag,
    check_int,
)

__all__ = ["SketchOperator"]

#: bytes of dense scratch used per block when a sparse input is transformed
_BLOCK_BYTES = 1 << 25


def block_width(d_pad, itemsize):
    """Columns (or rows) of a sparse input densified together: as many
    padded vectors of ``d_pad`` entries of `itemsize` bytes as fit in
    ``_BLOCK_BYTES``, and at least one (a transform of length ``d_pad``
    needs the whole vector, so past ``_BLOCK_BYTES / itemsize`` entries a
    block is one vector, larger than the budget)."""
    return max(1, _BLOCK_BYTES // (itemsize * max(1, d_pad)))




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
    #: True where every column of S @ X is non-finite whenever that column
    #: of X has a NaN or an Inf, so the finiteness check can read the small
    #: result instead of X (see ``_check_later``)
    _output_reveals_nonfinite = False

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
        # Y @ S with Y of shape (n, k) equals (S.T @ Y.T).T; ``.T`` (not
        # ``matrix_transpose``) because Y may be a scipy or cupyx sparse
        # matrix. Y lives in the sketch space, as in adjoint: named Y.
        Y = check_array(
            X, "Y", ndim=(1, 2), allow_sparse=True, allow_empty=True, check_finite=False
        )
        if Y.shape[-1] != self._k:
            raise ValueError(
                f"Y @ S needs Y.shape[-1] == {self._k} (the sketch size), "
                f"got Y.shape={tuple(Y.shape)}"
            )
        if Y.ndim == 1:
            return self.adjoint(Y)
        return self.adjoint(Y.T).T

    # -- the random parts in the caller's namespace ----------------------
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
                arr = arr.astype(numpy_dtype(dtype), copy=False)
            if not is_numpy_namespace(xp):
                arr = xp.asarray(arr) if device is None else xp.asarray(arr, device=device)
            self._cache[ck] = arr
        return self._cache[ck]

    def _on_gpu_csr(self, key, make, dtype, device):  # pragma: no cover - needs a GPU
        """Host sparse matrix `make()` as a cupyx CSR matrix on `device`."""
        import cupyx.scipy.sparse as csp

        ck = (key, "cupyx", str(device), str(dtype))
        if ck not in self._cache:
            host = sp.csr_matrix(make().astype(numpy_dtype(dtype)))
            with device:
                self._cache[ck] = csp.csr_matrix(host)
        return self._cache[ck]

    # -- validation -------------------------------------------------------
    def _check_later(self, X):
        """Whether X's finiteness check may wait for the result (dense NumPy)."""
        return self._output_reveals_nonfinite and isinstance(X, np.ndarray)

    def _prepare(self, X, axis, length, what, *, name="X", check_finite=True, vector=False):
        """Validate `X` (``X.shape[axis] == length``) and cast it to the result dtype.

        Returns ``(X, xp)``. With `vector`, only shapes ``(length,)`` and
        ``(length, 1)`` are accepted (the LinearOperator protocol's vectors).
        """
        X = check_array(
            X, name, ndim=(1, 2), allow_sparse=True, allow_empty=True, check_finite=check_finite
        )
        axis = 0 if X.ndim == 1 else axis
        if X.shape[axis] != length:
            raise ValueError(
                f"{what} needs {name}.shape[{axis}] == {length}, got {name}.shape={tuple(X.shape)}"
            )
        if vector and X.ndim == 2 and X.shape[1] != 1:
            raise ValueError(
                f"{what} needs a vector {name} of shape ({length},) or ({length}, 1), "
                f"got {name}.shape={tuple(X.shape)}"
            )
        xp = array_namespace(X)
        if is_sparse(X):
            dt = np.result_type(self.dtype, X.dtype)
            if dt.kind not in "fc":
                dt = np.dtype(np.float64)
            return (X.astype(dt) if X.dtype != dt else X), xp
        dt = xp.result_type(namespace_dtype(xp, self.dtype), X.dtype)
        return (xp.astype(X, dt) if X.dtype != dt else X), xp

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
            Inf (with `check_finite`), or `engine` is not an engine name.
        TypeError
            If `X` does not have a real numeric dtype (float16 is promoted
            to float32; longdouble is refused), or `check_finite` is not a
            bool.

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
        check_engine(engine)
        check_flag(check_finite, "check_finite")
        return self._apply(X, engine, check_finite, cols=True)

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
            Inf (with `check_finite`), or `engine` is not an engine name.
        TypeError
            If `X` does not have a real numeric dtype, or `check_finite` is
            not a bool.

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
        check_engine(engine)
        check_flag(check_finite, "check_finite")
        return self._apply(X, engine, check_finite, cols=False)

    def _apply(self, X, engine, check_finite, *, cols, name="X", vector=False):
        """``S @ X`` (`cols`) or ``X @ S.T``: dense, sparse and 1-D dispatch."""
        later = check_finite and self._check_later(X)
        what = f"S @ {name}" if cols else f"{name} @ S.T"
        X, xp = self._prepare(
            X, 0 if cols else 1, self._d, what, name=name,
            check_finite=check_finite and not later, vector=vector,
        )
        if is_sparse(X) and X.ndim == 1:
            # a 1-D sparse array (scipy's sparray): as a one-column (one-row)
            # matrix; its finiteness was checked above
            shape = (self._d, 1) if cols else (1, self._d)
            out = self._apply(X.tocoo().reshape(shape), engine, False, cols=cols)
            return out[:, 0] if cols else out[0, :]
        if is_sparse(X):
            if not self._native_sparse:
                return self._blocked(X, xp, engine, cols=cols)
            return self._sparse_cols(X, xp, engine) if cols else self._sparse_rows(X, xp, engine)
        if X.ndim == 1 and cols:
            out = self._cols(xp.reshape(X, (-1, 1)), xp, engine)[:, 0]
        elif X.ndim == 1:
            out = self._rows(xp.reshape(X, (1, -1)), xp, engine)[0, :]
        else:
            out = self._cols(X, xp, engine) if cols else self._rows(X, xp, engine)
        if later:
            return check_finite_through(out, X, name, ndim=(1, 2), allow_empty=True)
        return out

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
            Inf, or `engine` is not an engine name.

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
        check_engine(engine)
        return self._adjoint(Y, engine)

    def _adjoint(self, Y, engine, *, name="Y", vector=False):
        Y, xp = self._prepare(Y, 0, self._k, f"S.T @ {name}", name=name, vector=vector)
        if is_sparse(Y):
            # Y lives in the small sketch space; scipy's toarray gives NumPy,
            # cupyx's gives CuPy (both have .toarray, neither has swapaxes)
            Y = Y.toarray()
        if Y.ndim == 1:
            return self._adjoint_cols(xp.reshape(Y, (-1, 1)), xp, engine)[:, 0]
        return self._adjoint_cols(Y, xp, engine)

    def _blocked(self, X, xp, engine, *, cols):
        """Apply to sparse X one dense block at a time (columns or rows)."""
        X = X.tocsc() if cols else X.tocsr()
        n = X.shape[1] if cols else X.shape[0]
        step = block_width(self._padded_d(), np.dtype(X.dtype).itemsize)
        if cols:
            parts = [self._cols(_dense(X[:, j : j + step]), xp, engine) for j in range(0, n, step)]
        else:
            parts = [self._rows(_dense(X[i : i + step]), xp, engine) for i in range(0, n, step)]
        if not parts:
            shape = (self._k, 0) if cols else (0, self._k)
            return _zeros(xp, shape, X.dtype, device_of(X))
        return xp.concat(parts, axis=1 if cols else 0)

    def _padded_d(self):
        return self._d

    # -- LinearOperator protocol (scipy.sparse.linalg.aslinearoperator) --
    def matvec(self, x, *, engine=None):
        """``S @ x`` for a vector of shape ``(d,)`` or ``(d, 1)``.

        Part of the protocol :func:`scipy.sparse.linalg.aslinearoperator`
        uses; prefer ``S @ x``. The result has shape ``(k,)`` or ``(k, 1)``
        like `x`, in the array library and on the device of `x`.

        Parameters
        ----------
        x : array_like, shape (d,) or (d, 1)
        engine : {"auto", "numpy", "numba"}, optional
            CPU engine for the kernels (see :func:`nla.config`).

        Examples
        --------
        >>> import numpy as np, nla
        >>> S = nla.sketch.gaussian(6, 2, rng=0)
        >>> S.matvec(np.ones(6)).shape, S.matvec(np.ones((6, 1))).shape
        ((2,), (2, 1))
        """
        check_engine(engine)
        return self._apply(x, engine, True, cols=True, name="x", vector=True)

    def rmatvec(self, y, *, engine=None):
        """``S.T @ y`` for a vector of shape ``(k,)`` or ``(k, 1)``.

        Part of the LinearOperator protocol; prefer ``S.T @ y``. The result
        has shape ``(d,)`` or ``(d, 1)`` like `y`.

        Parameters
        ----------
        y : array_like, shape (k,) or (k, 1)
        engine : {"auto", "numpy", "numba"}, optional
            CPU engine for the kernels (see :func:`nla.config`).

        Examples
        --------
        >>> import numpy as np, nla
        >>> S = nla.sketch.gaussian(6, 2, rng=0)
        >>> S.rmatvec(np.ones(2)).shape
        (6,)
        """
        check_engine(engine)
        return self._adjoint(y, engine, name="y", vector=True)

    def matmat(self, X, *, engine=None):
        """``S @ X`` for a matrix of shape ``(d, n)`` (see :meth:`apply`).

        Part of the LinearOperator protocol; prefer ``S @ X``.

        Examples
        --------
        >>> import numpy as np, nla
        >>> S = nla.sketch.gaussian(6, 2, rng=0)
        >>> S.matmat(np.ones((6, 3))).shape
        (2, 3)
        """
        return self.apply(X, engine=engine)

    def rmatmat(self, Y, *, engine=None):
        """``S.T @ Y`` for a matrix of shape ``(k, n)`` (see :meth:`adjoint`).

        Part of the LinearOperator protocol; prefer ``S.T @ Y``.

        Examples
        --------
        >>> import numpy as np, nla
        >>> S = nla.sketch.gaussian(6, 2, rng=0)
        >>> S.rmatmat(np.ones((2, 3))).shape
        (6, 3)
        """
        return self.adjoint(Y, engine=engine)

    def as_linear_operator(self, *, engine=None):
        """This sketch as a :class:`scipy.sparse.linalg.LinearOperator`.

        ``scipy.sparse.linalg.aslinearoperator(S)`` gives an equivalent
        operator; this method spells it out for code that does not import
        SciPy's sparse linear algebra.

        Parameters
        ----------
        engine : {"auto", "numpy", "numba"}, optional
            CPU engine the operator's products use (see :func:`nla.config`).

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

        check_engine(engine)
        return LinearOperator(
            self.shape,
            matvec=functools.partial(self.matvec, engine=engine),
            rmatvec=functools.partial(self.rmatvec, engine=engine),
            matmat=functools.partial(self.matmat, engine=engine),
            rmatmat=functools.partial(self.rmatmat, engine=engine),
            dtype=self.dtype,
        )

    def to_dense(self, *, engine=None):
        """The sketch as a dense NumPy array.

        Costs ``O(k d)`` memory; meant for small sketches and for tests.

        Parameters
        ----------
        engine : {"auto", "numpy", "numba"}, optional
            CPU engine for the kernels (see :func:`nla.config`); the
            Hadamard sketches apply themselves to the identity.

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
        check_engine(engine)
        return self._to_dense(engine)

    def _to_dense(self, engine):
        return self._cols(np.eye(self._d, dtype=self.dtype), _NP, engine)


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

    def to_dense(self, *, engine=None):
        return self._op.to_dense(engine=engine).T

    def __repr__(self):
        return f"<transpose of {self._op!r}>"


#: the array-API NumPy namespace (what array_namespace gives for ndarrays)
_NP = array_namespace(np.empty(0))


def _zeros(xp, shape, dtype, device):
    """``xp.zeros`` on `device` (None: the default device)."""
    if device is None:
        return xp.zeros(shape, dtype=dtype)
    return xp.zeros(shape, dtype=dtype, device=device)


def _dense(block):
    """One block of a sparse input, densified (NumPy for scipy, CuPy for cupyx)."""
    return block.toarray()


def check_dims(d, k, *, k_le_d, kind):
    """Validate the constructors' ``d`` and ``k`` (``k <= d`` where required)."""
    d = check_int(d, "d", low=1)
    k = check_int(k, "k", low=1)
    if k_le_d and k > d:
        raise ValueError(
            f"k must be <= d for a {kind} sketch, got k={k} > d={d}; "
            "a sketch that does not reduce the dimension is pointless here "
            "(nla.sketch.gaussian allows any k)"
        )
    return d, k
