"""``nla.IncrementalSVD``: a rank-k SVD kept up to date under row, column and
low-rank updates."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._backend import array_namespace, is_numpy_namespace, is_sparse
from .._random import check_rng
from .._validate import (
    check_array,
    check_engine,
    check_int,
    check_matrix,
    check_option,
    check_real,
)
from . import _core

__all__ = ["IncrementalSVD", "METHODS"]

#: sparse matrices up to this many entries (zeros included) may be densified by fit
_DENSE_ENTRIES = 250_000

#: the update rules
METHODS = ("sparse", "zha-simon", "vecharynski-saad", "rpi")


def _numpy_only(x, name):
    """TypeError for arrays of other libraries (the family runs on NumPy/SciPy)."""
    if x is None or is_sparse(x) or isinstance(x, (np.ndarray, list, tuple)):
        return
    try:
        xp = array_namespace(x)
    except TypeError:
        return  # not an array at all: check_array says so
    if not is_numpy_namespace(xp):
        raise TypeError(
            f"{name} must be a NumPy array or a scipy.sparse matrix; IncrementalSVD "
            f"runs on NumPy/SciPy only, got {type(x).__module__}.{type(x).__name__}"
        )


def _check_batch(E, name, dtype):
    """A 2-D dense or sparse batch (CSR when sparse), in the state's dtype."""
    _numpy_only(E, name)
    E = check_array(E, name, ndim=2, allow_sparse=True, allow_empty=True)
    if sp.issparse(E):
        return E.tocsr().astype(dtype, copy=False)
    return np.asarray(E, dtype=dtype)


class IncrementalSVD:
    """A rank-`k` truncated SVD ``A ~ U diag(s) Vt`` kept up to date.

    Rows (:meth:`add_rows`), columns (:meth:`add_columns`) and low-rank
    corrections (:meth:`update`) change the factors in time independent of
    the size of what is already there, instead of a new SVD after every
    batch. Updates may be dense or any ``scipy.sparse`` format; sparse
    updates are never densified by the default rule.

    Parameters
    ----------
    k : int
        Rank reported (``U`` has `k` columns).
    method : {"sparse", "zha-simon", "vecharynski-saad", "rpi"}, default "sparse"
        Rule of :meth:`add_rows` and :meth:`add_columns`:

        - ``"sparse"``: no residual, no QR of the update. With ``C = E V``,
          the top singular triplets of the augmented core come from its Gram
          ``[[S^2, S C^T], [C S, E E^T]]`` (``E E^T`` by a sparse product) by
          a block Krylov iteration warm-started from the old directions, then
          a Rayleigh-Ritz step on ``[V S, E^T] F``. Cost linear in ``nnz(E)``
          and in the number of columns, for dense and sparse batches alike.
        - ``"zha-simon"``: QR of the (dense) residual ``(I - V V^T) E^T``,
          SVD of the augmented core (Zha and Simon).
        - ``"vecharynski-saad"``: `width` Golub-Kahan-Lanczos steps on the
          residual operator instead of its QR.
        - ``"rpi"``: a randomized power iteration (`n_iter` passes, `width`
          columns) on the residual operator.

        :meth:`update` uses Brand's QR update for every method.
    buffer : int, default 0
        Extra singular triplets kept internally (rank ``k + buffer``); only
        the top `k` are reported.
    depth : int, default 2
        Krylov blocks beyond the warm start (``"sparse"``).
    width : int, optional
        Lanczos steps or sketch columns of ``"vecharynski-saad"`` and
        ``"rpi"`` (default: the internal rank).
    n_iter : int, default 2
        Power iterations of ``"rpi"``.
    tol : float, optional
        Relative breakdown tolerance of the Lanczos steps (default
        ``sqrt(eps)``): a step stops when its norm falls below `tol` times
        the largest norm seen.
    orth_tol : float, optional
        Largest tolerated ``max |U^T U - I|`` and ``max |V^T V - I|``
        (default ``4096 eps`` of the data's precision). The loss of
        orthogonality is measured on the side that received new vectors and
        tracked through the small rotations on the other; exceeding
        `orth_tol` triggers a re-orthonormalization (thin QR, then an SVD of
        the small triangular factor times ``diag(s)``).
    rng : None, int or numpy.random.Generator
        Randomness of :meth:`fit` (a randomized SVD) and of the
        ``"vecharynski-saad"`` start vector and ``"rpi"`` sketches (SPEC 7).
    engine : {None, "auto", "numpy", "numba"}, optional
        Accepted and validated for uniformity; no kernel is reached (the
        work is BLAS and scipy.sparse products).

    Attributes
    ----------
    U : (m, k) ndarray
    s : (k,) ndarray, descending
    Vt : (k, n) ndarray
    shape : tuple of int
    n_reorth : int
        Re-orthonormalizations made so far.

    Notes
    -----
    The factors are NumPy arrays; float32 data keeps float32 factors (the
    small core problems are solved in float64). Arrays of other libraries
    raise TypeError.

    References
    ----------
    .. [1] H. Zha and H. D. Simon, "On updating problems in latent semantic
       indexing", SIAM J. Sci. Comput. 21 (1999).
    .. [2] E. Vecharynski and Y. Saad, "Fast updating algorithms for latent
       semantic indexing", SIAM J. Matrix Anal. Appl. 35 (2014).
    .. [3] H. Deng et al., "Fast updating truncated SVD for representation
       learning with sparse matrices", ICLR 2024.
    .. [4] M. Brand, "Fast low-rank modifications of the thin singular value
       decomposition", Linear Algebra Appl. 415 (2006).

    Examples
    --------
    >>> import numpy as np
    >>> import nla
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((60, 5)) @ rng.standard_normal((5, 40))
    >>> m = nla.IncrementalSVD(5, rng=0).fit(A[:30])
    >>> m = m.add_rows(A[30:])
    >>> m.shape
    (60, 40)
    >>> bool(np.allclose(m.s, np.linalg.svd(A, compute_uv=False)[:5]))
    True
    """

    def __init__(self, k, *, method="sparse", buffer=0, depth=2, width=None, n_iter=2,
                 tol=None, orth_tol=None, rng=None, engine=None):
        self.k = check_int(k, "k", low=1)
        self.method = check_option(method, "method", METHODS)
        self.buffer = check_int(buffer, "buffer", low=0)
        self.depth = check_int(depth, "depth", low=1)
        self.width = None if width is None else check_int(width, "width", low=1)
        self.n_iter = check_int(n_iter, "n_iter", low=0)
        self.tol = None if tol is None else check_real(tol, "tol", low=0.0, high=1.0,
                                                       high_open=True)
        self.orth_tol = None if orth_tol is None else check_real(
            orth_tol, "orth_tol", low=0.0, low_open=True)
        self.engine = check_engine(engine)
        self.rng = check_rng(rng)
        self._f = {"U": None, "V": None}
        self._s = None
        self.n_reorth = 0

    # ----------------------------------------------------------- state

    # the factors are kept as row blocks (see _core.RowBlocks); _U and _V
    # are their dense forms
    @property
    def _U(self):
        return None if self._f["U"] is None else self._f["U"].dense()

    @_U.setter
    def _U(self, X):
        self._f["U"] = _core.RowBlocks(X)

    @property
    def _V(self):
        return None if self._f["V"] is None else self._f["V"].dense()

    @_V.setter
    def _V(self, X):
        self._f["V"] = _core.RowBlocks(X)

    def _fitted(self):
        if self._s is None:
            raise ValueError(
                "this IncrementalSVD is not fitted yet: call fit(A) or build it with "
                "IncrementalSVD.from_svd(U, s, Vt) before updating it"
            )

    def _set(self, U, s, V):
        self._U, self._s, self._V = U, s, V
        self._track = {"U": [np.eye(s.size), 0.0], "V": [np.eye(s.size), 0.0]}
        self._check_orth("U", measure=True)
        self._check_orth("V", measure=True)
        return self

    def _view(self, x):
        x = x.view()
        x.flags.writeable = False
        return x

    @property
    def U(self):
        """Left singular vectors, ``(m, k)`` (read-only view)."""
        self._fitted()
        return self._view(self._U[:, : self.k])

    @property
    def s(self):
        """Singular values, ``(k,)``, descending (read-only view)."""
        self._fitted()
        return self._view(self._s[: self.k])

    @property
    def Vt(self):
        """Right singular vectors, ``(k, n)`` (read-only view)."""
        self._fitted()
        return self._view(self._V[:, : self.k].T)

    @property
    def shape(self):
        """Shape ``(m, n)`` of the matrix the factors approximate."""
        self._fitted()
        return (self._f["U"].rows, self._f["V"].rows)

    components_ = property(lambda self: self.Vt, doc="``Vt`` (scikit-learn's name).")
    singular_values_ = property(lambda self: self.s, doc="``s`` (scikit-learn's name).")
    n_features_in_ = property(lambda self: self.shape[1], doc="Number of columns.")

    @property
    def _rank(self):
        return self.k + self.buffer

    @property
    def _eps(self):
        return float(np.finfo(self._dtype).eps)

    @property
    def _dtype(self):
        return self._f["U"].dtype

    def _orth_tol(self):
        return 4096 * self._eps if self.orth_tol is None else self.orth_tol

    def _opts(self):
        r = self._s.size
        return {"depth": self.depth, "width": self.width or r, "n_iter": self.n_iter,
                "tol": np.sqrt(self._eps) if self.tol is None else self.tol}

    def _check_orth(self, side, measure=False):
        """Apply the re-orthonormalization rule to one side.

        At most one re-orthonormalization per side and call: it leaves a
        defect at the rounding level, ``O(eps r)``, whatever `orth_tol`.
        """
        G, allowance = self._track[side]
        est = float(np.max(np.abs(G - np.eye(G.shape[0])))) + allowance if G.size else 0.0
        if not measure and est <= self._orth_tol():
            return
        d = _core.defect(self._U if side == "U" else self._V)
        other = "V" if side == "U" else "U"
        if d > self._orth_tol() / 2:
            if side == "U":
                self._U, self._s, self._V = _core.reorthonormalize(self._U, self._s, self._V)
            else:
                self._V, self._s, self._U = _core.reorthonormalize(self._V, self._s, self._U)
            self.n_reorth += 1
            d = _core.defect(self._U if side == "U" else self._V)
            # the other side was rotated: measure it (no second pass)
            r = self._s.size
            self._track[other] = [np.eye(r), _core.defect(self._V if side == "U" else self._U)]
        self._track[side] = [np.eye(self._s.size), d]

    def _tracked(self, side, F):
        """``P_new = blockdiag(P, I) F``: propagate the Gram of ``P`` through F."""
        G, allowance = self._track[side]
        r = G.shape[0]
        F1, F2 = F[:r], F[r:]
        Gn = F1.T @ G @ F1 + F2.T @ F2
        self._track[side] = [Gn, allowance + self._eps * F.shape[0]]
        self._check_orth(side)

    # ----------------------------------------------------------- starting

    def fit(self, A):
        """Start from a rank-``k + buffer`` truncated SVD of `A`.

        Parameters
        ----------
        A : (m, n) array or scipy.sparse matrix
            The initial matrix; ``k <= min(m, n)``.

        Returns
        -------
        self

        Notes
        -----
        Small matrices (dense ones with ``min(m, n) <= 2 (k + buffer) + 20``,
        sparse ones with at most 250,000 entries in all) get an exact dense
        SVD; larger ones ARPACK's (``scipy.sparse.linalg.svds``, the start
        vector drawn from `rng`), to full precision: the first truncation
        sets the accuracy every update inherits. If ARPACK does not converge
        a block Krylov SVD (six blocks beyond a Gaussian start of ``k +
        buffer + 10`` columns) is used.

        Examples
        --------
        >>> import numpy as np
        >>> import nla
        >>> A = np.arange(12.0).reshape(4, 3)
        >>> nla.IncrementalSVD(2).fit(A).s.round(4)
        array([22.4467,  1.4641])
        """
        return self._fit(A, "A")

    def _fit(self, A, name):
        _numpy_only(A, name)
        A, _ = check_matrix(A, name)
        m, n = A.shape
        if self.k > min(m, n):
            raise ValueError(f"k must be <= min(m, n) = {min(m, n)} for {name} of shape "
                             f"{A.shape}, got k={self.k}")
        r = min(self._rank, m, n)
        dt = np.float32 if A.dtype == np.float32 else np.float64
        small = m * n <= _DENSE_ENTRIES or (not sp.issparse(A) and min(m, n) <= 2 * r + 20)
        if small:
            U, s, Vt = np.linalg.svd(A.toarray() if sp.issparse(A) else np.asarray(A),
                                     full_matrices=False)
            U, s, V = U[:, :r], s[:r], Vt[:r].T
        else:
            U, s, V = _core.initial_svd(A, r, self.rng)
        return self._set(U.astype(dt), s.astype(dt), V.astype(dt))

    @classmethod
    def from_svd(cls, U, s, Vt, **options):
        """Start from given factors ``U diag(s) Vt`` (``k = len(s)``).

        Parameters
        ----------
        U : (m, k) array
            Orthonormal columns.
        s : (k,) array
            Singular values (sorted descending if they are not).
        Vt : (k, n) array
            Orthonormal rows.
        **options
            Keyword options of :class:`IncrementalSVD` (not `k`).

        Returns
        -------
        IncrementalSVD

        Examples
        --------
        >>> import numpy as np
        >>> import nla
        >>> U, s, Vt = np.linalg.svd(np.arange(12.0).reshape(4, 3), full_matrices=False)
        >>> nla.IncrementalSVD.from_svd(U[:, :2], s[:2], Vt[:2]).shape
        (4, 3)
        """
        for x, name in ((U, "U"), (s, "s"), (Vt, "Vt")):
            _numpy_only(x, name)
        U = np.asarray(check_array(U, "U", ndim=2))
        s = np.asarray(check_array(s, "s", ndim=1))
        Vt = np.asarray(check_array(Vt, "Vt", ndim=2))
        k = s.size
        if U.shape[1] != k or Vt.shape[0] != k:
            raise ValueError(f"U must be (m, {k}) and Vt ({k}, n) for s of length {k}, "
                             f"got U {U.shape}, Vt {Vt.shape}")
        if k > min(U.shape[0], Vt.shape[1]):
            raise ValueError(f"s has length {k} > min(m, n) = {min(U.shape[0], Vt.shape[1])}")
        if np.any(s < 0):
            raise ValueError("s must be non-negative")
        dt = np.float32 if all(x.dtype == np.float32 for x in (U, s, Vt)) else np.float64
        order = np.argsort(-s, kind="stable")
        model = cls(k, **options)
        return model._set(U[:, order].astype(dt), s[order].astype(dt),
                          Vt[order].T.astype(dt))

    # ----------------------------------------------------------- updates

    def add_rows(self, E):
        """Append rows: ``A <- [A; E]``.

        Parameters
        ----------
        E : (b, n) array or scipy.sparse matrix
            New rows (any sparse format; never densified by the ``"sparse"``
            rule). An empty batch changes nothing.

        Returns
        -------
        self

        Examples
        --------
        >>> import numpy as np
        >>> import nla
        >>> rng = np.random.default_rng(1)
        >>> A = rng.standard_normal((30, 3)) @ rng.standard_normal((3, 20))
        >>> m = nla.IncrementalSVD(3).fit(A[:10]).add_rows(A[10:20]).add_rows(A[20:])
        >>> bool(np.allclose((m.U * m.s) @ m.Vt, A))
        True
        """
        return self._append(E, "E", axis=0)

    def _append(self, E, name, axis):
        """Append rows (``axis=0``) or columns (``axis=1``, the row rule on
        the transposed state): the side along `axis` gains a row block, the
        other side is rotated."""
        self._fitted()
        E = _check_batch(E, name, self._dtype)
        across = 1 - axis  # the size E shares with A
        if E.shape[across] != self.shape[across]:
            dim = ("rows", "columns")[across]
            raise ValueError(f"{name} must have {self.shape[across]} {dim} (the number of "
                             f"{dim} of A), got shape {E.shape}")
        if E.shape[axis] == 0:
            return self
        if axis == 1:
            E = E.T.tocsr() if sp.issparse(E) else E.T
        grows, turns = ("U", "V") if axis == 0 else ("V", "U")
        s, turned, F = _core.append_rows(self.shape[axis], self._s, getattr(self, "_" + turns),
                                         E, self._rank, self.method, self.rng, self._opts())
        self._f[grows].append(F)
        self._s = s
        setattr(self, "_" + turns, turned)
        self._tracked(grows, F)
        self._check_orth(turns, measure=True)
        return self

    def add_columns(self, E):
        """Append columns: ``A <- [A, E]``.

        The row rule applied to the transposed state (``add_rows(E.T)`` of
        the transposed factorization).

        Parameters
        ----------
        E : (m, b) array or scipy.sparse matrix
            New columns. An empty batch changes nothing.

        Returns
        -------
        self

        Examples
        --------
        >>> import numpy as np
        >>> import nla
        >>> rng = np.random.default_rng(2)
        >>> A = rng.standard_normal((20, 2)) @ rng.standard_normal((2, 30))
        >>> m = nla.IncrementalSVD(2).fit(A[:, :15]).add_columns(A[:, 15:])
        >>> bool(np.allclose((m.U * m.s) @ m.Vt, A))
        True
        """
        return self._append(E, "E", axis=1)

    def update(self, D, E):
        """Low-rank update of the entries: ``A <- A + D E^T``.

        Parameters
        ----------
        D : (m, c) array or scipy.sparse matrix
        E : (n, c) array or scipy.sparse matrix
            ``c = 0`` changes nothing.

        Returns
        -------
        self

        Notes
        -----
        Brand's update for every `method`: thin QRs of the parts of `D` and
        `E` outside the current subspaces (dense ``m x c`` and ``n x c``),
        then the SVD of a ``(k + c)``-square core.

        Examples
        --------
        >>> import numpy as np
        >>> import nla
        >>> rng = np.random.default_rng(3)
        >>> A = rng.standard_normal((20, 2)) @ rng.standard_normal((2, 15))
        >>> D, E = rng.standard_normal((20, 1)), rng.standard_normal((15, 1))
        >>> m = nla.IncrementalSVD(3).fit(A).update(D, E)
        >>> bool(np.allclose((m.U * m.s) @ m.Vt, A + D @ E.T))
        True
        """
        self._fitted()
        D = _check_batch(D, "D", self._dtype)
        E = _check_batch(E, "E", self._dtype)
        if D.shape[0] != self.shape[0]:
            raise ValueError(f"D must have {self.shape[0]} rows, got shape {D.shape}")
        if E.shape[0] != self.shape[1]:
            raise ValueError(f"E must have {self.shape[1]} rows, got shape {E.shape}")
        if D.shape[1] != E.shape[1]:
            raise ValueError(f"D and E must have the same number of columns, got "
                             f"D {D.shape} and E {E.shape}")
        if D.shape[1] == 0:
            return self
        U, s, V = _core.low_rank_update(self._U, self._s, self._V, D, E, self._rank)
        self._U, self._s, self._V = U, s, V
        self._check_orth("U", measure=True)
        self._check_orth("V", measure=True)
        return self

    def refine(self, A, n_iter=2):
        """Recompute the factors from the full matrix, warm-started.

        A block Krylov pass on `A` from the current right singular vectors:
        the space ``span[A V, (A A^T) A V, ...]`` with `n_iter` blocks after
        the first, then a Rayleigh-Ritz step. It recovers what truncation at
        each update lost, at the cost of ``2 (n_iter + 1)`` products of `A`
        with ``k + buffer`` vectors.

        Parameters
        ----------
        A : (m, n) array or scipy.sparse matrix
            The current matrix (the one the updates built).
        n_iter : int, default 2
            Krylov blocks beyond the warm start (``>= 0``).

        Returns
        -------
        self

        Examples
        --------
        >>> import numpy as np
        >>> import nla
        >>> rng = np.random.default_rng(4)
        >>> A = rng.standard_normal((40, 30))
        >>> m = nla.IncrementalSVD(3).fit(A[:20]).add_rows(A[20:])
        >>> exact = np.linalg.svd(A, compute_uv=False)[:3]
        >>> before = np.abs(m.s - exact).max()
        >>> bool(np.abs(m.refine(A, n_iter=4).s - exact).max() < before)
        True
        """
        self._fitted()
        _numpy_only(A, "A")
        A, _ = check_matrix(A, "A")
        n_iter = check_int(n_iter, "n_iter", low=0)
        if A.shape != self.shape:
            raise ValueError(f"A must have the shape {self.shape} of the factorization, "
                             f"got {A.shape}")
        dt = self._dtype
        U, s, V = _core.krylov_svd(A, self._V.astype(np.float64), self._s.size, n_iter)
        return self._set(U.astype(dt), s.astype(dt), V.astype(dt))

    # ----------------------------------------------------------- scikit-learn

    def partial_fit(self, X):
        """scikit-learn's name: :meth:`fit` on the first call, then :meth:`add_rows`.

        Parameters
        ----------
        X : (b, n) array or scipy.sparse matrix

        Returns
        -------
        self

        Examples
        --------
        >>> import numpy as np
        >>> import nla
        >>> X = np.random.default_rng(5).standard_normal((30, 8))
        >>> m = nla.IncrementalSVD(2).partial_fit(X[:10]).partial_fit(X[10:])
        >>> m.n_features_in_
        8
        """
        if self._s is None:
            return self._fit(X, "X")
        return self._append(X, "X", axis=0)

    def transform(self, X):
        """Coordinates of the rows of `X` in the right singular vectors: ``X V``.

        Parameters
        ----------
        X : (b, n) array or scipy.sparse matrix

        Returns
        -------
        (b, k) ndarray

        Examples
        --------
        >>> import numpy as np
        >>> import nla
        >>> X = np.random.default_rng(6).standard_normal((10, 4))
        >>> m = nla.IncrementalSVD(2).fit(X)
        >>> bool(np.allclose(m.transform(X), m.U * m.s))
        True
        """
        self._fitted()
        X = _check_batch(X, "X", self._dtype)
        if X.shape[1] != self.shape[1]:
            raise ValueError(f"X must have {self.shape[1]} columns, got shape {X.shape}")
        return np.asarray(X @ self._V[:, : self.k], dtype=self._dtype)
