"""Generalized Nystrom approximation and the PSD Nystrom approximation."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .. import sketch as _sketch
from .._backend import device_of, is_sparse
from .._random import check_rng
from .._validate import check_finite_through, check_int, check_option, check_real
from ._common import apply, apply_t, check_matrix, check_target_rank, qr_thin, work_dtype

__all__ = ["LowRank", "NystromPSD", "nystrom", "nystrom_psd"]

_Y_FACTOR = 4
_SKETCHES = ("auto", "srht", "sparse_sign", "gaussian")


@dataclasses.dataclass(frozen=True)
class LowRank:
    """A low-rank factor pair ``A ~ left @ right``.

    Attributes
    ----------
    left : (m, r) array
    right : (r, n) array
    """

    left: object
    right: object

    @property
    def shape(self):
        """Shape ``(m, n)`` of the approximated matrix."""
        return (self.left.shape[0], self.right.shape[1])

    @property
    def rank(self):
        """Inner dimension ``r`` of the factors."""
        return self.left.shape[1]

    def to_dense(self):
        """The approximation ``left @ right`` as a dense array."""
        return self.left @ self.right


@dataclasses.dataclass(frozen=True)
class NystromPSD:
    """A PSD low-rank approximation ``A ~ U diag(eigenvalues) U^T``.

    Attributes
    ----------
    U : (n, r) array
        Orthonormal eigenvectors.
    eigenvalues : (r,) array
        Non-negative, descending.
    """

    U: object
    eigenvalues: object

    def to_dense(self):
        """The approximation ``U diag(eigenvalues) U^T``."""
        return (self.U * self.eigenvalues) @ self.U.T


def _make_sketch(kind, d, k, rng, dt):
    if kind == "srht":
        return _sketch.srht(d, k, rng=rng, dtype=dt)
    if kind == "sparse_sign":
        return _sketch.sparse_sign(d, k, nnz_per_column=min(8, k), rng=rng, dtype=dt)
    return _sketch.gaussian(d, k, rng=rng, dtype=dt)


def _default_rcond(xp, dt, m, n):
    eps = float(np.finfo(dt).eps)
    return eps * max(m, n)


def _dense_small(A, xp, dt):
    """A small matrix as a dense array; sparse input through ``A @ I``."""
    if not is_sparse(A):
        return A
    eye = xp.eye(
        A.shape[1], dtype=xp.float32 if dt == np.float32 else xp.float64, device=device_of(A)
    )
    return apply(A, eye)


def _truncate_pair(L, Rt, k, xp):
    """Best rank-k approximation of ``L @ Rt`` through thin QRs of both factors."""
    Q1, R1 = qr_thin(L, xp)
    Q2, R2 = qr_thin(Rt.T, xp)
    W, s, Zt = xp.linalg.svd(R1 @ R2.T, full_matrices=False)
    k = min(k, s.shape[0])
    left = Q1 @ (W[:, :k] * s[:k])
    right = Zt[:k, :] @ Q2.T
    return left, right


def nystrom(
    A,
    k,
    *,
    oversample=None,
    rcond=None,
    rng=None,
    sketch="auto",
    check_finite=True,
    engine=None,
):
    """Generalized Nystrom approximation ``A ~ A X (Y^T A X)^+ Y^T A``.

    One pass over `A` with two structured sketches: ``X`` (``n x r``) on the
    right and ``Y`` (``m x (r + l)``) on the left, then a stable evaluation of
    the core pseudoinverse. With ``M = Y^T A X = Q R`` (thin QR), the
    approximation is ``(A X R^+_eps) (Q^T Y^T A)`` where the pseudoinverse of
    the small triangular factor drops singular values below
    ``rcond * sigma_max``. The rank-``r`` result is then truncated to rank
    `k` through thin QRs of both factors.

    Parameters
    ----------
    A : (m, n) array or scipy.sparse matrix
        The matrix (one pass: ``A X`` and ``Y^T A``).
    k : int
        Rank of the result, ``1 <= k <= min(m, n)``.
    oversample : int, optional
        Extra columns of ``X``: ``r = min(k + oversample, min(m, n))``. The
        default is ``max(10, ceil(k / 2))``. ``Y`` has ``4 r`` columns (capped
        at `m`). Nakatsukasa suggests ``r + r / 2``; with structured sketches
        the cost hardly depends on the sketch size, and the larger ``Y``
        damps the amplification of the tail. Measured on the benchmark
        workload (4000 x 3000, ``k = 50``, median of 3 seeds): relative error
        5.2e-5 with ``2 r`` columns, 4.3e-5 with ``4 r``; ``oversample=2 k``
        lowers it to 2.9e-5 at about 1.5 times the time.
    rcond : float, optional
        Relative cut-off of the core pseudoinverse; default
        ``eps * max(m, n)`` of the working precision.
    rng : None, int or numpy.random.Generator
        Randomness (SPEC 7).
    sketch : {"auto", "srht", "sparse_sign", "gaussian"}, default "auto"
        Sketch family for ``X`` and ``Y``: ``"auto"`` takes SRHT for dense
        and sparse sign for sparse `A`. A sketch whose size reaches the
        dimension it compresses is replaced by the identity (sparse `A` is
        then only multiplied by thin dense factors, never densified). When
        ``k + oversample`` exceeds ``m`` (no room for oversampling on a wide
        matrix), ``X`` is Gaussian whatever `sketch` says: structured
        sketches without spare columns lose rank with noticeable probability.
        Sparse sign sketches of tiny dimensions can be rank-deficient too.
    check_finite : bool, default True
        Reject NaN and Inf.
    engine : {None, "numpy", "numba"}, optional
        Engine of the sketch kernels (default: the configured engine).

    Returns
    -------
    LowRank
        ``left`` (``m x k``) and ``right`` (``k x n``) with
        ``left @ right ~ A``; ``to_dense()`` forms the product.

    See Also
    --------
    rsvd : more passes, more accuracy.
    nystrom_psd : the classical Nystrom method for positive semidefinite A.
    cur : approximation from actual rows and columns.

    References
    ----------
    Y. Nakatsukasa, "Fast and stable randomized low-rank matrix approximation",
    arXiv:2009.11392, 2020.

    Examples
    --------
    >>> import numpy as np
    >>> import nla
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((80, 6)) @ rng.standard_normal((6, 50))
    >>> g = nla.nystrom(A, 6, rng=0)
    >>> g.left.shape, g.right.shape
    ((80, 6), (6, 50))
    >>> bool(np.allclose(g.to_dense(), A))
    True
    """
    # a dense A is checked for NaN/Inf through its sketches (below): every
    # sketch carries a non-finite entry of A into its row or column of A X
    # and Y^T A, which saves one pass over A
    defer = check_finite and not is_sparse(A)
    A, xp = check_matrix(A, check_finite=check_finite and not defer)
    k = check_target_rank(k, A)
    m, n = A.shape
    if oversample is None:
        p = max(10, math.ceil(k / 2))
    else:
        p = check_int(oversample, "oversample", low=0)
    sketch = check_option(sketch, "sketch", _SKETCHES)
    dt = work_dtype(A, xp)
    rcond = (
        _default_rcond(xp, dt, m, n)
        if rcond is None
        else check_real(rcond, "rcond", low=0.0, high=1.0, high_open=True)
    )
    rng = check_rng(rng)
    if sketch == "auto":
        sketch = "sparse_sign" if is_sparse(A) else "srht"
    r = min(k + p, min(m, n))
    ry = min(_Y_FACTOR * r, m)
    # a sketch as wide as the matrix is replaced by the identity: exact, cheaper,
    # and never rank-deficient (a square sparse sign matrix can be singular)
    # With no room left for oversampling (k + p > m, so r = m < n), A X must
    # keep the full rank of A with no spare column. A structured sketch fails
    # that with noticeable probability at such sizes (an SRHT samples rows of
    # H restricted to the zero-padded coordinates, which can be dependent: 4
    # of 5 seeds lost a direction of a 7 x 9 matrix of rank 7); a Gaussian
    # one almost never. Its n x r matrix is no larger than A then.
    x_kind = "gaussian" if r < min(k + p, n) else sketch
    SX = None if r == n else _make_sketch(x_kind, n, r, rng, dt)
    SY = None if ry == m else _make_sketch(sketch, m, ry, rng, dt)
    # With an identity sketch A X = A (X = I) or Y^T A = A: it is never
    # formed, only multiplied by thin dense factors, so sparse A stays sparse.
    AX = None if SX is None else SX.apply_rows(A, engine=engine, check_finite=False)  # (m, r)
    YA = None if SY is None else SY.apply(A, engine=engine, check_finite=False)  # (ry, n)
    if defer:
        # Y^T A has every column of A in it, A X every row; with both sketches
        # the identity, A itself is small (at most 4r x r)
        probe = YA if YA is not None else (AX if AX is not None else A)
        check_finite_through(probe, A, "A", ndim=2)
    if SY is not None:
        M = SY.apply(AX, engine=engine) if AX is not None else YA  # (ry, r)
    elif AX is not None:
        M = AX
    else:  # both identities: the whole matrix is at most 4r x r
        M = _dense_small(A, xp, dt)
    Q, R = xp.linalg.qr(M)
    W, s, Zt = xp.linalg.svd(R)
    keep = int(xp.sum(xp.astype(s > rcond * s[0], xp.int64))) if float(s[0]) > 0 else 0
    if keep == 0:
        left = xp.zeros((m, k), dtype=M.dtype, device=device_of(M))
        right = xp.zeros((k, n), dtype=M.dtype, device=device_of(M))
        return LowRank(left, right)
    # R^+_eps = Z_t diag(1/s_t) W_t^T;  split as (AX Z_t / s_t) (W_t^T Q^T YA)
    Zk = Zt[:keep, :].T  # (r, keep)
    QW = Q @ W[:, :keep]  # (ry, keep)
    L = (apply(A, Zk) if AX is None else AX @ Zk) / s[:keep]
    Rt = apply_t(A, QW).T if YA is None else QW.T @ YA
    left, right = _truncate_pair(L, Rt, k, xp)
    if left.shape[1] < k:
        pad = k - left.shape[1]
        dev = device_of(left)
        left = xp.concat([left, xp.zeros((m, pad), dtype=left.dtype, device=dev)], axis=1)
        right = xp.concat([right, xp.zeros((pad, n), dtype=right.dtype, device=dev)], axis=0)
    return LowRank(left, right)


def nystrom_psd(A, k, *, oversample=10, rng=None, check_finite=True):
    """Nystrom approximation of a symmetric positive semidefinite matrix.

    ``A ~ (A Omega)(Omega^T A Omega)^+ (A Omega)^T`` with a Gaussian
    ``Omega`` of ``k + oversample`` columns, evaluated stably with a small
    shift ``nu = eps * ||A Omega||_F`` (Tropp, Yurtsever, Udell, Cevher), and
    returned as a truncated eigendecomposition of rank `k`.

    Parameters
    ----------
    A : (n, n) array or scipy.sparse matrix
        Symmetric positive semidefinite.
    k : int
        Rank of the result, ``1 <= k <= n``.
    oversample : int, default 10
        Extra columns of the test matrix (capped at `n`).
    rng : None, int or numpy.random.Generator
        Randomness (SPEC 7).
    check_finite : bool, default True
        Reject NaN and Inf.

    Returns
    -------
    NystromPSD
        ``U`` (``n x k``, orthonormal) and ``eigenvalues`` (``k``, descending,
        non-negative); ``to_dense()`` forms ``U diag(eigenvalues) U^T``.

    See Also
    --------
    nystrom : the generalized (non-symmetric) method.
    rsvd : randomized SVD.

    References
    ----------
    J. A. Tropp, A. Yurtsever, M. Udell, V. Cevher, "Fixed-rank approximation
    of a positive-semidefinite matrix from streaming data", NeurIPS 2017.

    Examples
    --------
    >>> import numpy as np
    >>> import nla
    >>> rng = np.random.default_rng(0)
    >>> G = rng.standard_normal((50, 4))
    >>> f = nla.nystrom_psd(G @ G.T, 4, rng=0)
    >>> bool(np.allclose(f.to_dense(), G @ G.T))
    True
    """
    from .._random import normal

    A, xp = check_matrix(A, check_finite=check_finite)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be square, got shape {tuple(A.shape)}")
    k = check_target_rank(k, A)
    oversample = check_int(oversample, "oversample", low=0)
    n = A.shape[0]
    dt = work_dtype(A, xp)
    rng = check_rng(rng)
    ell = min(k + oversample, n)
    omega = normal(rng, (n, ell), dtype=dt, xp=None if is_sparse(A) else xp, device=device_of(A))
    omega, _ = xp.linalg.qr(omega)
    Y = apply(A, omega)
    nu = float(np.finfo(dt).eps) * float(xp.linalg.vector_norm(Y))
    Y = Y + nu * omega
    B = omega.T @ Y
    B = (B + B.T) / 2
    # Cholesky can fail on a numerically indefinite core; the eigendecomposition
    # of the small core is the robust alternative of the same cost order.
    lam, V = xp.linalg.eigh(B)
    pos = lam > float(np.finfo(dt).eps) * float(xp.max(xp.abs(lam)) if lam.shape[0] else 0.0)
    lam_c = xp.where(pos, lam, xp.ones_like(lam))
    F = (Y @ V) / xp.sqrt(lam_c)  # Y B^{-1/2} on the kept part
    F = xp.where(xp.reshape(pos, (1, -1)), F, xp.zeros_like(F))
    U, s, _ = xp.linalg.svd(F, full_matrices=False)
    ev = s * s - nu
    ev = xp.where(ev > 0, ev, xp.zeros_like(ev))
    return NystromPSD(U[:, :k], ev[:k])
