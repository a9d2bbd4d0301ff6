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

from .._dispatch import Kernel, array_namespace


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


def _build_numba():
    import numba as nb
    import numpy as np

    @nb.njit(cache=True, nogil=True, inline="always")
    def _row_transform(src, row, sg, use_signs, scale):
        d = row.shape[0]
        h = 1
        if d >= 8:
            for i in range(0, d, 8):
                if use_signs:
                    a0 = src[i] * sg[i]
                    a1 = src[i + 1] * sg[i + 1]
                    a2 = src[i + 2] * sg[i + 2]
                    a3 = src[i + 3] * sg[i + 3]
                    a4 = src[i + 4] * sg[i + 4]
                    a5 = src[i + 5] * sg[i + 5]
                    a6 = src[i + 6] * sg[i + 6]
                    a7 = src[i + 7] * sg[i + 7]
                else:
                    a0 = src[i]
                    a1 = src[i + 1]
                    a2 = src[i + 2]
                    a3 = src[i + 3]
                    a4 = src[i + 4]
                    a5 = src[i + 5]
                    a6 = src[i + 6]
                    a7 = src[i + 7]
                b0 = a0 + a1
                b1 = a0 - a1
                b2 = a2 + a3
                b3 = a2 - a3
                b4 = a4 + a5
                b5 = a4 - a5
                b6 = a6 + a7
                b7 = a6 - a7
                c0 = b0 + b2
                c2 = b0 - b2
                c1 = b1 + b3
                c3 = b1 - b3
                c4 = b4 + b6
                c6 = b4 - b6
                c5 = b5 + b7
                c7 = b5 - b7
                row[i] = c0 + c4
                row[i + 4] = c0 - c4
                row[i + 1] = c1 + c5
                row[i + 5] = c1 - c5
                row[i + 2] = c2 + c6
                row[i + 6] = c2 - c6
                row[i + 3] = c3 + c7
                row[i + 7] = c3 - c7
            h = 8
        else:
            for i in range(d):
                row[i] = src[i] * sg[i] if use_signs else src[i]
        while 4 * h <= d:
            for i in range(0, d, 4 * h):
                for j in range(i, i + h):
                    a = row[j]
                    b = row[j + h]
                    c = row[j + 2 * h]
                    e = row[j + 3 * h]
                    s0 = a + b
                    s1 = a - b
                    s2 = c + e
                    s3 = c - e
                    row[j] = s0 + s2
                    row[j + h] = s1 + s3
                    row[j + 2 * h] = s0 - s2
                    row[j + 3 * h] = s1 - s3
            h *= 4
        if 2 * h <= d:
            for i in range(0, d, 2 * h):
                for j in range(i, i + h):
                    a = row[j]
                    b = row[j + h]
                    row[j] = a + b
                    row[j + h] = a - b
        for j in range(d):
            row[j] *= scale

    @nb.njit(cache=True, nogil=True, parallel=True)
    def _fwht_rows(x, sg, use_signs, out):
        m, d = x.shape
        scale = 1.0 / math.sqrt(d)
        for r in nb.prange(m):
            _row_transform(x[r], out[r], sg, use_signs, scale)
        return out

    def fwht_numba(x, signs=None):
        x = np.ascontiguousarray(x)
        out = np.empty_like(x)
        if signs is None:
            sg = np.ones(1, dtype=x.dtype)
            use = False
        else:
            sg = np.ascontiguousarray(signs, dtype=x.dtype)
            use = True
        if x.shape[1] < 8 and not use:
            sg = np.ones(x.shape[1], dtype=x.dtype)
        if x.shape[1] < 8:
            use = True
            if signs is None:
                sg = np.ones(x.shape[1], dtype=x.dtype)
        return _fwht_rows(x, sg, use, out)

    return fwht_numba


fwht_kernel = Kernel("sketch.fwht", _fwht_reference, numba=_build_numba, cupy=_fwht_cupy)
