"""The product ``A B`` as a sum of outer products, shared by both estimators.

Both estimators read ``A B = sum_k a_k b_k^T`` with ``a_k`` the k-th column
of the left factor ``L`` (``A``, or the transpose view of ``A`` for the Gram
forms ``A^T B`` / ``A^T A``: the transpose is never formed) and ``b_k`` the
k-th row of the right factor ``R = B``. Index draws are made on the host
from the caller's Generator and moved to the data's device.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._backend import device_of, is_numpy_namespace, is_sparse, matmul, to_host
from .._validate import check_flag, check_matrix, result_dtype

#: sums of squares above _BAND[0] (and finite) are used as they are; else the
#: entries are rescaled into the band by a power of two
_BAND = (2.0**-480, 2.0**480)


@dataclasses.dataclass
class Product:
    """A validated product ``L R`` with ``L`` (m, n) and ``R`` (n, p)."""

    L: object
    R: object
    xp: object
    dtype: object  # the namespace's result dtype
    gram: bool  # R is L^T (A^T A with A given twice)
    sparse: bool
    _norms: tuple | None = None
    scales: tuple = (1.0, 1.0)
    At: object = None  # dense A when L is its transpose view: rows gathered from it
    names: tuple = ("A", "B")

    @property
    def shape(self):
        return self.L.shape[0], self.L.shape[1], self.R.shape[1]

    @property
    def np_dtype(self):
        return np.dtype(np.float32) if self.dtype == self.xp.float32 else np.dtype(np.float64)

    @property
    def eps(self):
        return float(np.finfo(self.np_dtype).eps)

    def norms(self):
        """Host float64 ``(||a_k||, ||b_k||, scale)``: the norms are of the
        inputs times ``scale`` (a power of two per factor, product ``scale``),
        so that extreme magnitudes neither underflow nor overflow."""
        if self._norms is None:
            na, sa = _scaled_norms(self.L, 0, self.xp, self.names[0])
            if self.gram:
                nb, sb = na, sa
            else:
                nb, sb = _scaled_norms(self.R, 1, self.xp, self.names[1])
            self._norms = (na, nb, sa * sb)
            self.scales = (sa, sb)
        return self._norms

    def take(self, idx):
        """``(L[:, idx], R[idx, :])`` for host indices `idx` (dense or sparse)."""
        if self.sparse:
            Ls = _sparse_cols(self.L, idx) if is_sparse(self.L) else self.L[:, idx]
            if self.gram:
                return Ls, Ls.T
            Rs = _sparse_rows(self.R, idx) if is_sparse(self.R) else self.R[idx, :]
            return Ls, Rs
        xp = self.xp
        ix = xp.asarray(idx, device=device_of(self.L)) if not is_numpy_namespace(xp) else idx
        if self.At is not None:  # contiguous rows of A rather than strided columns of A^T
            Ls = xp.matrix_transpose(xp.take(self.At, ix, axis=0))
        else:
            Ls = xp.take(self.L, ix, axis=1)
        Rs = xp.matrix_transpose(Ls) if self.gram else xp.take(self.R, ix, axis=0)
        return Ls, Rs

    def weighted(self, idx, w):
        """``sum_t w_t a_{k_t} b_{k_t}^T`` for host indices and weights."""
        if len(idx) == 0:
            return self.zeros()
        Ls, Rs = self.take(idx)
        if self.sparse:
            import scipy.sparse as sp

            wd = w.astype(self.np_dtype)
            if is_sparse(Ls):
                return _dense(matmul(Ls @ sp.diags_array(wd), Rs))
            return _dense(matmul(Ls * wd[None, :], Rs))
        return (Ls * self.host_to_x(w)[None, :]) @ Rs

    def host_to_x(self, a):
        """Host array `a` in the namespace, device and dtype of the data."""
        a = np.asarray(a, dtype=self.np_dtype)
        if self.sparse or is_numpy_namespace(self.xp):
            return a
        return self.xp.asarray(a, device=device_of(self.L))

    def zeros(self):
        m, _, p = self.shape
        if self.sparse:
            return np.zeros((m, p), dtype=self.np_dtype)
        return self.xp.zeros((m, p), dtype=self.dtype, device=device_of(self.L))

    def exact(self):
        """The exact product ``L R`` (dense)."""
        if self.sparse:
            return _dense(matmul(self.L, self.R))
        return self.L @ self.R


def _dense(x):
    if is_sparse(x):
        x = x.toarray()
    return np.asarray(x)


def _sparse_cols(S, idx):
    S = S.tocsc() if S.format != "csc" else S
    return S[:, idx]


def _sparse_rows(S, idx):
    S = S.tocsr() if S.format != "csr" else S
    return S[idx, :]


def _max_abs(X, xp):
    if is_sparse(X):
        return float(np.max(np.abs(X.data))) if X.nnz else 0.0
    return float(to_host(xp.max(xp.abs(X))))


def _pow2_scale(amax):
    """A power of two bringing `amax` near 1 (1.0 inside the safe band)."""
    if amax == 0.0 or _BAND[0] <= amax <= _BAND[1]:
        return 1.0
    return float(2.0 ** (-np.frexp(amax)[1]))


def _sum_squares(X, axis, xp):
    if is_sparse(X):
        Y = X.tocsr() if X.format not in ("csr", "csc") else X
        return np.asarray(Y.multiply(Y).sum(axis=axis), dtype=np.float64).ravel()
    if isinstance(X, np.ndarray):  # no temporary of X's size
        sub = "ij,ij->j" if axis == 0 else "ij,ij->i"
        return np.einsum(sub, X, X, dtype=np.float64)
    return np.asarray(to_host(xp.sum(X * X, axis=axis)), dtype=np.float64)


def _scaled_norms(X, axis, xp, name):
    """Euclidean norms of the columns (axis 0) or rows (axis 1) of `X` times
    a power of two ``s``, as host float64; returns ``(norms, s)``.

    One pass when the sums of squares neither overflow nor come near the
    underflow range; else the entries are rescaled by a power of two first.
    This pass is also the check for NaN and Inf (a ValueError naming `name`).
    """
    sq = _sum_squares(X, axis, xp)
    top = float(sq.max()) if sq.size else 0.0
    if np.isfinite(top) and top > _BAND[0]:
        return np.sqrt(sq), 1.0
    amax = _max_abs(X, xp)
    if not np.isfinite(amax):
        raise ValueError(f"{name} must not contain NaN or Inf")
    s = _pow2_scale(amax)
    if s == 1.0:
        return np.sqrt(sq), 1.0
    return np.sqrt(_sum_squares(X * s, axis, xp)), s


def check_product(A, B, transpose_a, name_a="A", name_b="B"):
    """Validate `A`, `B` and return the :class:`Product` ``op(A) B``."""
    transpose_a = check_flag(transpose_a, "transpose_a")
    same = B is A
    # NaN and Inf are caught by the pass computing the norms (every estimator
    # makes it first), not by a pass of their own
    A, xp = check_matrix(A, name_a, check_finite=False)
    if same:
        B, xb = A, xp
    else:
        B, xb = check_matrix(B, name_b, check_finite=False)
    sparse = is_sparse(A) or is_sparse(B)
    if sparse and not (is_numpy_namespace(xp) and is_numpy_namespace(xb)):
        raise TypeError(
            f"scipy.sparse {name_a if is_sparse(A) else name_b} can only be combined with "
            "NumPy arrays"
        )
    if not sparse:
        from .._backend import array_namespace

        xp = array_namespace(A, B)
    inner_a = A.shape[0] if transpose_a else A.shape[1]
    if inner_a != B.shape[0]:
        op = f"{name_a}^T" if transpose_a else name_a
        raise ValueError(
            f"the inner dimensions of {op} and {name_b} differ: {name_a}.shape="
            f"{tuple(A.shape)}, {name_b}.shape={tuple(B.shape)}"
            + ("" if transpose_a else " (pass transpose_a=True for A^T B)")
        )
    if sparse:
        dt = np.result_type(np.float32 if A.dtype == np.float32 else np.float64,
                            np.float32 if B.dtype == np.float32 else np.float64)
        A = A if A.dtype == dt else A.astype(dt)
        B = B if B.dtype == dt else B.astype(dt)
        L = A.T if transpose_a else A
        if not is_sparse(B):
            B = np.asarray(B)
        if not is_sparse(L):
            L = np.asarray(L)
        return Product(L, B, xp, dt, same and transpose_a, True, names=(name_a, name_b))
    dt = result_dtype(xp, A, B)
    A = A if A.dtype == dt else xp.astype(A, dt)
    B = A if same else (B if B.dtype == dt else xp.astype(B, dt))
    L = xp.matrix_transpose(A) if transpose_a else A
    return Product(L, B, xp, dt, same and transpose_a, False, At=A if transpose_a else None,
                   names=(name_a, name_b))


def as_result(P, C):
    """`C` in the caller's dtype (NumPy for sparse input)."""
    if P.sparse:
        return np.asarray(C, dtype=P.np_dtype)
    return C if C.dtype == P.dtype else P.xp.astype(C, P.dtype)


def draw(rng, p, size):
    """`size` indices drawn with replacement from host probabilities `p`,
    aggregated: ``(unique indices, counts)``."""
    idx = rng.choice(p.size, size=size, replace=True, p=p)
    return np.unique(idx, return_counts=True)
