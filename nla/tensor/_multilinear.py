"""Multilinear algebra on dense tensors of any array-API library.

Unfoldings, mode products, Gram matrices of unfoldings, and the leading left
singular vectors of an unfolding with an accuracy rule for the Gram route.
The mode-``n`` unfolding ``X_(n)`` has shape ``(I_n, prod of the other
dimensions)``; only its column order differs between conventions, and
nothing here depends on it (Gram matrices and left singular vectors do not).
"""

from __future__ import annotations

import math

import numpy as np

from .._backend import device_of, is_numpy_namespace, linalg_module, single_blas_thread

__all__ = [
    "GRAM_SAFETY",
    "unfold",
    "mode_dot",
    "multi_mode_dot",
    "gram",
    "eig_desc",
    "spectrum",
    "leading_vectors",
    "scale_to_window",
    "fro2",
]

#: the Gram route is trusted for a rank-``r`` basis of mode ``n`` while the
#: discarded energy exceeds ``GRAM_SAFETY * I_n * eps * ||X||^2`` (see
#: :func:`leading_vectors`)
GRAM_SAFETY = 64.0


def unfold(X, n, xp):
    """The mode-`n` unfolding ``(I_n, size / I_n)`` (a view for ``n = 0``)."""
    shape = tuple(X.shape)
    if n != 0:
        axes = (n, *[m for m in range(len(shape)) if m != n])
        X = xp.permute_dims(X, axes)
    return xp.reshape(X, (shape[n], -1))


def mode_dot(X, M, n, xp):
    """``X x_n M``: the mode-`n` fibres of `X` multiplied by ``M`` (``(R, I_n)``).

    `X` is viewed as ``(A, I_n, B)`` (A the product of the dimensions before
    `n`, B after), so the product is one matrix product (``n`` first or
    last) or a batch of them; nothing is transposed.
    """
    shape = tuple(X.shape)
    a = math.prod(shape[:n])
    b = math.prod(shape[n + 1 :])
    r = M.shape[0]
    out_shape = (*shape[:n], r, *shape[n + 1 :])
    if a == 1:
        Y = M @ xp.reshape(X, (shape[n], b))
    elif b == 1:
        Y = xp.reshape(X, (a, shape[n])) @ xp.matrix_transpose(M)
    else:
        Y = M @ xp.reshape(X, (a, shape[n], b))
    return xp.reshape(Y, out_shape)


def multi_mode_dot(X, mats, xp, *, skip=None, transpose=False):
    """``X x_1 M_1 ... x_N M_N`` (``M_n^T`` with `transpose`), mode `skip` left out.

    The modes are taken in the order that shrinks the tensor fastest (the
    largest ratio of old to new dimension first), which keeps every
    intermediate as small as possible.
    """
    order = []
    for n, M in enumerate(mats):
        if n == skip or M is None:
            continue
        new = M.shape[1] if transpose else M.shape[0]
        order.append((new / X.shape[n], n))
    for _, n in sorted(order):
        M = mats[n]
        X = mode_dot(X, xp.matrix_transpose(M) if transpose else M, n, xp)
    return X


def gram(X, n, xp):
    """``X_(n) X_(n)^T``, symmetrized (one BLAS-3 product, no wide SVD)."""
    shape = tuple(X.shape)
    if n == len(shape) - 1 and n > 0:
        Y = xp.reshape(X, (-1, shape[n]))
        G = xp.matrix_transpose(Y) @ Y
    else:
        Y = unfold(X, n, xp)
        G = Y @ xp.matrix_transpose(Y)
    return (G + xp.matrix_transpose(G)) / 2


def spectrum(X, n, xp):
    """``(w, V)``: the squared singular values of ``X_(n)`` (descending, length
    ``I_n``) and its left singular vectors from the Gram eigendecomposition,
    or ``(w, None)`` for a tall unfolding, whose spectrum comes from the
    smaller Gram matrix ``X_(n)^T X_(n)`` (the vectors are then found by
    :func:`leading_vectors`' thin-SVD route)."""
    rows = X.shape[n]
    cols = math.prod(X.shape) // rows
    if cols >= rows:
        return eig_desc(gram(X, n, xp), xp)
    Y = unfold(X, n, xp)
    G = xp.matrix_transpose(Y) @ Y
    w, _ = eig_desc((G + xp.matrix_transpose(G)) / 2, xp)
    return xp.concat([w, xp.zeros(rows - cols, dtype=w.dtype, device=device_of(w))]), None


def eig_desc(G, xp, k=None):
    """Eigenvalues (clipped at 0, descending) and eigenvectors of a symmetric
    `G`: all of them, or the `k` largest with
    the trace of `G` as a third item (the sum of all eigenvalues)."""
    mod = linalg_module(xp)
    numpy = mod is not None and is_numpy_namespace(xp) and isinstance(G, np.ndarray)
    if numpy:
        # LAPACK's reductions of small matrices are chains of small BLAS-2
        # calls: extra BLAS threads only wait on each other (many times slower
        # when the cores are shared); the same holds for the QR and SVD below
        with single_blas_thread():
            w, V = mod.eigh(G, check_finite=False, driver="evd")
    else:
        w, V = xp.linalg.eigh(G)
    w = xp.clip(xp.flip(w, axis=0), 0.0, None)
    V = xp.flip(V, axis=1)
    if k is None:
        return w, V
    return w[:k], V[:, :k], float(xp.sum(xp.linalg.diagonal(G)))


def _sign_fix(U, xp):
    """Flip columns so each one's largest-magnitude entry is positive."""
    idx = xp.argmax(xp.abs(U), axis=0)
    picked = xp.take_along_axis(U, xp.reshape(idx, (1, -1)), axis=0)[0, :]
    return U * xp.where(picked < 0, -xp.ones_like(picked), xp.ones_like(picked))


def _accurate_vectors(X, n, r, xp, V=None):
    """Leading `r` left singular vectors of ``X_(n)`` without squaring its
    condition: a Householder QR of the tall ``X_(n)^T`` and an SVD of its
    small triangular factor (or a thin SVD when ``X_(n)`` is itself tall).

    When ``X_(n)`` has fewer than `r` columns, its singular vectors are
    completed to `r` orthonormal columns by a QR of ``[U, V]`` (`V` the Gram
    eigenvectors, or the identity): the completion carries no energy.
    """
    Y = unfold(X, n, xp)
    if Y.shape[1] > Y.shape[0]:
        _, R = xp.linalg.qr(xp.matrix_transpose(Y))
        Y = xp.matrix_transpose(R)
    U, _, _ = xp.linalg.svd(Y, full_matrices=False)
    if U.shape[1] >= r:
        return U[:, :r]
    if V is None:
        V = xp.eye(U.shape[0], r, dtype=U.dtype, device=device_of(U))
    Q, R = xp.linalg.qr(xp.concat([U, V[:, :r]], axis=1))
    d = xp.linalg.diagonal(R)
    Q = Q * xp.where(d < 0, -xp.ones_like(d), xp.ones_like(d))  # keeps U's columns
    return Q[:, :r]


def gram_is_safe(kept, total, r, size, eps):
    """Whether the top-`r` eigenvectors of a computed ``size x size`` Gram
    matrix are an accurate enough basis, from the sum `kept` of their
    eigenvalues and the trace `total`.

    The computed Gram matrix is ``G + E`` with ``||E||_2 <~ I_n eps ||X||^2``.
    A basis maximizing ``tr(Q^T (G + E) Q)`` captures at least the optimal
    energy minus ``2 r ||E||_2``, so its squared error is within ``2 r I_n
    eps ||X||^2`` of the best: negligible while the discarded energy (the
    squared error itself) is well above ``I_n eps ||X||^2``. Below that
    (tensors of nearly exact multilinear rank) the rule says unsafe.
    """
    if r >= size or total == 0.0:
        return True
    return total - kept > GRAM_SAFETY * r * size * eps * total


def leading_vectors(X, n, r, xp, *, eig=None, svd="auto", rng=None):
    """Leading `r` left singular vectors of ``X_(n)`` (orthonormal columns).

    ``svd="auto"``: the eigenvectors of the Gram matrix (``eig``, its
    ``(w, V)`` when already computed), replaced by the QR route of
    :func:`_accurate_vectors` where :func:`gram_is_safe` says the Gram
    route would lose accuracy, and where the unfolding has no more columns
    than rows (its thin SVD is then the cheaper route). ``svd="rsvd"``: :func:`nla.rsvd` of the
    unfolding (rank `r`, seeded by `rng`). Signs are fixed (largest entry of
    each column positive).
    """
    if svd == "rsvd" and r < min(X.shape[n], math.prod(X.shape) // X.shape[n]):
        from ..lowrank import rsvd

        U = rsvd(unfold(X, n, xp), r, rng=rng).U
        return _sign_fix(U, xp)
    tall = math.prod(X.shape) <= X.shape[n] ** 2
    if tall and (eig is None or eig[1] is None):
        # a tall (or square) unfolding: its thin SVD costs no more than the Gram
        with single_blas_thread():
            return _sign_fix(_accurate_vectors(X, n, r, xp), xp)
    if eig is None:
        w, V, total = eig_desc(gram(X, n, xp), xp, r)
    else:
        w, V = eig
        total = float(xp.sum(w))
    eps = float(np.finfo(np.float64).eps)
    if gram_is_safe(float(xp.sum(w[:r])), total, r, X.shape[n], eps):
        return _sign_fix(V[:, :r], xp)
    with single_blas_thread():
        return _sign_fix(_accurate_vectors(X, n, r, xp, V), xp)


def scale_to_window(X, xp):
    """``(X * 2**-e, e)`` with ``max|X * 2**-e|`` in ``[0.5, 1)`` when the
    entries leave ``[2**-100, 2**100]`` (exact: a power of two), else ``(X, 0)``.

    Gram matrices square the entries; inside that window nothing over- or
    underflows in float64.
    """
    amax = float(xp.max(xp.abs(X)))
    if amax == 0.0 or 2.0**-100 <= amax <= 2.0**100:
        return X, 0
    e = math.frexp(amax)[1]
    return X * (2.0 ** (-e)), e


def fro2(X, xp):
    """Squared Frobenius norm as a Python float."""
    return float(xp.sum(X * X))
