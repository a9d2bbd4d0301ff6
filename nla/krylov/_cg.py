"""Recycled (deflated) conjugate gradients for sequences of SPD systems.

Deflation after Saad, Yeung, Erhel, Guyomarc'h (2000): with an
A-orthonormal block W (``W^H A W = I``) the start is made A-orthogonal to
W and every direction is ``p = z + beta p - W (AW)^H z``. The first
directions of a solve and W span the space on which the next W is chosen
by Rayleigh-Ritz for ``M A`` in the A inner product (eigenvectors of the
smallest eigenvalues). Solutions of earlier systems give the initial
guess by a Galerkin projection; they are kept apart from W.
"""

from __future__ import annotations

import numpy as np

from ._cg_kernel import CG, unpack
from ._common import (
    KrylovInfo,
    Recycle,
    detect_change,
    new_solutions,
    nrm2,
    solutions_block,
    start_guess,
)

_NOT_PD = {
    2: "A must be symmetric (Hermitian) positive definite: CG met a direction "
       "of non-positive curvature",
    3: "M must be symmetric (Hermitian) positive definite: CG met r^H M r <= 0",
}


def check_hermitian(op, name):
    """Symmetric (Hermitian) with a positive real diagonal, where cheap to check.

    Symmetry is tested by one bilinear probe, ``u^H (A v)`` against
    ``conj(v^H (A u))`` for fixed random u, v (two products; any asymmetry
    shows almost surely), the diagonal by its entries. A LinearOperator is
    not checked.
    """
    if op.kind == "operator":
        return
    n = op.mat.shape[0]
    rng = np.random.default_rng(0)
    u, v = rng.standard_normal(n), rng.standard_normal(n)
    Au, Av = op.matvec(u.astype(op.dtype)), op.matvec(v.astype(op.dtype))
    lhs, rhs = np.vdot(u, Av), np.conj(np.vdot(v, Au))
    scale = nrm2(u) * nrm2(Av) + nrm2(v) * nrm2(Au)
    diag = op.mat.diagonal() if op.kind == "sparse" else np.diagonal(op.mat)
    if not abs(lhs - rhs) <= 1e3 * np.finfo(np.float64).eps * scale:
        raise ValueError(
            f"{name} must be symmetric (Hermitian) positive definite; it is not "
            f"symmetric (|u^H {name} v - conj(v^H {name} u)| / scale = "
            f"{abs(lhs - rhs) / scale:.2g} for random u, v)"
        )
    if not (np.all(diag.real > 0) and np.all(np.abs(diag.imag) <= 1e3 * np.finfo(float).eps
                                               * np.abs(diag.real))):
        raise ValueError(
            f"{name} must be symmetric (Hermitian) positive definite; its diagonal "
            "has entries that are not positive"
        )


def _a_orthonormal(V, AV):
    """Rows of V, AV recombined so that ``V^H A V = I`` (weak directions dropped)."""
    G = np.conj(V) @ AV.T
    G = (G + G.conj().T) / 2
    w, Q = np.linalg.eigh(G)
    keep = w > 1e-12 * w.max(initial=0.0)
    if not np.any(keep):
        return None, None
    T = Q[:, keep] / np.sqrt(w[keep])
    return T.T @ V, T.T @ AV


def sync_cg(recycle, A, k):
    """W, AW (rows) for the current A from `recycle`; returns (W, AW, matvecs)."""
    if recycle is None or recycle.U is None or k == 0:
        return None, None, 0
    U = recycle.U[:, :k].astype(A.dtype, copy=False)
    if not A.changed and recycle.method == "cg":
        return np.ascontiguousarray(U.T), np.ascontiguousarray(recycle.C[:, :k].T), 0
    mv = 0
    if A.changed or recycle.method != "cg":  # a GCRO-DR C may be A M U
        AU, mv = A.matmat(U), U.shape[1]
    else:
        AU = recycle.C[:, :k].astype(A.dtype, copy=False)
    W, AW = _a_orthonormal(np.ascontiguousarray(U.T), np.ascontiguousarray(AU.T))
    return W, AW, mv


def ritz_space(W, AW, P, AP, M, k):
    """The k Ritz vectors of ``M A`` (A inner product) of smallest value on [W, P]."""
    if k == 0 or P is None or P.shape[0] == 0:
        return W, AW
    V = P if W is None else np.concatenate([W, P])
    AV = AP if AW is None else np.concatenate([AW, AP])
    V, AV = _a_orthonormal(V, AV)
    if V is None:
        return W, AW
    AV0 = AV
    AV = AV / float(np.max(np.abs(AV)))  # K below squares it: keep it in range
    MAV = AV if M is None else M.matmat(AV.T).T
    MAV = MAV / float(np.max(np.abs(MAV)))
    K = np.conj(AV) @ MAV.T
    K = (K + K.conj().T) / 2
    w, Y = np.linalg.eigh(K)
    Y = Y[:, : min(k, w.size)]
    return np.ascontiguousarray(Y.T @ V), np.ascontiguousarray(Y.T @ AV0)


def _python_loop(A, M, b, x, W, AW, tol, maxiter, nh, callback, it0):
    """The CG loop on any operator (complex too); same output as the kernel."""
    cplx = b.dtype.kind == "c"
    r = b - A.matvec(x)
    hist, P, AP = [nrm2(r)], [], []
    if hist[0] <= tol:
        return 0, 0, x, r, np.array(hist), np.empty((0, b.size)), np.empty((0, b.size))
    z = r if M is None else M.matvec(r)
    rz = np.vdot(r, z).real
    if not rz > 0:
        return 0, 3, x, r, np.array(hist), np.empty((0, b.size)), np.empty((0, b.size))
    p = z if W is None else z - (np.conj(AW) @ z) @ W
    its, status = 0, 1
    while its < maxiter:
        Ap = A.matvec(p)
        pAp = np.vdot(p, Ap).real
        if not pAp > 0:
            status = 2
            break
        if len(P) < nh:
            P.append(p)
            AP.append(Ap)
        alpha = rz / pAp
        x = x + alpha * p
        r = r - alpha * Ap
        its += 1
        hist.append(nrm2(r))
        if callback is not None:
            callback(it0 + its, _info(False, its + 1, it0 + its, hist[-1], hist, None,
                                      np.float64))
        if hist[-1] <= tol:
            status = 0
            break
        z = r if M is None else M.matvec(r)
        rz_new = np.vdot(r, z).real
        if not rz_new > 0:
            status = 3
            break
        p = z + (rz_new / rz) * p
        if W is not None:
            p = p - (np.conj(AW) @ z) @ W
        rz = rz_new
    dt = b.dtype if cplx else np.float64
    P = np.array(P, dtype=dt).reshape(-1, b.size)
    AP = np.array(AP, dtype=dt).reshape(-1, b.size)
    return its, status, x, r, np.array(hist), P, AP


def _kernel_usable(A, M, b, callback):
    return (
        callback is None
        and A.kind == "sparse"
        and b.dtype == np.float64
        and (M is None or M.diag is not None)
        and A.csr_uint() is not None
    )


def _run(A, M, b, x, W, AW, tol, maxiter, nh, callback, engine, it0):
    if _kernel_usable(A, M, b, callback):
        indptr, indices, data = A.csr_uint()
        dinv = np.empty(0) if M is None else M.diag
        k = 0 if W is None else W.shape[0]
        Wk = np.zeros((0, b.size)) if W is None else W
        AWk = np.zeros((0, b.size)) if AW is None else AW
        fn = CG.select(np, engine)
        out = fn(indptr, indices, data, dinv, b, x, Wk, AWk, float(tol), int(maxiter),
                 int(nh if k or nh else 0))
        return unpack(out, b.size)
    return _python_loop(A, M, b, x, W, AW, tol, maxiter, nh, callback, it0)


def solve(A, M, b, x, *, k, s, recycle, tol, maxiter, callback, engine, out_real):
    """Recycled CG on prepared operators; returns ``(x, info)`` (work dtype)."""
    n = b.shape[0]
    bnorm = nrm2(b)
    bs, tol_s = b / bnorm, tol / bnorm
    mv = detect_change(recycle, A, M)
    W, AW, mv_w = sync_cg(recycle, A, k)
    Z, AZ, mv_z = solutions_block(recycle, A, b.dtype, s)
    mv += mv_w + mv_z
    if x is None:
        x, r = np.zeros(n, b.dtype), bs.copy()
    else:
        x = x / bnorm
        r = bs - A.matvec(x)
        mv += 1
    if Z is not None:
        x, r = start_guess(bs, x, r, Z / bnorm, AZ / bnorm, galerkin=True)
    if W is not None:  # W^H r = 0 at the start (W^H A W = I)
        x = x + (np.conj(W) @ r) @ W
    its, hist, converged, P, AP = 0, [nrm2(r)], False, None, None
    if hist[0] <= tol_s:  # the start already solves it: confirm and stop
        r = bs - A.matvec(x)
        mv += 1
        converged = nrm2(r) <= tol_s
    while its < maxiter and not converged:
        it, status, x, r, h, Pi, APi = _run(A, M, bs, x, W, AW, tol_s, maxiter - its,
                                            k if P is None else 0, callback, engine, its)
        if status in _NOT_PD:
            raise ValueError(_NOT_PD[status])
        if P is None:
            P, AP = Pi, APi
        its += it
        mv += it + 1
        hist.extend(h[1:])
        r = bs - A.matvec(x)
        mv += 1
        converged = nrm2(r) <= tol_s
        if converged or status == 1 or it == 0:
            break
    W, AW = ritz_space(W, AW, P, AP, M, k)
    rnorm = nrm2(r) * bnorm
    x = x * bnorm
    Zn, AZn = new_solutions(recycle, x, b - r * bnorm, s)
    rec = Recycle(None if W is None else W.T, None if AW is None else AW.T, Zn, AZn, "cg", n)
    hist = np.asarray(hist) * bnorm
    return x, _info(converged, mv, its, rnorm, hist, rec, out_real)


def _info(converged, mv, its, rnorm, hist, rec, out_real):
    return KrylovInfo(
        converged=bool(converged),
        matvecs=int(mv),
        iterations=int(its),
        residual_norm=float(rnorm),
        residuals=np.asarray(hist, dtype=out_real),
        recycle=rec,
    )
