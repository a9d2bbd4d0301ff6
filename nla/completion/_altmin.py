"""Alternating minimization with exact or approximate row solves.

The model is ``M[i, j] ~ mu + a[i] + b[j] + U[i] . V[j]`` (biases optional).
A sweep updates the row block ``(U, a)`` with ``(V, b)`` fixed, then the
column block. With the other block fixed, each row's problem is a ridge
regression on that row's observed entries,

    min_x ||t_i - F_i x||^2 + x^T diag(ridge_i) x,

``F_i`` the rows of the fixed factor (with a column of ones for the bias)
at the observed columns. ``altmin`` solves these exactly (a Cholesky
factorization per row, ``O(|Omega| d^2 + m d^3)`` per half-step);
``robust-altmin`` takes a few preconditioned conjugate-gradient steps on
every row at once, warm-started at the current factor, which costs
``O(|Omega| d + m d^2)`` per step: two passes over the observed entries
(one gather of ``F_i x_i`` and one scatter of ``F_i^T r_i``) and one
``d x d`` triangular solve pair shared by all rows.

The preconditioner is the expected normal matrix under uniform sampling,
``F^T F / n_F`` plus the ridge per observed entry, the same ``d x d``
matrix for every row up to the row's count (a scalar, which leaves the
conjugate-gradient iterates unchanged); one Cholesky factorization per
half-step serves all rows.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import scipy.linalg as sla

from ._kernels import observed_dot_kernel, row_residual_kernel, row_solve_kernel

__all__ = ["Layout", "Problem", "State", "make_layout", "half_step", "residuals"]


@dataclasses.dataclass(frozen=True)
class Layout:
    """The observed entries grouped by one side (CSR): ``indptr``, the other
    side's index ``idx`` and the position ``pos`` of each entry in the
    original order."""

    indptr: np.ndarray
    idx: np.ndarray
    pos: np.ndarray
    counts: np.ndarray
    vals: np.ndarray | None = None  # the values in this order, when given


def make_layout(major, minor, size, vals=None):
    """Group entries by `major` (indices in ``[0, size)``), by `minor` within a group.

    Sorted within each group, a row's gathers of the fixed factor walk
    through memory in one direction, which the caches and prefetchers
    reward when the factor does not fit in the cache.
    """
    order = np.lexsort((minor, major))
    counts = np.bincount(major, minlength=size)
    indptr = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    ordered = None if vals is None else np.ascontiguousarray(vals[order])
    return Layout(indptr, np.ascontiguousarray(minor[order]), order, counts, ordered)


@dataclasses.dataclass
class State:
    """The factors, in the normalized units of the fit."""

    U: np.ndarray
    V: np.ndarray
    a: np.ndarray | None
    b: np.ndarray | None
    mu: float


@dataclasses.dataclass(frozen=True)
class Problem:
    """Options of a fit, in normalized units."""

    method: str
    reg_factor: float  # ridge on factor rows (values scaled to about 1)
    reg_bias: float  # ridge on biases
    count_weights: bool
    inner_maxiter: int
    engine: object


def _design(W, bias):
    """The fixed factor, with a column of ones when biases are fitted."""
    if bias is None:
        return W
    return np.hstack([W, np.ones((W.shape[0], 1), dtype=W.dtype)])


def _ridge(prob, counts, d, biased, dtype):
    lam = np.full(counts.size, prob.reg_factor)
    if prob.count_weights:
        lam = lam * counts
    ridge = np.repeat(lam[:, None], d, axis=1)
    if biased:
        bias = np.full(counts.size, prob.reg_bias)
        ridge[:, -1] = bias * counts if prob.count_weights else bias
    return ridge.astype(dtype)


def _preconditioner(F, ridge, counts):
    """Inverse of ``F^T F / n_F + diag(median ridge per entry)`` (``d x d``).

    Applied as one product ``R @ P`` with the ``m x d`` block of residuals:
    ``m d^2`` flops, the part of a step that does not scale with ``|Omega|``.
    """
    G = (F.T @ F).astype(np.float64) / max(F.shape[0], 1)
    seen = counts > 0
    if np.any(seen):
        per_entry = np.median(ridge[seen] / counts[seen, None], axis=0)
        G[np.diag_indices_from(G)] += per_entry
    G[np.diag_indices_from(G)] += 4 * G.shape[0] * np.finfo(F.dtype).eps * np.trace(G)
    try:
        L = sla.cholesky(G, lower=True)
    except np.linalg.LinAlgError:
        return None
    Linv = sla.solve_triangular(L, np.eye(G.shape[0]), lower=True)
    return (Linv.T @ Linv).astype(F.dtype)


def _apply_prec(P, R):
    return R if P is None else R @ P


def _pcg(lay, target, F, X, ridge, iters, engine):
    """`iters` preconditioned CG steps on every row's normal equations."""
    L = _preconditioner(F, ridge, lay.counts)
    R = row_residual_kernel(np, lay.indptr, lay.idx, target, F, X, ridge, engine=engine)
    X = X.copy()
    Z = _apply_prec(L, R)
    P = Z
    rz = np.einsum("ij,ij->i", R, Z)
    for it in range(iters):
        Q = row_residual_kernel(np, lay.indptr, lay.idx, None, F, P, ridge, engine=engine)
        pq = np.einsum("ij,ij->i", P, Q)
        alpha = np.divide(rz, pq, out=np.zeros_like(rz), where=pq > 0)
        X += alpha[:, None] * P
        if it + 1 == iters:
            break
        R = R - alpha[:, None] * Q
        Z = _apply_prec(L, R)
        rz_new = np.einsum("ij,ij->i", R, Z)
        beta = np.divide(rz_new, rz, out=np.zeros_like(rz), where=rz > 0)
        P = Z + beta[:, None] * P
        rz = rz_new
    return X


def half_step(prob, lay, vals, mine, mine_bias, other, other_bias, mu):
    """New ``(factor, bias)`` of one side given the other side's.

    `lay` groups the entries by this side; `vals` are the values in the
    original order.
    """
    target = (vals[lay.pos] if lay.vals is None else lay.vals) - mu
    if other_bias is not None:
        target = target - other_bias[lay.idx]
    target = np.ascontiguousarray(target, dtype=other.dtype)
    F = _design(other, other_bias)
    d = F.shape[1]
    ridge = _ridge(prob, lay.counts, d, mine_bias is not None, other.dtype)
    if prob.method == "altmin":
        X = row_solve_kernel(np, lay.indptr, lay.idx, target, F, ridge, engine=prob.engine)
    else:
        X0 = _design(mine, mine_bias)
        if mine_bias is not None:
            X0 = X0.copy()
            X0[:, -1] = mine_bias
        X = _pcg(lay, target, F, X0, ridge, prob.inner_maxiter, prob.engine)
    X[lay.counts == 0] = 0
    if mine_bias is None:
        return np.ascontiguousarray(X), None
    return np.ascontiguousarray(X[:, :-1]), np.ascontiguousarray(X[:, -1])


def residuals(state, rows, cols, vals, engine):
    """``vals - prediction`` at the given entries (float64)."""
    pred = observed_dot_kernel(np, rows, cols, state.U, state.V, engine=engine)
    r = vals.astype(np.float64) - pred.astype(np.float64) - state.mu
    if state.a is not None:
        r -= state.a[rows].astype(np.float64) + state.b[cols].astype(np.float64)
    return r


def objective(prob, state, r, row_counts, col_counts):
    """Squared error plus ridge terms (normalized units)."""
    out = float(r @ r)
    for W, bias, counts in ((state.U, state.a, row_counts), (state.V, state.b, col_counts)):
        w = counts.astype(np.float64) if prob.count_weights else np.ones(counts.size)
        sq = np.einsum("ij,ij->i", W, W, dtype=np.float64)
        out += prob.reg_factor * float(w @ sq)
        if bias is not None:
            out += prob.reg_bias * float(w @ (bias.astype(np.float64) ** 2))
    return out


def sweep(prob, state, row_lay, col_lay, vals):
    """One sweep: columns given rows, then rows given columns (the paper's order)."""
    t0 = time.perf_counter()
    state.V, state.b = half_step(prob, col_lay, vals, state.V, state.b, state.U, state.a,
                                 state.mu)
    state.U, state.a = half_step(prob, row_lay, vals, state.U, state.a, state.V, state.b,
                                 state.mu)
    return time.perf_counter() - t0
