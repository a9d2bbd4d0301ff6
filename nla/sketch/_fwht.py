"""Fast Walsh-Hadamard transform kernels (reference, Numba, CuPy).

All variants transform the rows of a 2-D array ``x`` of shape ``(m, d)`` with
``d`` a power of two and return the *orthonormal* transform
``x @ H / sqrt(d)`` (H the Sylvester-ordered Hadamard matrix, which is
symmetric). The optional ``signs`` vector multiplies each row elementwise
before the transform (the ``D`` of ``H D x``); it is fused into the first pass
of the Numba kernel.
"""

from __future__ import annotations

import math

from .._backend import Kernel, array_namespace


def _fwht_reference(x, signs=None):
    """Generic array-API FWHT along the last axis of a 2-D array."""
    xp = array_namespace(x)
    m, d = x.shape
    y = x if signs is None else x * signs
    h = 1
    while h < d:
        v = xp.reshape(y, (m, d // (2 * h), 2, h))
        a = v[:, :, 0, :]
        b = v[:, :, 1, :]
        y = xp.reshape(xp.stack((a + b, a - b), axis=2), (m, d))
        h *= 2
    return y * (1.0 / math.sqrt(d))


def _fwht_cupy(x, signs=None):  # pragma: no cover - exercised with NumPy in tests
    """Butterfly passes on views: one fused elementwise pass per stage.

    Written only with operations CuPy and NumPy share, so the test suite runs
    it on NumPy arrays too.
    """
    m, d = x.shape
    y = x * signs if signs is not None else x.copy()
    h = 1
    while h < d:
        v = y.reshape(m, d // (2 * h), 2, h)
        a = v[:, :, 0, :].copy()
        b = v[:, :, 1, :]
        v[:, :, 0, :] += b
        v[:, :, 1, :] = a - b
        h *= 2
    y *= 1.0 / math.sqrt(d)
    return y


def _build_all():
    import numba as nb
    import numpy as np

    # One row at a time in the cache (see _hadamard_kernels): 64-blocks done
    # in SIMD registers with the signs of ``D`` fused in, then radix-8
    # passes with the 1/sqrt(d) scaling fused into the last one. Rows run in
    # parallel.
    from . import _hadamard_kernels as _hk
    from ._hadamard_kernels import fwht_rows as _fwht_rows
    from ._hadamard_kernels import sketch_rows as _sketch_rows

    def fwht_numba(x, signs=None, check_finite=False):
        """Numba FWHT of the rows of x; with ``check_finite`` also returns
        whether every output is finite (a fused, nearly free check)."""
        if np.iscomplexobj(x):
            # H and D are real: transform the real and imaginary parts (the
            # same additions as complex butterflies, so the same bits, and
            # no complex kernels to compile)
            if signs is not None and np.iscomplexobj(signs):
                x = x * signs
                signs = None
            re = fwht_numba(np.real(x), signs, check_finite)
            im = fwht_numba(np.imag(x), signs, check_finite)
            out = np.empty(x.shape, dtype=x.dtype)
            if check_finite:
                (re, ok_re), (im, ok_im) = re, im
            out.real = re
            out.imag = im
            if check_finite:
                return out, ok_re and ok_im
            return out
        if signs is None:
            sg = np.ones(1, dtype=x.dtype)
            use = False
        else:
            sg = np.ascontiguousarray(signs, dtype=x.dtype)
            use = True
        if x.shape[0] >= 8 and not x.flags.c_contiguous and x.T.flags.c_contiguous:
            # rows of x are the columns of a C-ordered array (a transform
            # along axis 0): column panels, no transposed copy of x
            xt = x.T
            out = np.empty_like(xt)
            npan = (xt.shape[1] + _hk.PANEL - 1) // _hk.PANEL
            bad = np.zeros(npan if check_finite else 1, dtype=np.bool_)
            _hk.fwht_cols(xt, sg, use, out, check_finite, bad, nb.get_num_threads())
            out = out.T
        else:
            x = np.ascontiguousarray(x)
            out = np.empty_like(x)
            bad = np.zeros(x.shape[0] if check_finite else 1, dtype=np.bool_)
            _fwht_rows(x, sg, use, out, check_finite, bad)
        if check_finite:
            return out, not bool(bad.any())
        return out

    fwht_numba.checks_finite = True

    def sketch_rows_numba(x, signs, d_pad, indptr, indices, data):
        """``P (H D x_r)`` for every row x_r of x (rows zero-padded to d_pad)."""
        x = np.ascontiguousarray(x)
        k = indptr.shape[0] - 1
        out = np.empty((x.shape[0], k), dtype=x.dtype)
        if x.shape[0] == 0:
            return out
        sg = np.ascontiguousarray(signs, dtype=x.dtype)
        nchunks = max(1, min((x.shape[0] + 3) // 4, 8 * nb.get_num_threads()))
        return _sketch_rows(x, sg, d_pad, indptr, indices, data.astype(x.dtype), out, nchunks)

    def sketch_cols_numba(x, signs, d_pad, indptr, indices, data):
        """``P H D pad(x)`` along axis 0 of a (d, n) x, by column panels."""
        x = np.asarray(x)
        k = indptr.shape[0] - 1
        out = np.empty((k, x.shape[1]), dtype=x.dtype)
        if x.shape[1] == 0:
            return out
        sg = np.ascontiguousarray(signs, dtype=x.dtype)
        return _hk.sketch_cols(
            np.ascontiguousarray(x), sg, d_pad, indptr, indices, data.astype(x.dtype), out,
            nb.get_num_threads(),
        )

    return {
        "fwht": fwht_numba,
        "sketch_rows": sketch_rows_numba,
        "sketch_cols": sketch_cols_numba,
    }


_BUILT = {}


def _built(name):
    if not _BUILT:
        _BUILT.update(_build_all())
    return _BUILT[name]


def _build_numba():
    return _built("fwht")


def _build_sketch_rows():
    return _built("sketch_rows")


def _build_sketch_cols():
    return _built("sketch_cols")


def _sketch_cols_reference(x, signs, d_pad, indptr, indices, data):
    """Reference for the column-panel kernel: ``P H D pad(x)`` along axis 0."""
    return _sketch_rows_reference(x.T, signs, d_pad, indptr, indices, data).T


def _sketch_rows_reference(x, signs, d_pad, indptr, indices, data):
    """Reference for the fused kernel: pad, ``H D``, then the CSR product."""
    import numpy as np
    import scipy.sparse as sp

    m, d = x.shape
    if d != d_pad:
        x = np.concatenate([x, np.zeros((m, d_pad - d), dtype=x.dtype)], axis=1)
    z = _fwht_reference(x, signs.astype(x.dtype))
    P = sp.csr_array((data.astype(x.dtype), indices, indptr), shape=(indptr.size - 1, d_pad))
    return np.asarray((P @ z.T).T)


#: generic FWHT (any namespace), with Numba and CuPy variants
fwht_kernel = Kernel(
    "sketch.fwht", generic=_fwht_reference, numba=_build_numba, cupy=_fwht_cupy
)
#: NumPy-only kernel ``P H D x`` for the rows of x, used by SRHT and FJLT
sketch_rows_kernel = Kernel(
    "sketch.hadamard_sketch_rows", numpy=_sketch_rows_reference, numba=_build_sketch_rows
)
#: NumPy-only kernel ``P H D x`` along axis 0 of a C-ordered (d, n) x
sketch_cols_kernel = Kernel(
    "sketch.hadamard_sketch_cols", numpy=_sketch_cols_reference, numba=_build_sketch_cols
)
