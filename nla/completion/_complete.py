"""Public entry points: ``complete`` (index arrays) and ``complete_sparse``."""

from __future__ import annotations

import numpy as np

from .._backend import is_sparse
from .._validate import check_array, check_rank
from ._checks import check_indices, check_shape, check_values, require_numpy
from ._fit import check_options, fit

__all__ = ["complete", "complete_sparse"]

_SEE_ALSO_PAPERS = """
    References
    ----------
    .. [1] P. Jain, P. Netrapalli and S. Sanghavi, "Low-rank matrix completion
       using alternating minimization", STOC 2013.
    .. [2] Y. Gu, Z. Song, J. Yin and L. Zhang, "Low rank matrix completion via
       robust alternating minimization in nearly linear time",
       arXiv:2302.11068, 2023.
    .. [3] Y. Zhou, D. Wilkinson, R. Schreiber and R. Pan, "Large-scale parallel
       collaborative filtering for the Netflix prize", AAIM 2008 (ALS-WR).
"""


def _duplicates(rows, cols, n):
    if rows.size < 2:
        return
    key = rows * n + cols
    key = np.sort(key)
    dup = np.flatnonzero(key[1:] == key[:-1])
    if dup.size:
        i, j = divmod(int(key[dup[0]]), n)
        raise ValueError(
            f"rows and cols hold {dup.size} duplicate (row, col) pairs, e.g. ({i}, {j}); "
            "each entry may be observed once: average or sum the duplicates first "
            "(complete_sparse sums them, as scipy.sparse does)"
        )


def complete(rows, cols, values, shape, rank, *, method="robust-altmin", reg=0.0,
             reg_weights="none", biases=False, init="svd", validation=None, patience=3,
             split_samples=False, maxiter=50, tol=1e-4, inner_maxiter=2, engine=None,
             rng=None, callback=None):
    """Complete a low-rank matrix from observed entries by alternating minimization.

    Fits ``M[i, j] ~ mean + row_bias[i] + col_bias[j] + U[i] . V[j]`` (biases
    optional) to the entries ``M[rows[e], cols[e]] = values[e]`` by
    minimizing the squared error plus the ridge terms
    ``reg * sum_i w_i ||U[i]||^2 + reg * sum_j w_j ||V[j]||^2`` (and the same
    on the biases), ``w = 1`` or the number of observed entries of the row
    or column (``reg_weights="count"``, the ALS-WR weighting).

    Parameters
    ----------
    rows, cols : array_like of int, shape (nnz,)
        Positions of the observed entries (each pair at most once).
    values : array_like, shape (nnz,)
        The observed values (float32 gives float32 factors).
    shape : tuple of int
        ``(m, n)``.
    rank : int
        ``1 <= rank <= min(m, n)``.
    method : {"robust-altmin", "altmin"}
        ``"altmin"`` solves every row's ridge problem exactly (Jain,
        Netrapalli and Sanghavi [1]_; a Cholesky factorization per row,
        ``O(|Omega| rank^2)`` per sweep). ``"robust-altmin"`` solves them
        approximately (Gu, Song, Yin and Zhang [2]_): `inner_maxiter`
        preconditioned conjugate-gradient steps on all rows at once,
        warm-started at the current factors, with one shared
        ``rank x rank`` preconditioner; ``O(|Omega| rank)`` per sweep.
    reg : float
        Ridge parameter ``>= 0``.
    reg_weights : {"none", "count"}
        Weight of each row's ridge term: 1, or its number of observed
        entries [3]_.
    biases : bool
        Also fit a global mean and row and column offsets.
    init : {"svd", "random"} or (U, V)
        ``"svd"``: the top-`rank` SVD of the observed matrix rescaled by the
        sampling rate (:func:`nla.rsvd` on the sparse matrix), its large rows
        clipped for incoherence, as in [1]_ and [2]_; ``"random"``: Gaussian
        factors; or user factors of shapes ``(m, rank)`` and ``(n, rank)``.
    validation : float, optional
        Hold out this fraction of the entries (drawn with `rng`), track the
        error on them after each sweep, stop once it has not improved for
        `patience` sweeps and return the factors of the best sweep.
    patience : int
        Sweeps without improvement before early stopping.
    split_samples : bool
        Use a fresh part of the entries for each half-step (``2 maxiter + 1``
        disjoint parts), as the analyses do; off by default, as in practice.
    maxiter : int
        Maximum number of sweeps (a sweep updates ``V`` and then ``U``).
    tol : float
        Stop when the training error falls to ``tol`` times the norm of the
        values, or the objective decreases by at most ``tol`` times its
        value (an increase, from rounding, included). ``tol=0`` runs exactly
        `maxiter` sweeps.
    inner_maxiter : int
        Conjugate-gradient steps per half-step of ``"robust-altmin"``.
    engine : {None, "auto", "numpy", "numba"}, optional
        Kernel engine (see :func:`nla.config`).
    rng : None, int or numpy.random.Generator
        Randomness of the initialization and of the held-out split.
    callback : callable, optional
        Called as ``callback(iteration, info)`` after each sweep with a
        :class:`SweepInfo`.

    Returns
    -------
    Completion
        ``U``, ``V``, the biases, ``predict(rows, cols)``, ``to_dense()``
        and the per-sweep ``history``.

    Raises
    ------
    ValueError
        Indices out of range, duplicate pairs, lengths that differ, NaN or
        Inf values, a rank outside ``[1, min(m, n)]``.

    Warns
    -----
    ConvergenceWarning
        When `maxiter` sweeps end before the stopping rule holds.

    See Also
    --------
    complete_sparse : the same from a scipy.sparse matrix of observations.
    tune_complete : choose `rank` and `reg` on held-out entries.

    Notes
    -----
    Rows and columns without observed entries get zero factor rows (and zero
    offsets), so their predictions are the global mean. An empty set of
    entries gives the zero model. Values are scaled by a power of 4 inside
    (results are exactly homogeneous in them).
    {refs}
    Examples
    --------
    >>> import numpy as np, nla
    >>> rng = np.random.default_rng(0)
    >>> M = rng.standard_normal((300, 4)) @ rng.standard_normal((4, 200))
    >>> r, c = np.nonzero(rng.random(M.shape) < 0.2)
    >>> f = nla.complete(r, c, M[r, c], M.shape, 4, tol=1e-12, rng=0)
    >>> err = np.linalg.norm(f.to_dense() - M) / np.linalg.norm(M)
    >>> bool(err < 1e-6)
    True
    """
    opts = check_options(method, reg, reg_weights, biases, init, validation, patience,
                         split_samples, maxiter, tol, inner_maxiter, engine, rng, callback)
    m, n = check_shape(shape)
    values = check_values(values)
    rows = check_indices(rows, "rows", m)
    cols = check_indices(cols, "cols", n)
    if not rows.size == cols.size == values.size:
        raise ValueError(
            "rows, cols and values must have the same length, got "
            f"{rows.size}, {cols.size} and {values.size}"
        )
    k = check_rank(rank, "rank", min(m, n))
    _duplicates(rows, cols, n)
    return fit(rows, cols, values, (m, n), k, opts)


complete.__doc__ = complete.__doc__.replace("{refs}", _SEE_ALSO_PAPERS)


def _observations(M):
    """(rows, cols, values, shape) of a sparse matrix (duplicates summed) or a dense one."""
    if is_sparse(M):
        if not hasattr(M, "tocoo"):
            raise TypeError("M must be a scipy.sparse matrix or a NumPy array")
        M = check_array(M, "M", ndim=2, allow_sparse=True)
        coo = M.copy().tocoo()  # on a copy: scipy caches format flags on the matrix
        coo.sum_duplicates()
        return (np.asarray(coo.row, dtype=np.int64), np.asarray(coo.col, dtype=np.int64),
                np.asarray(coo.data), coo.shape)
    require_numpy(M, "M")
    M = check_array(M, "M", ndim=2)
    m, n = M.shape
    rows, cols = np.divmod(np.arange(m * n, dtype=np.int64), n)
    return rows, cols, np.ascontiguousarray(M).ravel(), (m, n)


def complete_sparse(M, rank, *, method="robust-altmin", reg=0.0, reg_weights="none",
                    biases=False, init="svd", validation=None, patience=3,
                    split_samples=False, maxiter=50, tol=1e-4, inner_maxiter=2, engine=None,
                    rng=None, callback=None):
    """Complete a low-rank matrix from a scipy.sparse matrix of observations.

    The stored entries of `M` are the observed set: explicit zeros count as
    observed zeros, and duplicate entries of a COO matrix are summed first
    (the value scipy.sparse gives that entry). A dense NumPy array counts
    every entry as observed (a regularized rank-`rank` fit).

    Parameters
    ----------
    M : scipy.sparse matrix or array, shape (m, n)
        The observations.
    rank : int
        ``1 <= rank <= min(m, n)``.
    method, reg, reg_weights, biases, init, validation, patience
        As in :func:`complete`.
    split_samples, maxiter, tol, inner_maxiter, engine, rng, callback
        As in :func:`complete`.

    Returns
    -------
    Completion

    See Also
    --------
    complete : the same from index arrays.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp, nla
    >>> rng = np.random.default_rng(0)
    >>> L = rng.standard_normal((60, 2)) @ rng.standard_normal((2, 40))
    >>> mask = rng.random(L.shape) < 0.5
    >>> M = sp.csr_array(np.where(mask, L, 0.0))
    >>> f = nla.complete_sparse(M, 2, tol=1e-12, rng=0)
    >>> bool(np.linalg.norm(f.to_dense() - L) < 1e-6 * np.linalg.norm(L))
    True
    """
    opts = check_options(method, reg, reg_weights, biases, init, validation, patience,
                         split_samples, maxiter, tol, inner_maxiter, engine, rng, callback)
    rows, cols, values, shape = _observations(M)
    k = check_rank(rank, "rank", min(shape))
    return fit(rows, cols, values, shape, k, opts)
