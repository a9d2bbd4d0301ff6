"""Sketch-and-precondition: refinement for dense ``A``, LSQR for sparse ``A``.

The sketch ``S A`` gives a right preconditioner ``N`` (``R^{-1}`` from its QR
or, when ``R`` reveals rank deficiency, ``V_r diag(1/s_r)`` from its SVD)
with ``A N`` well conditioned. Dense ``A``: Cholesky QR of ``Y = A N``
(``Y^T Y = L L^T``) and refinement sweeps ``x <- x + N (L L^T)^{-1} N^T A^T
(b - A x)``; when the sketch shows a moderate ``cond(A)`` the sweeps use the
Cholesky factor of ``A^T A`` itself (corrected semi-normal equations).
Sparse ``A``: LSQR on ``A N`` from the sketch-and-solve starting point.
"""

from __future__ import annotations

import math

import numpy as np

from .._backend import (
    device_of,
    is_numpy_namespace,
    matmul,
    numerical_rank,
    numpy_dtype,
    rmatmul,
    solve_triangular,
    svdvals,
)
from ._sketch_solve import Solution, sketch_qr

__all__ = ["precondition_dense", "precondition_sparse"]

#: constant ``c`` of the rounding level ``c d u (cond + cond^2 eta)`` at which
#: a stalled refinement counts as converged (see :func:`_refine`)
_STALL_CONSTANT = 10.0

#: the semi-normal route is taken when the sketch shows ``d u cond^2`` below this
_SEMINORMAL_LIMIT = 1e-3


def _col_norms64(X, xp):
    """Column norms of `X` as float64, on the device of `X`.

    The plain 2-norm squares the entries; where that overflows (a solution
    beyond the square root of the float range, possible only with a tiny
    `rcond`), the columns are divided by their largest entry first.
    """
    with np.errstate(over="ignore"):  # NumPy-backed xp; checked below
        norms = xp.astype(xp.linalg.vector_norm(X, axis=0), xp.float64)
    if bool(xp.all(xp.isfinite(norms))) or not bool(xp.all(xp.isfinite(X))):
        return norms
    big = xp.max(xp.abs(X), axis=0)
    big = xp.where(big > 0, big, xp.ones_like(big))
    unit = xp.linalg.vector_norm(X / big[None, :], axis=0)
    return xp.astype(unit, xp.float64) * xp.astype(big, xp.float64)


def _gram_solver(Y, xp, numpy_fast):
    """``Z -> (Y^T Y)^{-1} Z`` by Cholesky of the Gram matrix of a
    well-conditioned Y (a BLAS-3 rank-k update with NumPy)."""
    if numpy_fast:
        import scipy.linalg
        from scipy.linalg.blas import get_blas_funcs

        Yc = Y if Y.flags.c_contiguous else np.ascontiguousarray(Y)
        # Yc.T is Fortran-ordered (d x n): G = Yc.T @ Yc is syrk(a=Yc.T, trans=0)
        syrk = get_blas_funcs("syrk", (Yc,))
        G = syrk(1.0, Yc.T, trans=0, lower=0)
        G = np.triu(G) + np.triu(G, 1).T
        try:
            U = scipy.linalg.cholesky(G, lower=False, check_finite=False)
            if np.all(np.isfinite(U)):
                # G = U^T U
                return lambda Z: solve_triangular(
                    U, solve_triangular(U, Z, trans=True, xp=xp), xp=xp
                )
        except np.linalg.LinAlgError:
            pass
    else:
        G = xp.matrix_transpose(Y) @ Y
        try:
            L = xp.linalg.cholesky(G)
            if bool(xp.all(xp.isfinite(L))):
                # G = L L^T
                return lambda Z: solve_triangular(
                    L, solve_triangular(L, Z, lower=True, xp=xp), lower=True, trans=True, xp=xp
                )
        except Exception:  # each library raises its own LinAlgError
            pass
    # Y is well conditioned, so this needs a broken sketch: eigen-solve instead
    w, V = xp.linalg.eigh(G)
    w = xp.where(w > 0, w, xp.ones_like(w))

    def solve(Z):
        return V @ ((xp.matrix_transpose(V) @ Z) / w[:, None])

    return solve


def _refine(A, B, apply_N, apply_Nt, gram_solve, xp, tol, maxiter, floor):
    """Sweeps ``x <- x + N (Y^T Y)^{-1} N^T A^T (b - A x)`` from x = 0.

    Stops, converged, once every column's update is below ``tol ||x_j||``.
    When the corrections stop shrinking (from the third sweep on, a sweep
    less than halves the largest relative update) the sweeps have reached
    the level set by rounding and stop; that counts as converged only if
    every column's last update is within ``floor(||x_j||, ||r_j||) ||x_j||``
    (the forward-error level of a backward-stable solver, see
    :func:`_stall_floor`). Running out of `maxiter` sweeps is not
    converged. Returns ``(X, B - A X, sweeps, converged)``.
    """
    d = A.shape[1]
    # made on A's device: x + dx must not mix devices
    x = xp.zeros((d, B.shape[1]), dtype=B.dtype, device=device_of(A))
    res = B
    prev = math.inf
    converged = False
    it = 0
    for it in range(1, maxiter + 1):
        dx = apply_N(gram_solve(apply_Nt(rmatmul(A, res, xp))))
        x = x + dx
        res = B - matmul(A, x)
        # the tests run where x lives, in float64 as on the host; only their
        # scalar outcomes leave the device
        xnorm = _col_norms64(x, xp)
        step = _col_norms64(dx, xp)
        if bool(xp.all(step <= tol * xnorm)):
            converged = True
            break
        # largest update relative to its column (an exact zero column of x
        # counts as a full step if its update is nonzero, as none if it is
        # zero: a zero right-hand side must not look like a stall)
        nz = xnorm > 0
        xsafe = xp.where(nz, xnorm, xp.ones_like(xnorm))
        moved = xp.astype(step > 0, xnorm.dtype)
        rel = float(xp.max(xp.where(nz, step / xsafe, moved)))
        if it > 2 and rel > 0.5 * prev:
            # corrections (sweeps 2, 3, ...; sweep 1 is x itself, which can
            # be far off when d u cond^2 > 1) no longer contract: working
            # precision is reached
            level = floor(xnorm, _col_norms64(res, xp))
            # within max(tol, level) ||x_j|| for every column; a zero column
            # (level inf) only with a zero update, without forming inf * 0
            ok = (step <= tol * xnorm) | (nz & (step <= level * xsafe))
            converged = bool(xp.all(ok))
            break
        prev = rel
    return x, res, it, converged


def _stall_floor(d, u, smax, cond, xp):
    """``(||x_j||, ||r_j||) -> c d u (cond + cond^2 eta_j)`` per column.

    The forward-error level of a backward-stable least-squares solver, with
    ``eta = ||r|| / (||A|| ||x||)``; ``||A||`` and ``cond(A)`` are read from
    the sketch (within its distortion). Rounding in the residual and in
    ``A^T r`` bounds what fixed-precision refinement can reach at about this
    level, so a stall there is convergence.
    """

    def floor(xnorm, rnorm):
        nz = xnorm > 0
        with np.errstate(divide="ignore", over="ignore"):  # NumPy-backed xp
            eta = xp.where(
                nz, rnorm / (smax * xp.where(nz, xnorm, xp.ones_like(xnorm))),
                xp.full_like(xnorm, math.inf),
            )
            # cond * (cond * eta): no Python OverflowError from cond**2, and
            # no inf * 0 for a zero residual when cond^2 exceeds the range
            return _STALL_CONSTANT * d * u * (cond + cond * (cond * eta))

    return floor


def _preconditioner(A, R, r, xp, numpy_fast):
    """``(Y = A N, Z -> N Z, Z -> N^T Z)`` for the sketch's factor ``R``."""
    if r < A.shape[1]:
        # rank deficient: N = V_r diag(1/s_r) from the SVD of R (same right
        # singular space as S A); x stays in range(V_r) = row space of A
        _, sr, Vt = xp.linalg.svd(R, full_matrices=False)
        N = xp.matrix_transpose(Vt[:r, :]) / sr[:r][None, :]
        Nt = xp.matrix_transpose(N)
        return A @ N, (lambda Z: N @ Z), (lambda Z: Nt @ Z)
    if numpy_fast:
        # N = R^{-1} explicitly (O(d^3), small): Y = A N and the sweeps use
        # products rather than triangular solves (the benchmark docs time
        # both); rounding in R^{-1} only perturbs the preconditioner, which
        # the refinement sweeps absorb
        from scipy.linalg.lapack import get_lapack_funcs

        N = np.triu(get_lapack_funcs("trtri", (R,))(R, lower=0)[0])
        return A @ N, (lambda Z: N @ Z), (lambda Z: N.T @ Z)
    Y = xp.matrix_transpose(solve_triangular(R, xp.matrix_transpose(A), trans=True, xp=xp))
    return (
        Y,
        lambda Z: solve_triangular(R, Z, xp=xp),
        lambda Z: solve_triangular(R, Z, trans=True, xp=xp),
    )


def precondition_dense(A, B, SA, xp, rcond, tol, maxiter):
    """The dense route: Cholesky QR of ``A N`` (or semi-normal) plus refinement."""
    d = A.shape[1]
    R = sketch_qr(SA, None, xp)[0]
    s = svdvals(R, xp)
    r = numerical_rank(s, rtol=rcond)
    if r == 0:
        X = xp.zeros((d, B.shape[1]), dtype=B.dtype, device=device_of(A))
        return Solution(X, B, 0, 0, math.inf, True, "none")
    smax = float(s[0])
    cond = smax / float(s[r - 1])
    numpy_fast = is_numpy_namespace(xp) and isinstance(A, np.ndarray)
    u = float(np.finfo(numpy_dtype(A.dtype)).eps)
    floor = _stall_floor(d, u, smax, cond, xp)
    if numpy_fast and r == d and d * u * (cond * cond) <= _SEMINORMAL_LIMIT:
        # cond(A) is known from the sketch to be moderate: the refinement
        # converges with the Cholesky factor of A^T A itself (corrected
        # semi-normal equations, contraction ~ d u cond^2), which costs one
        # SYRK instead of a GEMM plus a SYRK. Falls through if it stalls.
        def ident(Z):
            return Z

        gram_solve = _gram_solver(A, xp, True)
        X, res, it, ok = _refine(A, B, ident, ident, gram_solve, xp, tol, maxiter, floor)
        if ok:
            return Solution(X, res, it, r, cond, True, "seminormal")
    Y, apply_N, apply_Nt = _preconditioner(A, R, r, xp, numpy_fast)
    gram_solve = _gram_solver(Y, xp, numpy_fast)
    del Y
    X, res, it, ok = _refine(A, B, apply_N, apply_Nt, gram_solve, xp, tol, maxiter, floor)
    return Solution(X, res, it, r, cond, ok, "cholqr")


def precondition_sparse(A, B, SA, SB, rcond, tol, maxiter):
    """The sparse route (scipy.sparse `A`, NumPy `B`): LSQR on ``A N``.

    ``N = V diag(1/s)`` from the truncated SVD of ``S A = U diag(s) V^T``,
    so ``S A N = U`` and ``U^T S b`` is the sketch-and-solve starting point.
    LSQR runs per column with ``atol = tol / 10`` and ``btol = tol``.
    """
    from scipy.sparse.linalg import LinearOperator, lsqr

    d = A.shape[1]
    U, s, Vt = np.linalg.svd(SA, full_matrices=False)
    r = numerical_rank(s, rtol=rcond)
    if r == 0:
        return Solution(np.zeros((d, B.shape[1]), dtype=B.dtype), B, 0, 0, math.inf, True, "none")
    cond = float(s[0]) / float(s[r - 1])
    N = Vt[:r, :].T / s[None, :r]
    op = LinearOperator(
        (A.shape[0], r),
        matvec=lambda y: np.asarray(A @ (N @ y)).ravel(),
        rmatvec=lambda z: N.T @ np.asarray(A.T @ z).ravel(),
        dtype=B.dtype,
    )
    Y0 = U[:, :r].T @ SB  # sketch-and-solve start: S A N = U
    X = np.empty((d, B.shape[1]), dtype=B.dtype)
    iters = 0
    converged = True
    for j in range(B.shape[1]):
        out = lsqr(op, B[:, j], atol=0.1 * tol, btol=tol, iter_lim=maxiter, x0=Y0[:, j])
        X[:, j] = N @ out[0]
        iters = max(iters, int(out[2]))
        converged = converged and out[1] in (0, 1, 2, 4, 5)
    res = B - matmul(A, X)
    return Solution(X, res, iters, r, cond, converged, "lsqr")
