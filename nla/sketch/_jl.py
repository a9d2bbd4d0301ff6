"""Johnson-Lindenstrauss target dimension."""

from __future__ import annotations

import math

from .._validate import check_int, check_real

__all__ = ["jl_dim"]


def jl_dim(n_points, eps):
    """Target dimension that preserves pairwise distances within ``1 +- eps``.

    Uses the bound of Dasgupta and Gupta, the one scikit-learn's
    :func:`~sklearn.random_projection.johnson_lindenstrauss_min_dim` uses::

        k >= 4 ln(n) / (eps^2 / 2 - eps^3 / 3)

    Parameters
    ----------
    n_points : int
        Number of points whose pairwise distances are to be kept (>= 1).
    eps : float
        Allowed relative distortion of squared distances, in (0, 1).

    Returns
    -------
    int
        The smallest integer ``k`` satisfying the bound (at least 1).
        scikit-learn truncates instead of rounding up, so its value can be
        one less.

    See Also
    --------
    fjlt, gaussian : sketches to use with this ``k``.
    sklearn.random_projection.johnson_lindenstrauss_min_dim : the same bound.

    Notes
    -----
    For a Gaussian map with ``k`` rows, each squared distance leaves
    ``[1 - eps, 1 + eps]`` times its value with probability at most
    ``2 exp(-k (eps^2/2 - eps^3/3) / 2)`` (Dasgupta and Gupta [2]_); the
    union bound over the ``n (n - 1) / 2`` pairs gives success with
    probability at least ``1 - 1/n`` at this ``k``. The other sketches in
    :mod:`nla.sketch` reach a similar distortion at this ``k`` (their tests
    check it), but the bound is proved for the Gaussian map.

    References
    ----------
    .. [1] W. B. Johnson and J. Lindenstrauss, "Extensions of Lipschitz
       mappings into a Hilbert space", Contemp. Math. 26 (1984), 189-206.
    .. [2] S. Dasgupta and A. Gupta, "An elementary proof of a theorem of
       Johnson and Lindenstrauss", Random Structures Algorithms 22 (2003),
       60-65.

    Examples
    --------
    >>> import nla
    >>> nla.sketch.jl_dim(1000, 0.1)
    5921
    """
    n_points = check_int(n_points, "n_points", low=1)
    eps = check_real(eps, "eps", low=0.0, high=1.0, low_open=True, high_open=True)
    denom = eps**2 / 2.0 - eps**3 / 3.0
    return max(1, int(math.ceil(4.0 * math.log(max(n_points, 1)) / denom)))
