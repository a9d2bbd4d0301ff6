"""Drineas-Kannan-Mahoney column-row sampling for ``A B``."""

from __future__ import annotations

import math

import numpy as np

from .._random import check_rng
from .._validate import check_array, check_engine, check_flag, check_int
from ._common import as_result, check_product, draw

__all__ = ["sampled_matmul", "sampled_matmul_error"]

_KINDS = ("optimal", "uniform")


def _weights_of(P, probabilities):
    """Host float64 ``q`` (unnormalized probabilities) and whether they are
    the user's. Raises for invalid user probabilities."""
    na, nb, _ = P.norms()
    n = na.size
    if isinstance(probabilities, str):
        if probabilities not in _KINDS:
            raise ValueError(
                f"probabilities must be one of {_KINDS} or an array, got {probabilities!r}"
            )
        return (na * nb if probabilities == "optimal" else np.ones(n)), False
    if isinstance(probabilities, (bool, np.bool_)) or np.isscalar(probabilities):
        raise TypeError(
            f"probabilities must be one of {_KINDS} or a 1-D array, got "
            f"{type(probabilities).__name__}"
        )
    p = check_array(probabilities, "probabilities", ndim=1)
    p = np.asarray(_host(p), dtype=np.float64)
    if p.size != n:
        raise ValueError(
            f"probabilities must have one entry per inner index ({n}), got {p.size}"
        )
    if np.any(p < 0):
        raise ValueError("probabilities must be non-negative")
    # a normalized float vector sums to 1 within n rounding errors of its dtype
    single = str(getattr(probabilities, "dtype", "")).endswith("float32")
    tol = max(n, 4) * float(np.finfo(np.float32 if single else np.float64).eps)
    if abs(p.sum() - 1.0) > tol:
        raise ValueError(f"probabilities must sum to 1, got sum {p.sum()!r}")
    if np.any((p == 0) & (na * nb > 0)):
        raise ValueError(
            "probabilities must be positive wherever the outer product a_k b_k^T is "
            "nonzero (else the estimate is biased)"
        )
    return p, True


def _host(x):
    from .._backend import to_host

    return to_host(x)


def _inclusion(q, c):
    """Inclusion probabilities ``min(1, lam q)`` summing to `c` (q > 0)."""
    pi = np.zeros_like(q)
    certain = np.zeros(q.size, dtype=bool)
    while True:
        rest = ~certain
        lam = (c - certain.sum()) / q[rest].sum()
        new = rest & (lam * q >= 1.0)
        if not new.any():
            break
        certain |= new
    pi[certain] = 1.0
    pi[~certain] = np.minimum(1.0, lam * q[~certain])
    return pi


def _systematic(rng, q, c):
    """Randomized systematic sampling of `c` distinct indices with inclusion
    probabilities ``pi ~ q`` (capped at 1); returns ``(indices, 1 / pi)``."""
    pos = np.flatnonzero(q > 0)
    if c >= pos.size:
        return pos, np.ones(pos.size)
    pi = _inclusion(q[pos], c)
    order = rng.permutation(pos.size)
    cum = np.cumsum(pi[order])
    cum *= c / cum[-1]
    points = rng.random() + np.arange(c)
    sel = np.searchsorted(cum, points, side="right")
    chosen = order[sel]
    chosen = np.sort(chosen)
    return pos[chosen], 1.0 / pi[chosen]


def sampled_matmul(A, B, c, *, probabilities="optimal", replace=True, transpose_a=False,
                   rng=None, engine=None):
    """Approximate ``A @ B`` by sampling ``c`` column-row outer products.

    The Drineas-Kannan-Mahoney estimator: indices ``k_1, ..., k_c`` of the
    inner dimension are drawn with probabilities ``p_k`` and
    ``C = (1/c) sum_t A[:, k_t] B[k_t, :] / p_{k_t}``, an unbiased estimate of
    ``A B`` whose expected squared Frobenius error is
    ``(sum_k ||A[:, k]||^2 ||B[k, :]||^2 / p_k - ||A B||_F^2) / c``
    (:func:`sampled_matmul_error`). The optimal probabilities
    ``p_k ~ ||A[:, k]|| ||B[k, :]||`` minimize it.

    Parameters
    ----------
    A : (m, n) array or scipy.sparse matrix
        Left factor; with ``transpose_a=True`` an ``(n, m)`` array and the
        product is ``A^T B``.
    B : (n, p) array or scipy.sparse matrix
        Right factor. Pass the same object as `A` with ``transpose_a=True``
        for the Gram matrix ``A^T A`` (its samples are read once).
    c : int
        Number of samples, ``c >= 1``. Without replacement, ``c`` at least
        the number of nonzero outer products gives the exact product.
    probabilities : {"optimal", "uniform"} or (n,) array, default "optimal"
        Sampling probabilities: proportional to ``||A[:, k]|| ||B[k, :]||``,
        uniform, or given (non-negative, summing to 1, positive wherever the
        outer product is nonzero).
    replace : bool, default True
        Sample with replacement (the DKM estimator). ``False`` draws ``c``
        distinct indices by randomized systematic sampling with inclusion
        probabilities ``pi_k = min(1, lam p_k)`` summing to ``c`` (indices
        with ``pi_k = 1`` are kept deterministically) and weights each term
        by ``1 / pi_k`` (Horvitz-Thompson), which is again unbiased.
    transpose_a : bool, default False
        Estimate ``A^T B`` (sampling rows of `A`), never forming ``A^T``.
    rng : None, int or numpy.random.Generator
        Randomness (SPEC 7). Indices are drawn on the host.
    engine : {None, "auto", "numpy", "numba"}, optional
        Accepted for uniformity; no kernel is reached.

    Returns
    -------
    C : (m, p) array
        The estimate, in the library, device and dtype of the inputs
        (float32 only if both are float32; a NumPy array for sparse input).
        A zero product gives exact zeros.

    See Also
    --------
    sampled_matmul_error : the expected error, to choose ``c``.
    mlmc_matmul : multilevel estimators with control variates.

    References
    ----------
    P. Drineas, R. Kannan, M. W. Mahoney, "Fast Monte Carlo algorithms for
    matrices I: approximating matrix multiplication", SIAM J. Comput. 36
    (2006).

    Examples
    --------
    >>> import numpy as np, nla
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((20, 500)); B = rng.standard_normal((500, 10))
    >>> C = nla.sampled_matmul(A, B, 400, rng=1)
    >>> C.shape
    (20, 10)
    >>> bool(np.linalg.norm(C - A @ B) < 3 * nla.sampled_matmul_error(A, B, 400) ** 0.5)
    True
    """
    P = check_product(A, B, transpose_a)
    c = check_int(c, "c", low=1)
    replace = check_flag(replace, "replace")
    check_engine(engine)
    gen = check_rng(rng)
    q, _ = _weights_of(P, probabilities)
    total = q.sum()
    if total == 0.0 or not np.any(P.norms()[0] * P.norms()[1] > 0):
        return P.zeros()
    if replace:
        p = q / total
        idx, counts = draw(gen, p, c)
        w = counts / (c * p[idx])
    else:
        idx, w = _systematic(gen, q, c)
    return _finite_result(P, as_result(P, P.weighted(idx, w)))


def _finite_result(P, C):
    from .._backend import to_host

    ok = np.all(np.isfinite(C)) if P.sparse else bool(to_host(P.xp.all(P.xp.isfinite(C))))
    if not ok:
        raise ValueError("the product of A and B overflows float64; rescale A or B")
    return C


def sampled_matmul_error(A, B, c, *, probabilities="optimal", transpose_a=False,
                         exact=False, engine=None):
    """Expected squared Frobenius error of :func:`sampled_matmul` (with replacement).

    ``E ||A B - C||_F^2 = (sum_k ||A[:, k]||^2 ||B[k, :]||^2 / p_k - ||A B||_F^2) / c``.
    By default the cheap upper bound without the ``||A B||_F^2`` term is
    returned: one pass over the data, ``O(nnz)``, before any sampling; for the
    optimal probabilities it is ``(sum_k ||A[:, k]|| ||B[k, :]||)^2 / c``.
    A target error ``eps`` (absolute, Frobenius) is met in expectation by
    ``c = ceil(sampled_matmul_error(A, B, 1) / eps**2)``.

    Parameters
    ----------
    A, B, c, probabilities, transpose_a, engine
        As for :func:`sampled_matmul`.
    exact : bool, default False
        Return the exact expectation; this forms ``A B`` (the cost of the
        exact product).

    Returns
    -------
    float
        The expected squared error (or its bound).

    Raises
    ------
    ValueError
        Also when the value is not representable in float64 (inputs near
        the ends of the floating range).

    Examples
    --------
    >>> import numpy as np, nla
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((1000, 5))
    >>> bound = nla.sampled_matmul_error(X, X, 100, transpose_a=True)
    >>> exact = nla.sampled_matmul_error(X, X, 100, transpose_a=True, exact=True)
    >>> bool(0 < exact < bound)
    True
    """
    P = check_product(A, B, transpose_a)
    c = check_int(c, "c", low=1)
    exact = check_flag(exact, "exact")
    check_engine(engine)
    q, _ = _weights_of(P, probabilities)
    na, nb, scale = P.norms()
    prod = na * nb
    if not np.any(prod > 0):
        return 0.0
    p = q / q.sum()
    pos = prod > 0
    second = float(np.sum(prod[pos] ** 2 / p[pos]))
    value = second
    if exact:
        G = P.exact()
        g = np.asarray(_host(G), dtype=np.float64) * scale
        value = max(second - float(np.sum(g * g)), 0.0)
    return _unscale(value / c, scale)


def _unscale(value, scale):
    """``value / scale**2`` or a ValueError naming A and B when not representable."""
    if value == 0.0:
        return 0.0
    log2 = math.log2(value) - 2.0 * math.log2(scale)
    if not -1020.0 < log2 < 1020.0:
        raise ValueError(
            "the expected error of A and B is not representable in float64 "
            f"(about 2**{log2:.0f}); rescale A or B"
        )
    return float(value / scale / scale)
