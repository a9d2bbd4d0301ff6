"""Choosing the rank and the ridge parameter on held-out entries."""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

from .._random import check_rng
from .._validate import check_int, check_real
from ._checks import check_shape
from ._complete import complete
from ._result import Completion

__all__ = ["tune_complete", "Tuning", "TuningScore"]


class TuningScore(NamedTuple):
    """Held-out error of one candidate.

    Attributes
    ----------
    rank : int
    reg : float
    best_iter : int
        The sweep with the lowest held-out error.
    val_rmse : float
        That error.
    """

    rank: int
    reg: float
    best_iter: int
    val_rmse: float


@dataclasses.dataclass(frozen=True)
class Tuning:
    """The outcome of :func:`tune_complete`.

    Attributes
    ----------
    rank, reg : the chosen candidate.
    maxiter : int
        Its best sweep count on the held-out split, used for the refit.
    val_rmse : float
        Its held-out error.
    scores : tuple of TuningScore
        Every candidate, in the order tried.
    completion : Completion
        The chosen candidate refitted on all entries for `maxiter` sweeps.
    """

    rank: int
    reg: float
    maxiter: int
    val_rmse: float
    scores: tuple
    completion: Completion


def _grid(values, name, check):
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a sequence of candidates, got {values!r}")
    out = tuple(check(v, name) for v in values)
    if not out:
        raise ValueError(f"{name} must hold at least one candidate")
    return out


def tune_complete(rows, cols, values, shape, *, ranks=(5, 10, 20), regs=(0.05, 0.1, 0.2),
                  validation=0.1, method="robust-altmin", reg_weights="count", biases=True,
                  maxiter=50, patience=3, inner_maxiter=2, engine=None, rng=None):
    """Choose `rank` and `reg` of :func:`complete` on held-out entries, then refit.

    Every pair of candidates is fitted on the same split (a fraction
    `validation` of the entries held out, drawn once with `rng`) with early
    stopping; the pair with the lowest held-out error wins, and is refitted
    on all entries for its best number of sweeps.

    Parameters
    ----------
    rows, cols, values, shape
        As in :func:`complete`.
    ranks : sequence of int
        Candidate ranks.
    regs : sequence of float
        Candidate ridge parameters.
    validation : float
        Held-out fraction, in ``(0, 1)``.
    method, reg_weights, biases, maxiter, patience, inner_maxiter, engine
        As in :func:`complete` (here with the ALS-WR weighting and biases
        by default, the usual choice for ratings).
    rng : None, int or numpy.random.Generator
        Draws the split and the initializations.

    Returns
    -------
    Tuning
        The choice, every candidate's score, and the refitted
        :class:`Completion`.

    See Also
    --------
    complete

    Examples
    --------
    >>> import numpy as np, nla
    >>> rng = np.random.default_rng(0)
    >>> M = rng.standard_normal((60, 3)) @ rng.standard_normal((3, 40))
    >>> M += 0.1 * rng.standard_normal(M.shape)
    >>> r, c = np.nonzero(rng.random(M.shape) < 0.5)
    >>> t = nla.tune_complete(r, c, M[r, c], M.shape, ranks=(1, 3, 6), regs=(0.01, 0.1),
    ...                       biases=False, rng=0)
    >>> t.rank
    3
    """
    m, n = check_shape(shape)
    ranks = _grid(ranks, "ranks", lambda v, name: check_int(v, name, low=1, high=min(m, n)))
    regs = _grid(regs, "regs", lambda v, n: check_real(v, n, low=0.0))
    validation = check_real(validation, "validation", low=0.0, high=1.0, low_open=True,
                            high_open=True)
    seed = int(check_rng(rng).integers(2**63 - 1))
    kw = dict(method=method, reg_weights=reg_weights, biases=biases,
              inner_maxiter=inner_maxiter, engine=engine)
    scores, best = [], None
    for k in ranks:
        for reg in regs:
            f = complete(rows, cols, values, shape, k, reg=reg, validation=validation,
                         patience=patience, maxiter=maxiter, tol=0.0, rng=seed, **kw)
            err = f.history[f.best_iter - 1].val_rmse
            scores.append(TuningScore(k, reg, f.best_iter, err))
            if best is None or err < best.val_rmse or math.isnan(best.val_rmse):
                best = scores[-1]
    final = complete(rows, cols, values, shape, best.rank, reg=best.reg,
                     maxiter=best.best_iter, tol=0.0, rng=seed, **kw)
    return Tuning(best.rank, best.reg, best.best_iter, best.val_rmse, tuple(scores), final)
