"""A derandomized test of unbiasedness for matrix estimators.

``R`` independent estimates (seeds 0..R-1) of a matrix ``M``: every entry's
mean is compared with ``M`` in units of its estimated standard error. Under
unbiasedness each z-score is approximately standard normal (the central
limit theorem over ``R`` draws), so the largest of ``K`` entries exceeds the
Bonferroni threshold ``Phi^-1(1 - alpha / (2 K))`` with probability at most
about ``alpha``. The seeds are fixed, so the outcome is deterministic.
"""

import numpy as np
from scipy.stats import norm

ALPHA = 1e-3


def max_z(estimates, target, bias=None):
    """Largest |z| of the entrywise means of `estimates` against `target`.

    `bias` is an entrywise bound on a known deterministic bias, subtracted
    from |mean - target| first.
    """
    E = np.asarray(estimates, dtype=np.float64)
    R = E.shape[0]
    mean = E.mean(axis=0)
    se = E.std(axis=0, ddof=1) / np.sqrt(R)
    dev = np.abs(mean - target)
    if bias is not None:
        dev = np.maximum(dev - bias, 0.0)
    mask = se > 0
    assert np.all(dev[~mask] <= 1e-12 * (1 + np.abs(target[~mask])))  # exact entries
    return float(np.max(dev[mask] / se[mask])) if mask.any() else 0.0


def threshold(n_entries, alpha=ALPHA):
    return float(norm.ppf(1 - alpha / (2 * n_entries)))
