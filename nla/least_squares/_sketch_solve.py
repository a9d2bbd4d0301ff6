"""The factor of the sketch ``S A`` and the sketch-and-solve minimizer."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .._backend import device_of, is_numpy_namespace, numerical_rank, solve_triangular, svdvals

__all__ = ["Solution", "sketch_qr", "solve_sketched"]


class Solution(NamedTuple):
    """What a solver route hands back to :func:`nla.lstsq`."""

    X: object  # (d, k) solution
    residual: object  # B - A X, or None when not computed
    iterations: int
    rank: int
    cond: float
    converged: bool
    route: str


def sketch_qr(SA, SB, xp):
    """``R`` of ``S A = Q R`` and ``Q^T S B`` (None when `SB` is None).

    With NumPy, ``Q`` is never formed: the Householder QR (``geqrf``) of the
    augmented matrix ``[S A | S B]`` has the triangular factor ``[[R, Q^T S
    B], [0, *]]``, because its first ``d`` columns are exactly the QR of
    ``S A``. Other namespaces use the standard's reduced QR.
    """
    d = SA.shape[1]
    k = 0 if SB is None else SB.shape[1]
    if is_numpy_namespace(xp) and isinstance(SA, np.ndarray):
        import scipy.linalg

        M = np.empty((SA.shape[0], d + k), dtype=SA.dtype, order="F")
        M[:, :d] = SA
        if k:
            M[:, d:] = SB
        # mode="raw" skips forming Q and triangularizes only the leading
        # (d + k) rows; M is a private copy, so LAPACK may overwrite it
        Rfull = scipy.linalg.qr(M, mode="raw", overwrite_a=True, check_finite=False)[1]
        R = np.ascontiguousarray(Rfull[:d, :d])
        return R, (np.ascontiguousarray(Rfull[:d, d:]) if k else None)
    if SB is None:
        return xp.linalg.qr(SA, mode="reduced")[1], None
    Q, R = xp.linalg.qr(SA, mode="reduced")
    return R, xp.matrix_transpose(Q) @ SB


def solve_sketched(SA, SB, xp, rcond):
    """Minimum-norm minimizer of ``||S A X - S B||`` and (rank, cond).

    QR of the sketch (``C = Q^T S B`` taken along, see :func:`sketch_qr`),
    then the singular values of the small ``R`` decide the rank: full rank
    solves ``R X = C``, otherwise ``X = V_r diag(1/s_r) U_r^T C`` from the
    truncated SVD ``R = U diag(s) V^T`` (the minimum-norm minimizer, since
    ``range(S A)`` lies in ``range(Q)``).
    """
    d = SA.shape[1]
    R, C = sketch_qr(SA, SB, xp)
    s = svdvals(R, xp)
    r = numerical_rank(s, rtol=rcond)
    if r == 0:
        X = xp.zeros((d, SB.shape[1]), dtype=SA.dtype, device=device_of(SA))
        return X, 0, math.inf
    cond = float(s[0]) / float(s[r - 1])
    if r == d:
        return solve_triangular(R, C, xp=xp), r, cond
    U, sr, Vt = xp.linalg.svd(R, full_matrices=False)
    coef = (xp.matrix_transpose(U[:, :r]) @ C) / sr[:r][:, None]
    return xp.matrix_transpose(Vt[:r, :]) @ coef, r, cond
