"""The fit: validation of options, scaling, initialization, the sweep loop."""

from __future__ import annotations

import dataclasses
import math
import time
import warnings

import numpy as np
import scipy.sparse as sp

from .._backend import ConvergenceWarning, single_blas_thread
from .._random import check_rng
from .._validate import check_array, check_engine, check_flag, check_int, check_option, check_real
from ._altmin import Problem, State, half_step, make_layout, objective, residuals
from ._result import Completion, SweepInfo

__all__ = ["METHODS", "Options", "check_options", "fit"]

METHODS = ("robust-altmin", "altmin")
REG_WEIGHTS = ("none", "count")
INITS = ("svd", "random")
#: rows of the initial factor above this multiple of the average row norm
#: ``sqrt(k / m)`` of an orthonormal ``m x k`` matrix are scaled down to it
CLIP = 4.0
#: power iterations of the randomized SVD of the initialization
SVD_POWER = 4


@dataclasses.dataclass(frozen=True)
class Options:
    method: str
    reg: float
    count_weights: bool
    biases: bool
    init: object
    validation: float | None
    patience: int
    split_samples: bool
    maxiter: int
    tol: float
    inner_maxiter: int
    engine: object
    rng: np.random.Generator
    callback: object


def check_options(method, reg, reg_weights, biases, init, validation, patience,
                  split_samples, maxiter, tol, inner_maxiter, engine, rng, callback):
    """Validate every keyword option (names in the messages)."""
    check_option(method, "method", METHODS)
    reg = check_real(reg, "reg", low=0.0)
    check_option(reg_weights, "reg_weights", REG_WEIGHTS)
    if isinstance(init, str):
        check_option(init, "init", INITS)
    elif not isinstance(init, tuple) or len(init) != 2:
        raise TypeError(
            f"init must be one of {INITS} or a pair (U, V) of arrays, got {type(init).__name__}"
        )
    if validation is not None:
        validation = check_real(validation, "validation", low=0.0, high=1.0,
                                low_open=True, high_open=True)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None, got {type(callback).__name__}")
    return Options(
        method=method,
        reg=reg,
        count_weights=reg_weights == "count",
        biases=check_flag(biases, "biases"),
        init=init,
        validation=validation,
        patience=check_int(patience, "patience", low=1),
        split_samples=check_flag(split_samples, "split_samples"),
        maxiter=check_int(maxiter, "maxiter", low=1),
        tol=check_real(tol, "tol", low=0.0),
        inner_maxiter=check_int(inner_maxiter, "inner_maxiter", low=1),
        engine=check_engine(engine),
        rng=check_rng(rng),
        callback=callback,
    )


def _user_factors(init, m, n, k, dtype, half_exp):
    U0, V0 = init
    U0 = check_array(U0, "init", ndim=2)
    V0 = check_array(V0, "init", ndim=2)
    if not isinstance(U0, np.ndarray) or not isinstance(V0, np.ndarray):
        raise TypeError("init must hold NumPy arrays (U, V)")
    if U0.shape != (m, k) or V0.shape != (n, k):
        raise ValueError(
            f"init must be (U, V) with shapes {(m, k)} and {(n, k)}, "
            f"got {U0.shape} and {V0.shape}"
        )
    return (np.ldexp(U0, -half_exp).astype(dtype), np.ldexp(V0, -half_exp).astype(dtype))


def _svd_init(rows, cols, v, shape, k, dtype, rng):
    """Top-k SVD of the rescaled observed matrix, rows clipped, re-orthonormalized."""
    from ..lowrank import rsvd

    m, n = shape
    if v.size == 0 or not np.any(v):
        return np.zeros((m, k), dtype), np.zeros((n, k), dtype)
    p = v.size / (m * n)
    A = sp.csr_array((v / dtype.type(p), (rows, cols)), shape=shape, dtype=dtype)
    Uk, s, Vt = rsvd(A, k, n_iter=SVD_POWER, rng=rng)
    norms = np.linalg.norm(Uk, axis=1)
    cap = CLIP * math.sqrt(k / m)
    Uk = Uk * np.minimum(1.0, cap / np.maximum(norms, np.finfo(dtype).tiny))[:, None]
    Q, R = np.linalg.qr(Uk)
    Q = Q * np.sign(np.where(np.diag(R) == 0, 1, np.diag(R)))
    root = np.sqrt(s).astype(dtype)
    return np.ascontiguousarray(Q * root, dtype=dtype), np.ascontiguousarray(Vt.T * root, dtype)


def _initial(opts, rows, cols, v, shape, k, dtype, half_exp):
    m, n = shape
    if isinstance(opts.init, tuple):
        return _user_factors(opts.init, m, n, k, dtype, half_exp)
    if opts.init == "random":
        rms = math.sqrt(float(np.mean(v.astype(np.float64) ** 2))) if v.size else 0.0
        a = math.sqrt(rms / math.sqrt(k)) if rms > 0 else 1.0
        U0 = (opts.rng.standard_normal((m, k)) * a).astype(dtype)
        V0 = (opts.rng.standard_normal((n, k)) * a).astype(dtype)
        return U0, V0
    return _svd_init(rows, cols, v, shape, k, dtype, opts.rng)


def _split(opts, nnz):
    """(train, validation) positions of the entries."""
    if opts.validation is None or nnz < 2:
        return np.arange(nnz), np.arange(0)
    perm = opts.rng.permutation(nnz)
    nval = min(max(1, round(opts.validation * nnz)), nnz - 1)
    return np.sort(perm[nval:]), np.sort(perm[:nval])


def _parts(opts, nnz):
    """Sample splitting: 2 maxiter + 1 disjoint parts of the training entries."""
    if not opts.split_samples:
        return None
    perm = opts.rng.permutation(nnz)
    return [np.sort(p) for p in np.array_split(perm, 2 * opts.maxiter + 1)]


@dataclasses.dataclass
class _Data:
    rows: np.ndarray
    cols: np.ndarray
    v: np.ndarray  # normalized values


def _zero_unseen(state, rows, cols, shape):
    seen_r = np.bincount(rows, minlength=shape[0]) > 0
    seen_c = np.bincount(cols, minlength=shape[1]) > 0
    state.U[~seen_r] = 0
    state.V[~seen_c] = 0


def _sweep(prob, state, train, parts, t, shape, layouts):
    """One sweep on all training entries (or on the parts of sweep `t`)."""
    m, n = shape
    if parts is None:
        lay_c, lay_r = layouts
        vc = vr = train.v
    else:
        pc, pr = parts[2 * t - 1], parts[2 * t]
        lay_c = make_layout(train.cols[pc], train.rows[pc], n)
        lay_r = make_layout(train.rows[pr], train.cols[pr], m)
        vc, vr = train.v[pc], train.v[pr]
    state.V, state.b = half_step(prob, lay_c, vc, state.V, state.b, state.U, state.a, state.mu)
    state.U, state.a = half_step(prob, lay_r, vr, state.U, state.a, state.V, state.b, state.mu)


def _copy(state):
    return State(state.U.copy(), state.V.copy(),
                 None if state.a is None else state.a.copy(),
                 None if state.b is None else state.b.copy(), state.mu)


def fit(rows, cols, values, shape, k, opts):
    """Run the fit on validated data; returns a :class:`Completion`."""
    dtype = values.dtype
    nnz = values.size
    vmax = float(np.max(np.abs(values))) if nnz else 0.0
    half_exp = (math.frexp(vmax)[1] // 2) if vmax > 0 else 0
    v = np.ldexp(values, -2 * half_exp).astype(dtype)  # exact: a power of 4
    tr, va = _split(opts, nnz)
    train = _Data(rows[tr], cols[tr], v[tr])
    val = _Data(rows[va], cols[va], v[va])
    mu = float(np.mean(train.v, dtype=np.float64)) if opts.biases and train.v.size else 0.0
    parts = _parts(opts, train.v.size)
    src = train if parts is None else _Data(*(x[parts[0]] for x in (train.rows, train.cols,
                                                                      train.v)))
    prob = Problem(opts.method, opts.reg * 4.0 ** -half_exp, opts.reg, opts.count_weights,
                   opts.inner_maxiter, opts.engine)
    with single_blas_thread():  # thin products: threads cost more than they give
        U0, V0 = _initial(opts, src.rows, src.cols, src.v - dtype.type(mu), shape, k, dtype,
                          half_exp)
        biases = (np.zeros(shape[0], dtype), np.zeros(shape[1], dtype)) if opts.biases else (
            None, None)
        state = State(U0, V0, *biases, mu)
        _zero_unseen(state, train.rows, train.cols, shape)
        best, hist, converged = _loop(opts, prob, state, train, val, parts, shape,
                                      4.0**half_exp)
    return _result(opts, best, hist, converged, shape, half_exp)


def _loop(opts, prob, state, train, val, parts, shape, unit):
    """The sweeps; `unit` converts normalized values back (for the history)."""
    counts = (np.bincount(train.rows, minlength=shape[0]),
              np.bincount(train.cols, minlength=shape[1]))
    norm2 = float(train.v.astype(np.float64) @ train.v.astype(np.float64))
    layouts = None
    if parts is None:
        layouts = (make_layout(train.cols, train.rows, shape[1], train.v),
                   make_layout(train.rows, train.cols, shape[0], train.v))
    hist, best, best_val, prev = [], (0, _copy(state)), math.inf, None
    for t in range(1, opts.maxiter + 1):
        t0 = time.perf_counter()
        _sweep(prob, state, train, parts, t, shape, layouts)
        r = residuals(state, train.rows, train.cols, train.v, opts.engine)
        f = objective(prob, state, r, *counts)
        rmse = math.sqrt(float(r @ r) / max(r.size, 1))
        vr = residuals(state, val.rows, val.cols, val.v, opts.engine) if val.v.size else None
        vrmse = math.sqrt(float(vr @ vr) / vr.size) if vr is not None else math.nan
        info = SweepInfo(t, f * unit * unit, rmse * unit, vrmse * unit,
                         time.perf_counter() - t0)
        hist.append(info)
        if vr is None or vrmse < best_val:
            best, best_val = (t, _copy(state) if vr is not None else state), vrmse
        if opts.callback is not None:
            opts.callback(t, info)
        if vr is not None and t - best[0] >= opts.patience:
            return best, hist, True
        if opts.tol > 0 and (float(r @ r) <= opts.tol**2 * norm2 or (
                prev is not None and prev - f <= opts.tol * prev)):
            return best, hist, True
        prev = f
    return best, hist, opts.tol == 0


def _result(opts, best, hist, converged, shape, half_exp):
    t_best, st = best
    if not converged:
        warnings.warn(
            f"completion did not meet tol={opts.tol} in maxiter={opts.maxiter} sweeps",
            ConvergenceWarning,
            stacklevel=4,
        )
    s = 4.0**half_exp

    def up(x, e):
        return None if x is None else np.ldexp(x, e).astype(x.dtype)

    return Completion(
        U=up(st.U, half_exp),
        V=up(st.V, half_exp),
        row_bias=up(st.a, 2 * half_exp),
        col_bias=up(st.b, 2 * half_exp),
        mean=st.mu * s,
        shape=tuple(shape),
        method=opts.method,
        n_iter=len(hist),
        best_iter=t_best,
        converged=bool(converged),
        history=tuple(hist),
    )
