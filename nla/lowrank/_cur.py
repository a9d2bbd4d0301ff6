"""CUR decompositions: literal columns and rows of A with a small core."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from .._backend import device_of, is_sparse, matmul, namespace_dtype, to_host, work_dtype
from .._random import check_rng
from .._validate import check_array, check_engine, check_flag, check_int, check_option
from ..sketch import make_sketch
from ._common import check_lowrank_matrix, check_target_rank
from ._deim import deim_kernel
from ._rsvd import check_n_iter, rsvd

__all__ = ["CUR", "cur"]

_METHODS = ("deim", "qdeim", "qr", "leverage", "uniform")
_CORES = ("projection", "cross")


class CUR(NamedTuple):
    """A CUR decomposition ``A ~ C @ U @ R``.

    Attributes
    ----------
    C : (m, c) array or sparse matrix
        The columns ``A[:, col_idx]`` (sparse when `A` is sparse).
    U : (c, r) array
        The core.
    R : (r, n) array or sparse matrix
        The rows ``A[row_idx, :]`` (sparse when `A` is sparse).
    col_idx : (c,) int64 numpy.ndarray
        Selected column indices, in selection order. Always a NumPy array on
        the host (the selection runs there), whatever the library and device
        of `A`.
    row_idx : (r,) int64 numpy.ndarray
        Selected row indices, in selection order (NumPy, like `col_idx`).
    """

    C: object
    U: object
    R: object
    col_idx: object
    row_idx: object

    def to_dense(self):
        """The approximation ``C @ U @ R`` as a dense array."""
        return matmul(matmul(self.C, self.U), self.R)


def _take(A, idx, axis, xp):
    """``A[:, idx]`` (axis 1) or ``A[idx, :]`` (axis 0) for host indices `idx`.

    For dense `A` the indices are moved to the device of `A` first.
    """
    if is_sparse(A):
        if axis == 1:
            return A.tocsc()[:, idx]
        return A.tocsr()[idx, :]
    return xp.take(A, xp.asarray(idx, device=device_of(A)), axis=axis)


def _scaled_columns(A, w, xp):
    """``A diag(w)`` without modifying `A` (sparse stays sparse)."""
    if w is None:
        return A
    if is_sparse(A):
        return A @ sp.diags(w)
    return A * xp.asarray(w, dtype=A.dtype, device=device_of(A))


def _sample(rng, p, c):
    """`c` distinct indices drawn sequentially with probabilities ``p``.

    Efraimidis-Spirakis keys ``log(u) / p``: the `c` largest keys have the law
    of successive sampling without replacement. Zero-probability indices come
    last, in uniformly random order.
    """
    u = rng.random(p.shape[0])
    with np.errstate(divide="ignore"):
        keys = np.where(p > 0, np.log(u) / np.where(p > 0, p, 1.0), -np.inf)
    order = np.lexsort((u, keys))
    return np.ascontiguousarray(order[::-1][:c], dtype=np.int64)


def _cpqr_pivots(M, c):
    """First `c` pivots of a column-pivoted QR of the (host) matrix `M`."""
    _, piv = scipy.linalg.qr(M, mode="r", pivoting=True, check_finite=False)
    return np.ascontiguousarray(piv[:c], dtype=np.int64)


def _pinv(X, xp, rtol):
    return xp.linalg.pinv(X, rtol=rtol)


def cur(
    A,
    k,
    *,
    method="deim",
    core="projection",
    oversample=0,
    weights=None,
    n_iter="auto",
    rng=None,
    check_finite=True,
    engine=None,
):
    """CUR decomposition ``A ~ C U R`` from actual columns and rows of `A`.

    ``c = min(k + oversample, min(m, n))`` columns ``C = A[:, col_idx]`` and as
    many rows ``R = A[row_idx, :]`` are selected, then a core `U` is formed.

    Parameters
    ----------
    A : (m, n) array or scipy.sparse matrix
        The matrix. For sparse `A`, `C` and `R` are sparse too.
    k : int
        Target rank, ``1 <= k <= min(m, n)``.
    method : {"deim", "qdeim", "qr", "leverage", "uniform"}, default "deim"
        Index selection:

        * ``"deim"``: DEIM on approximate singular vectors (from :func:`rsvd`
          of rank ``c``), rows from ``U`` and columns from ``V``.
        * ``"qdeim"``: Q-DEIM on the same approximate singular vectors: the
          first ``c`` pivots of a column-pivoted QR of ``V^T`` for the columns
          and of ``U^T`` for the rows (Drmac and Gugercin).
        * ``"qr"``: column-pivoted QR of a sketch ``S A`` (SRHT for dense,
          sparse sign for sparse `A`, ``2c`` rows) for the columns, then of
          ``C^T`` for the rows.
        * ``"leverage"``: sampling without replacement with probabilities
          proportional to the rank-`k` leverage scores (from :func:`rsvd`).
        * ``"uniform"``: uniform sampling without replacement.
    core : {"projection", "cross"}, default "projection"
        ``"projection"``: ``U = C^+ A R^+``, the best core for the chosen
        ``C`` and ``R`` (one more pass over `A`). ``"cross"``: ``U =
        A[row_idx, col_idx]^+``, which needs only the selected entries.
        Both pseudoinverses cut singular values below ``eps * max(m, n)``
        relative to the largest.
    oversample : int, default 0
        Extra columns and rows (an integer ``>= 0``, added to `k`): ``c =
        min(k + oversample, min(m, n))`` of each are selected.
    weights : (n,) array_like, optional
        Non-negative column weights that bias the selection: it runs on ``A
        diag(weights)`` (for ``"uniform"`` the column probabilities are
        proportional to `weights`). ``C``, ``U`` and ``R`` are always taken from
        the unweighted `A`. For example the magnitude-times-activation score
        of CURing: ``weights = norm(X, axis=0)`` for input activations ``X``.
    n_iter : int or "auto", default "auto"
        Power iterations of the randomized SVD used by ``"deim"``,
        ``"qdeim"`` and ``"leverage"`` (validated for every method).
    rng : None, int or numpy.random.Generator
        Randomness (SPEC 7).
    check_finite : bool, default True
        Reject NaN and Inf.
    engine : {None, "auto", "numpy", "numba"}, optional
        Engine of the DEIM kernel and of the sketch of ``"qr"`` (default: the
        configured engine).

    Returns
    -------
    CUR
        ``CUR(C, U, R, col_idx, row_idx)``; ``to_dense()`` forms ``C U R``.

    Notes
    -----
    When ``rank(A) <= c`` the DEIM, Q-DEIM, QR and leverage selections (and
    uniform selection whenever ``A[row_idx, col_idx]`` has the rank of `A`)
    recover `A` exactly with either core. With the projection core, ``||A - C
    U R||_2 <= (eta_p + eta_q) sigma_{k+1}`` for any selection, where ``eta_p,
    eta_q`` are the norms of the inverses of the selected rows of the leading
    singular vectors (Sorensen and Embree). DEIM and Q-DEIM keep ``eta``
    small; for Q-DEIM on an orthonormal basis of ``c`` columns, ``eta <=
    sqrt(d - c + 1) sqrt(4^c + 6c - 1) / 3`` in dimension ``d`` (Drmac and
    Gugercin), and in practice it is far smaller.

    Index selection runs on the host, on NumPy copies of thin matrices
    (``c`` columns or rows of singular vectors or of a sketch): the DEIM
    kernel (NumPy and Numba variants only), SciPy's pivoted QR and the
    sampler are NumPy code. The products with `A` stay in its array library
    and on its device, so `C`, `U` and `R` live where `A` lives.
    ``cupyx.scipy.sparse`` input is refused (TypeError); pass a dense CuPy
    array or a ``scipy.sparse`` matrix.

    See Also
    --------
    rsvd : randomized SVD.
    nystrom : generalized Nystrom approximation.
    pinv_cr : pseudoinverse of a product ``C R``.

    References
    ----------
    D. C. Sorensen, M. Embree, "A DEIM induced CUR factorization", SIAM J. Sci.
    Comput. 38(3), 2016. Z. Drmac, S. Gugercin, "A new selection operator for
    the discrete empirical interpolation method -- improved a priori error
    bound and extensions", SIAM J. Sci. Comput. 38(2), 2016. M. W. Mahoney,
    P. Drineas, "CUR matrix decompositions for improved data analysis", PNAS
    106(3), 2009. "CURing large models: compression via CUR decomposition"
    (the weighted DEIM selection).

    Examples
    --------
    >>> import numpy as np
    >>> import nla
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((40, 3)) @ rng.standard_normal((3, 30))
    >>> f = nla.cur(A, 3, rng=0)
    >>> f.C.shape, f.U.shape, f.R.shape
    ((40, 3), (3, 3), (3, 30))
    >>> bool(np.array_equal(f.C, A[:, f.col_idx]))
    True
    >>> bool(np.allclose(f.to_dense(), A))
    True
    """
    check_finite = check_flag(check_finite, "check_finite")
    A, xp = check_lowrank_matrix(A, "cur", check_finite=check_finite)
    k = check_target_rank(k, A)
    method = check_option(method, "method", _METHODS)
    core = check_option(core, "core", _CORES)
    oversample = check_int(oversample, "oversample", low=0)
    n_iter = check_n_iter(n_iter)
    check_engine(engine)
    m, n = A.shape
    weights = _check_weights(weights, n)
    rng = check_rng(rng)
    dt = work_dtype(A)
    c = min(k + oversample, min(m, n))
    col_idx, row_idx = _select(A, k, c, method, weights, n_iter, rng, dt, xp, engine)
    C = _take(A, col_idx, 1, xp)
    R = _take(A, row_idx, 0, xp)
    Ucore = _core(A, C, R, col_idx, core, dt, xp)
    return CUR(C, Ucore, R, col_idx, row_idx)


def _check_weights(weights, n):
    """Column weights as a float64 NumPy array on the host (or None)."""
    if weights is None:
        return None
    weights = np.asarray(to_host(check_array(weights, "weights", ndim=1)), dtype=np.float64)
    if weights.shape[0] != n:
        raise ValueError(f"weights must have length A.shape[1] = {n}, got {weights.shape[0]}")
    if np.any(weights < 0) or not np.any(weights > 0):
        raise ValueError("weights must be non-negative and not all zero")
    return weights


def _select(A, k, c, method, weights, n_iter, rng, dt, xp, engine):
    """``(col_idx, row_idx)``: `c` column and `c` row indices, int64 on the host.

    The products with `A` (the randomized SVD, the sketch) run in the library
    and on the device of `A`; the selection itself runs on host copies of
    thin matrices (``c`` columns or rows). The DEIM kernel, SciPy's pivoted
    QR and the sampler are NumPy-only, which is why they get host copies.
    """
    m, n = A.shape
    Aw = _scaled_columns(A, weights, xp)
    if method in ("deim", "qdeim"):
        U, _, Vt = rsvd(Aw, c, n_iter=n_iter, rng=rng, check_finite=False, engine=engine)
        U, V = to_host(U), to_host(Vt).T
        if method == "deim":
            return deim_kernel(np, V, engine=engine), deim_kernel(np, U, engine=engine)
        return _cpqr_pivots(V.T, c), _cpqr_pivots(U.T, c)
    if method == "qr":
        kind = "sparse_sign" if is_sparse(A) else "srht"
        S = make_sketch(kind, m, min(m, 2 * c), rng=rng, dtype=dt)
        Y = S.apply(Aw, engine=engine)  # (ell, n)
        col_idx = _cpqr_pivots(to_host(Y), c)
        Cw = to_host(_take(A, col_idx, 1, xp))
        return col_idx, _cpqr_pivots(Cw.T, c)
    if method == "leverage":
        U, _, Vt = rsvd(Aw, k, n_iter=n_iter, rng=rng, check_finite=False, engine=engine)
        pc = np.sum(to_host(Vt).astype(np.float64) ** 2, axis=0)
        pr = np.sum(to_host(U).astype(np.float64) ** 2, axis=1)
        return _sample(rng, pc / pc.sum(), c), _sample(rng, pr / pr.sum(), c)
    pc = np.full(n, 1.0 / n) if weights is None else weights / weights.sum()
    return _sample(rng, pc, c), _sample(rng, np.full(m, 1.0 / m), c)


def _core(A, C, R, col_idx, core, dt, xp):
    """The core ``C^+ A R^+`` (projection) or ``A[I, J]^+`` (cross)."""
    m, n = A.shape
    rtol = float(np.finfo(dt).eps) * max(m, n)
    if core == "cross":
        if is_sparse(A):
            W = xp.asarray(R.tocsc()[:, col_idx].toarray())
        else:
            W = _take(R, col_idx, 1, xp)
        Ucore = _pinv(W, xp, rtol)
    else:
        Cd = xp.asarray(C.toarray()) if is_sparse(C) else C
        Rd = xp.asarray(R.toarray()) if is_sparse(R) else R
        X = matmul(A, _pinv(Rd, xp, rtol))
        Ucore = _pinv(Cd, xp, rtol) @ X
    xdt = namespace_dtype(xp, dt)
    return Ucore if Ucore.dtype == xdt else xp.astype(Ucore, xdt)
