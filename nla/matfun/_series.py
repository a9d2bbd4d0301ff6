"""Taylor and Pade coefficients of ``(1 - z)**(1/2)`` and ``(1 - z)**(-1/2)``.

The Taylor coefficients follow from the binomial series:
``(1 - z)**p = sum_k c_k z**k`` with ``c_0 = 1`` and
``c_k = c_{k-1} (k - 1 - p) / k``. For ``p = 1/2`` this gives
``1, -1/2, -1/8, -1/16, ...``; for ``p = -1/2`` it gives
``1, 1/2, 3/8, 5/16, ...``.

The [M/N] Pade approximant ``P_M / Q_N`` (``q_0 = 1``) matches the series to
order ``M + N``: the coefficients of ``z**k`` in ``Q f - P`` vanish for
``k <= M + N``. For ``k = M+1 .. M+N`` that is the linear system
``sum_{j=1..N} q_j c_{k-j} = -c_k`` (``c_i = 0`` for ``i < 0``), and then
``p_k = sum_{j=0..min(k,N)} q_j c_{k-j}`` for ``k = 0..M``.
"""

from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np


def taylor(power, degree):
    """Coefficients ``c_0..c_degree`` of ``(1 - z)**power`` as float64."""
    c = np.empty(degree + 1)
    c[0] = 1.0
    for k in range(1, degree + 1):
        c[k] = c[k - 1] * (k - 1 - power) / k
    return c


@functools.lru_cache(maxsize=64)
def pade(power, m, n):
    """Numerator and denominator coefficients of the [m/n] Pade approximant.

    Returns two tuples of floats ``(p_0..p_m)`` and ``(q_0..q_n)`` with
    ``q_0 = 1``. The Toeplitz system is badly conditioned in floating point
    from degree 14 on (spurious poles appear inside the unit disk), so it is
    solved exactly in rational arithmetic and only the result is rounded.
    """
    power = Fraction(power).limit_denominator(1000)
    c = [Fraction(1)]
    for k in range(1, m + n + 1):
        c.append(c[-1] * (k - 1 - power) / k)

    def coef(i):
        return c[i] if i >= 0 else Fraction(0)

    # Gaussian elimination with exact fractions on sum_j q_j c_{k-j} = -c_k.
    rows = [
        [coef(k - j) for j in range(1, n + 1)] + [-c[k]] for k in range(m + 1, m + n + 1)
    ]
    for col in range(n):
        piv = next(r for r in range(col, n) if rows[r][col] != 0)
        rows[col], rows[piv] = rows[piv], rows[col]
        for r in range(n):
            if r != col and rows[r][col] != 0:
                f = rows[r][col] / rows[col][col]
                rows[r] = [a - f * b for a, b in zip(rows[r], rows[col], strict=True)]
    q = [Fraction(1)] + [rows[i][n] / rows[i][i] for i in range(n)]
    p = [sum(q[j] * coef(k - j) for j in range(0, min(k, n) + 1)) for k in range(m + 1)]
    return tuple(float(v) for v in p), tuple(float(v) for v in q)


def pade_diagonal_factors(m):
    """Factored [m/m] Pade approximant of ``(1 - z)**(1/2)``.

    ``P(z) = prod_j (1 - a_j z)``, ``Q(z) = prod_j (1 - b_j z)`` with
    ``a_j = cos^2((2j - 1) pi / (2 (2m + 1)))`` and
    ``b_j = cos^2(j pi / (2m + 1))``, ``j = 1..m`` (the zeros and poles of the
    diagonal approximant lie at ``1/a_j, 1/b_j > 1``; the tests check these
    against the coefficients from :func:`pade`). Each factor ``I - a_j Z`` has
    its spectrum in ``(1 - a_j, 1]`` when ``Z`` has its spectrum in
    ``[0, 1)``, so the product is evaluated with relative error ``O(m eps)``
    per eigenvalue, whereas the monomial form loses ``sum |q_k| / Q(1)``
    (1e4 at m = 8, 5e10 at m = 16).
    """
    j = np.arange(1, m + 1)
    a = np.cos((2 * j - 1) * np.pi / (2 * (2 * m + 1))) ** 2
    b = np.cos(j * np.pi / (2 * m + 1)) ** 2
    return tuple(float(v) for v in a), tuple(float(v) for v in b)
