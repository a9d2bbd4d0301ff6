"""Kernels applying a sparse sign (CountSketch-like) matrix to dense data.

The sketch ``S`` (k x d) has exactly ``s`` nonzeros per column, stored as two
``(d, s)`` arrays: ``rows[j, t]`` is the row of the t-th nonzero of column j
and ``vals[j, t]`` its value (+-1/sqrt(s)).

The Numba kernels sum every output entry in an order fixed by the shapes
alone, so their results have the same bits for any number of threads.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._backend import Kernel


def as_csc(rows, vals, k):
    """The sketch as a scipy.sparse CSC matrix of shape (k, d)."""
    d, s = rows.shape
    indptr = np.arange(0, d * s + 1, s, dtype=np.int64)
    return sp.csc_array((vals.ravel(), rows.ravel(), indptr), shape=(k, d))


def _cols_reference(rows, vals, k, X):
    """``S @ X`` for dense X of shape (d, n)."""
    out = as_csc(rows, vals.astype(X.dtype, copy=False), k) @ X
    return np.asarray(out)


def _rows_reference(rows, vals, k, X):
    """``X @ S.T`` for dense X of shape (n, d)."""
    S = as_csc(rows, vals.astype(X.dtype, copy=False), k)
    return np.asarray((S @ X.T).T)


#: most bytes of partial sums the Numba ``S @ X`` kernel keeps (all chunks)
_PRIVATE_BYTES = 1 << 23
#: most chunks of X's rows the Numba ``S @ X`` kernel sums separately
_MAX_CHUNKS = 16
#: fewest rows of X in a chunk (below it the partial sums cost more than they save)
_MIN_CHUNK_ROWS = 1024


def n_chunks(d, k, n, itemsize):
    """Number of row chunks of X whose partial sums the Numba ``S @ X`` kernel adds.

    A function of the shapes and the dtype only, never of the thread count,
    so that every output entry is summed in the same order (and the result
    has the same bits) whatever the number of threads: as many chunks as
    ``_PRIVATE_BYTES`` of ``k x n`` partial sums allow, at most
    ``_MAX_CHUNKS``, each of at least ``max(_MIN_CHUNK_ROWS, k)`` rows. 1
    means no partial sums: threads split the columns, and every entry is
    summed over X's rows in order (a large output, or a short X).
    """
    by_rows = d // max(_MIN_CHUNK_ROWS, k)
    by_bytes = _PRIVATE_BYTES // max(1, k * n * itemsize)
    return max(1, min(_MAX_CHUNKS, by_rows, by_bytes))


def _build_cols():
    import numba as nb

    @nb.njit(cache=True, nogil=True, parallel=True)
    def _chunked(rows, vals, X, out, nchunks):
        # Chunk p of X's rows is scattered into its own accumulator (no
        # write conflicts, X streamed once); the accumulators are then added
        # in chunk order, each output row by one thread. The chunks are
        # fixed by the shapes, so the sums do not depend on the thread count.
        d, n = X.shape
        k = out.shape[0]
        s = rows.shape[1]
        parts = np.zeros((nchunks, k, n), dtype=X.dtype)
        chunk = (d + nchunks - 1) // nchunks
        for p in nb.prange(nchunks):
            acc = parts[p]
            for j in range(p * chunk, min(d, (p + 1) * chunk)):
                for t in range(s):
                    r = rows[j, t]
                    v = vals[j, t]
                    for c in range(n):
                        acc[r, c] += v * X[j, c]
        for r in nb.prange(k):
            o = out[r]
            for c in range(n):
                o[c] = parts[0, r, c]
            for p in range(1, nchunks):
                q = parts[p, r]
                for c in range(n):
                    o[c] += q[c]
        return out

    @nb.njit(cache=True, nogil=True, parallel=True)
    def _striped(rows, vals, X, out, nthreads):
        # Each block of columns of `out` is one thread's, summed over X's
        # rows in order (the block width changes no sum's order) into a
        # scratch block the compiler knows to be unaliased, which keeps
        # the inner loop vectorized.
        d, n = X.shape
        k = out.shape[0]
        s = rows.shape[1]
        block = max(16, (n + nthreads - 1) // nthreads)
        nblocks = (n + block - 1) // block
        for b in nb.prange(nblocks):
            c0 = b * block
            w = min(n, c0 + block) - c0
            acc = np.zeros((k, w), dtype=X.dtype)
            for j in range(d):
                x = X[j, c0 : c0 + w]
                for t in range(s):
                    a = acc[rows[j, t]]
                    v = vals[j, t]
                    for c in range(w):
                        a[c] += v * x[c]
            out[:, c0 : c0 + w] = acc
        return out

    def cols(rows, vals, k, X):
        X = np.ascontiguousarray(X)
        d, n = X.shape
        out = np.zeros((k, n), dtype=X.dtype)
        v = vals.astype(X.dtype)
        nchunks = n_chunks(d, k, n, X.dtype.itemsize)
        if nchunks > 1:
            return _chunked(rows, v, X, out, nchunks)
        return _striped(rows, v, X, out, nb.get_num_threads())

    return cols


def _build_rows():
    import numba as nb

    @nb.njit(cache=True, nogil=True, parallel=True)
    def _kernel(rows, vals, k, X, out):
        n, d = X.shape
        s = rows.shape[1]
        for i in nb.prange(n):
            for j in range(d):
                x = X[i, j]
                for t in range(s):
                    out[i, rows[j, t]] += vals[j, t] * x
        return out

    def rows_fn(rows, vals, k, X):
        X = np.ascontiguousarray(X)
        out = np.zeros((X.shape[0], k), dtype=X.dtype)
        return _kernel(rows, vals.astype(X.dtype), k, X, out)

    return rows_fn


sparse_sign_cols = Kernel("sketch.sparse_sign_cols", numpy=_cols_reference, numba=_build_cols)
sparse_sign_rows = Kernel("sketch.sparse_sign_rows", numpy=_rows_reference, numba=_build_rows)
