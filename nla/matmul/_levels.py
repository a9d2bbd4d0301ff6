"""The hierarchies of :func:`nla.mlmc_matmul`: rank, precision and data levels.

A hierarchy is a deterministic level-0 product (possibly zero) and a list of
sampled levels. A sampled level is a sum ``sum_k T_k`` over the inner index;
it gives unnormalized sampling weights ``q_k`` (zero only where ``T_k = 0``),
the exact ``||T_k||_F^2`` of given indices (cheap formulas, no m x p matrix
per term), the weighted sum ``sum_t w_t T_{k_t}``, a cost per sample in
flops, and optionally the exact sum with its cost.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp

from .._backend import is_numpy_namespace, is_sparse, matmul, rmatmul, to_host
from ._common import _dense, _sparse_cols, _sparse_rows

#: length of the inner-dimension blocks of the low-precision level-0 product
#: (each block's product is accumulated in the working precision)
BLOCK = 256


@dataclasses.dataclass
class Level:
    label: str
    q: np.ndarray
    cost: float  # flops per sample
    sq_norms: object  # idx -> host ||T_k||_F^2
    weighted: object  # (idx, w) -> sum_t w_t T_{k_t}
    exact: object = None  # () -> sum_k T_k
    exact_cost: float = np.inf
    overhead: float = 0.0  # flops once per call of `weighted`

    def __post_init__(self):
        if self.exact is None:  # the sum over every nonzero term
            nz = np.flatnonzero(self.q > 0)
            self.exact = lambda: self.weighted(nz, np.ones(nz.size))
            self.exact_cost = nz.size * self.cost + self.overhead


@dataclasses.dataclass
class Hierarchy:
    base: object  # level-0 product (None: zero)
    base_label: str
    base_flops: float
    levels: list


def _row_norms2(Y):
    return np.asarray(to_host(Y * Y), dtype=np.float64).sum(axis=1)


def _host64(x):
    return np.asarray(to_host(x), dtype=np.float64)


# --------------------------------------------------------------------- rank


def _sketch_basis(P, gen, r, side, nsq):
    """An orthonormal basis (columns) of the top-`r` left singular subspace
    of L (side "L") or right singular subspace of R (side "R"), from
    ``nla.rsvd`` of norm-squared sampled, rescaled columns (rows)."""
    from ..lowrank import rsvd

    m, n, p = P.shape
    s0 = min(n, 8 * (r + 10))
    prob = nsq / nsq.sum()
    idx = np.sort(gen.choice(n, size=s0, replace=True, p=prob))
    scale = 1.0 / np.sqrt(s0 * prob[idx])
    Ls, Rs = P.take(idx)
    if side == "L":
        S = Ls @ sp.diags_array(scale) if is_sparse(Ls) else Ls * P.host_to_x(scale)[None, :]
        U = rsvd(S, r, n_iter=_SKETCH_ITER, rng=gen).U
        return U, _rsvd_flops(m, s0, r)
    S = sp.diags_array(scale) @ Rs if is_sparse(Rs) else Rs * P.host_to_x(scale)[:, None]
    Vt = rsvd(S, r, n_iter=_SKETCH_ITER, rng=gen).Vt
    return _t(P, Vt), _rsvd_flops(p, s0, r)


#: power iterations of the subspace sketch (its quality changes the
#: variance only, never the mean)
_SKETCH_ITER = 2


def _rsvd_flops(a, b, r):
    k = min(r + 10, a, b)
    return 2.0 * a * b * k * (2 * _SKETCH_ITER + 2)


def _t(P, X):
    return X.T if (P.sparse or is_numpy_namespace(P.xp)) else P.xp.matrix_transpose(X)


def _proj_rows(P, Q, side):
    """n x r: ``L^T Q`` (side "L") or ``R Q`` (side "R")."""
    if side == "L":
        if P.sparse:
            return rmatmul(P.L, Q) if is_sparse(P.L) else P.L.T @ Q
        return P.xp.matrix_transpose(P.L) @ Q
    return _dense(matmul(P.R, Q)) if P.sparse else P.R @ Q


def rank_levels(P, gen, ranks):
    """Control variates ``P_A A B P_B`` of growing rank (nested bases)."""
    m, n, p = P.shape
    na, nb, _ = P.norms()
    rmax = ranks[-1]
    QA, f1 = _sketch_basis(P, gen, rmax, "L", na * na)
    if P.gram:
        QB, f2 = QA, 0.0
    else:
        QB, f2 = _sketch_basis(P, gen, rmax, "R", nb * nb)
    r0 = ranks[0]
    YA = _proj_rows(P, QA[:, :r0], "L")
    YB = YA if P.gram else _proj_rows(P, QB[:, :r0], "R")
    base = QA[:, :r0] @ (_t(P, YA) @ YB) @ _t(P, QB[:, :r0])
    flops = f1 + f2 + 2.0 * n * r0 * (m if P.gram else m + p) + 2.0 * n * r0 * r0
    flops += 2.0 * m * r0 * r0 + 2.0 * m * r0 * p
    ya, yb = _row_norms2(YA), (_row_norms2(YA) if P.gram else _row_norms2(YB))
    full = (na * nb) ** 2
    res = np.sqrt(np.maximum(full - ya * yb, 0.0))
    q = np.maximum(res, np.sqrt(P.eps) * na * nb)

    def proj(idx, r):
        Ls, Rs = P.take(idx)
        ya_ = _dense(rmatmul(Ls, QA[:, :r])) if P.sparse else _t(P, Ls) @ QA[:, :r]
        if P.gram:
            return Ls, Rs, ya_, ya_
        yb_ = _dense(matmul(Rs, QB[:, :r])) if P.sparse else Rs @ QB[:, :r]
        return Ls, Rs, ya_, yb_

    def F(ya_, yb_, w, r):
        wx = P.host_to_x(w)
        core = _t(P, ya_[:, :r] * wx[:, None]) @ yb_[:, :r]
        return QA[:, :r] @ core @ _t(P, QB[:, :r])

    levels = []
    bounds = list(ranks) + [None]
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=False):
        levels.append(_rank_level(P, q, lo, hi, proj, F, na, nb, ranks))
    return Hierarchy(base, f"rank {r0}", flops, levels)


def _rank_level(P, q, lo, hi, proj, F, na, nb, ranks):
    m, n, p = P.shape
    top = hi is None
    rr = lo if top else hi

    def sq_norms(idx):
        _, _, ya_, yb_ = proj(idx, rr)
        a_lo = _row_norms2(ya_[:, :lo]) * _row_norms2(yb_[:, :lo])
        if top:
            return np.maximum((na[idx] * nb[idx]) ** 2 - a_lo, 0.0)
        return np.maximum(_row_norms2(ya_) * _row_norms2(yb_) - a_lo, 0.0)

    def weighted(idx, w):
        Ls, Rs, ya_, yb_ = proj(idx, rr)
        low = F(ya_, yb_, w, lo)
        if top:
            return P.weighted(idx, w) - low
        return F(ya_, yb_, w, hi) - low

    if top:
        cost = 2.0 * m * p + 2.0 * lo * (m + p)
        label = f"full - rank {lo}"
    else:
        cost = 2.0 * hi * (m + p) + 2.0 * hi * hi
        label = f"rank {hi} - rank {lo}"
    return Level(label, q, cost, sq_norms, weighted,
                 overhead=2.0 * m * rr * (rr + p))


# ---------------------------------------------------------------- precision


def _low_dtype(P, name):
    xp = P.xp
    if P.sparse or is_numpy_namespace(xp):
        return np.dtype(name)
    dt = getattr(xp, name, None)
    if dt is None:
        raise TypeError(f"precisions: {xp.__name__} has no {name} dtype")
    return dt


def _compute_dtype(P, name):
    """The dtype the products of level `name` run in (float16 inputs are
    multiplied in float32, as tensor cores accumulate)."""
    return _low_dtype(P, "float64" if name == "float64" else "float32")


def _round(P, X, name, s):
    """`X` rounded to precision `name` after scaling by the power of two `s`,
    returned in the compute dtype of that level (still scaled by `s`).

    float16 rounds the significand to 11 bits by Veltkamp splitting in
    float32 (the same bits in every library, also those without float16);
    the scaling puts the largest entry near 1, inside float16's range.
    """
    comp = _compute_dtype(P, name)
    if is_sparse(X):
        Y = (X.astype(np.float64) * s).tocsr()
        if name != "float64":
            Y.data = _round_values(Y.data, name, np)
        return Y.astype(np.dtype(comp))
    xp = np if isinstance(X, np.ndarray) else P.xp
    Y = X * s
    if name == "float64":
        return Y
    return _round_values(Y, name, xp)


def _round_values(Y, name, xp):
    f32 = xp.float32
    Y = Y.astype(f32) if xp is np else xp.astype(Y, f32)
    if name == "float16":
        t = Y * f32(8193.0) if xp is np else Y * 8193.0
        Y = t - (t - Y)
    return Y


def _to_work(P, X, s):
    """Scaled compute-dtype `X` back to the working dtype, divided by `s`."""
    if is_sparse(X):
        return X.astype(P.np_dtype) * (1.0 / s)
    if isinstance(X, np.ndarray):
        return X.astype(P.np_dtype) * (1.0 / s)
    return P.xp.astype(X, P.dtype) * (1.0 / s)


def _pow2(amax):
    return 1.0 if amax == 0.0 else float(2.0 ** (-np.frexp(amax)[1]))


def precision_levels(P, gen, precisions):
    """Products of inputs rounded to growing precision; corrections sampled."""
    m, n, p = P.shape
    na, nb, _ = P.norms()
    # every entry is at most the largest column (row) norm: after these
    # scalings all entries are at most 1, inside float16's range
    sa = _pow2(float(na.max()))
    sb = sa if P.gram else _pow2(float(nb.max()))
    names = list(precisions)
    base = _blocked_product(P, names[0], sa, sb)
    weight = 1.0 if names[0] == "float64" else 0.5
    flops = weight * 2.0 * m * n * p
    q = na * nb
    levels = []
    for i in range(1, len(names)):
        hi = names[i] if i < len(names) - 1 else None
        levels.append(_precision_level(P, q, names[i - 1], hi, sa, sb))
    return Hierarchy(base, names[0], flops, levels)


def _blocked_product(P, name, sa, sb):
    """``sum_blocks round(L_blk) round(R_blk)`` in the compute dtype of
    `name`, accumulated in the working dtype."""
    m, n, p = P.shape
    L = P.L.tocsc() if is_sparse(P.L) else P.L
    R = P.R.tocsr() if is_sparse(P.R) else P.R
    acc = P.zeros()
    for i in range(0, n, BLOCK):
        j = min(n, i + BLOCK)
        Lb = _round(P, L[:, i:j], name, sa)
        Rb = _t(P, Lb) if P.gram and not P.sparse else _round(P, R[i:j, :], name, sb)
        prod = _dense(matmul(Lb, Rb)) if P.sparse else Lb @ Rb
        acc = acc + (prod.astype(P.np_dtype) if isinstance(prod, np.ndarray)
                     else P.xp.astype(prod, P.dtype))
    return acc * (1.0 / (sa * sb))


def _precision_level(P, q, lo, hi, sa, sb):
    m, n, p = P.shape

    def parts(idx):
        Ls, Rs = P.take(idx)
        Llo = _to_work(P, _round(P, Ls, lo, sa), sa)
        Rlo = _to_work(P, _round(P, Rs, lo, sb), sb)
        if hi is None:
            Lhi, Rhi = Ls, Rs
        else:
            Lhi = _to_work(P, _round(P, Ls, hi, sa), sa)
            Rhi = _to_work(P, _round(P, Rs, hi, sb), sb)
        return Lhi - Llo, Rhi, Llo, Rhi - Rlo

    def sq_norms(idx):
        dL, Rhi, Llo, dR = (_host64(x.toarray() if is_sparse(x) else x) for x in parts(idx))
        da, bh, al, db = dL.T, Rhi, Llo.T, dR
        return (np.sum(da * da, 1) * np.sum(bh * bh, 1) + np.sum(al * al, 1)
                * np.sum(db * db, 1) + 2.0 * np.sum(da * al, 1) * np.sum(bh * db, 1))

    def weighted(idx, w):
        dL, Rhi, Llo, dR = parts(idx)
        if P.sparse:
            W = sp.diags_array(w.astype(P.np_dtype))
            return _dense(matmul(dL @ W, Rhi)) + _dense(matmul(Llo @ W, dR))
        wx = P.host_to_x(w)[None, :]
        return (dL * wx) @ Rhi + (Llo * wx) @ dR

    label = f"{hi or 'full'} - {lo}"
    return Level(label, q, 4.0 * m * p + 4.0 * (m + p), sq_norms, weighted)


# --------------------------------------------------------------------- data


def data_levels(P, gen, blocks):
    """Column blocks of the inner dimension in arrival order (strata)."""
    m, n, p = P.shape
    na, nb, _ = P.norms()
    edges = np.linspace(0, n, min(blocks, n) + 1).astype(np.int64)
    levels = []
    for i, (s, e) in enumerate(zip(edges[:-1], edges[1:], strict=False)):
        q = np.zeros(n)
        q[s:e] = na[s:e] * nb[s:e]
        levels.append(_data_level(P, q, int(s), int(e), i, na, nb))
    return Hierarchy(None, "none", 0.0, levels)


def _data_level(P, q, s, e, i, na, nb):
    m, n, p = P.shape

    def exact():
        L = P.L.tocsc() if is_sparse(P.L) else P.L
        R = P.R.tocsr() if is_sparse(P.R) else P.R
        Lb = L[:, s:e]
        Rb = _t(P, Lb) if P.gram and not P.sparse else R[s:e, :]
        return _dense(matmul(Lb, Rb)) if P.sparse else Lb @ Rb

    return Level(
        f"block {i} [{s}:{e})", q, 2.0 * m * p,
        lambda idx: (na[idx] * nb[idx]) ** 2,
        P.weighted, exact, 2.0 * m * p * (e - s),
    )


__all__ = ["rank_levels", "precision_levels", "data_levels", "BLOCK",
           "_sparse_cols", "_sparse_rows"]
