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
        The smallest integer ``k`` satisfying the bound (at least 1; 1 for
        a single point, which has no distance to keep).
        scikit-learn truncates instead of rounding up, so its value can be
        one less.

    Raises
    ------
    ValueError
        If `n_points` < 1, `eps` is not in (0, 1), or `eps` is so small
        that ``k`` would exceed ``2**53`` (about ``eps < sqrt(8 ln(n) / 2**53)``,
        4.5e-8 for 10 points): no sketch has that many rows, and float64
        cannot tell the smallest such integer from its neighbours.
    TypeError
        If `n_points` is not an integer or `eps` not a real number.

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
    if n_points == 1:
        return 1
    # the size of the bound, in logarithms: eps^2 underflows (and the
    # quotient overflows) long before eps reaches the smallest float
    log2_k = math.log2(4.0 * math.log(n_points) / (0.5 - eps / 3.0)) - 2.0 * math.log2(eps)
    if log2_k > _LOG2_MAX_DIM:
        smallest = math.sqrt(8.0 * math.log(n_points) / 2.0**_LOG2_MAX_DIM)
        raise ValueError(
            f"eps={eps!r} is too small for n_points={n_points}: the bound asks for "
            f"k = 2**{log2_k:.1f} (about 1e{log2_k * math.log10(2):.0f}) dimensions, more than "
            f"2**{_LOG2_MAX_DIM} (no sketch has that many rows, and float64 cannot resolve "
            f"the smallest such integer); eps must be at least about {smallest:.2g}"
        )
    denom = eps**2 / 2.0 - eps**3 / 3.0
    return max(1, int(math.ceil(4.0 * math.log(n_points) / denom)))


#: log2 of the largest dimension jl_dim returns: beyond 2**53 consecutive
#: integers are no longer floats
_LOG2_MAX_DIM = 53
