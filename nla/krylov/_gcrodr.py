"""GCRO-DR: restarted GMRES with deflation by recycled harmonic Ritz vectors.

Parks, de Sturler, Mackey, Johnson, Maiti (2006) with right
preconditioning: the method runs on the operator ``A M`` (M = I without a
preconditioner), the recycled block satisfies ``A M U = C``, and the
iterate is updated by one product with M per cycle, ``x += M (U~ y1 + V
y2)``.

Storage is row-wise: every basis vector is a contiguous row of one block
(``[C; V]``), so the classical Gram-Schmidt projections are two
matrix-vector products over the whole block (BLAS-2), repeated once when
the norm drops by more than ``1/sqrt(2)`` (Daniel-Gragg-Kaufman-Stewart).
The GMRES residual norm is tracked without Givens rotations, from the left
null vector of the Hessenberg matrix (one short dot product per step).
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg as sla

from .._backend import ConvergenceWarning
from ._common import (
    KrylovInfo,
    Recycle,
    detect_change,
    new_solutions,
    nrm2,
    solutions_block,
    start_guess,
)

_REORTH = 1.0 / np.sqrt(2.0)
_SINGULAR = (
    "A (or A M with the preconditioner M) is singular: the Krylov space became "
    "invariant without holding the solution"
)


def _proj(rows, w, cplx):
    """``rows.conj() @ w`` without conjugating the block."""
    if cplx:
        return np.conj(rows @ np.conj(w))
    return rows @ w


def arnoldi(A, M, Q, nC, beta, steps, tol, cplx):
    """Arnoldi on ``(I - C C^H) A M`` from row ``Q[nC]`` (already ``r / beta``).

    Rows ``Q[:nC]`` hold C. Returns ``(j, H, est, breakdown)``: the steps
    taken, the ``(nC + j + 1, j)`` coefficients (the first nC rows are
    ``C^H A M V``), the residual norm estimate and whether the space became
    invariant.
    """
    H = np.zeros((nC + steps + 1, steps), dtype=Q.dtype)
    u = np.zeros(steps + 1, dtype=Q.dtype)
    u[0] = 1.0
    usum, est, j, breakdown = 1.0, beta, 0, False
    eps = np.finfo(np.float64).eps
    for j in range(1, steps + 1):
        v = Q[nC + j - 1]
        w = A.matvec(v if M is None else M.matvec(v))
        rows = Q[: nC + j]
        norm0 = nrm2(w)
        h = _proj(rows, w, cplx)
        w -= h @ rows
        hn = nrm2(w)
        if hn < _REORTH * norm0:
            h2 = _proj(rows, w, cplx)
            w -= h2 @ rows
            h += h2
            hn = nrm2(w)
        H[: nC + j, j - 1] = h
        H[nC + j, j - 1] = hn
        if not hn > eps * (nC + j) * norm0:  # invariant space (or a zero product)
            H[nC + j, j - 1] = 0.0
            breakdown, est = True, 0.0
            break
        Q[nC + j] = w / hn
        u[j] = -np.conj(np.vdot(u[:j], H[nC : nC + j, j - 1])) / hn
        usum += abs(u[j]) ** 2
        est = beta / np.sqrt(usum)
        if est <= tol:
            break
    return j, H[: nC + j + 1, :j], est, breakdown


def _cycle_system(H, dnorm, nC, j):
    """G of ``A [U~ Zm] = [C V] G`` with ``U~ = U diag(dnorm)``."""
    G = np.zeros((nC + j + 1, nC + j), dtype=H.dtype)
    G[:nC, :nC] = np.diag(dnorm.astype(H.dtype))
    G[:, nC:] = H
    return G


def _least_squares(G, nC, beta):
    """``y = argmin ||beta e_{nC} - G y||`` and the residual coordinates."""
    s = float(np.max(np.abs(G)))
    e = np.zeros(G.shape[0], dtype=G.dtype)
    e[nC] = 1.0
    Gs = G / s
    y1 = np.linalg.lstsq(Gs, e, rcond=None)[0]
    res = (e - Gs @ y1) * beta
    return (y1 / s) * beta, res


def harmonic_ritz(G, k, real, WtW=None):
    """Coordinates P (columns) of `k` harmonic Ritz vectors of smallest modulus.

    Solves ``G^H G p = theta G^H (V^H W) p`` with ``W = [U~, V]`` (Parks et
    al.); `WtW` is ``V^H W``, None for a GMRES cycle (``[I; 0]``). For real G, complex
    pairs are split into real and imaginary parts (a pair that would be cut
    is dropped).
    """
    Gs = G / float(np.max(np.abs(G)))
    rhs = Gs[:-1].conj().T if WtW is None else Gs.conj().T @ WtW
    with np.errstate(all="ignore"):
        theta, P = sla.eig(Gs.conj().T @ Gs, rhs, check_finite=False)
    finite = np.isfinite(theta)
    order = np.argsort(np.where(finite, np.abs(theta), np.inf), kind="stable")
    order = order[finite[order]][:k]
    if order.size == 0:
        return None
    if not real:
        return P[:, order]
    cols, used = [], set()
    for i in order:
        if i in used:
            continue
        if abs(theta[i].imag) <= 1e-12 * max(abs(theta[i]), 1e-300):
            cols.append(P[:, i].real)
            used.add(i)
            continue
        mates = [q for q in range(theta.size) if q not in used and q != i
                 and abs(theta[q] - np.conj(theta[i])) <= 1e-8 * abs(theta[i])]
        if len(cols) + 2 > k or not mates:
            continue
        cols += [P[:, i].real, P[:, i].imag]
        used.update((i, mates[0]))
    if not cols:
        return None
    return np.stack(cols, axis=1)


def new_space(G, P, rows_img, rows_dir):
    """``C = [C V] Q``, ``U = [U~ Zm] P R^-1`` with ``G P = Q R`` (as rows).

    Directions whose R diagonal falls below ``1e-12`` of the largest are
    dropped. Returns ``(U_rows, C_rows)`` or ``(None, None)``.
    """
    GP = G @ P
    Qs, R = np.linalg.qr(GP)
    d = np.abs(np.diag(R))
    keep = d > 1e-12 * d.max(initial=0.0)
    if not np.any(keep):
        return None, None
    if not np.all(keep):
        Qs, R = np.linalg.qr(GP[:, keep])
        P = P[:, keep]
    C_rows = Qs.T @ rows_img
    # U = [U~ V] P R^-1: the small factor first, then one product with the block
    PR = sla.solve_triangular(R, P.T, trans=1, check_finite=False)  # (P R^-1)^T
    return PR @ rows_dir, C_rows


def sync_recycle(recycle, A, M, k):
    """U, C (rows) of `recycle` for the current A M with ``C^H C = I``.

    When A M changed since the recycle was built (or it came from CG),
    ``[Q, R] = qr(A M U)``, ``C = Q``, ``U = U R^-1``. Returns ``(U_rows,
    C_rows, matvecs)``.
    """
    if recycle is None or recycle.U is None or k == 0:
        return None, None, 0
    U = recycle.U[:, :k].astype(A.dtype, copy=False)
    if not A.changed and recycle.method == "gcrodr":
        return np.ascontiguousarray(U.T), np.ascontiguousarray(recycle.C[:, :k].T), 0
    mv = 0
    if A.changed or M is not None:  # here a CG recycle: its C is A U, not A M U
        AU = A.matmat(U if M is None else M.matmat(U))
        mv = U.shape[1]
    else:
        AU = recycle.C[:, :k].astype(A.dtype, copy=False)
    Qc, R = np.linalg.qr(AU)
    d = np.abs(np.diag(R))
    keep = d > 1e-12 * d.max(initial=0.0)
    if not np.any(keep):
        return None, None, mv
    if not np.all(keep):
        U, AU = U[:, keep], AU[:, keep]
        Qc, R = np.linalg.qr(AU)
    U_rows = sla.solve_triangular(R.T, U.T, lower=True, check_finite=False)
    return np.ascontiguousarray(U_rows), np.ascontiguousarray(Qc.T), mv


class _State:
    """The iterate and counters of one solve."""

    def __init__(self, x, r, mv):
        self.x, self.r, self.mv, self.it = x, r, mv, 0
        self.rnorm = nrm2(r)
        self.history = [self.rnorm]
        self.converged = False


def _check_true(st, A, b, tol):
    """Recompute ``r = b - A x``; converged when below `tol`."""
    st.r = b - A.matvec(st.x)
    st.mv += 1
    st.rnorm = nrm2(st.r)
    st.converged = st.rnorm <= tol
    return st.converged


def _one_cycle(st, A, M, Q, U_rows, C_rows, m, k, tol, maxiter, cplx):
    """One GMRES (no U) or GCRO-DR cycle; returns the new (U_rows, C_rows)."""
    nC = 0 if U_rows is None else U_rows.shape[0]
    steps = min(m if nC == 0 else m - nC, maxiter - st.it)
    if nC:
        Q[:nC] = C_rows
    Q[nC] = st.r / st.rnorm
    j, H, est, breakdown = arnoldi(A, M, Q, nC, st.rnorm, steps, tol, cplx)
    st.it += j
    st.mv += j
    if j == 0:
        return U_rows, C_rows
    dnorm = np.ones(0) if nC == 0 else 1.0 / np.array([nrm2(u) for u in U_rows])
    G = _cycle_system(H, dnorm, nC, j)
    if not np.any(G):
        raise ValueError(_SINGULAR)
    y, res = _least_squares(G, nC, st.rnorm)
    dirs = Q[nC : nC + j]
    t = y[nC:] @ dirs
    if nC:
        t += (y[:nC] * dnorm) @ U_rows
    st.x = st.x + (t if M is None else M.matvec(t))
    img = Q[: nC + j + 1]
    st.r = res @ img
    st.rnorm = nrm2(res)
    st.history.append(st.rnorm)
    if breakdown and st.rnorm > max(tol, 1e3 * np.finfo(np.float64).eps * st.history[-2]):
        raise ValueError(_SINGULAR)
    if k == 0:
        return None, None
    WtW = None
    if nC:  # V^H [U~, V] with the images' basis [C; V]
        WtW = np.zeros((nC + j + 1, nC + j), dtype=G.dtype)
        WtW[:, :nC] = np.conj(img) @ (U_rows * dnorm[:, None]).T
        WtW[nC : nC + j, nC:] = np.eye(j)
    P = harmonic_ritz(G, min(k, nC + j), real=not cplx, WtW=WtW)
    if P is None:
        return U_rows, C_rows
    dir_rows = dirs if nC == 0 else np.concatenate([U_rows * dnorm[:, None], dirs])
    U_new, C_new = new_space(G, P, img, dir_rows)
    if U_new is None:
        return U_rows, C_rows
    return U_new, C_new


def _snapshot(st, U_rows, C_rows, Z, AZ, n):
    rec = None
    if U_rows is not None or Z is not None:
        rec = Recycle(
            None if U_rows is None else U_rows.T,
            None if C_rows is None else C_rows.T,
            Z, AZ, "gcrodr", n,
        )
    return rec


def solve(A, M, b, x, *, m, k, s, recycle, tol, maxiter, callback, out_real):
    """GCRO-DR on prepared operators; returns ``(x, info)`` in the work dtype."""
    n = b.shape[0]
    cplx = b.dtype.kind == "c"
    mv = detect_change(recycle, A, M)
    U_rows, C_rows, mv_u = sync_recycle(recycle, A, M, k)
    Z, AZ, mv_z = solutions_block(recycle, A, b.dtype, s)
    mv += mv_u + mv_z
    if x is None:
        x, r = np.zeros(n, b.dtype), b.copy()
    else:
        r = b - A.matvec(x)
        mv += 1
    x, r = start_guess(b, x, r, Z, AZ, galerkin=False)
    if U_rows is not None:
        c = _proj(C_rows, r, cplx)
        t = c @ U_rows
        x = x + (t if M is None else M.matvec(t))
        r = r - c @ C_rows
    st = _State(x, r, mv)
    kmax = k if U_rows is None else max(k, U_rows.shape[0])
    Q = np.empty((kmax + m + 1, n), dtype=b.dtype)
    while True:
        if st.rnorm <= tol and _check_true(st, A, b, tol):
            break
        if st.it >= maxiter:
            break
        U_rows, C_rows = _one_cycle(st, A, M, Q, U_rows, C_rows, m, k, tol, maxiter, cplx)
        if callback is not None:
            rec = _snapshot(st, U_rows, C_rows, Z, AZ, n)
            callback(st.it, _info(st, rec, out_real))
    if not st.converged:
        _check_true(st, A, b, tol)
    Zn, AZn = new_solutions(recycle, st.x, b - st.r, s)
    rec = _snapshot(st, U_rows, C_rows, Zn, AZn, n)
    return st.x, _info(st, rec, out_real)


def _info(st, rec, out_real):
    return KrylovInfo(
        converged=bool(st.converged),
        matvecs=int(st.mv),
        iterations=int(st.it),
        residual_norm=float(st.rnorm),
        residuals=np.asarray(st.history, dtype=out_real),
        recycle=rec,
    )


def warn_unconverged(info, name, tol):
    if not info.converged:
        warnings.warn(
            f"{name} did not converge in {info.iterations} iterations: residual "
            f"{info.residual_norm:.3g} > tolerance {tol:.3g}",
            ConvergenceWarning,
            stacklevel=3,
        )
