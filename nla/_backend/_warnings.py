"""Warnings shared by every family."""

__all__ = ["ConvergenceWarning"]


class ConvergenceWarning(RuntimeWarning):
    """An iterative method stopped before reaching its tolerance.

    Issued by every family when an iteration ends with ``info.converged ==
    False`` (`maxiter` was hit, or the iteration stalled above the rounding
    level); the returned result is the last iterate. Turn it into an error
    with ``warnings.simplefilter("error", nla.ConvergenceWarning)``.

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
