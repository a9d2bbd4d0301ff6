"""The sketches built on the Walsh-Hadamard transform: SRHT and FJLT.

Both are ``S = P H D``: a random sign diagonal ``D``, the orthonormal
Walsh-Hadamard transform ``H`` of order ``d_pad`` (``d`` padded with zeros to
a power of two) and a sparse ``k x d_pad`` matrix ``P``: ``sqrt(d_pad/k)``
times ``k`` sampled rows of the identity for the SRHT, a sparse Gaussian for
the FJLT. NumPy input runs the fused Numba (or NumPy reference) kernels of
:mod:`._fwht`, which take ``P`` in CSR form; every other namespace runs
:func:`nla.fwht`'s generic transform and applies ``P`` (and ``P.T``) as a
sparse matrix: gathers of the rows it selects (cupyx's sparse matrices on
CuPy). ``P`` is never formed densely.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from .._backend import device_of, is_cupy_namespace, is_numpy_namespace
from .._random import check_rng, normal, signs
from .._validate import check_dtype, check_int, check_real
from ._base import SketchOperator, _zeros, check_dims
from ._fwht import fwht_kernel, sketch_cols_kernel, sketch_rows_kernel
from ._transforms import next_power_of_two

__all__ = ["SRHTSketch", "FJLTSketch", "srht", "fjlt"]


class _HadamardSketch(SketchOperator):
    """``S = P H D`` (d padded with zeros to a power of two ``d_pad``).

    A subclass stores ``P`` as ``self._csr = (indptr, indices, data)`` (CSR,
    ``k x d_pad``, int64 indices, data in ``S.dtype``) for the NumPy kernels
    and implements ``_p_rows(Z, xp)`` (``Z @ P.T`` for ``Z`` of shape
    ``(n, d_pad)``, non-NumPy namespaces) and ``_p_adjoint(Y, xp)``
    (``P.T @ Y`` for ``Y`` of shape ``(k, n)``, every namespace).
    """

    def __init__(self, d, k, rng, dtype):
        super().__init__(d, k, dtype)
        self.d_pad = next_power_of_two(d)
        self._signs = signs(rng, self.d_pad, dtype=dtype)

    def _padded_d(self):
        return self.d_pad

    @property
    def _output_reveals_nonfinite(self):
        # every output entry is a nonzero combination of a row of H D x, and
        # every entry of H D x is a +-1 combination of all of x (the
        # butterflies propagate NaN and Inf to every output), so one nonzero
        # in P makes each column of the result non-finite with X's column
        return self._csr[0][-1] > 0

    def _hd_rows(self, X, xp, engine):
        """``(H D x_i)`` for every row of X (n, d): returns (n, d_pad)."""
        n = X.shape[0]
        dev = device_of(X)
        if self.d_pad != self._d:
            pad = _zeros(xp, (n, self.d_pad - self._d), X.dtype, dev)
            X = xp.concat((X, pad), axis=1)
        sg = self._on("signs", xp, lambda: self._signs, X.dtype, dev)
        return fwht_kernel(xp, X, sg, engine=engine)

    def _rows(self, X, xp, engine):
        if not is_numpy_namespace(xp):
            return self._p_rows(self._hd_rows(X, xp, engine), xp)
        indptr, indices, data = self._csr
        if X.shape[0] >= 8 and X.flags.f_contiguous and not X.flags.c_contiguous:
            # rows of X are columns of the C-ordered X.T: column panels
            return sketch_cols_kernel(
                xp, X.T, self._signs, self.d_pad, indptr, indices, data, engine=engine
            ).T
        return sketch_rows_kernel(
            xp, X, self._signs, self.d_pad, indptr, indices, data, engine=engine
        )

    def _cols(self, X, xp, engine):
        if is_numpy_namespace(xp) and X.shape[1] >= 8 and not X.flags.f_contiguous:
            # transform along axis 0 by column panels: no transposed copy of X
            indptr, indices, data = self._csr
            return sketch_cols_kernel(
                xp, X, self._signs, self.d_pad, indptr, indices, data, engine=engine
            )
        return xp.matrix_transpose(self._rows(xp.matrix_transpose(X), xp, engine))

    def _adjoint_cols(self, Y, xp, engine):
        Z = self._p_adjoint(Y, xp)  # (d_pad, n)
        W = fwht_kernel(xp, xp.matrix_transpose(Z), engine=engine)  # (n, d_pad)
        sg = self._on("signs", xp, lambda: self._signs, W.dtype, device_of(W))
        W = W * sg
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
        # the scale as the operator holds it (rounded to S.dtype), the same in
        # the kernels' P, the generic code and the adjoint, so that S.T is
        # the transpose of S also for a float32 sketch of float64 data
        self._scale = float(np.asarray(self.scale, dtype=self.dtype))
        self._csr = (
            np.arange(k + 1, dtype=np.int64),
            self.rows,
            np.full(k, self._scale, dtype=self.dtype),
        )

    def _p_rows(self, Z, xp):
        idx = self._on("rows", xp, lambda: self.rows, device=device_of(Z))
        return xp.take(Z, idx, axis=1) * self._scale

    def _p_adjoint(self, Y, xp):
        n = Y.shape[1]
        if is_numpy_namespace(xp):
            Z = np.zeros((self.d_pad, n), dtype=Y.dtype)
            Z[self.rows] = Y * self._scale
            return Z
        # the same scatter written as a gather, since the array API has no
        # assignment through an index array: row j of the result is row
        # pos[j] of [scale * Y; 0], where pos[rows[i]] = i and pos[j] = k
        # for the rows not sampled
        dev = device_of(Y)
        pos = self._on("scatter", xp, self._scatter_index, device=dev)
        Yz = xp.concat((Y * self._scale, _zeros(xp, (1, n), Y.dtype, dev)), axis=0)
        return xp.take(Yz, pos, axis=0)

    def _scatter_index(self):
        pos = np.full(self.d_pad, self._k, dtype=np.int64)
        pos[self.rows] = np.arange(self._k, dtype=np.int64)
        return pos


#: Least expected number of nonzeros per row of P. Given z = H D x, output i
#: is Gaussian with variance v_i = sum_{j in row i} z_j^2 / (q k), so
#: ``k Var(||S x||^2 / ||x||^2) = 2 + 3 CV^2(v_i)`` with
#: ``CV^2 = d_pad sum z_j^4 / ||z||^4 / m``, m = q d_pad; for spread-out z
#: (H D x of generic x) ``d_pad sum z^4 / ||z||^4 ~ 3``, giving
#: ``2 + 9 / m`` against a Gaussian map's 2. m >= 22 keeps that variance
#: within 1.21x, i.e. the spread of the distortion within 10% of a Gaussian
#: map's; the bare FHL density is far below that for few points (about 4
#: nonzeros per row for n = 20). The sketch docs page compares these
#: predictions with ``python -m benchmarks sketch --plot DIR``.
_FJLT_MIN_NNZ_PER_ROW = 22.0


def _fhl_density(d_pad, k, n_points):
    """Default density of P: Ailon-Chazelle's ln^2(n)/d divided by FHL's alpha,
    with at least ``_FJLT_MIN_NNZ_PER_ROW`` nonzeros per row expected."""
    ln_n = math.log(max(n_points, 3)) if n_points is not None else math.log(max(d_pad, 3))
    # eps implied by k = 4 ln n / (eps^2/2 - eps^3/3), to first order
    eps = min(0.99, math.sqrt(8.0 * ln_n / k))
    alpha = max(1.0, min(math.log(1.0 / eps) / eps, ln_n))
    nnz_per_row = max(ln_n**2 / alpha, _FJLT_MIN_NNZ_PER_ROW)
    return min(1.0, nnz_per_row / d_pad)


def _slots(indptr, indices, data):
    """A CSR matrix as slots: ``idx[t, i], val[t, i]`` is the t-th nonzero of
    row i, padded with index 0 and value 0 to the longest row."""
    counts = np.diff(indptr)
    m = counts.size
    width = int(counts.max()) if m else 0
    idx = np.zeros((width, m), dtype=np.int64)
    val = np.zeros((width, m), dtype=data.dtype)
    row = np.repeat(np.arange(m), counts)
    slot = np.arange(indices.size) - np.repeat(indptr[:-1], counts)
    idx[slot, row] = indices
    val[slot, row] = data
    return idx, val


def _slot_sum(xp, A, idx, val, axis, shape, device):
    """``sum_t take(A, idx[t], axis) * val[t]``: a sparse product as gathers.

    One pass per slot, each the size of the result: the cost of a sparse
    product padded to its longest row, with no dense ``P``.
    """
    out = None
    for t in range(idx.shape[0]):
        term = xp.take(A, idx[t, :], axis=axis) * val[t, ...]
        out = term if out is None else out + term
    return _zeros(xp, shape, A.dtype, device) if out is None else out


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
        vals = normal(rng, int(indptr[-1])) / math.sqrt(q * k)
        self.P = sp.csr_array((vals.astype(dtype), cols, indptr), shape=(k, self.d_pad))
        self._csr = (indptr, cols, self.P.data)
        self._host_slots = {}

    def _slots_on(self, which, xp, like):
        """Slots of P's rows (``"rows"``) or columns (``"cols"``) in `xp`."""
        if which not in self._host_slots:
            if which == "rows":
                idx, val = _slots(*self._csr)
            else:
                PT = self.P.T.tocsr()
                idx, val = _slots(PT.indptr, PT.indices, PT.data)
                val = val[:, :, None]  # scales rows of the (d_pad, n) result
            self._host_slots[which] = (idx, val)
        idx, val = self._host_slots[which]
        dev = device_of(like)
        return (
            self._on(f"{which}_idx", xp, lambda: idx, device=dev),
            self._on(f"{which}_val", xp, lambda: val, like.dtype, dev),
        )

    def _p_rows(self, Z, xp):
        if is_cupy_namespace(xp):  # pragma: no cover - needs a GPU
            P = self._on_gpu_csr("P", lambda: self.P, Z.dtype, device_of(Z))
            return (P @ Z.T).T
        idx, val = self._slots_on("rows", xp, Z)
        return _slot_sum(xp, Z, idx, val, 1, (Z.shape[0], self._k), device_of(Z))

    def _p_adjoint(self, Y, xp):
        if is_numpy_namespace(xp):
            return np.asarray(self.P.T.astype(Y.dtype) @ Y)
        if is_cupy_namespace(xp):  # pragma: no cover - needs a GPU
            P = self._on_gpu_csr("P", lambda: self.P, Y.dtype, device_of(Y))
            return P.T @ Y
        idx, val = self._slots_on("cols", xp, Y)
        return _slot_sum(xp, Y, idx, val, 0, (self.d_pad, Y.shape[1]), device_of(Y))


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
    d, k = check_dims(d, k, k_le_d=True, kind="SRHT")
    return SRHTSketch(d, k, check_rng(rng), check_dtype(dtype))



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
    d, k = check_dims(d, k, k_le_d=True, kind="FJLT")
    d_pad = next_power_of_two(d)
    if n_points is not None:
        n_points = check_int(n_points, "n_points", low=1)
    if q is None:
        q = _fhl_density(d_pad, k, n_points)
    else:
        q = check_real(q, "q", low=0.0, high=1.0, low_open=True)
    return FJLTSketch(d, k, q, check_rng(rng), check_dtype(dtype))
