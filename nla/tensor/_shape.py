"""Tucker core-shape selection under a parameter budget or an error target.

The surrogate of Ghadiri, Fahrbach, Fu and Mirrokni (ICML 2023): a core
shape ``R`` keeps ``sum_n sum_{i <= R_n} sigma_{n,i}^2`` of the unfoldings'
energy, and ``||X - X_hosvd||^2 <= sum_n tail_n(R_n)`` with ``tail_n(R_n) =
||X||^2 - sum_{i <= R_n} sigma_{n,i}^2``. Everything here runs on the host on
the unfoldings' spectra (NumPy and SciPy), except the true-loss baseline.
"""

from __future__ import annotations

import math

import numpy as np

from .._validate import check_engine, check_flag, check_int, check_option, check_real

__all__ = ["SHAPE_METHODS", "select_shape", "tucker_core_shape"]

SHAPE_METHODS = ("ip", "greedy", "bang-for-buck", "greedy-true-loss")
#: largest number of distinct core-size values for which the integer program
#: enumerates them all (exact); beyond, a geometric grid of ratio ``1 + eps``
_MAX_EXACT_GRID = 256


def _params(shape, R):
    return math.prod(R) + sum(i * r for i, r in zip(shape, R, strict=True))


def budget_value(budget, size, shape):
    """The budget as an int (a float in ``(0, 1]`` is a fraction of `size`)."""
    if isinstance(budget, (bool, np.bool_)):
        raise TypeError(f"budget must be an int or a float fraction, got bool {budget!r}")
    if isinstance(budget, (float, np.floating)):
        frac = check_real(budget, "budget", low=0.0, high=1.0, low_open=True)
        value = math.floor(frac * size)
    else:
        value = check_int(budget, "budget", low=1)
    smallest = 1 + sum(shape)
    if value < smallest:
        raise ValueError(
            f"budget = {value} parameters is too small for the all-ones core of a "
            f"tensor of shape {shape} (it needs {smallest})"
        )
    return value


def _prefix(spectra, norm2):
    """Kept energy fractions: ``P[n][j - 1]`` for rank ``j`` of mode ``n``."""
    return [np.cumsum(w) / norm2 for w in spectra]


def _kept(P, R):
    return float(sum(p[r - 1] for p, r in zip(P, R, strict=True)))


def _trim(P, R):
    """Each rank lowered to the smallest one keeping the same surrogate."""
    return tuple(int(np.searchsorted(p, p[r - 1], side="left")) + 1 for p, r in zip(P, R,
                                                                                      strict=True))


# --------------------------------------------------------------- greedy rules


def _grow(P, shape, B, goal, bang):
    """Greedy growth from the all-ones core: the mode with the largest
    surrogate gain (``bang``: gain per added parameter) whose increment fits
    `B`; stops when nothing fits, nothing gains, or the kept fraction
    reaches `goal`."""
    R = [1] * len(shape)
    while _kept(P, R) < goal:
        best, pick = 0.0, None
        cost = _params(shape, R)
        for n, p in enumerate(P):
            if R[n] >= shape[n]:
                continue
            R[n] += 1
            extra = _params(shape, R) - cost
            fits = B is None or cost + extra <= B
            R[n] -= 1
            gain = float(p[R[n]] - p[R[n] - 1])
            score = gain / extra if bang else gain
            if fits and score > best:
                best, pick = score, n
        if pick is None:
            break
        R[pick] += 1
    return tuple(R)


# ---------------------------------------------------------- integer program


def _ranges(P, shape, kept, cap):
    """Rank ranges ``[lo_n, hi_n]`` of the shapes that can keep at least the
    fraction `kept` of the energy with at most `cap` parameters (exact
    pruning: each bound follows from the other modes' bounds, to a fixed
    point)."""
    N = len(shape)
    lo, hi = [1] * N, list(shape)
    for _ in range(4 * N):
        old = (tuple(lo), tuple(hi))
        for n in range(N):
            others = [m for m in range(N) if m != n]
            base = math.prod(lo[m] for m in others)
            fixed = sum(shape[m] * lo[m] for m in others)
            hi[n] = max(lo[n], min(hi[n], (cap - fixed) // (base + shape[n])))
            rest = sum(P[m][hi[m] - 1] for m in others)
            need = kept - rest - 1e-12
            lo[n] = min(hi[n], max(lo[n], int(np.searchsorted(P[n], need, "left")) + 1))
        if (tuple(lo), tuple(hi)) == old:
            break
    return lo, hi


def _grid(lo, hi, pmax, eps):
    """Core sizes ``prod(R)`` to split the budget at: every achievable one
    when there are few, else ``ceil((1 + eps)^t)`` and `pmax`."""
    pmin = math.prod(lo)
    if pmax < pmin:
        return np.zeros(0)
    values = np.array([1], dtype=np.int64)
    for a, b in zip(lo, hi, strict=True):
        values = np.unique(np.multiply.outer(values, np.arange(a, b + 1)).ravel())
        values = values[values <= pmax]
        if values.size > _MAX_EXACT_GRID:
            break
    else:
        return values.astype(np.float64)
    t = np.arange(math.floor(math.log(pmin) / math.log1p(eps)),
                  math.ceil(math.log(pmax) / math.log1p(eps)) + 1)
    grid = np.unique(np.ceil(np.exp(t * math.log1p(eps))))
    grid = grid[(grid >= pmin) & (grid <= pmax)]
    return np.unique(np.append(grid, [float(pmin), float(pmax)]))


def _milp_blocks(P, shape, lo, hi, grid):
    """Columns of the one-hot MILP: rank choices per mode, then grid choices."""
    N = len(shape)
    ranks = [np.arange(lo[n], hi[n] + 1) for n in range(N)]
    sizes = [r.size for r in ranks]
    nx, nz = sum(sizes), grid.size
    onehot = np.zeros((N + 1, nx + nz))
    start = 0
    for n, s in enumerate(sizes):
        onehot[n, start:start + s] = 1.0
        start += s
    onehot[N, nx:] = 1.0
    logs = np.concatenate([np.log(r) for r in ranks] + [-np.log(grid)])
    sums = np.concatenate([shape[n] * ranks[n] for n in range(N)] + [grid])
    # kept energy above the lowest rank of each mode's range (a constant offset)
    kept = np.concatenate([P[n][ranks[n] - 1] - P[n][lo[n] - 1] for n in range(N)]
                          + [np.zeros(nz)])
    return ranks, onehot, logs, sums.astype(np.float64), kept


def _decode(x, ranks):
    R, start = [], 0
    for r in ranks:
        R.append(int(r[int(np.argmax(x[start:start + r.size]))]))
        start += r.size
    return tuple(R)


def _solve(c, A, lb, ub, n):
    from scipy.optimize import Bounds, LinearConstraint, milp

    res = milp(c, constraints=LinearConstraint(A, lb, ub), integrality=np.ones(n),
               bounds=Bounds(0, 1), options={"mip_rel_gap": 1e-9})
    return None if res.x is None else np.round(res.x)


def _ip_budget(P, shape, B, eps, incumbent):
    """Maximize the kept energy over core shapes with at most `B` parameters:
    one MILP whose choices are a rank per mode and a split of the budget
    between the core (``prod(R) <= p``, linear in ``log R_n``) and the
    factors (``sum I_n R_n <= B - p``), over the grid of `p`."""
    N = len(shape)
    lo, hi = _ranges(P, shape, _kept(P, incumbent), B)
    pmax = min(math.prod(hi), B - sum(i * r for i, r in zip(shape, lo, strict=True)))
    grid = _grid(lo, hi, pmax, eps)
    if grid.size == 0:
        return incumbent
    ranks, onehot, logs, sums, kept = _milp_blocks(P, shape, lo, hi, grid)
    top = sum(P[n][hi[n] - 1] - P[n][lo[n] - 1] for n in range(N)) or 1.0
    A = np.vstack([onehot, logs, sums])
    lb = np.r_[np.ones(N + 1), -np.inf, -np.inf]
    ub = np.r_[np.ones(N + 1), 1e-9, float(B)]
    x = _solve(-kept / top, A, lb, ub, A.shape[1])
    if x is None:
        return incumbent
    R = _decode(x, ranks)
    if _params(shape, R) > B or _kept(P, R) < _kept(P, incumbent):
        return incumbent  # the log-rounding re-check, or no improvement
    return R


def _ip_target(P, shape, goal, eps, incumbent):
    """Fewest parameters whose kept energy reaches `goal`: the same MILP with
    the parameter count as objective and the energy as constraint."""
    N = len(shape)
    cap = _params(shape, incumbent)
    lo, hi = _ranges(P, shape, goal, cap)
    pmax = min(math.prod(hi), cap)
    grid = _grid(lo, hi, pmax, eps)
    if grid.size == 0:
        return incumbent
    ranks, onehot, logs, sums, kept = _milp_blocks(P, shape, lo, hi, grid)
    A = np.vstack([onehot, logs, kept])
    shifted = goal - sum(P[n][lo[n] - 1] for n in range(N))
    lb = np.r_[np.ones(N + 1), -np.inf, shifted - 1e-12]
    ub = np.r_[np.ones(N + 1), 1e-9, np.inf]
    x = _solve(sums / max(cap, 1), A, lb, ub, A.shape[1])
    if x is None:
        return incumbent
    R = _decode(x, ranks)
    if _kept(P, R) < goal - 1e-12 or _params(shape, R) >= cap:
        return incumbent
    return R


# ------------------------------------------------------------ true loss


def _greedy_true_loss(work, B, target, maxiter, tol, callback):
    """Grow the mode whose increment lowers the HOOI error most (ties: the
    lowest mode) while it fits `B`, or until the error reaches `target`."""
    from ._tucker import decompose

    shape = work.shape
    R = [1] * len(shape)
    err = decompose(work, tuple(R), "hooi", "st-hosvd", maxiter, tol, "auto", None,
                    work.X.dtype).rel_error
    step = 0
    while target is None or err > target:
        best = None
        for n in range(len(shape)):
            if R[n] >= shape[n]:
                continue
            R[n] += 1
            if B is None or _params(shape, R) <= B:
                e = decompose(work, tuple(R), "hooi", "st-hosvd", maxiter, tol, "auto",
                              None, work.X.dtype).rel_error
                if best is None or e < best[0]:
                    best = (e, n)
            R[n] -= 1
        if best is None:
            break
        err, n = best
        R[n] += 1
        step += 1
        if callback is not None:
            callback(step, {"core_shape": tuple(R), "rel_error": err})
    return tuple(R)


# ---------------------------------------------------------------- dispatch


def select_shape(work, budget, target_error, method, *, eps=0.03, maxiter=50, tol=1e-6,
                 callback=None, option="method"):
    """The core shape for the prepared working tensor (see :func:`tucker_core_shape`);
    `option` is the name `method` has in the caller's signature."""
    check_option(method, option, SHAPE_METHODS)
    shape = work.shape
    B = None if budget is None else budget_value(budget, math.prod(shape), shape)
    target = None
    if target_error is not None:
        target = check_real(target_error, "target_error", low=0.0, high=1.0,
                            low_open=True)
    if work.norm2 == 0.0:
        return (1,) * len(shape)
    if method == "greedy-true-loss":
        return _greedy_true_loss(work, B, target, maxiter, tol, callback)
    P = _prefix(work.spectra(), work.norm2)
    N = len(shape)
    goal = math.inf if target is None else N - target**2
    if method in ("greedy", "bang-for-buck"):
        return _trim(P, _grow(P, shape, B, goal, method == "bang-for-buck"))
    if target is None:
        inc = max(_grow(P, shape, B, goal, False), _grow(P, shape, B, goal, True),
                  key=lambda R: _kept(P, R))
        return _trim(P, _ip_budget(P, shape, B, eps, inc))
    cands = [_grow(P, shape, None, goal, b) for b in (False, True)]
    cands = [R for R in cands if _kept(P, R) >= goal - 1e-12] or [tuple(shape)]
    inc = min(cands, key=lambda R: _params(shape, R))
    return _trim(P, _ip_target(P, shape, goal, eps, inc))


def tucker_core_shape(
    X,
    budget=None,
    *,
    method="ip",
    target_error=None,
    eps=0.03,
    maxiter=50,
    tol=1e-6,
    callback=None,
    check_finite=True,
    engine=None,
):
    """The Tucker core shape that fits a parameter budget (or error target) best.

    Parameters
    ----------
    X : (I_1, ..., I_N) array
        A dense real tensor of order ``N >= 2`` (any array-API library).
    budget : int or float, optional
        Most parameters allowed, ``prod(R) + sum(I_n R_n)``
        (:func:`tucker_params`): an int, or a float in ``(0, 1]``, a fraction
        of ``X.size`` (rounded down). It must fit the all-ones core, ``1 +
        sum(I_n)``. Give exactly one of `budget` and `target_error`.
    method : {"ip", "greedy", "bang-for-buck", "greedy-true-loss"}, default "ip"
        ``"ip"``: the integer program of Ghadiri et al. on the surrogate
        ``sum_n sum_{i <= R_n} sigma_{n,i}^2`` (singular values of the mode-n
        unfoldings), solved with :func:`scipy.optimize.milp` (HiGHS);
        ``"greedy"``: grow the mode of largest surrogate gain;
        ``"bang-for-buck"``: largest gain per added parameter;
        ``"greedy-true-loss"``: grow the mode whose increment lowers the HOOI
        error most (a HOOI run per candidate: slow, the baseline).
    target_error : float, optional
        Instead of a budget: the cheapest shape whose HOSVD error bound
        ``sqrt(sum_n tail_n(R_n)) / ||X||`` is at most this (in ``(0, 1]``);
        HOSVD, ST-HOSVD and HOOI then reach it. With
        ``"greedy-true-loss"``: grow until the HOOI error reaches it.
    eps : float, default 0.03
        Grid ratio of the integer program: the budget is split between core
        and factors at core sizes ``ceil((1 + eps)^t)`` when there are more
        than 256 achievable core sizes (otherwise at every one of them,
        which makes the program exact).
    maxiter, tol : int, float
        HOOI options of ``"greedy-true-loss"`` (as in :func:`tucker`).
    callback : callable, optional
        ``callback(step, info)`` after each step of ``"greedy-true-loss"``,
        ``info`` a dict with ``core_shape`` and ``rel_error``.
    check_finite : bool, default True
        Reject NaN and Inf in `X`.
    engine : {None, "auto", "numpy", "numba"}, optional
        Validated for uniformity; no kernel is reached.

    Returns
    -------
    tuple of int
        The core shape ``(R_1, ..., R_N)``; its parameter count never exceeds
        the budget. Each rank is the smallest giving the same surrogate value.

    Notes
    -----
    The integer program has one binary variable per (mode, rank) pair and
    one per grid value ``p``, one-hot constraints, ``sum log(R_n) <= log(p)``
    and ``sum I_n R_n + p <= budget``: a single MILP (the paper solves one
    per grid value). Before it, ranks that cannot beat the best greedy shape
    are removed (an exact bound), and after it the true parameter count is
    re-checked (the logarithms are rounded). The unfolding spectra come from
    the Gram eigendecompositions that :func:`tucker` also uses.

    See Also
    --------
    tucker : decomposition; ``tucker(X, budget=...)`` selects and decomposes.
    tucker_params : the parameter count.

    References
    ----------
    M. Ghadiri, M. Fahrbach, G. Fu, V. Mirrokni, "Approximately optimal core
    shapes for tensor decompositions", ICML 2023.

    Examples
    --------
    >>> import numpy as np
    >>> import nla
    >>> rng = np.random.default_rng(0)
    >>> U = [np.linalg.qr(rng.standard_normal((i, r)))[0] for i, r in ((20, 2), (18, 5), (16, 3))]
    >>> X = np.einsum("abc,ia,jb,kc->ijk", rng.standard_normal((2, 5, 3)), *U)
    >>> X += 1e-4 * rng.standard_normal(X.shape)
    >>> nla.tucker_core_shape(X, 220)
    (2, 5, 3)
    >>> nla.tucker_params(X.shape, (2, 5, 3))
    208
    """
    from ._tucker import _Work, check_tensor

    check_finite = check_flag(check_finite, "check_finite")
    X, xp, X64 = check_tensor(X, check_finite)
    check_option(method, "method", SHAPE_METHODS)
    eps = check_real(eps, "eps", low=0.0, high=1.0, low_open=True)
    maxiter = check_int(maxiter, "maxiter", low=1)
    tol = check_real(tol, "tol", low=0.0)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None, got {type(callback).__name__}")
    check_engine(engine)
    if (budget is None) == (target_error is None):
        raise ValueError(
            f"give exactly one of budget and target_error (got budget={budget!r}, "
            f"target_error={target_error!r})"
        )
    return select_shape(_Work(X64, xp), budget, target_error, method, eps=eps,
                        maxiter=maxiter, tol=tol, callback=callback)
