"""The fused CG kernel of the Krylov family.

``krylov.cg``: the whole (deflated, Jacobi-preconditioned) conjugate
gradient loop on a CSR matrix given as ``(indptr, indices, data)``,
returning one packed array (see :func:`unpack`). The Numba variant takes
unsigned 32-bit indices (cast once per solve), which makes the gather of
the product cheaper; the NumPy variant is the reference it is tested
against. A standalone Numba CSR product did not beat SciPy's (the cost is
the memory traffic, not the call), so products outside this loop go
through SciPy.

Status codes of ``krylov.cg``: 0 converged, 1 iteration cap reached, 2 a
direction of non-positive curvature (A not positive definite), 3 a
non-positive ``r^T M r`` (M not positive definite).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._backend import Kernel

# ------------------------------------------------------------ the CG loop


def _pack(its, status, x, r, hist, P, AP, nh):
    head = np.empty(3, dtype=x.dtype)
    head[0], head[1], head[2] = its, status, nh
    return np.concatenate((head, x, r, hist[: its + 1], P[:nh].ravel(), AP[:nh].ravel()))


def unpack(out, n):
    """``(iterations, status, x, r, history, P, AP)`` from a ``krylov.cg`` result."""
    its, status, nh = (int(v) for v in out[:3])
    o = 3
    x, r = out[o : o + n], out[o + n : o + 2 * n]
    o += 2 * n
    hist = out[o : o + its + 1]
    o += its + 1
    P = out[o : o + nh * n].reshape(nh, n)
    AP = out[o + nh * n : o + 2 * nh * n].reshape(nh, n)
    return its, status, x, r, hist, P, AP


def _cg_numpy(indptr, indices, data, dinv, b, x0, W, AW, tol, maxiter, nharvest):
    """Reference: deflated Jacobi-preconditioned CG, vector by vector."""
    n = b.shape[0]
    A = sp.csr_array((data, indices.astype(np.int64), indptr.astype(np.int64)), shape=(n, n))
    pre = dinv.shape[0] > 0
    x = x0.copy()
    r = b - A @ x
    hist = np.zeros(maxiter + 1)
    P = np.zeros((nharvest, n))
    AP = np.zeros((nharvest, n))
    hist[0] = np.linalg.norm(r)
    if hist[0] <= tol:
        return _pack(0, 0, x, r, hist, P, AP, 0)
    z = r * dinv if pre else r.copy()
    rz = r @ z
    if not rz > 0:
        return _pack(0, 3, x, r, hist, P, AP, 0)
    p = z - (AW @ z) @ W
    its, status, nh = 0, 1, 0
    while its < maxiter:
        Ap = A @ p
        pAp = p @ Ap
        if not pAp > 0:
            status = 2
            break
        if nh < nharvest:
            P[nh], AP[nh] = p, Ap
            nh += 1
        alpha = rz / pAp
        x += alpha * p
        r -= alpha * Ap
        its += 1
        hist[its] = np.linalg.norm(r)
        if hist[its] <= tol:
            status = 0
            break
        z = r * dinv if pre else r.copy()
        rz_new = r @ z
        if not rz_new > 0:
            status = 3
            break
        p = z + (rz_new / rz) * p - (AW @ z) @ W
        rz = rz_new
    return _pack(its, status, x, r, hist, P, AP, nh)


def _cg_loop(indptr, indices, data, dinv, b, x0, W, AW, tol, maxiter, nharvest):
    n = b.shape[0]
    k = W.shape[0]
    if dinv.shape[0] == 0:  # no preconditioner: z = r (branch-free loops below)
        dinv = np.ones(n)
    x = x0.copy()
    r = np.empty(n)
    z = np.empty(n)
    p = np.empty(n)
    Ap = np.empty(n)
    mu = np.zeros(k)
    hist = np.zeros(maxiter + 1)
    P = np.zeros((nharvest, n))
    AP = np.zeros((nharvest, n))
    rr = 0.0
    for i in range(n):
        acc = 0.0
        for jj in range(indptr[i], indptr[i + 1]):
            acc += data[jj] * x[indices[jj]]
        r[i] = b[i] - acc
        rr += r[i] * r[i]
    hist[0] = np.sqrt(rr)
    if hist[0] <= tol:
        return 0, 0, x, r, hist, P, AP, 0
    rz = 0.0
    for i in range(n):
        z[i] = r[i] * dinv[i]
        rz += r[i] * z[i]
    if not rz > 0:
        return 0, 3, x, r, hist, P, AP, 0
    for i in range(n):
        p[i] = 0.0
    beta = 0.0  # the first direction is the deflated z
    its, status, nh = 0, 1, 0
    while its < maxiter:
        # p <- z + beta p - W^T (AW z): the next deflated direction
        for q in range(k):
            acc = 0.0
            for i in range(n):
                acc += AW[q, i] * z[i]
            mu[q] = acc
        for i in range(n):
            p[i] = z[i] + beta * p[i]
        for q in range(k):
            for i in range(n):
                p[i] -= mu[q] * W[q, i]
        pAp = 0.0
        for i in range(n):
            acc = 0.0
            for jj in range(indptr[i], indptr[i + 1]):
                acc += data[jj] * p[indices[jj]]
            Ap[i] = acc
            pAp += p[i] * acc
        if not pAp > 0:
            status = 2
            break
        if nh < nharvest:
            P[nh] = p
            AP[nh] = Ap
            nh += 1
        alpha = rz / pAp
        rr = 0.0
        rz_new = 0.0
        for i in range(n):
            x[i] += alpha * p[i]
            ri = r[i] - alpha * Ap[i]
            r[i] = ri
            rr += ri * ri
            zi = ri * dinv[i]
            z[i] = zi
            rz_new += ri * zi
        its += 1
        hist[its] = np.sqrt(rr)
        if hist[its] <= tol:
            status = 0
            break
        if not rz_new > 0:
            status = 3
            break
        beta = rz_new / rz
        rz = rz_new
    return its, status, x, r, hist, P, AP, nh



def _build_cg():
    import numba

    loop = numba.njit(cache=True, nogil=True)(_cg_loop)

    def cg(indptr, indices, data, dinv, b, x0, W, AW, tol, maxiter, nharvest):
        return _pack(*loop(indptr, indices, data, dinv, b, x0, W, AW, tol, maxiter, nharvest))

    return cg


CG = Kernel("krylov.cg", numpy=_cg_numpy, numba=_build_cg)
