"""Sketched least squares: the public :func:`lstsq` and its :class:`LstsqInfo`.

The three methods share one pipeline: plan the sketch (:mod:`._plan`), draw
``S`` (``m x n``) with :func:`nla.sketch.make_sketch`, form ``S A``, scale
``A`` and the columns of ``B`` by powers of two where they are far from 1
(:mod:`._scale`), and factor the small ``m x d`` matrix ``S A``. They differ in what they do with
the factor: ``"precondition"`` uses it as a right preconditioner
(:mod:`._precondition`), ``"sketch"`` and ``"linf"`` return the minimizer of
the sketched problem (:mod:`._sketch_solve`).
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from .._backend import (
    ConvergenceWarning,
    array_namespace,
    is_cupy_sparse,
    is_numpy_namespace,
    is_sparse,
    matmul,
    numpy_dtype,
)
from .._random import check_rng
from .._validate import (
    check_array,
    check_engine,
    check_finite_through,
    check_flag,
    check_int,
    check_matching_rows,
    check_option,
    check_rcond,
    check_real,
    result_dtype,
)
from ..sketch import make_sketch
from ._plan import METHODS, plan_sketch
from ._precondition import precondition_dense, precondition_sparse
from ._scale import Scaling, column_exponents, matrix_exponent, scale_columns, times_pow2
from ._sketch_solve import Solution, solve_sketched

__all__ = ["lstsq", "LstsqInfo"]


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
    sketch_size : int
        Rows ``m`` of the sketch that was applied.
    sketch : str
        Kind of sketch (``"sparse_sign"``, ``"countsketch"``, ``"gaussian"``
        or ``"srht"``).
    rank : int
        Numerical rank read from the sketch's factor.
    condition_estimate : float
        ``sigma_max / sigma_min`` of the sketch ``S A`` over the kept rank: an
        estimate of ``cond(A)`` within the sketch's distortion.
    residual_norm : float or array
        ``||b - A x||_2`` (one value per column for 2-D `b`, in the namespace
        and on the device of `b`).
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
    sketch_size: int
    sketch: str
    rank: int
    condition_estimate: float
    residual_norm: object
    converged: bool
    route: str


def _check_data(A, b, check_finite):
    """Validated ``(A, B, xp, vec, defer)``: `b` as an ``(n, k)`` matrix ``B``
    (`vec` says that `b` was 1-D), both in the result dtype; `defer` says that
    `A` is still to be checked for NaN/Inf through its sketch."""
    if is_cupy_sparse(A):
        raise TypeError(
            "A is a cupyx.scipy.sparse matrix, which nla.lstsq does not support "
            "(its sparse route runs SciPy's LSQR on the host); pass a dense CuPy "
            "array (A.toarray()) or a scipy.sparse matrix"
        )
    # A dense A is checked for NaN/Inf through its sketch S A, which is
    # non-finite in every column where A is: one pass over A saved
    defer = check_finite and not is_sparse(A)
    A = check_array(A, "A", ndim=2, allow_sparse=True, check_finite=check_finite and not defer)
    b = check_array(b, "b", ndim=(1, 2), check_finite=check_finite)
    if is_sparse(A):
        xp = array_namespace(b)
        if not is_numpy_namespace(xp):
            raise TypeError(
                f"b must be a NumPy array when A is a scipy.sparse matrix, got {type(b).__name__}"
            )
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
    dt = result_dtype(xp, A, b)
    if is_sparse(A):
        if A.dtype != numpy_dtype(dt):
            A = A.astype(numpy_dtype(dt))
    elif A.dtype != dt:
        A = xp.astype(A, dt)
    if b.dtype != dt:
        b = xp.astype(b, dt)
    vec = b.ndim == 1
    B = xp.reshape(b, (n, 1)) if vec else b
    return A, B, xp, vec, defer


def _warn_not_converged(sol, tol, limit):
    warnings.warn(
        f"lstsq did not reach tol={tol:g} ({sol.route} route, {sol.iterations} of at "
        f"most {limit} iterations): the solution may be inaccurate; raise maxiter "
        "or check info.converged",
        ConvergenceWarning,
        stacklevel=3,
    )




def _solve(plan, S, A, B, SA, xp, rcond, tol, maxiter, engine, return_info):
    """Run the planned route on the (scaled) data: ``(Solution, iteration cap)``."""
    if plan.sketch_and_solve:
        SB = S.apply(B, engine=engine, check_finite=False)
        X, rank, cond = solve_sketched(SA, SB, xp, rcond)
        res = B - matmul(A, X) if return_info else None
        return Solution(X, res, 0, rank, cond, True, "sketch-and-solve"), 0
    if is_sparse(A):
        limit = maxiter or 4 * A.shape[1] + 100
        SB = S.apply(B, engine=engine, check_finite=False)
        return precondition_sparse(A, B, SA, SB, rcond, tol, limit), limit
    limit = maxiter or 20
    return precondition_dense(A, B, SA, xp, rcond, tol, limit), limit


def _info(plan, sol, scaling, vec, xp):
    rn = scaling.residual_norms(sol.residual, xp)
    return LstsqInfo(
        method=plan.method,
        iterations=int(sol.iterations),
        sketch_size=int(plan.size),
        sketch=plan.kind,
        rank=int(sol.rank),
        condition_estimate=float(sol.cond),
        residual_norm=float(rn[0]) if vec else rn,
        converged=bool(sol.converged),
        route=sol.route,
    )


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
    sketch_size=None,
    maxiter=None,
    rcond=None,
    engine=None,
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
        a single column beyond. ``cupyx.scipy.sparse`` matrices are not
        supported (TypeError).
    b : (n,) or (n, k) array
        Right-hand side(s).
    method : {"precondition", "sketch", "linf"}, optional
        ``"precondition"`` (default): full accuracy. A sparse sign sketch of
        ``4 d`` rows gives ``R`` with ``A R^{-1}`` well conditioned; dense
        ``A`` is then solved by Cholesky QR on ``A R^{-1}`` plus refinement
        sweeps, sparse ``A`` by LSQR on ``A R^{-1}``, both to `tol`. When
        the sketch shows ``d u cond(A)^2 <= 1e-3`` (``u`` the unit
        roundoff), dense NumPy ``A`` skips the product ``A R^{-1}`` and
        refines with the Cholesky factor of ``A^T A`` (corrected semi-normal
        equations), falling back to Cholesky QR if that stalls.
        ``"sketch"``: sketch-and-solve, ``||A x - b|| <= (1 + eps)^{1/2}
        ||A x^* - b||`` in expectation for a Gaussian sketch (see Notes).
        ``"linf"``: sketch-and-solve with a dense Hadamard-based sketch sized
        for the per-coordinate guarantee of Song, Ye, Yin and Zhang.
    rng : None, int or numpy.random.Generator, optional
        Source of randomness (SPEC 7); the same `rng` gives the same result.
    tol : float, optional
        The stopping rule of ``"precondition"``'s iteration (unused by the
        sketching methods), in ``(0, 1]``, default 1e-10. Dense ``A``: the
        refinement stops once every column's update is below ``tol ||x_j||``.
        Where rounding keeps the updates from falling below that (float32,
        or large ``cond(A)``), the sweeps stop when they no longer contract,
        and that counts as converged if the last update is within the
        forward-error level of a backward-stable solver, ``10 d u (cond +
        cond^2 eta) ||x||`` with ``eta = ||r|| / (||A|| ||x||)``, ``u`` the
        unit roundoff, ``||A||`` and ``cond`` estimated from the sketch.
        Sparse ``A``: LSQR's stopping tests with ``btol = tol`` and ``atol =
        tol / 10``.
    eps : float, optional
        Accuracy of the sketching methods, ``> 0``: for ``"sketch"`` the excess
        residual factor (default 0.5, giving ``m = d + ceil(d / eps) + 1``),
        ``E ||A x - b||^2 <= (1 + eps) ||A x^* - b||^2``; that expectation is
        proven only for ``sketch="gaussian"``. The default sparse sign sketch
        uses the same ``m`` and gives an excess of about the same size in
        practice, but without that identity or a proven constant. For
        ``"linf"`` the factor in the l-infinity bound (default 1.0). A tiny
        `eps` (or `delta`) whose row count is not a finite number runs the
        exact solver, as any ``m >= n`` does; a huge one gives the fewest
        rows, ``d`` (``d + 1`` or ``d + 2`` for ``"sketch"``).
    delta : float, optional
        ``"linf"``: failure probability used to size the sketch (default 0.01).
    sketch : {"sparse_sign", "countsketch", "gaussian", "srht"}, optional
        Sketch for ``"precondition"`` and ``"sketch"`` (default
        ``"sparse_sign"`` with 8 nonzeros per column; ``"countsketch"`` is the
        one-nonzero variant), made by :func:`nla.sketch.make_sketch`.
        ``"linf"`` always uses the SRHT and rejects other values.
    sketch_size : int or "theorem", optional
        Rows ``m`` of the sketch (at least ``d``), overriding the defaults
        (``4 d`` for ``"precondition"``, see `eps` for ``"sketch"`` and Notes
        for ``"linf"``). For ``"linf"``, ``"theorem"`` uses the paper's ``m
        = eps^-2 d ln^3(n / delta)`` (at least ``d``). For
        ``"precondition"`` a value above ``max(n, 4 d)`` is reduced to it: a
        sketch with more rows than ``A`` gains nothing.
    maxiter : int, optional
        ``"precondition"``: maximum refinement sweeps (default 20) or LSQR
        iterations (default ``4 d + 100``). Stopping here before `tol` is met
        issues a :class:`ConvergenceWarning` (and ``info.converged`` is
        False).
    rcond : float, optional
        Relative cut-off in ``[0, 1)``: singular values of the sketch's
        factor at or below ``rcond * sigma_max`` are treated as zero (default
        ``None``: ``m u``, the rounding level of the factored sketch).
    engine : {None, "auto", "numpy", "numba"}, optional
        CPU engine of the sketch's kernels (default: the one set by
        :func:`nla.config`). CuPy input always runs the CuPy kernels.
    check_finite : bool, optional
        Reject NaN and Inf in `A` and `b` (default True).
    return_info : bool, optional
        Also return an :class:`LstsqInfo`. Both flags must be ``True`` or
        ``False`` (NumPy bools included).

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
        ``scipy.linalg.lstsq``), NaN/Inf, empty arrays, bad options; a
        solution beyond the largest finite number of the dtype (``A`` tiny
        relative to `b`).
    TypeError
        Non-real dtypes, a cupyx.scipy.sparse `A`, a scipy.sparse `A` with a
        non-NumPy `b`, options of the wrong type.

    Warns
    -----
    ConvergenceWarning
        ``"precondition"`` stopped before meeting `tol` (``info.converged``
        is False): `maxiter` was reached, or the iteration stalled above the
        rounding level.

    See Also
    --------
    scipy.linalg.lstsq, numpy.linalg.lstsq, scipy.sparse.linalg.lsqr,
    nla.sketch.sparse_sign, nla.sketch.srht, nla.sketch.make_sketch,
    ConvergenceWarning

    Notes
    -----
    **Scaling**: every route squares the scale of ``A`` somewhere (Gram
    matrices, ``A^T r``, 2-norms), so ``A``, and each column of `b`, whose
    largest entry is outside ``[2^-128, 2^128]`` (``[2^-16, 2^16]`` for
    float32) is first multiplied by a power of two that brings it into
    ``[1/2, 1)``, and the solution is scaled back. Powers of two scale
    exactly, so the result is the one for the scaled data, right wherever
    it is representable: ``x(c A, c b) = x(A, b)`` and ``x(c A, b) = x(A,
    b) / c`` to the accuracy of the method for ``c`` from ``1e-150`` to
    ``1e150``, and bit for bit when ``c`` is a power of two taking the data
    out of that band. A solution that underflows rounds to zero (gradually);
    one that overflows raises ValueError. Data inside the band is not
    touched.

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
    (``sketch_size="theorem"``) and ``n = 2^17, d = 256, eps = 1, delta =
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
    ``m`` is not smaller than ``n``, no sketch is applied and the
    full-accuracy solver runs instead (``info.method == "exact"``); the
    bound then holds trivially. ``"precondition"`` with ``sketch="srht"``
    uses at most ``n`` rows (an SRHT cannot have more).

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
    >>> info.method, info.sketch_size, info.rank
    ('precondition', 80, 20)
    >>> xs = nla.lstsq(A, b, method="sketch", eps=0.25, rng=1)
    >>> r_opt = np.linalg.norm(A @ x_ref - b)
    >>> bool(np.linalg.norm(A @ xs - b) <= 1.5 * r_opt)
    True
    """
    method = check_option(method, "method", METHODS)
    engine = check_engine(engine)
    check_finite = check_flag(check_finite, "check_finite")
    return_info = check_flag(return_info, "return_info")
    A, B, xp, vec, defer = _check_data(A, b, check_finite)
    n, d = A.shape
    tol = check_real(tol, "tol", low=0.0, high=1.0, low_open=True)
    plan = plan_sketch(
        method, n, d, eps=eps, delta=delta, sketch=sketch, sketch_size=sketch_size
    )
    rcond = check_rcond(rcond)
    if rcond is None:
        rcond = plan.default_rcond(float(np.finfo(numpy_dtype(B.dtype)).eps), d)
    if maxiter is not None:
        maxiter = check_int(maxiter, "maxiter", low=1)
    rng = check_rng(rng)

    S = make_sketch(plan.kind, n, plan.size, rng=rng, dtype=numpy_dtype(B.dtype))
    SA = S.apply(A, engine=engine, check_finite=False)  # A is checked above or here
    if defer:
        check_finite_through(SA, A, "A", ndim=2)
    # scale first (exactly, by powers of two): the routes square the scale
    ea = matrix_exponent(A, SA, xp)
    if ea:
        A = times_pow2(A, ea)
        SA = S.apply(A, engine=engine, check_finite=False)
    scaling = Scaling(ea, column_exponents(B, xp))
    if scaling.b is not None:
        B = scale_columns(B, scaling.b, xp)
    sol, limit = _solve(plan, S, A, B, SA, xp, rcond, tol, maxiter, engine, return_info)
    if not sol.converged:
        _warn_not_converged(sol, tol, limit)
    X = scaling.solution(sol.X, xp)
    x = X[:, 0] if vec else X
    if not return_info:
        return x
    return x, _info(plan, sol, scaling, vec, xp)
