"""The public single-system solvers: gcrodr and cg_recycled."""

from __future__ import annotations

import numpy as np

from .._backend import single_blas_thread
from .._validate import check_engine, check_int
from . import _cg, _gcrodr
from ._common import (
    KrylovInfo,
    Operator,
    check_callback,
    check_recycle,
    check_system,
    check_tolerances,
    finish,
    nrm2,
)
from ._gcrodr import warn_unconverged

__all__ = ["gcrodr", "cg_recycled"]


def _prepare(A, b, x0, M, rtol, atol, maxiter, callback, recycle, engine, n_solutions):
    """Shared checks and conversions; returns a dict of prepared pieces."""
    A, b, x0, M, work, out = check_system(A, b, x0, M)
    n = A.shape[0]
    rtol, atol, maxiter = check_tolerances(rtol, atol, maxiter, n)
    check_callback(callback)
    check_engine(engine)
    s = check_int(n_solutions, "n_solutions", low=0)
    recycle = check_recycle(recycle, n, work)
    Aop = Operator(A, "A", n, work)
    Mop = None if M is None else Operator(M, "M", n, work)
    bw = np.asarray(b, dtype=work)
    xw = None if x0 is None else np.asarray(x0, dtype=work).copy()
    out_real = np.dtype(out.char.lower()) if out.kind == "c" else out
    out_real = np.float32 if out_real.itemsize <= 4 else np.float64
    return dict(A=Aop, M=Mop, b=bw, x0=xw, n=n, s=s, rtol=rtol, atol=atol,
                maxiter=maxiter, recycle=recycle, out=out, out_real=out_real)


def _zero_rhs(p):
    """b = 0: x = 0 exactly, no work; the recycle passes through."""
    info = KrylovInfo(True, 0, 0, 0.0, np.zeros(1, dtype=p["out_real"]), p["recycle"])
    return np.zeros(p["n"], dtype=p["out"]), info


def gcrodr(A, b, *, x0=None, M=None, m=40, k=20, recycle=None, rtol=1e-8, atol=0.0,
           maxiter=None, callback=None, n_solutions=6, engine=None):
    """Solve ``A x = b`` by GCRO-DR, recycling a subspace across solves.

    Restarted GMRES(m) deflated by ``k`` harmonic Ritz vectors (Parks et
    al. 2006), in its flexible form: right preconditioning, so the
    stopping test is on the true residual ``||b - A x||``. A `recycle`
    from an earlier solve seeds the first cycle; when A changed since, the
    recycled block is re-orthonormalized as ``[Q, R] = qr(A U)``, ``C =
    Q``, ``U = U R^-1``. Its stored solutions give the initial guess by a
    minimal residual projection (kept apart from the deflation space).

    Parameters
    ----------
    A : (n, n) ndarray, scipy.sparse matrix or LinearOperator
        Real or complex; float32 problems are solved in float64.
    b : (n,) ndarray
        Right-hand side.
    x0 : (n,) ndarray, optional
        Initial guess (default: zero, improved from the recycled solutions).
    M : (n, n) ndarray, scipy.sparse matrix or LinearOperator, optional
        Right preconditioner approximating ``A^-1`` (SciPy's convention).
    m : int, default 40
        Restart length (Krylov steps per cycle, recycled vectors included).
    k : int, default 20
        Harmonic Ritz vectors kept, ``0 <= k < m`` (0: restarted GMRES).
    recycle : Recycle, optional
        ``info.recycle`` of an earlier solve of order n.
    rtol, atol : float
        Stop when ``||b - A x|| <= max(rtol ||b||, atol)``.
    maxiter : int, optional
        Cap on Krylov steps (default ``10 n``).
    callback : callable, optional
        ``callback(iteration, info)`` after every cycle, `info` a
        :class:`KrylovInfo` of the current state (its recycle the current
        ``U, C``).
    n_solutions : int, default 6
        Solutions kept in the recycle for the next initial guess (0: none).
    engine : {None, "numpy", "numba"}
        Accepted for uniformity; GCRO-DR's products go through SciPy.

    Returns
    -------
    x : (n,) ndarray
        The solution, in the dtype of the inputs.
    info : KrylovInfo
        ``converged``, ``matvecs``, ``iterations``, ``residual_norm``
        (true, recomputed), ``residuals`` (one entry per cycle) and
        ``recycle`` (pass it to the next solve).

    Warns
    -----
    ConvergenceWarning
        When `maxiter` is reached before the tolerance (``converged`` False).

    See Also
    --------
    cg_recycled : for symmetric positive definite A.
    solve_sequence : a whole sequence, sorted, with recycling.
    scipy.sparse.linalg.gcrotmk : GCROT(m, k), the closest SciPy solver.

    References
    ----------
    .. [1] M. L. Parks, E. de Sturler, G. Mackey, D. D. Johnson, S. Maiti,
       "Recycling Krylov subspaces for sequences of linear systems", SIAM
       J. Sci. Comput. 28(5), 2006.
    .. [2] L. M. Carvalho, S. Gratton, R. Lago, X. Vasseur, "A flexible
       generalized conjugate residual method with inner orthogonalization
       and deflated restarting", SIAM J. Matrix Anal. Appl. 32(4), 2011.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> import nla
    >>> n = 200
    >>> A = sp.diags([-1.0, 2.2, -1.2], [-1, 0, 1], shape=(n, n), format="csr")
    >>> b = np.ones(n)
    >>> x, info = nla.gcrodr(A, b, m=30, k=10)
    >>> info.converged, bool(np.linalg.norm(b - A @ x) <= 1e-8 * np.linalg.norm(b))
    (True, True)
    >>> x2, info2 = nla.gcrodr(A, 1.01 * b, recycle=info.recycle)
    >>> info2.matvecs < info.matvecs
    True
    """
    p = _prepare(A, b, x0, M, rtol, atol, maxiter, callback, recycle, engine, n_solutions)
    m = check_int(m, "m", low=1)
    k = check_int(k, "k", low=0, high=m - 1)
    bnorm = nrm2(p["b"])
    if bnorm == 0:
        return _zero_rhs(p)
    tol = max(p["rtol"] * bnorm, p["atol"])
    with single_blas_thread():  # BLAS-2 on thin blocks: threads only add overhead
        x, info = _gcrodr.solve(
            p["A"], p["M"], p["b"], p["x0"], m=m, k=k, s=p["s"], recycle=p["recycle"],
            tol=tol, maxiter=p["maxiter"], callback=callback, out_real=p["out_real"],
        )
    warn_unconverged(info, "gcrodr", tol)
    return finish(x, p["out"]), info


def cg_recycled(A, b, *, x0=None, M=None, k=8, recycle=None, rtol=1e-8, atol=0.0,
                maxiter=None, callback=None, n_solutions=6, engine=None):
    """Solve a symmetric positive definite ``A x = b`` by recycled CG.

    Deflated CG (Saad et al. 2000) with ``k`` approximate eigenvectors of
    the smallest eigenvalues of ``M A`` carried from solve to solve, and an
    initial guess from the last `n_solutions` solutions (Galerkin
    projection ``x0 = Z (Z^H A Z)^-1 Z^H b``), the two kept apart.

    Parameters
    ----------
    A : (n, n) ndarray, scipy.sparse matrix or LinearOperator
        Symmetric (Hermitian) positive definite. Dense and sparse A are
        checked for symmetry and a positive diagonal; indefiniteness shows
        as a direction of non-positive curvature (ValueError). A
        LinearOperator is not checked for symmetry.
    b : (n,) ndarray
        Right-hand side.
    x0 : (n,) ndarray, optional
        Initial guess (default zero, improved from the recycled solutions).
    M : (n, n) ndarray, scipy.sparse matrix or LinearOperator, optional
        Symmetric positive definite preconditioner approximating ``A^-1``.
    k : int, default 8
        Deflation vectors carried (0: plain CG with recycled starts).
    recycle : Recycle, optional
        ``info.recycle`` of an earlier solve of order n.
    rtol, atol : float
        Stop when ``||b - A x|| <= max(rtol ||b||, atol)``.
    maxiter : int, optional
        Cap on CG steps (default ``10 n``).
    callback : callable, optional
        ``callback(iteration, info)`` after every step (this runs the
        NumPy loop instead of the fused kernel).
    n_solutions : int, default 6
        Solutions kept in the recycle for the next initial guess.
    engine : {None, "numpy", "numba"}
        CPU engine of the fused CG kernel (real float64 CSR A with no
        preconditioner or a diagonal one); other input runs a NumPy loop.

    Returns
    -------
    x : (n,) ndarray
    info : KrylovInfo
        As for :func:`gcrodr`; ``residuals`` has one entry per CG step.

    Raises
    ------
    ValueError
        When A or M is found not to be symmetric positive definite.

    Warns
    -----
    ConvergenceWarning
        When `maxiter` is reached before the tolerance.

    See Also
    --------
    gcrodr, solve_sequence, scipy.sparse.linalg.cg

    References
    ----------
    .. [1] Y. Saad, M. Yeung, J. Erhel, F. Guyomarc'h, "A deflated version
       of the conjugate gradient algorithm", SIAM J. Sci. Comput. 21(5), 2000.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> import nla
    >>> n = 300
    >>> A = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n), format="csr")
    >>> b = np.ones(n)
    >>> x, info = nla.cg_recycled(A, b)
    >>> info.converged
    True
    >>> A2 = A + sp.eye(n) * 1e-3
    >>> x2, info2 = nla.cg_recycled(A2, b, recycle=info.recycle)
    >>> info2.iterations < info.iterations
    True
    """
    return _cg_recycled(A, b, x0, M, k, recycle, rtol, atol, maxiter, callback, n_solutions,
                        engine, check=True)


def _cg_recycled(A, b, x0, M, k, recycle, rtol, atol, maxiter, callback, n_solutions, engine,
                 check):
    """cg_recycled's work; `check=False` when the caller checked A and M already."""
    p = _prepare(A, b, x0, M, rtol, atol, maxiter, callback, recycle, engine, n_solutions)
    k = check_int(k, "k", low=0, high=p["n"])
    if check:
        _cg.check_hermitian(p["A"], "A")
        if p["M"] is not None:
            _cg.check_hermitian(p["M"], "M")
    bnorm = nrm2(p["b"])
    if bnorm == 0:
        return _zero_rhs(p)
    tol = max(p["rtol"] * bnorm, p["atol"])
    with single_blas_thread():
        x, info = _cg.solve(
            p["A"], p["M"], p["b"], p["x0"], k=k, s=p["s"], recycle=p["recycle"], tol=tol,
            maxiter=p["maxiter"], callback=callback, engine=engine, out_real=p["out_real"],
        )
    warn_unconverged(info, "cg_recycled", tol)
    return finish(x, p["out"]), info
