"""Multilevel Monte Carlo estimation of ``A B`` (Giles' sample allocation)."""

from __future__ import annotations

import dataclasses
import math
import numbers
import time

import numpy as np

from .._backend import to_host
from .._random import check_rng
from .._validate import check_engine, check_flag, check_int, check_option, check_real
from ._common import as_result, check_product, draw
from ._levels import data_levels, precision_levels, rank_levels

__all__ = ["mlmc_matmul", "MLMCInfo"]

_HIERARCHIES = ("rank", "precision", "data")
_PRECISIONS = ("float16", "float32", "float64")
#: pilot samples per level (two halves), for the variance estimates
_PILOT = 32
_DEFAULT_TOL = 1e-2


@dataclasses.dataclass(frozen=True)
class MLMCInfo:
    """What :func:`mlmc_matmul` did, level by level.

    Level 0 is the deterministic coarse product (``n_samples`` 0, variance
    0; its ``costs`` entry is its total flops); the other levels are the
    sampled corrections (an ``n_samples`` of -1 marks a correction computed
    exactly because sampling would not have been cheaper).

    Attributes
    ----------
    hierarchy : str
        ``"rank"``, ``"precision"`` or ``"data"``.
    labels : tuple of str
        What each level is.
    n_samples : tuple of int
        ``N_l``, the samples of each level.
    variances : tuple of float
        ``V_l``, the estimated variance (expected squared Frobenius
        deviation) of one sample of each level.
    costs : tuple of float
        ``C_l``, the flops of one sample of each level.
    stderr : float
        Estimated standard error ``sqrt(sum_l V_l / N_l)`` (Frobenius).
    norm_estimate : float
        Estimate of ``||A B||_F`` (used by `tol`).
    flops : float
        Total flops, pilot samples and the subspace sketch included (float32
        products count as half a flop: they run at about twice the rate).
    seconds : float
        Wall time of the call.
    level_seconds : tuple of float
        Wall time per level (level 0: building the hierarchy).
    """

    hierarchy: str
    labels: tuple
    n_samples: tuple
    variances: tuple
    costs: tuple
    stderr: float
    norm_estimate: float
    flops: float
    seconds: float
    level_seconds: tuple


def _frob2(P, X):
    if P.sparse:
        return float(np.sum(np.asarray(X, dtype=np.float64) ** 2))
    xp = P.xp
    return float(to_host(xp.sum(X * X)))


def _pilot(P, lev, gen):
    """Estimated one-sample variance and the pilot mean (unbiased for the
    level's sum) from `_PILOT` samples."""
    q = lev.q
    p = q / q.sum()
    idx = np.sort(gen.choice(p.size, size=_PILOT, replace=True, p=p))
    uniq, counts = np.unique(idx, return_counts=True)
    s2 = lev.sq_norms(uniq) / p[uniq] ** 2  # ||T_k / p_k||^2
    mean = lev.weighted(uniq, counts / (_PILOT * p[uniq]))
    total2 = _frob2(P, mean) * _PILOT**2  # ||sum_t T_t / p_t||^2
    var = (float(np.sum(counts * s2)) - total2 / _PILOT) / (_PILOT - 1)
    return max(var, 0.0), mean


def _allocate(V, C, eps2, avail):
    """Giles' ``N_l ~ sqrt(V_l / C_l)`` for a target variance `eps2` and/or
    the flops `avail`; at least one sample per level."""
    root = np.sqrt(np.asarray(V) * np.asarray(C))
    s = float(root.sum())
    N = np.full(len(V), np.inf)
    w = np.sqrt(np.asarray(V) / np.asarray(C))
    if eps2 is not None:
        N = np.minimum(N, np.ceil(w * s / eps2) if eps2 > 0 else np.inf)
    if avail is not None:
        N = np.minimum(N, np.floor(avail * w / s) if s > 0 else 1.0)
    N[np.isnan(N)] = 1.0
    return np.clip(N, 1.0, 2.0**53).astype(np.int64)


def _check_ranks(ranks, P):
    m, n, p = P.shape
    high = min(m, p, n)
    if ranks is None:
        return (max(1, high // 6),)
    if isinstance(ranks, (numbers.Integral, np.integer)) and not isinstance(ranks, bool):
        ranks = (ranks,)
    if not isinstance(ranks, (tuple, list)) or not ranks:
        raise TypeError(f"ranks must be an int or a non-empty sequence of ints, got {ranks!r}")
    out = tuple(check_int(r, "ranks", low=1, high=high) for r in ranks)
    if any(b <= a for a, b in zip(out[:-1], out[1:], strict=False)):
        raise ValueError(f"ranks must be strictly increasing, got {out}")
    return out


def _check_precisions(precisions, P):
    work = P.np_dtype.name
    if precisions is None:
        return ("float16", "float32") if work == "float32" else ("float32", "float64")
    if isinstance(precisions, str) or not isinstance(precisions, (tuple, list)):
        raise TypeError(f"precisions must be a sequence of dtype names, got {precisions!r}")
    names = tuple(precisions)
    for name in names:
        if not isinstance(name, str) or name not in _PRECISIONS:
            raise ValueError(f"precisions must be names among {_PRECISIONS}, got {name!r}")
    order = [_PRECISIONS.index(x) for x in names]
    if len(names) < 2 or any(b <= a for a, b in zip(order[:-1], order[1:], strict=False)):
        raise ValueError(
            f"precisions must be at least two increasing precisions, got {names}"
        )
    if names[-1] != work:
        raise ValueError(
            f"precisions must end with the working precision {work} of A and B, got {names}"
        )
    return names


def _prescale(P):
    """Bring each factor inside the safe band by a power of two (a copy only
    for extreme magnitudes, found by the norm pass); returns the factor to
    multiply the result by."""
    P.norms()
    sa, sb = P.scales
    out = 1.0
    if sa == 1.0 and sb == 1.0:
        return out
    P.L = P.L * sa if sa != 1.0 else P.L
    if P.At is not None:
        P.At = P.At * sa if sa != 1.0 else P.At
    if P.gram:
        P.R = P.L.T if P.sparse else P.xp.matrix_transpose(P.L)
        sb = sa
    elif sb != 1.0:
        P.R = P.R * sb
    P._norms = None
    P.norms()
    return 1.0 / (sa * sb)


def _check_finite_result(P, C):
    ok = np.all(np.isfinite(C)) if P.sparse else bool(to_host(P.xp.all(P.xp.isfinite(C))))
    if not ok:
        raise ValueError("the product of A and B overflows float64; rescale A or B")
    return C


def _options(P, levels, budget, tol, ranks, precisions, blocks):
    levels = check_option(levels, "levels", _HIERARCHIES)
    if budget is not None:
        budget = check_real(budget, "budget", low=0.0, low_open=True)
    if tol is not None:
        tol = check_real(tol, "tol", low=0.0, low_open=True)
    if budget is None and tol is None:
        tol = _DEFAULT_TOL
    return (levels, budget, tol, _check_ranks(ranks, P), _check_precisions(precisions, P),
            check_int(blocks, "blocks", low=1))


def mlmc_matmul(A, B, *, budget=None, tol=None, levels="rank", ranks=None, precisions=None,
                blocks=8, transpose_a=False, return_info=False, rng=None, engine=None):
    """Multilevel Monte Carlo estimate of ``A @ B``.

    ``A B = P_0 + sum_{l>=1} (P_l - P_{l-1})``: a cheap deterministic coarse
    product ``P_0`` plus corrections, each a sum over the inner index
    estimated by importance sampling with probabilities adapted to that
    correction, all levels independent. The samples per level follow Giles'
    allocation ``N_l ~ sqrt(V_l / C_l)`` (``V_l`` the variance of one sample,
    estimated from 32 pilot samples that are then discarded; ``C_l`` its
    flops), so that the expected squared error meets `tol` or is minimal for
    `budget`. Unbiased (up to the rounding of the low-precision ``P_0``, see
    `levels`) and reproducible for a given `rng`.

    Parameters
    ----------
    A : (m, n) array or scipy.sparse matrix
        Left factor (``(n, m)`` with ``transpose_a=True``).
    B : (n, p) array or scipy.sparse matrix
        Right factor; the same object as `A` with ``transpose_a=True`` gives
        the Gram matrix ``A^T A``.
    budget : float, optional
        Total cost as a multiple of the exact product's ``2 m n p`` flops
        (level 0, the pilots and the sketch included). Too small a budget for
        the hierarchy's fixed cost raises ValueError.
    tol : float, optional
        Target relative RMS error: ``E ||C - A B||_F^2 <= tol^2 ||A B||_F^2``
        with ``||A B||_F`` estimated. With both, the smaller sample counts
        win; with neither, ``tol=0.01``.
    levels : {"rank", "precision", "data"}, default "rank"
        The hierarchy.

        * ``"rank"``: control variates ``P_0 = Q_A Q_A^T A B Q_B Q_B^T`` with
          ``Q_A``, ``Q_B`` bases of rank ``ranks[0]`` from :func:`nla.rsvd` of
          norm-sampled columns of A and rows of B (the same basis for
          ``A^T A``); one pass over the data gives ``P_0`` and every
          residual norm. Corrections between the nested ranks of `ranks`,
          and the last one ``A B - P_{L-1}``, are sampled with
          ``p_k ~ ||a_k b_k^T - P_0 term||_F``. The variance falls with the
          spectral decay of A and B.
        * ``"precision"``: ``P_0`` is the product of the inputs rounded to
          ``precisions[0]`` (float16 inputs are multiplied in float32),
          accumulated in blocks of 256 inner indices in the working
          precision; corrections between consecutive precisions sampled with
          the DKM probabilities. The rounding of ``P_0``'s block products is
          not sampled: it stays as a bias of at most ``gamma_256 |A| |B|``
          in the low precision (far below that of one low-precision product).
        * ``"data"``: the inner dimension in `blocks` consecutive blocks (the
          order in which streamed columns arrive); each block's product is a
          level, sampled with the DKM probabilities restricted to it
          (Giles' allocation across blocks).
    ranks : int or sequence of int, optional
        Rank levels (increasing); default ``min(m, n, p) // 6``.
    precisions : sequence of str, optional
        Precision levels from ``"float16"``, ``"float32"``, ``"float64"``,
        increasing and ending with the working precision; default
        ``("float32", "float64")`` (``("float16", "float32")`` for float32
        input).
    blocks : int, default 8
        Number of data levels.
    transpose_a : bool, default False
        Estimate ``A^T B`` without forming ``A^T``.
    return_info : bool, default False
        Also return an :class:`MLMCInfo`.
    rng : None, int or numpy.random.Generator
        Randomness (SPEC 7); indices are drawn on the host.
    engine : {None, "auto", "numpy", "numba"}, optional
        Accepted for uniformity; no kernel is reached.

    Returns
    -------
    C : (m, p) array
        The estimate (library, device and dtype of the inputs; NumPy for
        sparse input).
    info : MLMCInfo
        Only with ``return_info=True``.

    See Also
    --------
    sampled_matmul : the single-level DKM estimator.

    References
    ----------
    M. B. Giles, "Multilevel Monte Carlo methods", Acta Numerica 24 (2015).
    Y. Wu, N. Polydorides, "A multilevel Monte Carlo estimator for matrix
    multiplication", SIAM J. Sci. Comput. 42 (2020), arXiv:1904.00429.

    Examples
    --------
    >>> import numpy as np, nla
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((3000, 40)) * 0.7 ** np.arange(40)
    >>> G, info = nla.mlmc_matmul(X, X, tol=1e-3, transpose_a=True, ranks=8,
    ...                           return_info=True, rng=1)
    >>> bool(np.linalg.norm(G - X.T @ X) < 3e-3 * np.linalg.norm(X.T @ X))
    True
    >>> info.labels
    ('rank 8', 'full - rank 8')
    """
    t0 = time.perf_counter()
    P = check_product(A, B, transpose_a)
    hierarchy, budget, tol, ranks, precisions, blocks = _options(
        P, levels, budget, tol, ranks, precisions, blocks)
    return_info = check_flag(return_info, "return_info")
    check_engine(engine)
    gen = check_rng(rng)
    unscale = _prescale(P)
    C, info = _run(P, gen, hierarchy, budget, tol, ranks, precisions, blocks, t0)
    C = as_result(P, C)
    C = _check_finite_result(P, C * unscale if unscale != 1.0 else C)
    if unscale != 1.0:
        info = dataclasses.replace(info, stderr=info.stderr * unscale,
                                   norm_estimate=info.norm_estimate * unscale)
    return (C, info) if return_info else C


def _build(P, gen, hierarchy, ranks, precisions, blocks):
    if not np.any(P.norms()[0] * P.norms()[1] > 0):
        return None
    if hierarchy == "rank":
        return rank_levels(P, gen, ranks)
    if hierarchy == "precision":
        return precision_levels(P, gen, precisions)
    return data_levels(P, gen, blocks)


def _run(P, gen, hierarchy, budget, tol, ranks, precisions, blocks, t0):
    m, n, p = P.shape
    H = _build(P, gen, hierarchy, ranks, precisions, blocks)
    if H is None:  # a zero product
        info = MLMCInfo(hierarchy, ("zero",), (0,), (0.0,), (0.0,), 0.0, 0.0, 0.0,
                        time.perf_counter() - t0, (time.perf_counter() - t0,))
        return P.zeros(), info
    t_build = time.perf_counter() - t0
    est = P.zeros() if H.base is None else H.base
    live = []
    for lev in H.levels:
        if lev.q.sum() == 0:
            continue
        if lev.exact_cost <= _PILOT * lev.cost:  # cheaper than its pilot: exact
            est = est + lev.exact()
            H.base_flops += lev.exact_cost
            H.base_label += f" + {lev.label}"
            continue
        live.append(lev)
    V, means = [], []
    for lev in live:
        v, mean = _pilot(P, lev, gen)
        V.append(v)
        means.append(mean)
    spent = H.base_flops + sum(_PILOT * lev.cost + lev.overhead for lev in live)
    pilot_sum = est + sum(means) if means else est
    norm2 = max(_frob2(P, pilot_sum) - sum(V) / _PILOT, 0.25 * _frob2(P, pilot_sum))
    C_l = [lev.cost for lev in live]
    avail = None
    if budget is not None:
        avail = budget * 2.0 * m * n * p - spent - sum(lev.overhead for lev in live)
        if avail < sum(C_l):
            need = (spent + sum(C_l) + sum(lev.overhead for lev in live)) / (2.0 * m * n * p)
            raise ValueError(
                f"budget {budget:g} is below the fixed cost of the {hierarchy} hierarchy "
                f"here; it must be at least {need:.3g}"
            )
    eps2 = None if tol is None else tol * tol * norm2
    N = _allocate(V, C_l, eps2, avail) if live else np.zeros(0, np.int64)
    return _sample(P, gen, H, live, V, N, est, spent, norm2, hierarchy, t0, t_build)


def _sample(P, gen, H, live, V, N, est, spent, norm2, hierarchy, t0, t_build):
    flops, secs, n_out, v_out = spent, [t_build], [], []
    for lev, v, n_l in zip(live, V, N, strict=False):
        t = time.perf_counter()
        if lev.exact is not None and lev.exact_cost <= n_l * lev.cost:
            est = est + lev.exact()
            flops += lev.exact_cost
            n_out.append(-1)
            v_out.append(0.0)
        else:
            q = lev.q
            p = q / q.sum()
            idx, counts = draw(gen, p, int(n_l))
            est = est + lev.weighted(idx, counts / (n_l * p[idx]))
            flops += n_l * lev.cost + lev.overhead
            n_out.append(int(n_l))
            v_out.append(float(v))
        secs.append(time.perf_counter() - t)
    var = sum(v / n for v, n in zip(v_out, n_out, strict=False) if n > 0)
    info = MLMCInfo(
        hierarchy,
        (H.base_label, *(lev.label for lev in live)),
        (0, *n_out),
        (0.0, *v_out),
        (H.base_flops, *(lev.cost for lev in live)),
        math.sqrt(var),
        math.sqrt(norm2),
        float(flops),
        time.perf_counter() - t0,
        tuple(secs),
    )
    return est, info



