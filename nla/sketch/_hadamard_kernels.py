"""Numba building blocks of the fast Walsh-Hadamard transform of one row.

Imported only by the lazy Numba builders in :mod:`nla.sketch._fwht` (this
module imports Numba at the top).

A row of length ``d`` (a power of two) is transformed in the cache in three
phases:

1. blocks of 64 (or 8 when ``d < 64``) numbers: the three butterfly stages
   inside a block of eight are done on one 8-lane SIMD vector (a lane
   permutation, an add, a subtract and a blend per stage), and for 64-blocks
   the next three stages combine eight such vectors in registers. The sign
   flips of ``D`` are multiplied in on load. These blocks are emitted as LLVM
   vector IR (``numba.extending.intrinsic``) because LLVM does not vectorize
   the scalar form of the in-vector stages by itself;
2. radix-8 passes (three stages per sweep over the row) over disjoint slices,
   which LLVM vectorizes; radix-4/2 passes where the stage count is not a
   multiple of three;
3. the ``1/sqrt(d)`` scaling fused into the last pass.

Every stage computes ``a + b`` and ``a - b`` from the same operands as the
plain butterfly, so the results are bitwise identical to the scalar
butterfly's. Complex rows use a scalar form of the same blocks.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

_I32 = ir.IntType(32)


def _lanes(builder, v):
    # stages h = 1, 2, 4 inside one 8-lane vector: lane j becomes
    # v[j ^ h] + v[j] if bit h of j is clear (a + b), else v[j ^ h] - v[j]
    # (a - b with a the lower lane)
    for h in (1, 2, 4):
        perm = ir.Constant(ir.VectorType(_I32, 8), [j ^ h for j in range(8)])
        p = builder.shuffle_vector(v, v, perm)
        s = builder.fadd(p, v)
        t = builder.fsub(p, v)
        mask = ir.Constant(ir.VectorType(ir.IntType(1), 8), [bool(j & h) for j in range(8)])
        v = builder.select(mask, t, s)
    return v


def _make_block(nvec, with_signs, with_scale):
    """Intrinsic ``blk(src, dst, i, sg, sc)``: dst[i:i+8*nvec] = H (D) src[...]."""

    @intrinsic
    def blk(typingctx, src, dst, i, sg, sc):
        if not (isinstance(src, types.Array) and isinstance(dst, types.Array)):
            return None
        if not isinstance(src.dtype, types.Float) or src.dtype != dst.dtype:
            return None
        if with_signs and sg.dtype != src.dtype:
            return None
        sig = types.void(src, dst, i, sg, sc)

        def codegen(context, builder, signature, args):
            s_arr, d_arr, idx, g_arr, scv = args
            sty, dty, ity, gty, scty = signature.args
            lty = context.get_value_type(sty.dtype)
            vty = ir.VectorType(lty, 8)
            align = 8 if sty.dtype.bitwidth == 64 else 4
            idx = context.cast(builder, idx, ity, types.intp)
            sa = context.make_array(sty)(context, builder, s_arr)
            da = context.make_array(dty)(context, builder, d_arr)
            ga = context.make_array(gty)(context, builder, g_arr) if with_signs else None

            def ptr(data, q):
                off = builder.add(idx, ir.Constant(idx.type, 8 * q))
                return builder.bitcast(builder.gep(data, [off]), vty.as_pointer())

            vs = []
            for q in range(nvec):
                v = builder.load(ptr(sa.data, q), align=align)
                if with_signs:
                    v = builder.fmul(v, builder.load(ptr(ga.data, q), align=align))
                vs.append(_lanes(builder, v))
            h = 1
            while h < nvec:  # stages 8, 16, 32 across the vectors
                for q in range(nvec):
                    if not q & h:
                        a, b = vs[q], vs[q + h]
                        vs[q], vs[q + h] = builder.fadd(a, b), builder.fsub(a, b)
                h *= 2
            if with_scale:
                s = context.cast(builder, scv, scty, sty.dtype)
                sv = builder.insert_element(ir.Constant(vty, ir.Undefined), s, ir.Constant(_I32, 0))
                sv = builder.shuffle_vector(sv, sv, ir.Constant(ir.VectorType(_I32, 8), [0] * 8))
                vs = [builder.fmul(v, sv) for v in vs]
            for q in range(nvec):
                builder.store(vs[q], ptr(da.data, q), align=align)
            return context.get_dummy_value()

        return sig, codegen

    return blk


_b8 = _make_block(1, False, False)
_b8s = _make_block(1, True, False)
_b8c = _make_block(1, False, True)
_b8sc = _make_block(1, True, True)
_b64 = _make_block(8, False, False)
_b64s = _make_block(8, True, False)
_b64c = _make_block(8, False, True)
_b64sc = _make_block(8, True, True)


def _block(src, row, i, sg, use_signs, sc, big, last):
    """``row[i:i+n] = H_n (D) src[i:i+n]`` (n = 64 if big else 8), times sc if last."""


@overload(_block)
def _block_impl(src, row, i, sg, use_signs, sc, big, last):
    if isinstance(row.dtype, types.Float) and src.dtype == row.dtype and sg.dtype == row.dtype:

        def vec(src, row, i, sg, use_signs, sc, big, last):
            if big:
                if use_signs:
                    if last:
                        _b64sc(src, row, i, sg, sc)
                    else:
                        _b64s(src, row, i, sg, sc)
                elif last:
                    _b64c(src, row, i, sg, sc)
                else:
                    _b64(src, row, i, sg, sc)
            elif use_signs:
                if last:
                    _b8sc(src, row, i, sg, sc)
                else:
                    _b8s(src, row, i, sg, sc)
            elif last:
                _b8c(src, row, i, sg, sc)
            else:
                _b8(src, row, i, sg, sc)

        return vec

    def scalar(src, row, i, sg, use_signs, sc, big, last):
        n = 64 if big else 8
        for b in range(i, i + n, 8):
            _base8_scalar(src, row, b, sg, use_signs)
        h = 8
        while h < n:
            for j0 in range(i, i + n, 2 * h):
                for j in range(j0, j0 + h):
                    a = row[j]
                    c = row[j + h]
                    row[j] = a + c
                    row[j + h] = a - c
            h *= 2
        if last:
            for j in range(i, i + n):
                row[j] *= sc

    return scalar


@nb.njit(cache=True, nogil=True, inline="always")
def _base8_scalar(src, row, i, sg, use_signs):
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


@nb.njit(cache=True, nogil=True, inline="always")
def _pass8(row, h, sc):
    d = row.shape[0]
    for i in range(0, d, 8 * h):
        p0 = row[i : i + h]
        p1 = row[i + h : i + 2 * h]
        p2 = row[i + 2 * h : i + 3 * h]
        p3 = row[i + 3 * h : i + 4 * h]
        p4 = row[i + 4 * h : i + 5 * h]
        p5 = row[i + 5 * h : i + 6 * h]
        p6 = row[i + 6 * h : i + 7 * h]
        p7 = row[i + 7 * h : i + 8 * h]
        for j in range(h):
            a0 = p0[j]
            a1 = p1[j]
            a2 = p2[j]
            a3 = p3[j]
            a4 = p4[j]
            a5 = p5[j]
            a6 = p6[j]
            a7 = p7[j]
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
            p0[j] = (c0 + c4) * sc
            p4[j] = (c0 - c4) * sc
            p1[j] = (c1 + c5) * sc
            p5[j] = (c1 - c5) * sc
            p2[j] = (c2 + c6) * sc
            p6[j] = (c2 - c6) * sc
            p3[j] = (c3 + c7) * sc
            p7[j] = (c3 - c7) * sc


@nb.njit(cache=True, nogil=True, inline="always")
def _pass4(row, h, sc):
    d = row.shape[0]
    for i in range(0, d, 4 * h):
        p0 = row[i : i + h]
        p1 = row[i + h : i + 2 * h]
        p2 = row[i + 2 * h : i + 3 * h]
        p3 = row[i + 3 * h : i + 4 * h]
        for j in range(h):
            a = p0[j]
            b = p1[j]
            c = p2[j]
            e = p3[j]
            s0 = a + b
            s1 = a - b
            s2 = c + e
            s3 = c - e
            p0[j] = (s0 + s2) * sc
            p1[j] = (s1 + s3) * sc
            p2[j] = (s0 - s2) * sc
            p3[j] = (s1 - s3) * sc


@nb.njit(cache=True, nogil=True, inline="always")
def _pass2(row, h, sc):
    d = row.shape[0]
    for i in range(0, d, 2 * h):
        p0 = row[i : i + h]
        p1 = row[i + h : i + 2 * h]
        for j in range(h):
            a = p0[j]
            b = p1[j]
            p0[j] = (a + b) * sc
            p1[j] = (a - b) * sc


@nb.njit(cache=True, nogil=True)
def _small(src, row, sg, use_signs, sc):
    # d in {1, 2, 4}: a plain butterfly
    d = row.shape[0]
    for i in range(d):
        row[i] = src[i] * sg[i] if use_signs else src[i]
    h = 1
    while h < d:
        for i in range(0, d, 2 * h):
            for j in range(i, i + h):
                a = row[j]
                b = row[j + h]
                row[j] = a + b
                row[j + h] = a - b
        h *= 2
    for i in range(d):
        row[i] *= sc


@nb.njit(cache=True, nogil=True)
def row_transform(src, row, sg, use_signs, sc):
    """``row = sc * H (D) src`` for one contiguous row (``src`` may be ``row``).

    ``sg`` is read only when ``use_signs``; ``len(row)`` is a power of two.
    """
    d = row.shape[0]
    if d < 8:
        _small(src, row, sg, use_signs, sc)
        return
    if d < 64:
        for i in range(0, d, 8):
            _block(src, row, i, sg, use_signs, sc, False, d == 8)
        h = 8
    else:
        for i in range(0, d, 64):
            _block(src, row, i, sg, use_signs, sc, True, d == 64)
        h = 64
    while h < d:
        rem = d // h
        if rem == 2:
            _pass2(row, h, sc)
            h *= 2
        elif rem == 4:
            _pass4(row, h, sc)
            h *= 4
        elif rem == 8:
            _pass8(row, h, sc)
            h *= 8
        elif rem == 16:
            _pass4(row, h, 1.0)
            h *= 4
        else:
            _pass8(row, h, 1.0)
            h *= 8


# ---------------------------------------------------------------------------
# rows: transforms along the last axis of a C-ordered (m, d) array
# ---------------------------------------------------------------------------


@nb.njit(cache=True, nogil=True, parallel=True)
def fwht_rows(x, sg, use_signs, out, check, bad):
    m, d = x.shape
    sc = 1.0 / np.sqrt(d)
    for r in nb.prange(m):
        row = out[r]
        row_transform(x[r], row, sg, use_signs, sc)
        if check:
            # while the row is still in cache: v * 0 is NaN iff v is not
            # finite, so a non-finite input or an overflow shows up here
            # (eight independent accumulators keep it vectorizable)
            a0 = 0.0 * row[0]
            a1 = a0
            a2 = a0
            a3 = a0
            a4 = a0
            a5 = a0
            a6 = a0
            a7 = a0
            d8 = d - d % 8
            for j in range(0, d8, 8):
                a0 += row[j] * 0.0
                a1 += row[j + 1] * 0.0
                a2 += row[j + 2] * 0.0
                a3 += row[j + 3] * 0.0
                a4 += row[j + 4] * 0.0
                a5 += row[j + 5] * 0.0
                a6 += row[j + 6] * 0.0
                a7 += row[j + 7] * 0.0
            for j in range(d8, d):
                a0 += row[j] * 0.0
            acc = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
            bad[r] = acc != acc
    return out


@nb.njit(cache=True, nogil=True, inline="always")
def _load_row(x, r, buf, sg, d_pad, sc):
    d = x.shape[1]
    if d == d_pad:
        row_transform(x[r], buf, sg, True, sc)
    else:
        for j in range(d):
            buf[j] = x[r, j]
        for j in range(d, d_pad):
            buf[j] = 0.0
        row_transform(buf, buf, sg, True, sc)


@nb.njit(cache=True, nogil=True, parallel=True)
def sketch_rows(x, sg, d_pad, indptr, indices, data, out, nchunks):
    # out[r] = P (H D pad(x[r])): rows are padded and transformed four at
    # a time in per-thread buffers and multiplied by the sparse P right
    # there, so the (n, d_pad) transform is never written to memory; the
    # four rows share each load of P and give independent sums.
    m, d = x.shape
    k = out.shape[1]
    sc = 1.0 / np.sqrt(d_pad)
    chunk = (m + nchunks - 1) // nchunks
    for c in nb.prange(nchunks):
        buf = np.empty((4, d_pad), dtype=x.dtype)
        b0 = buf[0]
        b1 = buf[1]
        b2 = buf[2]
        b3 = buf[3]
        r0 = c * chunk
        r1 = min(m, (c + 1) * chunk)
        r = r0
        while r + 4 <= r1:
            _load_row(x, r, b0, sg, d_pad, sc)
            _load_row(x, r + 1, b1, sg, d_pad, sc)
            _load_row(x, r + 2, b2, sg, d_pad, sc)
            _load_row(x, r + 3, b3, sg, d_pad, sc)
            for i in range(k):
                s0 = 0.0 * b0[0]
                s1 = s0
                s2 = s0
                s3 = s0
                for t in range(indptr[i], indptr[i + 1]):
                    v = data[t]
                    col = indices[t]
                    s0 += v * b0[col]
                    s1 += v * b1[col]
                    s2 += v * b2[col]
                    s3 += v * b3[col]
                out[r, i] = s0
                out[r + 1, i] = s1
                out[r + 2, i] = s2
                out[r + 3, i] = s3
            r += 4
        while r < r1:
            _load_row(x, r, b0, sg, d_pad, sc)
            for i in range(k):
                s0 = 0.0 * b0[0]
                for t in range(indptr[i], indptr[i + 1]):
                    s0 += data[t] * b0[indices[t]]
                out[r, i] = s0
            r += 1
    return out


# ---------------------------------------------------------------------------
# column panels: transforms along axis 0 of a C-ordered (d, n) array
# ---------------------------------------------------------------------------
#
# A panel of ``w`` adjacent columns is copied (signs fused, zero padding to
# d_pad) into a contiguous per-thread buffer of shape (d_pad, w). Along axis 0
# every butterfly combines two rows of ``w`` contiguous numbers, so on the
# flat buffer the transform is just the stages h = w, 2w, 4w, ... of the
# radix-8/4/2 passes: every inner loop is at least ``w`` long and
# vectorizes, no transpose of X is made, and the buffer has unit stride
# (columns of X itself have a power-of-two stride, which thrashes the cache).

PANEL = 32


@nb.njit(cache=True, nogil=True)
def _panel_passes(flat, w, sc):
    n = flat.shape[0]
    h = w
    if h >= n:
        for j in range(n):
            flat[j] *= sc
        return
    while h < n:
        rem = n // h
        if rem == 2:
            _pass2(flat, h, sc)
            h *= 2
        elif rem == 4:
            _pass4(flat, h, sc)
            h *= 4
        elif rem == 8:
            _pass8(flat, h, sc)
            h *= 8
        elif rem == 16:
            _pass4(flat, h, 1.0)
            h *= 4
        else:
            _pass8(flat, h, 1.0)
            h *= 8


@nb.njit(cache=True, nogil=True)
def panel_load(x, c0, w, sg, use_signs, d_pad, sc, store):
    """Transform columns c0:c0+w of x along axis 0 into ``store`` (flat)."""
    d = x.shape[0]
    flat = store[: d_pad * w]
    for r in range(d):
        src = x[r, c0 : c0 + w]
        dst = flat[r * w : (r + 1) * w]
        if use_signs:
            s = sg[r]
            for j in range(w):
                dst[j] = src[j] * s
        else:
            for j in range(w):
                dst[j] = src[j]
    for j in range(d * w, d_pad * w):
        flat[j] = 0.0
    _panel_passes(flat, w, sc)
    return flat


@nb.njit(cache=True, nogil=True, parallel=True)
def fwht_cols(x, sg, use_signs, out, check, bad, nt):
    """``out = H (D) x / sqrt(d)`` along axis 0 of a C-ordered (d, n) x."""
    d, n = x.shape
    sc = 1.0 / np.sqrt(d)
    npan = (n + PANEL - 1) // PANEL
    # one scratch panel per worker, reused across its panels (a fresh
    # multi-MiB buffer per panel costs page faults on every call)
    nt = max(1, min(npan, nt))
    for t in nb.prange(nt):
        store = np.empty(d * PANEL, dtype=x.dtype)
        for p in range(t, npan, nt):
            c0 = p * PANEL
            w = min(PANEL, n - c0)
            flat = panel_load(x, c0, w, sg, use_signs, d, sc, store)
            acc = 0.0 * flat[0]
            for r in range(d):
                src = flat[r * w : (r + 1) * w]
                dst = out[r, c0 : c0 + w]
                for j in range(w):
                    dst[j] = src[j]
                    if check:
                        acc += src[j] * 0.0
            if check:
                bad[p] = acc != acc
    return out


@nb.njit(cache=True, nogil=True, parallel=True)
def sketch_cols(x, sg, d_pad, indptr, indices, data, out, nt):
    """``out = P H D pad(x)`` for a C-ordered (d, n) x; P is k x d_pad CSR."""
    d, n = x.shape
    k = out.shape[0]
    sc = 1.0 / np.sqrt(d_pad)
    npan = (n + PANEL - 1) // PANEL
    # one scratch panel per worker, reused across its panels (a fresh
    # multi-MiB buffer per panel costs page faults on every call)
    nt = max(1, min(npan, nt))
    for th in nb.prange(nt):
        store = np.empty(d_pad * PANEL, dtype=x.dtype)
        acc = np.empty(PANEL, dtype=x.dtype)
        for p in range(th, npan, nt):
            c0 = p * PANEL
            w = min(PANEL, n - c0)
            flat = panel_load(x, c0, w, sg, True, d_pad, sc, store)
            for i in range(k):
                for j in range(w):
                    acc[j] = 0.0
                for t in range(indptr[i], indptr[i + 1]):
                    v = data[t]
                    src = flat[indices[t] * w : (indices[t] + 1) * w]
                    for j in range(w):
                        acc[j] += v * src[j]
                dst = out[i, c0 : c0 + w]
                for j in range(w):
                    dst[j] = acc[j]
    return out
