"""DEIM index selection: the NumPy reference and a Numba kernel.

DEIM picks, for the columns ``u_1, ..., u_k`` of a basis ``V``, the index of
the largest residual of ``u_j`` after interpolating it at the indices chosen so
far. These indices are exactly the row pivots of Gaussian elimination with
partial pivoting on ``V`` (Sorensen and Embree), which is how both variants
compute them: one rank-one update of the remaining columns per step.

Both variants are NumPy-only (the kernel has no ``generic`` variant): the
selection is sequential and its input is a thin ``n x k`` basis, so
:func:`nla.cur` hands the kernel a host copy of the small singular-vector
factor whatever the library and device of ``A``.
"""

from __future__ import annotations

import numpy as np

from .._backend import Kernel

__all__ = ["deim_kernel", "deim_reference"]


def deim_reference(V):
    """DEIM indices of the columns of `V` (``n x k`` NumPy array), as int64."""
    W = np.array(V, dtype=np.float64, copy=True)
    n, k = W.shape
    idx = np.empty(k, dtype=np.int64)
    for j in range(k):
        col = W[:, j]
        mag = np.abs(col)
        mag[idx[:j]] = -1.0  # distinct indices even when a residual vanishes
        p = int(np.argmax(mag))
        idx[j] = p
        piv = col[p]
        if j + 1 < k and piv != 0.0:
            W[:, j + 1 :] -= np.outer(col / piv, W[p, j + 1 :])
    return idx


def _build_numba():
    from numba import njit

    @njit(cache=True, nogil=True)
    def deim_numba(V):
        n, k = V.shape
        W = np.empty((k, n))  # column j of V stored as a contiguous row
        for j in range(k):
            for i in range(n):
                W[j, i] = V[i, j]
        idx = np.empty(k, dtype=np.int64)
        taken = np.zeros(n, dtype=np.bool_)
        for j in range(k):
            best = -1.0
            p = 0
            for i in range(n):
                a = abs(W[j, i])
                if not taken[i] and a > best:
                    best = a
                    p = i
            idx[j] = p
            taken[p] = True
            piv = W[j, p]
            for t in range(j + 1, k):
                f = W[t, p] / piv if piv != 0.0 else 0.0
                if f != 0.0:
                    for i in range(n):
                        W[t, i] -= f * W[j, i]
        return idx

    def run(V):
        return deim_numba(np.ascontiguousarray(V, dtype=np.float64))

    return run


deim_kernel = Kernel("lowrank.deim", numpy=deim_reference, numba=_build_numba)
