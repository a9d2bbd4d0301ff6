"""Sketched least squares: sketch-and-precondition, sketch-and-solve, l-infinity.

The three methods share one pipeline: draw a sketch ``S`` (``m x n``), form
``S A`` and ``S b``, and factor the small ``m x d`` matrix ``S A``. They differ
in what they do with the factor:

* ``"precondition"`` uses ``R`` (or, when ``R`` reveals rank deficiency, the
  truncated SVD of ``S A``) as a right preconditioner ``N``. For dense ``A``
  it forms ``Y = A N`` (one BLAS-3 triangular solve or product), runs Cholesky
  QR on the well-conditioned ``Y`` (``Y^T Y = L L^T``, one BLAS-3 rank-k
  update) and solves, then refines with ``x <- x + N (L L^T)^{-1} N^T A^T (b -
  A x)`` until the update is below ``tol``. For sparse ``A`` it runs LSQR on
  ``A N`` from the sketch-and-solve starting point.
* ``"sketch"`` returns the minimizer of ``||S A x - S b||``.
* ``"linf"`` does the same with a dense Hadamard-based sketch (SRHT) sized for
  the per-coordinate guarantee of Song, Ye, Yin and Zhang.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np

from .._backend import (
    array_namespace,
    device_of,
    is_numpy_namespace,
    is_sparse,
    solve_triangular,
)
from .._random import check_rng
from .._validate import (
    check_array,
    check_finite_through,
    check_int,
    check_matching_rows,
    check_option,
    check_real,
    result_dtype,
)
from ..sketch import gaussian, sparse_sign, srht

__all__ = ["lstsq", "LstsqInfo", "ConvergenceWarning"]

_METHODS = ("precondition", "sketch", "linf")
_SKETCHES = ("sparse_sign", "countsketch", "gaussian", "srht")


class ConvergenceWarning(RuntimeWarning):
    """An iterative solver stopped before reaching its tolerance.

    :func:`lstsq` issues it when ``"precondition"`` (dense refinement or
    sparse LSQR) ends with ``info.converged == False``: `maxiter` was hit,
    or the iteration stalled above the rounding level. The returned solution
    is the last iterate. Turn it into an error with
    ``warnings.simplefilter("error", nla.ConvergenceWarning)``.

    Examples
    --------
    >>> import warnings, numpy as np, nla
    >>> A = np.random.default_rng(0).standard_normal((500, 5)) * np.logspace(0, -8, 5)
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     x = nla.lstsq(A, np.ones(500), maxiter=1, rng=0)
    >>> [type(m.message).__name__ for m in w]
    ['ConvergenceWarning']
    """


@dataclasses.dataclass(frozen=True)
class LstsqInfo:
    """Diagnostics of :func:`lstsq` (returned with ``return_info=True``).

    Attributes
    ----------
    method : str
        The method that ran (``"exact"`` when a sketching method fell back to
        the full-accuracy solver because the sketch would not have been smaller
        than ``A``).
    iterations : int
        Refinement sweeps (dense ``"precondition"``), LSQR iterations (sparse
        ``"precondition"``, the largest over right-hand sides), 0 otherwise.
    sketch_rows : int
        Rows ``m`` of the sketch that was applied (``n`` for no sketch).
    sketch : str
        Kind of sketch (``"sparse_sign"``, ``"countsketch"``, ``"gaussian"``,
        ``"srht"`` or ``"none"``).
    rank : int
        Numerical rank read from the sketch's factor.
    condition_estimate : float
        ``sigma_max / sigma_min`` of the sketch ``S A`` over the kept rank: an
        estimate of ``cond(A)`` within the sketch's distortion.
    residual_norm : float or ndarray
        ``||b - A x||_2`` (one value per column for 2-D `b`).
    converged : bool
        Whether the iterative part met `tol`, or stalled at the rounding
        level described under `tol` in :func:`lstsq` (always True for the
        one-shot sketching methods). When False, :func:`lstsq` issues a
        :class:`ConvergenceWarning`.
    route : str
        How the solution was computed: ``"cholqr"`` (Cholesky QR of ``A
        R^{-1}`` plus refinement), ``"seminormal"`` (refinement with the
        Cholesky factor of ``A^T A``, taken only when the sketch shows
        ``d u cond(A)^2 <= 1e-3``), ``"lsqr"`` (sparse ``A``),
        ``"sketch-and-solve"``, or ``"none"`` (``S A`` is zero, so ``x = 0``).
    """

    method: str
    iterations: int
    sketch_rows: int
    sketch: str
    rank: int
    condition_estimate: float
    residual_norm: object
    converged: bool
    route: str


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _np_float(xp, dt):
    return np.float32 if dt == xp.float32 else np.float64


def _make_sketch(kind, n, m, rng, dtype):
    if kind == "gaussian":
        return gaussian(n, m, rng=rng, dtype=dtype)
    if kind == "srht":
        return srht(n, m, rng=rng, dtype=dtype)
    if kind == "countsketch":
        return sparse_sign(n, m, nnz_per_column=1, rng=rng, dtype=dtype)
    return sparse_sign(n, m, nnz_per_column=min(8, m), rng=rng, dtype=dtype)


def _srht_max_rows(n):
    return 1 << max(0, (n - 1).bit_length())


def _svd_factor(SA, xp, rcond):
    """Truncated SVD of the sketch: (Vt_r, s_r, U_r, rank, cond)."""
    U, s, Vt = xp.linalg.svd(SA, full_matrices=False)
    smax = float(s[0])
    if smax == 0.0:
        return U[:, :0], s[:0], Vt[:0, :], 0, math.inf
    r = int(xp.sum(xp.astype(s > rcond * smax, xp.int32)))
    return U[:, :r], s[:r], Vt[:r, :], r, smax / float(s[r - 1])


def _svdvals(R, xp):
    """Singular values of the small triangular factor.

    With NumPy through scipy.linalg, the library that factored ``S A`` just
    before: NumPy and SciPy ship separate OpenBLAS builds, and a call into
    one while the other's worker threads still spin after their last call
    was measured 5-20x slower (5 ms against 90 ms for d = 256 on 2 cores).
    """
    if is_numpy_namespace(xp) and isinstance(R, np.ndarray):
        import scipy.linalg

        return scipy.linalg.svdvals(R, check_finite=False)
    return xp.linalg.svdvals(R)


def _sketch_qr(SA, SB, xp):
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


def _solve_sketched(SA, Sb, xp, rcond):
    """Minimum-norm minimizer of ||SA x - Sb|| and (rank, cond).

    QR of the sketch (``c = Q^T S b`` taken along, see :func:`_sketch_qr`),
    then the singular values of the small R decide the rank: full rank
    solves ``R x = c``, otherwise ``x = V_r diag(1/s_r) U_r^T c`` from the
    truncated SVD ``R = U diag(s) V^T`` (the minimum-norm minimizer, since
    ``range(S A)`` lies in ``range(Q)``).
    """
    d = SA.shape[1]
    R, c = _sketch_qr(SA, Sb, xp)
    s = _svdvals(R, xp)
    smax = float(s[0])
    if smax == 0.0:
        return xp.zeros((d, Sb.shape[1]), dtype=SA.dtype, device=device_of(SA)), 0, math.inf
    r = int(xp.sum(xp.astype(s > rcond * smax, xp.int32)))
    cond = smax / float(s[r - 1])
    if r == d:
        return solve_triangular(R, c, xp=xp), r, cond
    U, sr, Vt = xp.linalg.svd(R, full_matrices=False)
    coef = (xp.matrix_transpose(U[:, :r]) @ c) / sr[:r][:, None]
    return xp.matrix_transpose(Vt[:r, :]) @ coef, r, cond


def _matmul(A, X, xp):
    out = A @ X
    if not hasattr(out, "__array_namespace__") and is_numpy_namespace(xp):
        out = np.asarray(out)
    return out


def _rmatmul(A, X, xp):
    """``A.T @ X`` for dense or sparse A."""
    if is_sparse(A):
        return np.asarray(A.T @ X)
    return xp.matrix_transpose(A) @ X


def _col_norms(X, xp):
    return xp.linalg.vector_norm(X, axis=0)


def _col_norms64(X, xp):
    """Column norms of `X` as float64, on the device of `X`."""
    return xp.astype(_col_norms(X, xp), xp.float64)


def _gram_solver(Y, xp, numpy_fast):
    """``Z -> (Y^T Y)^{-1} Z`` by Cholesky of the Gram matrix of a
    well-conditioned Y (BLAS-3 rank-k update with NumPy)."""
    linalg = xp.linalg
    if numpy_fast:
        import scipy.linalg
        from scipy.linalg.blas import get_blas_funcs

        Yc = Y if Y.flags.c_contiguous else np.ascontiguousarray(Y)
        # Yc.T is Fortran-ordered (d x n): G = Yc.T @ Yc is syrk(a=Yc.T, trans=0)
        syrk = get_blas_funcs("syrk", (Yc,))
        G = syrk(1.0, Yc.T, trans=0, lower=0)
        Gs = np.triu(G) + np.triu(G, 1).T
        try:
            U = scipy.linalg.cholesky(Gs, lower=False, check_finite=False)
            ok = bool(np.all(np.isfinite(U)))
        except np.linalg.LinAlgError:
            ok = False
        if ok:
            def solve(Z):
                t = scipy.linalg.solve_triangular(U, Z, trans=1, check_finite=False)
                return scipy.linalg.solve_triangular(U, t, check_finite=False)

            return solve
        G = Gs
    else:
        G = xp.matrix_transpose(Y) @ Y
        try:
            L = linalg.cholesky(G)
            ok = bool(xp.all(xp.isfinite(L)))
        except Exception:
            ok = False
        if ok:
            def solve(Z):
                t = solve_triangular(L, Z, lower=True, xp=xp)
                return solve_triangular(L, t, lower=True, trans=True, xp=xp)

            return solve
    # Y is well conditioned, so this needs a broken sketch: eigen-solve instead
    w, V = linalg.eigh(G)
    w = xp.where(w > 0, w, xp.ones_like(w))

    def solve(Z):
        return V @ ((xp.matrix_transpose(V) @ Z) / w[:, None])

    return solve


# ---------------------------------------------------------------------------
# precondition: dense route (Cholesky QR + refinement)
# ---------------------------------------------------------------------------


#: constant ``c`` of the rounding level ``c d u (cond + cond^2 eta)`` at which
#: a stalled refinement counts as converged (see :func:`_refine`)
_STALL_CONSTANT = 10.0


def _refine(A, b, apply_N, apply_Nt, gram_solve, xp, tol, maxiter, floor):
    """Sweeps ``x <- x + N (Y^T Y)^{-1} N^T A^T (b - A x)`` from x = 0.

    Stops, converged, once every column's update is below ``tol ||x_j||``.
    When the corrections stop shrinking (from the third sweep on, a sweep
    less than halves the largest relative update) the sweeps have reached
    the level set by rounding and stop; that counts as converged only if
    every column's last update is within ``floor(||x_j||, ||r_j||) ||x_j||``
    (the forward-error level of a backward-stable solver, see
    :func:`_precond_dense`). Running out of `maxiter` sweeps is not
    converged.
    """
    d = A.shape[1]
    # made on A's device: x + dx must not mix devices
    x = xp.zeros((d, b.shape[1]), dtype=b.dtype, device=device_of(A))
    res = b
    prev = math.inf
    converged = False
    it = 0
    for it in range(1, maxiter + 1):
        dx = apply_N(gram_solve(apply_Nt(_rmatmul(A, res, xp))))
        x = x + dx
        res = b - _matmul(A, x, xp)
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


def _precond_dense(A, b, SA, xp, rcond, tol, maxiter):
    d = A.shape[1]
    linalg = xp.linalg
    # sketch factor: R from QR, checked through its singular values
    R = _sketch_qr(SA, None, xp)[0]
    s = _svdvals(R, xp)
    smax = float(s[0])
    r = int(xp.sum(xp.astype(s > rcond * smax, xp.int32))) if smax > 0 else 0
    if r == 0:
        x = xp.zeros((d, b.shape[1]), dtype=b.dtype, device=device_of(A))
        return x, b, 0, 0, math.inf, True, "none"
    cond = smax / float(s[r - 1])
    numpy_fast = is_numpy_namespace(xp) and isinstance(A, np.ndarray)
    u = float(np.finfo(_np_float(xp, A.dtype)).eps)

    def floor(xnorm, rnorm):
        # forward-error level of a backward-stable LS solver, c d u (cond +
        # cond^2 eta) with eta = ||r|| / (||A|| ||x||); ||A|| and cond(A) are
        # read from the sketch (within its distortion). Rounding in the
        # residual and in A^T r bounds what fixed-precision refinement can
        # reach at about this level, so a stall there is convergence.
        nz = xnorm > 0
        with np.errstate(divide="ignore", over="ignore"):  # NumPy-backed xp
            eta = xp.where(
                nz, rnorm / (smax * xp.where(nz, xnorm, xp.ones_like(xnorm))),
                xp.full_like(xnorm, math.inf),
            )
        return _STALL_CONSTANT * d * u * (cond + cond**2 * eta)
    if numpy_fast and r == d and d * u * cond**2 <= 1e-3:
        # cond(A) is known from the sketch to be moderate: the refinement
        # converges with the Cholesky factor of A^T A itself (corrected
        # semi-normal equations, contraction ~ d u cond^2), which costs one
        # SYRK instead of a GEMM plus a SYRK. Falls through if it stalls.
        def ident(Z):
            return Z

        gram_solve = _gram_solver(A, xp, True)
        x, res, it, converged = _refine(A, b, ident, ident, gram_solve, xp, tol, maxiter, floor)
        if converged:
            return x, res, it, r, cond, converged, "seminormal"
    if r == d:
        # N = R^{-1}. With NumPy: the explicit triangular inverse (O(d^3),
        # small) and one GEMM beat a TRSM on tall A; rounding in R^{-1} only
        # perturbs the preconditioner, which the refinement sweeps absorb.
        if numpy_fast:
            import scipy.linalg

            Rinv = scipy.linalg.lapack.get_lapack_funcs("trtri", (R,))(R, lower=0)[0]
            N = np.triu(Rinv)
            Y = A @ N

            def apply_N(Z):
                return N @ Z

            def apply_Nt(Z):
                return N.T @ Z

        else:
            Y = xp.matrix_transpose(
                solve_triangular(R, xp.matrix_transpose(A), trans=True, xp=xp)
            )

            def apply_N(Z):
                return solve_triangular(R, Z, xp=xp)

            def apply_Nt(Z):
                return solve_triangular(R, Z, trans=True, xp=xp)

    else:
        # rank deficient: N = V_r diag(1/s_r) from the SVD of R (same right
        # singular space as S A); x stays in range(V_r) = row space of A
        _, sr, Vt = linalg.svd(R, full_matrices=False)
        N = xp.matrix_transpose(Vt[:r, :]) / sr[:r][None, :]
        Y = A @ N

        def apply_N(Z):
            return N @ Z

        def apply_Nt(Z):
            return xp.matrix_transpose(N) @ Z

    gram_solve = _gram_solver(Y, xp, numpy_fast)
    del Y

    x, res, it, converged = _refine(A, b, apply_N, apply_Nt, gram_solve, xp, tol, maxiter, floor)
    return x, res, it, r, cond, converged, "cholqr"


# ---------------------------------------------------------------------------
# precondition: sparse route (LSQR on A N)
# ---------------------------------------------------------------------------


def _precond_sparse(A, b, SA, Sb, xp, rcond, tol, maxiter):
    from scipy.sparse.linalg import LinearOperator, lsqr

    d = A.shape[1]
    U, s, Vt, r, cond = _svd_factor(SA, xp, rcond)
    if r == 0:
        return np.zeros((d, b.shape[1]), dtype=b.dtype), b, 0, 0, math.inf, True, "none"
    N = Vt.T / s[None, :]
    dt = b.dtype
    op = LinearOperator(
        (A.shape[0], r),
        matvec=lambda y: np.asarray(A @ (N @ y)).ravel(),
        rmatvec=lambda z: N.T @ np.asarray(A.T @ z).ravel(),
        dtype=dt,
    )
    y0 = U.T @ Sb  # sketch-and-solve start: S A N = U
    x = np.empty((d, b.shape[1]), dtype=dt)
    iters = 0
    converged = True
    for j in range(b.shape[1]):
        out = lsqr(op, b[:, j], atol=0.1 * tol, btol=tol, iter_lim=maxiter, x0=y0[:, j])
        x[:, j] = N @ out[0]
        iters = max(iters, int(out[2]))
        converged = converged and out[1] in (0, 1, 2, 4, 5)
    res = b - np.asarray(A @ x)
    return x, res, iters, r, cond, converged, "lsqr"


# ---------------------------------------------------------------------------
# public function
# ---------------------------------------------------------------------------


def lstsq(
    A,
    b,
    *,
    method="precondition",
    rng=None,
    tol=1e-10,
    eps=None,
    delta=0.01,
    sketch=None,
    sketch_rows=None,
    maxiter=None,
    rcond=None,
    check_finite=True,
    return_info=False,
):
    r"""Solve ``min_x ||A x - b||_2`` for tall ``A`` with randomized sketching.

    Parameters
    ----------
    A : (n, d) array or scipy.sparse matrix
        Tall matrix, ``n >= d``. Sparse input is never densified whole: the
        sparse sign, CountSketch and Gaussian sketches and LSQR use only
        sparse products; the SRHT (``"linf"``, or ``sketch="srht"``)
        densifies it one block of columns at a time, ``max(1, 2**25 // (8
        n'))`` columns per block (``n'`` = ``n`` rounded up to a power of
        two): at most 32 MB of dense scratch per block once ``n' <= 2**22``,
        a single column beyond.
    b : (n,) or (n, k) array
        Right-hand side(s).
    method : {"precondition", "sketch", "linf"}, optional
        ``"precondition"`` (default): full accuracy. A sparse sign sketch of
        ``4 d`` rows gives ``R`` with ``A R^{-1}`` well conditioned; dense
        ``A`` is then solved by Cholesky QR on ``A R^{-1}`` plus refinement
        sweeps, sparse ``A`` by LSQR on ``A R^{-1}``, both to `tol`. When
        the sketch shows ``d u cond(A)^2 <= 1e-3`` (``u`` the unit
        roundoff), dense ``A`` skips the product ``A R^{-1}`` and refines
        with the Cholesky factor of ``A^T A`` (corrected semi-normal
        equations), falling back to Cholesky QR if that stalls.
        ``"sketch"``: sketch-and-solve, ``||A x - b|| <= (1 + eps)^{1/2}
        ||A x^* - b||`` in expectation for a Gaussian sketch (see Notes).
        ``"linf"``: sketch-and-solve with a dense Hadamard-based sketch sized
        for the per-coordinate guarantee of Song, Ye, Yin and Zhang.
    rng : None, int or numpy.random.Generator, optional
        Source of randomness (SPEC 7); the same `rng` gives the same result.
    tol : float, optional
        ``"precondition"`` only: stop when a refinement update (or LSQR's
        residual test) is below ``tol`` relative to ``||x||`` (default 1e-10).
        Where rounding keeps the updates from falling below ``tol`` (float32,
        or large ``cond(A)``), the sweeps stop when they no longer contract,
        and that counts as converged if the last update is within the
        forward-error level of a backward-stable solver, ``10 d u (cond +
        cond^2 eta) ||x||`` with ``eta = ||r|| / (||A|| ||x||)``, ``u`` the
        unit roundoff, ``||A||`` and ``cond`` estimated from the sketch.
    eps : float, optional
        Accuracy of the sketching methods: for ``"sketch"`` the excess
        residual factor (default 0.5, giving ``m = d + ceil(d / eps) + 1``),
        ``E ||A x - b||^2 <= (1 + eps) ||A x^* - b||^2``; that expectation is
        proven only for ``sketch="gaussian"``. The default sparse sign sketch
        uses the same ``m`` and gives an excess of about the same size in
        practice, but without that identity or a proven constant. For ``"linf"`` the factor in
        the l-infinity bound (default 1.0).
    delta : float, optional
        ``"linf"``: failure probability used to size the sketch (default 0.01).
    sketch : {"sparse_sign", "countsketch", "gaussian", "srht"}, optional
        Sketch for ``"precondition"`` and ``"sketch"`` (default
        ``"sparse_sign"`` with 8 nonzeros per column; ``"countsketch"`` is the
        one-nonzero variant). ``"linf"`` always uses the SRHT and rejects
        other values.
    sketch_rows : int or "theorem", optional
        Rows ``m`` of the sketch, overriding the defaults. For ``"linf"``,
        ``"theorem"`` uses the paper's ``m = eps^-2 d ln^3(n / delta)``.
    maxiter : int, optional
        ``"precondition"``: maximum refinement sweeps (default 20) or LSQR
        iterations (default ``4 d + 100``). Stopping here before `tol` is met
        issues a :class:`ConvergenceWarning` (and ``info.converged`` is
        False).
    rcond : float, optional
        Relative cut-off on the singular values of the sketch's factor below
        which directions are treated as null (default ``m * eps_machine``).
    check_finite : bool, optional
        Reject NaN and Inf in `A` and `b` (default True).
    return_info : bool, optional
        Also return an :class:`LstsqInfo`.

    Returns
    -------
    x : (d,) or (d, k) array
        The solution, in the namespace, on the device and in the floating
        dtype of the inputs (float32 only if both are float32).
    info : LstsqInfo
        Only with ``return_info=True``.

    Raises
    ------
    ValueError
        Mismatched shapes, ``n < d`` (the problem is not overdetermined; use
        ``scipy.linalg.lstsq``), NaN/Inf, empty arrays, bad options.

    Warns
    -----
    ConvergenceWarning
        ``"precondition"`` stopped before meeting `tol` (``info.converged``
        is False): `maxiter` was reached, or the iteration stalled above the
        rounding level.

    See Also
    --------
    scipy.linalg.lstsq, numpy.linalg.lstsq, scipy.sparse.linalg.lsqr,
    nla.sketch.sparse_sign, nla.sketch.srht, ConvergenceWarning

    Notes
    -----
    **Rank deficiency** (``"precondition"``): the singular values of the
    sketch's ``R`` are checked against ``rcond``. If ``r < d`` of them are
    kept, the preconditioner is ``N = V_r diag(1/s_r)`` from the SVD of ``R``.
    Since ``S`` embeds ``range(A)``, ``S A`` and ``A`` have the same null
    space, so ``V_r`` spans the row space of ``A`` and the result is the
    minimum-norm least-squares solution (what ``gelsd`` returns), up to the
    ``rcond`` cut-off. ``info.rank`` reports ``r``. The sketching methods
    return the minimum-norm minimizer of the sketched problem.

    **Sketch-and-solve** (``"sketch"``): for a Gaussian ``S`` with ``m`` rows
    the excess is exact in expectation, ``E ||A x' - b||^2 = (1 + d / (m - d -
    1)) ||A x^* - b||^2``, so ``m = d + ceil(d / eps) + 1`` gives a factor at
    most ``1 + eps``. The default sparse sign sketch (8 nonzeros per column)
    behaves alike for ``m >= 2 d`` in practice, without that identity: for
    it ``eps`` only sets ``m``, and the ``1 + eps`` factor is not a proven
    guarantee.

    **l-infinity** (``"linf"``): the guarantee of [3]_ is

    .. math:: \|x' - x^*\|_\infty \le \frac{\epsilon}{\sqrt d}
              \|A x^* - b\|_2 \|A^+\|_2

    with probability ``1 - delta`` for ``m = C eps^-2 d log^3(n / delta)``
    rows of a dense sketch such as the SRHT ``S = sqrt(n'/m) P H D``, whose
    product ``S A`` costs ``O(n d log n)``. The paper's constant ``C`` is not
    explicit and the ``log^3`` factor is large: with ``C = 1``
    (``sketch_rows="theorem"``) and ``n = 2^17, d = 256, eps = 1, delta =
    0.01`` it asks for ``m ~ 1.1e6 > n``. The default instead is the row
    count that the same bound needs for a Gaussian sketch, where ``e_j^T (S
    A)^+ S r^*`` is Gaussian with variance at most ``||r^*||^2 ||A^+||^2 / (m
    - d)``: ``m = d + ceil(2 eps^-2 d ln(2 d / delta))``. The SRHT meets the
    bound at this size in the tests and benchmarks (coordinates of the
    Hadamard-mixed residual are nearly Gaussian); it is an empirical choice,
    not the theorem. Larger ``m`` is safer and slower. Sparse sketches
    (CountSketch, leverage sampling) cannot give this guarantee at any
    comparable size [4]_: ``sketch="countsketch"`` with ``method="sketch"``
    shows the failure on heavy-leverage problems. Whenever the requested
    ``m`` is not smaller than ``n`` (or the SRHT's padded length), no sketch
    is applied and the full-accuracy solver runs instead
    (``info.method == "exact"``); the bound then holds trivially.

    References
    ----------
    .. [1] H. Avron, P. Maymounkov, S. Toledo, "Blendenpik: Supercharging
       LAPACK's least-squares solver", SIAM J. Sci. Comput. 32 (2010).
    .. [2] X. Meng, M. A. Saunders, M. W. Mahoney, "LSRN: A parallel iterative
       solver for strongly over- or underdetermined systems", SIAM J. Sci.
       Comput. 36 (2014).
    .. [3] Z. Song, M. Ye, J. Yin, L. Zhang, "A nearly-optimal bound for fast
       regression with l-infinity guarantee", ICML 2023, arXiv:2302.00248.
    .. [4] E. Price, Z. Song, D. P. Woodruff, "Fast regression with an
       l-infinity guarantee", ICALP 2017.

    Examples
    --------
    >>> import numpy as np, scipy.linalg, nla
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((2000, 20)) * np.logspace(0, -4, 20)
    >>> b = A @ rng.standard_normal(20) + 1e-3 * rng.standard_normal(2000)
    >>> x, info = nla.lstsq(A, b, rng=1, return_info=True)
    >>> x_ref = scipy.linalg.lstsq(A, b)[0]
    >>> bool(np.linalg.norm(x - x_ref) <= 1e-8 * np.linalg.norm(x_ref))
    True
    >>> info.method, info.sketch_rows, info.rank
    ('precondition', 80, 20)
    >>> xs = nla.lstsq(A, b, method="sketch", eps=0.25, rng=1)
    >>> r_opt = np.linalg.norm(A @ x_ref - b)
    >>> bool(np.linalg.norm(A @ xs - b) <= 1.5 * r_opt)
    True
    """
    method = check_option(method, "method", _METHODS)
    # A dense A is checked for NaN/Inf through its sketch S A (below), which
    # is non-finite in every column where A is: one pass over A saved
    defer = check_finite and not is_sparse(A)
    A = check_array(A, "A", ndim=2, allow_sparse=True, check_finite=check_finite and not defer)
    b = check_array(b, "b", ndim=(1, 2), check_finite=check_finite)
    if is_sparse(A):
        xp = array_namespace(b)
        if not is_numpy_namespace(xp):
            raise TypeError("a scipy.sparse A needs b to be a NumPy array")
        A = A.tocsr()
    else:
        xp = array_namespace(A, b)
    check_matching_rows(A, b, "A", "b")
    n, d = A.shape
    if n < d:
        raise ValueError(
            f"A must have at least as many rows as columns (n >= d), got A.shape={(n, d)}; "
            "nla.lstsq solves overdetermined problems (use scipy.linalg.lstsq for wide ones)"
        )
    tol = check_real(tol, "tol", low=0.0, high=1.0, low_open=True)
    delta = check_real(delta, "delta", low=0.0, high=1.0, low_open=True, high_open=True)
    if eps is not None:
        eps = check_real(eps, "eps", low=0.0, low_open=True)
    if sketch is not None:
        sketch = check_option(sketch, "sketch", _SKETCHES)
        if method == "linf" and sketch != "srht":
            raise ValueError(
                f"sketch={sketch!r} is not allowed with method='linf', which needs "
                "the dense SRHT; use method='sketch' to try other sketches"
            )
    if rcond is not None:
        rcond = check_real(rcond, "rcond", low=0.0, high=1.0)
    if maxiter is not None:
        maxiter = check_int(maxiter, "maxiter", low=1)
    rng = check_rng(rng)

    dt = result_dtype(xp, A, b)
    npdt = _np_float(xp, dt)
    if is_sparse(A):
        if A.dtype != npdt:
            A = A.astype(npdt)
    elif A.dtype != dt:
        A = xp.astype(A, dt)
    if b.dtype != dt:
        b = xp.astype(b, dt)
    vec = b.ndim == 1
    B = xp.reshape(b, (n, 1)) if vec else b
    machine_eps = float(np.finfo(npdt).eps)

    # ---- sketch size and kind --------------------------------------------
    if method == "linf":
        kind = "srht"
        e = 1.0 if eps is None else eps
        if sketch_rows is None:
            m = d + math.ceil(2.0 * d * math.log(2.0 * d / delta) / e**2)
        elif isinstance(sketch_rows, str) and sketch_rows == "theorem":
            m = math.ceil(d * math.log(n / delta) ** 3 / e**2)
        else:
            m = check_int(sketch_rows, "sketch_rows", low=d)
        if m >= n or m > _srht_max_rows(n):
            m = None  # no reduction: solve exactly
    else:
        kind = sketch or "sparse_sign"
        if sketch_rows is not None:
            m = check_int(sketch_rows, "sketch_rows", low=d)
        elif method == "sketch":
            e = 0.5 if eps is None else eps
            m = d + math.ceil(d / e) + 1
        else:
            m = 4 * d
        if kind == "srht" and m > _srht_max_rows(n):
            m = _srht_max_rows(n) if method == "precondition" else None
        if method == "sketch" and m is not None and m >= n:
            m = None
    if rcond is None:
        rcond = machine_eps * max(m or 4 * d, d)

    if m is None:
        # the sketch would not be smaller than A: full accuracy instead, by the
        # sketch-preconditioned solver with its default sparse sign sketch
        run, m_used, kind_used = "exact", 4 * d, "sparse_sign"
    else:
        run, m_used, kind_used = method, m, kind
    S = _make_sketch(kind_used, n, m_used, rng, npdt)
    SA = S.apply(A, check_finite=False)  # A was checked above, or is just below
    if not hasattr(SA, "__array_namespace__") and is_numpy_namespace(xp):
        SA = np.asarray(SA)
    if defer:
        check_finite_through(SA, A, "A", ndim=2)

    # ---- solve -----------------------------------------------------------
    iters_max = maxiter
    if run in ("sketch", "linf"):
        SB = S.apply(B, check_finite=False)
        X, rank, cond = _solve_sketched(SA, SB, xp, rcond)
        iters, converged, route = 0, True, "sketch-and-solve"
        res = B - _matmul(A, X, xp) if return_info else None
    else:
        if is_sparse(A):
            SB = S.apply(B, check_finite=False)
            X, res, iters, rank, cond, converged, route = _precond_sparse(
                A, B, SA, SB, xp, rcond, tol, iters_max or (4 * d + 100)
            )
        else:
            X, res, iters, rank, cond, converged, route = _precond_dense(
                A, B, SA, xp, rcond, tol, iters_max or 20
            )
    if not converged:
        limit = iters_max or (4 * d + 100 if route == "lsqr" else 20)
        warnings.warn(
            f"lstsq did not reach tol={tol:g} ({route} route, {iters} of at most "
            f"{limit} iterations): the solution may be inaccurate; raise maxiter "
            "or check info.converged",
            ConvergenceWarning,
            stacklevel=2,
        )
    x = X[:, 0] if vec else X
    if not return_info:
        return x
    rn = _col_norms(res, xp)
    rn = float(rn[0]) if vec else rn
    info = LstsqInfo(
        method=run,
        iterations=int(iters),
        sketch_rows=int(m_used),
        sketch=kind_used,
        rank=int(rank),
        condition_estimate=float(cond),
        residual_norm=rn,
        converged=bool(converged),
        route=route,
    )
    return x, info
