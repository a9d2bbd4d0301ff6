"""The update rules of :class:`nla.IncrementalSVD` on NumPy / scipy.sparse data.

Notation: the current factorization is ``A ~ P diag(s) Q^T`` with ``P`` the
side that receives new rows (``U`` for ``add_rows``, ``V`` for
``add_columns``, which runs the row rule on the transposed state) and ``E``
the batch of new rows (``b x n``, dense or CSR). Every rule returns the new
``(P, s, Q)`` and the small orthonormal matrix ``F`` (``(r + b) x r'``) with
``P_new = blockdiag(P, I) F``, which the caller uses to track the loss of
orthogonality of ``P`` without forming ``P_new^T P_new``.

The small problems (cores, Gram matrices, Ritz values) are solved in
float64 whatever the data's precision.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._backend import qr_thin

__all__ = ["append_rows", "low_rank_update", "krylov_svd", "reorthonormalize"]


def _dense(x):
    return x.toarray() if sp.issparse(x) else np.asarray(x)


def _f64(x):
    return np.asarray(x, dtype=np.float64)


class RowBlocks:
    """A tall matrix kept as row blocks ``[B_1 K_1; B_2 K_2; ...]``.

    Appending rows to a factorization rotates the old rows (``P F_1``) and
    adds new ones (``F_2``): here the rotation multiplies only the small
    ``K_j`` (``r x r``), and the new rows become a block with ``K = I``, so
    an update costs nothing proportional to the number of rows. No inverse
    is formed. The blocks are merged (``B_j K_j`` multiplied out) when the
    dense matrix is asked for, or when there are more than `max_blocks`.
    """

    max_blocks = 16

    def __init__(self, X):
        self.blocks = [[X, None]]
        self.rows = X.shape[0]
        self.dtype = X.dtype

    def append(self, F):
        """``blockdiag(self, I) F`` in place (F float64, ``(r + b) x r'``)."""
        r = self.width
        F1 = F[:r]
        for blk in self.blocks:
            blk[1] = F1 if blk[1] is None else blk[1] @ F1
        new = F[r:].astype(self.dtype)
        self.blocks.append([new, None])
        self.rows += new.shape[0]
        if len(self.blocks) > self.max_blocks:
            self.dense()

    @property
    def width(self):
        B, K = self.blocks[0]
        return B.shape[1] if K is None else K.shape[1]

    def dense(self):
        if len(self.blocks) > 1 or self.blocks[0][1] is not None:
            parts = [B if K is None else B @ K.astype(self.dtype) for B, K in self.blocks]
            X = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)
            self.blocks = [[X, None]]
        return self.blocks[0][0]


# ------------------------------------------------------------ the Gram route


def _gram_blocks(s, C, E):
    """The blocks of ``M M^T = [[S^2, S C^T], [C S, E E^T]]`` (float64).

    ``E E^T`` stays sparse (CSR) when `E` is sparse and the product has at
    most a quarter of its entries nonzero.
    """
    EEt = E @ E.T
    if sp.issparse(EEt):
        EEt = sp.csr_array(EEt, dtype=np.float64)
        if EEt.nnz > EEt.shape[0] * EEt.shape[1] / 4:
            EEt = EEt.toarray()
    else:
        EEt = _f64(EEt)
    return s, _f64(C), EEt


def _gram_apply(s, C, EEt, X):
    r = s.size
    X1, X2 = X[:r], X[r:]
    top = (s * s)[:, None] * X1 + s[:, None] * (C.T @ X2)
    bottom = C @ (s[:, None] * X1) + EEt @ X2
    return np.concatenate([top, bottom], axis=0)


def _gram_dense(s, C, EEt):
    SCt = s[:, None] * C.T
    EEt = EEt.toarray() if sp.issparse(EEt) else EEt
    return np.block([[np.diag(s * s), SCt], [SCt.T, EEt]])


def _qr(Y):
    """Thin QR: Householder for small blocks, CholeskyQR2 (checked) for large."""
    if Y.shape[0] * Y.shape[1] ** 2 <= 4_000_000:
        return np.linalg.qr(Y)
    return qr_thin(Y)


def _orth_against(Y, basis, drop=1e3):
    """Orthonormal basis of the part of the columns of `Y` outside `basis`.

    Two projections against the blocks in `basis` (orthonormal), then a thin
    QR. Directions whose norm after the projections is at most ``drop *
    eps`` times the norm of `Y` are numerically inside the span and are
    dropped (the result may have fewer columns, or none); when some are
    dropped or the rest is ill conditioned, a third projection restores the
    orthogonality to `basis` that the cancellation cost.
    """
    eps = float(np.finfo(np.float64).eps)
    scale = float(np.linalg.norm(Y))
    B = None
    if basis:
        B = basis[0] if len(basis) == 1 else np.concatenate(basis, axis=1)
        for _ in range(2):
            Y = Y - B @ (B.T @ Y)
    if scale == 0.0 or Y.shape[1] == 0:
        return np.zeros((Y.shape[0], 0))
    Q, R = _qr(Y)
    Ur, sig, _ = np.linalg.svd(R)
    keep = sig > drop * eps * scale
    if keep.all() and sig[-1] > np.sqrt(eps) * scale:
        return Q
    Q = Q @ Ur[:, keep]
    if B is not None and Q.shape[1]:
        Q = Q - B @ (B.T @ Q)
        Q = _qr(Q)[0]
    return Q


#: cores up to this order are solved by a dense eigendecomposition
_DENSE_CORE = 256


def gram_top(s, C, EEt, rank, depth):
    """Top `rank` eigenpairs of the core Gram by a block Krylov iteration.

    The Krylov space starts from the old directions ``[I; 0]`` and has
    ``depth`` further blocks; a Rayleigh-Ritz step on the whole space gives
    orthonormal eigenvectors. A core no larger than the Krylov space (or
    than 256) is solved densely.
    """
    r = s.size
    N = r + EEt.shape[0]
    if N <= max((depth + 1) * r, _DENSE_CORE):
        w, F = np.linalg.eigh(_gram_dense(s, C, EEt))
    else:
        blocks = [np.eye(N, r)]
        images = []
        for _ in range(depth):
            images.append(_gram_apply(s, C, EEt, blocks[-1]))
            new = _orth_against(images[-1], blocks)
            if new.shape[1] == 0:
                break  # the space is invariant
            blocks.append(new)
        if len(images) < len(blocks):
            images.append(_gram_apply(s, C, EEt, blocks[-1]))
        K, GK = np.concatenate(blocks, axis=1), np.concatenate(images, axis=1)
        H = K.T @ GK
        w, W = np.linalg.eigh((H + H.T) / 2)
        F = K @ W
    order = np.argsort(w)[::-1][:rank]
    return F[:, order]


def _gram_append(s, Q, E, rank, depth):
    C = _f64(E @ Q)
    sd, C, EEt = _gram_blocks(_f64(s), C, E)
    F = gram_top(sd, C, EEt, rank, depth)
    r = s.size
    # W = A_new^T U_new; a thin QR and an SVD of the small factor give the
    # singular values without squaring them and an orthonormal Q.
    W = Q @ (sd[:, None] * F[:r]).astype(Q.dtype) + _as_dense_product(E.T, F[r:], Q.dtype)
    Qw, Rw = _qr(W)
    X, sig, Yt = np.linalg.svd(_f64(Rw).T)
    F = F @ X
    return F, sig, (Qw @ Yt.T.astype(Qw.dtype))


def _as_dense_product(Et, F2, dtype):
    out = Et @ F2.astype(dtype, copy=False)
    return np.asarray(out, dtype=dtype)


# ------------------------------------------------------------ residual routes


class _Residual:
    """The operator ``(I - Q Q^T) E^T`` (n x b), never formed."""

    def __init__(self, Q, E, C):
        self.Q, self.E, self.C = Q, E, C

    def matmat(self, Y):  # (b, j) -> (n, j)
        return _f64(self.E.T @ Y.astype(self.Q.dtype)) - _f64(self.Q) @ (self.C.T @ Y)

    def rmatmat(self, X):  # (n, j) -> (b, j)
        QtX = _f64(self.Q).T @ X
        return _f64(self.E @ X.astype(self.Q.dtype)) - self.C @ QtX


def _zha_simon_basis(Q, E, C, Rop, rank, rng, opts):
    """Orthonormal basis of the residual by a Householder QR (densified, n x b)."""
    Qd = _f64(Q)
    R = _f64(_dense(E.T)) - Qd @ C.T
    R -= Qd @ (Qd.T @ R)  # second pass: the residual is orthogonal to Q to rounding
    Pq, _ = np.linalg.qr(R)
    return Pq


def _gkl_basis(Q, E, C, Rop, rank, rng, opts):
    """Basis of the residual by ``width`` Golub-Kahan-Lanczos steps (Vecharynski-Saad).

    Full reorthogonalization; stops early when a new vector's norm falls
    below ``tol`` times the largest norm seen (a relative breakdown test).
    """
    b = E.shape[0]
    steps = min(opts["width"], b, Q.shape[0] - Q.shape[1])
    Qd = _f64(Q)
    y = rng.standard_normal((b, 1))
    Ys, Ps = [y / np.linalg.norm(y)], []
    scale, tol = 0.0, opts["tol"]
    for _ in range(steps):
        p = Rop.matmat(Ys[-1])
        for _ in range(2):
            p -= Qd @ (Qd.T @ p)
            for v in Ps:
                p -= v @ (v.T @ p)
        alpha = float(np.linalg.norm(p))
        scale = max(scale, alpha)
        if alpha <= tol * scale or alpha == 0.0:
            break
        Ps.append(p / alpha)
        y = Rop.rmatmat(Ps[-1])
        for _ in range(2):
            for v in Ys:
                y -= v @ (v.T @ y)
        beta = float(np.linalg.norm(y))
        scale = max(scale, beta)
        if beta <= tol * scale:
            break
        Ys.append(y / beta)
    if not Ps:
        return np.zeros((Q.shape[0], 0))
    return np.concatenate(Ps, axis=1)


def _rpi_basis(Q, E, C, Rop, rank, rng, opts):
    """Basis of the residual by a randomized power iteration (``n_iter`` passes)."""
    b = E.shape[0]
    width = min(opts["width"], b, Q.shape[0] - Q.shape[1])
    if width <= 0:
        return np.zeros((Q.shape[0], 0))
    Qd = _f64(Q)
    Y = Rop.matmat(rng.standard_normal((b, width)))
    for _ in range(opts["n_iter"]):
        Y = _orth_against(Y, [Qd])
        Y = Rop.matmat(Rop.rmatmat(Y))
    return _orth_against(Y, [Qd])


_BASES = {"zha-simon": _zha_simon_basis, "vecharynski-saad": _gkl_basis, "rpi": _rpi_basis}


def _residual_append(s, Q, E, rank, method, rng, opts):
    C = _f64(E @ Q)
    Rop = _Residual(Q, E, C)
    Pq = _BASES[method](Q, E, C, Rop, rank, rng, opts)
    Z = Rop.rmatmat(Pq)  # (b, w): E^T ~ Q C^T + Pq Z^T
    r, b, w = s.size, E.shape[0], Pq.shape[1]
    M = np.zeros((r + b, r + w))
    M[:r, :r] = np.diag(_f64(s))
    M[r:, :r] = C
    M[r:, r:] = Z
    F, sig, Gt = np.linalg.svd(M, full_matrices=False)
    rank = min(rank, sig.size)
    F, sig, G = F[:, :rank], sig[:rank], Gt[:rank].T
    Qn = Q @ G[:r].astype(Q.dtype) + Pq.astype(Q.dtype) @ G[r:].astype(Q.dtype)
    return F, sig, Qn


def append_rows(m, s, Q, E, rank, method, rng, opts):
    """``[P S Q^T; E]`` truncated to `rank`, P having `m` rows.

    Returns ``(s_new, Q_new, F)`` with ``P_new = blockdiag(P, I) F``.
    """
    rank = min(rank, m + E.shape[0], Q.shape[0])
    if method == "sparse":
        F, sig, Qn = _gram_append(s, Q, E, rank, opts["depth"])
    else:
        F, sig, Qn = _residual_append(s, Q, E, rank, method, rng, opts)
    return sig.astype(Q.dtype), Qn.astype(Q.dtype, copy=False), F


# ------------------------------------------------------------ low-rank update


def _side(U, D):
    """``D = U a + Qd Rd`` with ``Qd`` orthonormal and orthogonal to ``U``."""
    Ud = _f64(U)
    a = _f64((D.T @ U).T) if sp.issparse(D) else Ud.T @ _f64(D)
    R = _f64(_dense(D)) - Ud @ a
    corr = Ud.T @ R
    R -= Ud @ corr
    a = a + corr
    Qd, Rd = np.linalg.qr(R)
    return a, Qd, Rd


def low_rank_update(U, s, V, D, E, rank):
    """``U S V^T + D E^T`` truncated to `rank` (Brand's update)."""
    a, Qd, Rd = _side(U, D)
    b, Qe, Re = _side(V, E)
    r, c = s.size, Rd.shape[0]
    K = np.zeros((r + c, r + Re.shape[0]))
    K[:r, :r] = np.diag(_f64(s))
    K += np.concatenate([a, Rd]) @ np.concatenate([b, Re]).T
    F, sig, Gt = np.linalg.svd(K, full_matrices=False)
    rank = min(rank, sig.size)
    F, G = F[:, :rank], Gt[:rank].T
    dt = U.dtype
    Un = U @ F[:r].astype(dt) + Qd.astype(dt) @ F[r:].astype(dt)
    Vn = V @ G[:r].astype(dt) + Qe.astype(dt) @ G[r:].astype(dt)
    return Un, sig[:rank].astype(dt), Vn


# ------------------------------------------------------------ orthogonality


def reorthonormalize(X, s, Y):
    """Re-orthonormalize `X` in ``X diag(s) Y^T`` without changing the product.

    ``X = Qx R`` (thin QR), then the SVD of the small ``R diag(s)`` rotates
    both sides; `Y` is assumed orthonormal.
    """
    Qx, R = _qr(X)
    A, sig, Bt = np.linalg.svd(_f64(R) * _f64(s)[None, :])
    dt = X.dtype
    return Qx @ A.astype(dt), sig.astype(dt), Y @ Bt.T.astype(dt)


def defect(X):
    """``max |X^T X - I|`` (the measured loss of orthogonality)."""
    G = _f64(X.T @ X)
    return float(np.max(np.abs(G - np.eye(G.shape[0])))) if G.size else 0.0


# ------------------------------------------------------------ block Krylov SVD


def _mm(A, X, dtype):
    return np.asarray(A @ X.astype(dtype, copy=False), dtype=np.float64)


#: the Gram route of the final Rayleigh-Ritz step needs sigma_r^2 / sigma_1^2 above this
_GRAM_RR = 1e-6


def _pad(K, width):
    """`K` with orthonormal columns appended up to `width` (a null-space filler:
    their singular values are zero, so a fixed seed is used)."""
    missing = width - K.shape[1]
    if missing <= 0:
        return K
    Z = np.random.default_rng(0).standard_normal((K.shape[0], missing))
    return np.concatenate([K, _orth_against(Z, [K] if K.shape[1] else [])], axis=1)


def initial_svd(A, rank, rng):
    """Top `rank` singular triplets of a large `A`: ARPACK, else block Krylov."""
    from scipy.sparse.linalg import ArpackError, ArpackNoConvergence, svds

    m, n = A.shape
    if rank < min(m, n):
        v0 = rng.standard_normal(min(m, n))
        try:
            U, s, Vt = svds(A, k=rank, v0=v0)
        except (ArpackNoConvergence, ArpackError):
            pass
        else:
            order = np.argsort(s)[::-1]
            return U[:, order], s[order], Vt[order].T
    X0 = rng.standard_normal((n, min(rank + 10, n)))
    return krylov_svd(A, X0, rank, 6)


def krylov_svd(A, X0, rank, depth):
    """Truncated SVD of `A` from a block Krylov space in its column space.

    The space is ``span[A X0, (A A^T) A X0, ..., (A A^T)^depth A X0]``; the
    SVD of the projection of `A` onto it gives the top `rank` triplets.
    """
    dt = np.result_type(A.dtype, np.float32)
    Y = _mm(A, X0, dt)
    blocks = [_orth_against(Y, [])]
    for _ in range(depth):
        Z = _mm(A, _mm(A.T, blocks[-1], dt), dt)
        new = _orth_against(Z, blocks)
        if new.shape[1] == 0:
            break  # the space is invariant
        blocks.append(new)
    K = _pad(np.concatenate(blocks, axis=1), min(rank, A.shape[0]))
    Bt = _mm(A.T, K, dt)  # (n, j) = (K^T A)^T
    rank = min(rank, K.shape[1], A.shape[1])
    # Rayleigh-Ritz through the small Gram (K^T A)(K^T A)^T when the top
    # `rank` values are well separated from zero, else through a thin QR
    w, X = np.linalg.eigh(Bt.T @ Bt)
    w, X = w[::-1], X[:, ::-1]
    if w[rank - 1] > _GRAM_RR * w[0]:
        sig = np.sqrt(w[:rank])
        V = (Bt @ X[:, :rank]) / sig
        if float(np.max(np.abs(V.T @ V - np.eye(rank)))) < 1e3 * np.finfo(float).eps:
            return K @ X[:, :rank], sig, V
    Qb, Rb = _qr(Bt)
    X, sig, Yt = np.linalg.svd(Rb.T)
    rank = min(rank, sig.size)
    return K @ X[:, :rank], sig[:rank], Qb @ Yt[:rank].T
