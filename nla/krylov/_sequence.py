"""Sequences of linear systems: sorting (SKR) and recycling across solves."""

from __future__ import annotations

import array_api_compat
import numpy as np

from .._backend import is_operator, is_sparse
from .._validate import check_array, check_engine, check_flag, check_int, check_option
from ._common import check_callback, check_tolerances
from ._solvers import _cg_recycled, gcrodr

__all__ = ["solve_sequence"]

_METHODS = ("auto", "gcrodr", "cg")
_SKETCH_COLUMNS = 4


def _looks_spd(A):
    """Cheap test: dense or sparse, symmetric (Hermitian), positive diagonal."""
    if is_operator(A):
        return False
    from ._cg import check_hermitian
    from ._common import Operator

    dt = np.complex128 if np.iscomplexobj(A.data if is_sparse(A) else A) else np.float64
    try:
        check_hermitian(Operator(A, "A", A.shape[0], np.dtype(dt)), "A")
    except ValueError:
        return False
    return True


def _features(As, params):
    """Per-system vectors whose distances order the sequence."""
    if params is not None:
        F = np.stack([np.ravel(p) for p in params]).astype(np.float64)
    else:
        n = As[0].shape[0]
        G = np.random.default_rng(0).standard_normal((n, _SKETCH_COLUMNS))
        F = np.stack([np.ravel(np.asarray(A @ G if not is_operator(A) else A.matmat(G)))
                      for A in As])
        F = np.abs(F) if np.iscomplexobj(F) else F
    top = np.max(np.abs(F), initial=0.0)
    return F / top if top > 0 and np.isfinite(top) else F


def greedy_order(F):
    """Greedy nearest-neighbour path through the rows of F, from row 0."""
    s = F.shape[0]
    sq = np.einsum("ij,ij->i", F, F)
    D = sq[:, None] + sq[None, :] - 2 * (F @ F.T)
    order, left = [0], np.ones(s, dtype=bool)
    left[0] = False
    for _ in range(s - 1):
        row = np.where(left, D[order[-1]], np.inf)
        nxt = int(np.argmin(row))
        order.append(nxt)
        left[nxt] = False
    return np.array(order)


def _check_params(params, count):
    if params is None:
        return None
    if not isinstance(params, np.ndarray) and isinstance(params, (list, tuple)):
        params = [check_array(p, "params", ndim=(0, 1, 2, 3)) for p in params]
        shapes = {np.shape(p) for p in params}
        if len(shapes) > 1:
            raise ValueError(f"params must have one shape per system, got {sorted(shapes)}")
    else:
        params = check_array(params, "params", ndim=(1, 2, 3, 4))
    if len(params) != count:
        raise ValueError(
            f"params must have one entry per system of As ({count}), got {len(params)}"
        )
    return params


def _check_bs(bs):
    bs = check_array(bs, "bs", ndim=(1, 2), allow_complex=True)
    return bs


def _rhs(bs, i, count):
    if bs.ndim == 1:
        return bs
    if bs.shape[0] != count:
        raise ValueError(f"bs must be one vector or one row per system ({count}), "
                         f"got shape {tuple(bs.shape)}")
    return bs[i]


def _matrices(As, sort):
    if As is None or isinstance(As, (str, bytes)) or is_sparse(As) or is_operator(As):
        raise TypeError(f"As must be a sequence or iterable of matrices, got {type(As).__name__}")
    if not isinstance(As, (list, tuple, np.ndarray)) and array_api_compat.is_array_api_obj(As):
        raise TypeError(
            f"As is a {type(As).__module__} array; the Krylov solvers run on NumPy, "
            "scipy.sparse and LinearOperator input only: convert it to NumPy first"
        )
    if isinstance(As, np.ndarray):
        As = _plain(As)
        if As.ndim != 3:
            raise ValueError(f"As must be a stack of matrices (3-D), got ndim={As.ndim}")
        return list(As)
    try:
        it = iter(As)
    except TypeError:
        raise TypeError(f"As must be an iterable of matrices, got {type(As).__name__}") from None
    return list(it) if sort or isinstance(As, (list, tuple)) else it


def _plain(As):
    if isinstance(As, np.ma.MaskedArray):
        raise TypeError("As is a masked array, whose mask would be ignored; pass As.filled()")
    return np.asarray(As)


def _check_each(mats):
    """Validate every matrix of a materialized sequence (errors name As[i])."""
    from ._common import check_system

    out = []
    for i, A in enumerate(mats):
        try:
            A = check_system(A, np.zeros(np.shape(A)[0] if len(np.shape(A)) else 0),
                             None, None)[0]
        except (TypeError, ValueError) as exc:
            msg = str(exc)
            raise type(exc)(f"As[{i}]" + msg[1:] if msg.startswith("A ") else
                            f"As[{i}]: {msg}") from exc
        if out and A.shape != out[0].shape:
            raise ValueError(f"As[{i}] has shape {tuple(A.shape)}, As[0] "
                             f"{tuple(out[0].shape)}: every system must have the same order")
        out.append(A)
    return out


def _preconditioner(M, A):
    return M(A) if callable(M) and not (is_sparse(M) or is_operator(M)
                                        or isinstance(M, np.ndarray)) else M


def _solve_one(A, b, i, method, M, m, k, recycle, rtol, n_solutions, engine):
    """One system of the sequence by the chosen method; errors name As / bs."""
    from .._validate import check_matrix

    check_matrix(A, f"As[{i}]", allow_operator=True, allow_complex=True)
    checked = method == "auto" and _looks_spd(A)
    use_cg = method == "cg" or checked
    Mi = _preconditioner(M, A)
    kw = dict(M=Mi, recycle=recycle, rtol=rtol, n_solutions=n_solutions, engine=engine)
    try:
        if use_cg:
            try:
                return _cg_recycled(A, b, None, Mi, 0 if k is None else k, recycle, rtol,
                                    0.0, None, None, n_solutions, engine,
                                    check=not checked or Mi is not None)
            except ValueError as exc:
                if method == "cg" or "positive definite" not in str(exc):
                    raise
        return gcrodr(A, b, m=m, k=min(20 if k is None else k, m - 1), **kw)
    except (ValueError, TypeError) as exc:
        msg = str(exc)
        if msg.startswith(("A ", "A:")):
            msg = f"As[{i}]" + msg[1:]
        elif msg.startswith("b "):
            msg = "bs" + msg[1:]
        raise type(exc)(msg if msg != str(exc) else f"As[{i}]: {msg}") from exc


def solve_sequence(As, bs, *, params=None, sort=True, method="auto", M=None, m=40, k=None,
                   rtol=1e-8, callback=None, assume_spd=None, n_solutions=6, engine=None):
    """Solve a sequence of related systems ``As[i] x_i = bs[i]`` with recycling.

    Sorting Krylov recycling (SKR, Wang et al. 2024): the systems are put
    in a greedy nearest-neighbour order (on `params`, or on the matrices'
    values when no params are given), then solved one after the other,
    each solve receiving the recycle of the previous one: the last
    `n_solutions` solutions for the initial guess (Galerkin projection for
    SPD systems, minimal residual otherwise) and a deflation space (Ritz
    vectors) kept apart from them. Results come back in input order.

    Parameters
    ----------
    As : sequence or iterable of (n, n) matrices
        Dense arrays, scipy.sparse matrices or LinearOperators (a 3-D array
        is a stack). A generator is consumed lazily when ``sort=False``;
        sorting reads it whole first.
    bs : (n,) or (s, n) ndarray
        One right-hand side for all systems, or one per system.
    params : (s, ...) array_like, optional
        Per-system parameters (fields) whose Frobenius distances order the
        sequence; without them each matrix is applied to 4 fixed random
        vectors and the images are compared (products not counted in the
        infos).
    sort : bool, default True
        Reorder the solves (False: the given order).
    method : {"auto", "gcrodr", "cg"}
        ``"auto"``: recycled CG for a system that is SPD by `assume_spd` or
        by a cheap check (dense or sparse, symmetric, positive diagonal;
        a system that turns out indefinite falls back to GCRO-DR), GCRO-DR
        otherwise.
    M : matrix, LinearOperator or callable, optional
        One preconditioner for all systems, or ``M(A)`` returning the one
        for matrix ``A`` (e.g. an incomplete LU per system).
    m : int, default 40
        GCRO-DR restart length.
    k : int, optional
        Recycled deflation vectors: default 20 for GCRO-DR (as SKR) and 0
        for CG, whose solves are seeded by the earlier solutions only
        (deflating CG cut few iterations and cost more than it saved on
        the Darcy benchmark of the documentation).
    rtol : float, default 1e-8
        Relative residual tolerance of every solve.
    callback : callable, optional
        ``callback(i, info)`` after each solve, ``i`` the input index.
    assume_spd : bool, optional
        True: every system is SPD (CG, no check); False: never (GCRO-DR).
    n_solutions : int, default 6
        Earlier solutions used for each initial guess (0: none).
    engine : {None, "numpy", "numba"}
        CPU engine of the fused CG kernel.

    Returns
    -------
    xs : (s, n) ndarray
        Solutions in input order.
    infos : list of KrylovInfo
        One per system, in input order.

    See Also
    --------
    gcrodr, cg_recycled

    References
    ----------
    .. [1] H. Wang, Z. Hao, Z. Wang, et al., "Accelerating data generation
       for neural operators via Krylov subspace recycling", ICLR 2024.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> import nla
    >>> n = 400
    >>> L = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n), format="csr")
    >>> shifts = [0.030, 0.010, 0.020, 0.011, 0.031]
    >>> As = [L + c * sp.eye(n, format="csr") for c in shifts]
    >>> xs, infos = nla.solve_sequence(As, np.ones(n), params=np.array(shifts))
    >>> xs.shape, all(i.converged for i in infos)
    ((5, 400), True)
    """
    check_option(method, "method", _METHODS)
    sort = check_flag(sort, "sort")
    if assume_spd is not None:
        assume_spd = check_flag(assume_spd, "assume_spd")
    m = check_int(m, "m", low=2)
    if k is not None:
        k = check_int(k, "k", low=0, high=m - 1)
    check_tolerances(rtol, 0.0, None, 1)
    check_callback(callback)
    check_engine(engine)
    check_int(n_solutions, "n_solutions", low=0)
    bs = _check_bs(bs)
    mats = _matrices(As, sort)
    count = len(mats) if isinstance(mats, list) else None
    if count == 0:
        raise ValueError("As must hold at least one matrix")
    if count is not None:
        mats = _check_each(mats)
        params = _check_params(params, count)
    elif params is not None:
        raise ValueError("params needs As as a sequence (or sort=True), not a one-pass iterator")
    if assume_spd is not None:
        method = "cg" if assume_spd else "gcrodr"
    order = greedy_order(_features(mats, params)) if sort and count > 1 else None
    return _run_sequence(mats, bs, order, count, method, M, m, k, rtol, callback,
                         n_solutions, engine)


def _run_sequence(mats, bs, order, count, method, M, m, k, rtol, callback, n_solutions,
                  engine):
    xs, infos, recycle = {}, {}, None
    indices = order if order is not None else (range(count) if count else None)
    source = ((i, mats[i]) for i in indices) if indices is not None else enumerate(mats)
    for i, A in source:
        b = _rhs(bs, i, count if count is not None else (bs.shape[0] if bs.ndim == 2 else 0))
        if recycle is not None and recycle.n != A.shape[0]:
            raise ValueError(f"As[{i}] has order {A.shape[0]}, the earlier systems "
                             f"{recycle.n}: every system must have the same order")
        x, info = _solve_one(A, b, i, method, M, m, k, recycle, rtol, n_solutions, engine)
        xs[i], infos[i], recycle = x, info, info.recycle
        if callback is not None:
            callback(i, info)
    keys = sorted(xs)
    return np.stack([xs[i] for i in keys]), [infos[i] for i in keys]
