"""2-D convolution on the CPU: Numba im2col/col2im around OpenBLAS GEMMs.

Same functions and shapes as `reference.py` (read that first: it explains im2col with AlexNet
conv1 as the example). What makes this version fast:

* The batch is cut into chunks of output rows (a row is one (n, oh): OW output pixels), sized
  so the column buffer stays under `COL_BUFFER_BYTES`: a band of one image's rows, or whole
  images. The buffer is reused from chunk to chunk and call to call (`workspace`, in
  `kernels/threads.py`): it stays in cache between im2col writing it and the GEMM reading it,
  memory stays bounded (VGG-16's first layers would need 115 MB per image otherwise), and no
  fresh pages are faulted in on every call.
* im2col and col2im are parallel Numba loops that write straight into the GEMM's layout
  (C*KH*KW, rows*OW) and compute the valid range of each row once, so the inner loop is a
  plain copy with no bounds test and no padded copy of the input. Two shapes get their own
  loops: stride 1 with "same" padding copies a whole image per column row in one run
  (`_im2col_runs`), and strides > 1 split each input row into its phases first
  (`_im2col_strided`), so every copy is contiguous.
* A band's output pixels y[n, :, p0:p1] are an (OC, J) matrix with row stride OH*OW, a layout
  BLAS writes directly (its leading dimension), so the GEMM writes straight into y and backward
  reads gy's band in place. Chunks of whole images need a copy between (OC, images*OH*OW) and
  NCHW, one pass that also adds the bias (or, in backward, sums the bias gradient).
  Measured on 2 cores, the bands save 1-6% of a layer (VGG-16 conv2_1 the most).
* 1×1 convolutions with stride 1 and no padding skip im2col: x is its own column matrix.
* Backward reuses one buffer for col and gcol: per group, gw needs col_g, then
  gcol_g = w_g.T @ gy_g overwrites exactly those rows before col2im reads them.
"""
import numpy as np
from numba import njit, prange
from numba import uint64 as u

from ..threads import workspace
from .bias_cpu import bias_grad

COL_BUFFER_BYTES = 8 << 20   # upper bound of the column buffer (one chunk), bytes


@njit(cache=True)
def _valid_range(off, stride, size, out):
    """The ows with 0 <= ow*stride + off < size, as [lo, hi) clipped to [0, out)."""
    lo = 0 if off >= 0 else (-off + stride - 1) // stride
    hi = (size - off + stride - 1) // stride
    lo = min(lo, out)
    hi = max(lo, min(hi, out))
    return lo, hi


# Indexing note: the kernels index flat views with `u(...)` (an unsigned cast). Numba wraps a
# negative signed index around (as Python does), and that per-element test stops LLVM from
# vectorising the copy loops; with unsigned indices they run 3-6x faster. Views made inside the
# loops would avoid it too, but each one costs a reference-count update.


@njit(cache=True)
def _oh_valid(oa, ob, kh, ph, dh, H):
    """The output rows of [oa, ob) whose input row oh - ph + kh*dh lies in the image (sh = 1)."""
    va, vb = max(oa, ph - kh * dh), min(ob, H + ph - kh * dh)
    return va, max(va, vb)


@njit(cache=True)
def _zero_wrapped(cf, d, rows, OW, lo, hi):
    """Zero columns [0, lo) and [hi, OW) of `rows` rows of OW starting at cf[d].

    Column by column (a strided loop per column) rather than row by row: the per-row loops
    would run 0 or 1 times each and cost more than the long copy they patch.
    """
    for i in range(lo):
        for row in range(rows):
            cf[u(d + row * OW + i)] = 0
    for i in range(hi, OW):
        for row in range(rows):
            cf[u(d + row * OW + i)] = 0


@njit(cache=True, parallel=True)
def _im2col_runs(x, r0, r1, spec, col):
    """im2col for stride 1 with OW == W ("same" padding: AlexNet conv2-5, all of VGG).

    Output rows oh, oh+1, ... read input rows ih, ih+1, ... at one column offset, so an image's
    whole stretch of a col row (c, kh, kw) is ONE contiguous copy; afterwards the |offset|
    cells at each row's end, which wrapped into the neighbouring input row, are zeroed.
    """
    _, C, H, W = x.shape
    KH, KW, OH, OW = spec.KH, spec.KW, spec.OH, spec.OW
    (ph, pw), (dh, dw) = spec.padding, spec.dilation
    J = (r1 - r0) * OW
    xf, cf = x.ravel(), col.ravel()
    for k in prange(C * KH * KW):
        c, kh, kw = k // (KH * KW), (k // KW) % KH, k % KW
        off = kw * dw - pw
        lo, hi = _valid_range(off, 1, W, OW)
        for n in range(r0 // OH, (r1 - 1) // OH + 1):
            oa, ob = max(r0, n * OH) - n * OH, min(r1, (n + 1) * OH) - n * OH
            d = k * J + (n * OH + oa - r0) * OW        # col index of (oa, ow=0)
            va, vb = _oh_valid(oa, ob, kh, ph, dh, H)
            for i in range((va - oa) * OW):                  # rows reading the padding
                cf[u(d + i)] = 0
            for i in range((vb - oa) * OW, (ob - oa) * OW):
                cf[u(d + i)] = 0
            dv = d + (va - oa) * OW
            s = ((n * C + c) * H + va - ph + kh * dh) * W + off
            for i in range(lo, (vb - va) * OW - (OW - hi)):  # the one long copy
                cf[u(dv + i)] = xf[u(s + i)]
            _zero_wrapped(cf, dv, vb - va, OW, lo, hi)


@njit(cache=True, parallel=True)
def _im2col_strided(x, r0, r1, spec, col):
    """im2col in general: one thread per (c, kh), one input row at a time.

    With stride sw > 1 each kw would read the row with a stride-sw gather (AlexNet conv1:
    11 gathers of 55 cells from every 227-cell row). Instead the row is first split into its
    sw phases, cell iw = m*sw + r going to phase r at m; every kw then copies a contiguous run
    of one phase: cell iw = ow*sw + off is phase off % sw, position ow + off // sw.
    Each kw's valid range and phase position are worked out once, before the row loop
    (integer divisions in the loop cost more than the copies).
    """
    _, C, H, W = x.shape
    KH, KW, OH, OW = spec.KH, spec.KW, spec.OH, spec.OW
    (sh, sw), (ph, pw), (dh, dw) = spec.stride, spec.padding, spec.dilation
    J = (r1 - r0) * OW
    Wp = (W + sw - 1) // sw                      # cells per phase
    xf, cf = x.ravel(), col.ravel()
    for t in prange(C * KH):
        c, kh = t // KH, t % KH
        phases = np.empty(sw * Wp, x.dtype)
        los, his, srcs = np.empty(KW, np.int64), np.empty(KW, np.int64), np.empty(KW, np.int64)
        for kw in range(KW):
            off = kw * dw - pw
            los[kw], his[kw] = _valid_range(off, sw, W, OW)
            srcs[kw] = (off % sw) * Wp + off // sw
        n, oh = r0 // OH, r0 % OH
        for r in range(r0, r1):
            ih = oh * sh - ph + kh * dh
            inside = 0 <= ih < H
            if inside:
                s = ((n * C + c) * H + ih) * W
                for q in range(sw):
                    for m in range((W - q + sw - 1) // sw):
                        phases[u(q * Wp + m)] = xf[u(s + m * sw + q)]
            for kw in range(KW):
                d = ((c * KH + kh) * KW + kw) * J + (r - r0) * OW
                if not inside:                   # the row reads padding
                    for i in range(OW):
                        cf[u(d + i)] = 0
                    continue
                lo, hi, src = los[kw], his[kw], srcs[kw]
                for i in range(lo):
                    cf[u(d + i)] = 0
                for i in range(lo, hi):
                    cf[u(d + i)] = phases[u(src + i)]
                for i in range(hi, OW):
                    cf[u(d + i)] = 0
            oh += 1
            if oh == OH:
                oh, n = 0, n + 1


def _im2col_rows(x, r0, r1, spec, col):
    """col[(c, kh, kw), (r - r0)*OW + ow] = x[n, c, ih, iw] for output rows r = n*OH + oh."""
    if spec.stride == (1, 1) and spec.OW == x.shape[3]:
        _im2col_runs(x, r0, r1, spec, col)
    else:
        _im2col_strided(x, r0, r1, spec, col)


@njit(cache=True, parallel=True)
def _col2im_rows(col, r0, r1, spec, gx):
    """gx[n, c] += every column entry of output rows [r0, r1) (the adjoint of _im2col_rows).

    One thread per channel c: it owns the planes gx[:, c], so overlapping windows never race
    and the sum is deterministic, and it reads its rows (c, kh, kw) of col front to back.
    The "runs" case mirrors im2col's: zero the wrapped-around entries of col (they belong to
    the padding), then add the image's stretch into the plane with one long contiguous loop.
    """
    _, C, H, W = gx.shape
    KH, KW, OH, OW = spec.KH, spec.KW, spec.OH, spec.OW
    (sh, sw), (ph, pw), (dh, dw) = spec.stride, spec.padding, spec.dilation
    J = (r1 - r0) * OW
    gf, cf = gx.ravel(), col.ravel()
    runs = sh == 1 and sw == 1 and OW == W
    for c in prange(C):
        for kh in range(KH):
            for kw in range(KW):
                k = (c * KH + kh) * KW + kw
                off = kw * dw - pw
                lo, hi = _valid_range(off, sw, W, OW)
                for n in range(r0 // OH, (r1 - 1) // OH + 1):
                    oa, ob = max(r0, n * OH) - n * OH, min(r1, (n + 1) * OH) - n * OH
                    d = k * J + (n * OH + oa - r0) * OW
                    plane = (n * C + c) * H * W
                    if runs:
                        va, vb = _oh_valid(oa, ob, kh, ph, dh, H)
                        dv = d + (va - oa) * OW
                        _zero_wrapped(cf, dv, vb - va, OW, lo, hi)
                        s = plane + (va - ph + kh * dh) * W + off
                        for i in range(lo, (vb - va) * OW - (OW - hi)):
                            gf[u(s + i)] += cf[u(dv + i)]
                        continue
                    for oh in range(oa, ob):
                        ih = oh * sh - ph + kh * dh
                        if 0 <= ih < H:
                            s = plane + ih * W + off
                            if sw == 1:
                                for i in range(lo, hi):
                                    gf[u(s + i)] += cf[u(d + i)]
                            else:
                                for i in range(lo, hi):
                                    gf[u(s + i * sw)] += cf[u(d + i)]
                        d += OW


@njit(cache=True, parallel=True)
def _rows_to_nchw(out, b, r0, r1, OH, OW, y):
    """y[n, o, p] = out[o, n*P + p - r0*OW] + b[o] for the pixels of output rows [r0, r1).

    The chunk's pixels are one contiguous range of the flattened (n, p) index, so each
    (o, n) pair is one contiguous copy.
    """
    N, OC, P = y.shape
    J = (r1 - r0) * OW
    q0, q1 = r0 * OW, r1 * OW
    yf, of = y.ravel(), out.ravel()
    for o in prange(OC):
        bo = b[o]
        for n in range(q0 // P, (q1 - 1) // P + 1):
            pa, pb = max(q0, n * P) - n * P, min(q1, (n + 1) * P) - n * P
            d, s = (n * OC + o) * P, o * J + n * P - q0
            for p in range(pa, pb):
                yf[u(d + p)] = of[u(s + p)] + bo


@njit(cache=True, parallel=True, fastmath={"reassoc"})   # reassoc: lets the sum vectorise
def _nchw_to_rows(gy, r0, r1, OH, OW, out, gb):
    """out[o, n*P + p - r0*OW] = gy[n, o, p] (the inverse of _rows_to_nchw); gb[o] += their sum."""
    N, OC, P = gy.shape
    J = (r1 - r0) * OW
    q0, q1 = r0 * OW, r1 * OW
    gf, of = gy.ravel(), out.ravel()
    for o in prange(OC):
        acc = 0.0
        for n in range(q0 // P, (q1 - 1) // P + 1):
            pa, pb = max(q0, n * P) - n * P, min(q1, (n + 1) * P) - n * P
            s, d = (n * OC + o) * P, o * J + n * P - q0
            for p in range(pa, pb):
                v = gf[u(s + p)]
                of[u(d + p)] = v
                acc += v
        gb[o] += acc


@njit(cache=True, parallel=True)
def _transpose_last(a, out):
    """out[g, j, i] = a[g, i, j], tile by tile: a plain strided copy of VGG's 4608 × 512 weight
    gradient ran at 3 GB/s (5.9 ms), every read a cache miss; 32 × 32 tiles stay in cache."""
    G, I, J = a.shape
    T = 32
    ti, tj = (I + T - 1) // T, (J + T - 1) // T
    for t in prange(G * ti * tj):
        g, r = t // (ti * tj), t % (ti * tj)
        i0, j0 = (r // tj) * T, (r % tj) * T
        for j in range(j0, min(j0 + T, J)):
            for i in range(i0, min(i0 + T, I)):
                out[g, j, i] = a[g, i, j]


def _chunks(N, OH, row_bytes):
    """Split the N*OH output rows into chunks whose column buffer is at most COL_BUFFER_BYTES.

    A chunk is never part of two images: either a run of whole images or a band of one
    image's rows (split evenly), so that a band's output is a plain strided view of y.
    """
    per = max(1, COL_BUFFER_BYTES // max(1, row_bytes))      # rows that fit the buffer
    if per >= OH:                                            # whole images per chunk
        count = -(-N // (per // OH))
        imgs = -(-N // count)
        return [(n * OH, min(N, n + imgs) * OH) for n in range(0, N, imgs)]
    bands = -(-OH // per)
    per = -(-OH // bands)
    return [(n * OH + a, n * OH + min(OH, a + per)) for n in range(N) for a in range(0, OH, per)]


def _band(r0, r1, OH, OW):
    """(n, p0, p1) when output rows [r0, r1) lie in one image n (its pixels [p0, p1)), else None."""
    n = r0 // OH
    if r1 > (n + 1) * OH:
        return None
    return n, (r0 - n * OH) * OW, (r1 - n * OH) * OW


@njit(cache=True, parallel=True)
def _add_bias(y, n, p0, p1, b):
    """y[n, o, p0:p1] += b[o]: the bias of a band the GEMM wrote straight into y."""
    _, OC, P = y.shape
    yf = y.ravel()
    for o in prange(OC):
        bo, d = b[o], (n * OC + o) * P
        for p in range(p0, p1):
            yf[u(d + p)] += bo


def im2col(x, spec):
    """x (N, C, H, W) -> col (C*KH*KW, N*OH*OW), the same layout as the reference."""
    x = np.ascontiguousarray(x)
    N, C, _, _ = x.shape
    col = np.empty((C * spec.KH * spec.KW, N * spec.OH * spec.OW), dtype=x.dtype)
    _im2col_rows(x, 0, N * spec.OH, spec, col)
    return col


def col2im(col, x_shape, spec):
    """col (C*KH*KW, N*OH*OW) -> x (N, C, H, W), summing the copies of each cell."""
    gx = np.zeros(x_shape, dtype=col.dtype)
    _col2im_rows(np.ascontiguousarray(col), 0, x_shape[0] * spec.OH, spec, gx)
    return gx


def _is_pointwise(spec):
    """A 1×1 kernel, stride 1, no padding (GoogLeNet's reductions): each image's (C, H*W) is
    already its column matrix, so the GEMMs run on x directly, with no im2col at all."""
    return (spec.KH, spec.KW) == (1, 1) and spec.stride == (1, 1) and spec.padding == (0, 0)


def _pointwise_forward(x, wg, b, groups):
    N, C, H, W = x.shape
    _, OCg, Cg = wg.shape
    x4 = x.reshape(N, groups, Cg, H * W)
    y = np.empty((N, groups * OCg, H * W), dtype=x.dtype)
    for g in range(groups):     # one GEMM per image: (OCg, Cg) @ (Cg, H*W)
        np.matmul(wg[g], x4[:, g], out=y[:, g * OCg:(g + 1) * OCg])
    if b is not None:
        y += b[:, None]
    return y.reshape(N, groups * OCg, H, W)


def _pointwise_backward(gy, x, wg, need_x, need_w, need_b):
    N, C, H, W = x.shape
    groups, OCg, Cg = wg.shape
    x4 = x.reshape(N, groups, Cg, H * W)
    gy4 = gy.reshape(N, groups, OCg, H * W)
    gx = gw = None
    if need_x:
        gx = np.empty((N, groups, Cg, H * W), dtype=x.dtype)
        for g in range(groups):
            np.matmul(wg[g].T, gy4[:, g], out=gx[:, g])
        gx = gx.reshape(x.shape)
    if need_w:
        gw = np.zeros((groups * OCg, Cg, 1, 1), dtype=wg.dtype)   # owns its data (a .grad)
        gwg = gw.reshape(wg.shape)
        for g in range(groups):
            for n in range(N):
                gwg[g] += gy4[n, g] @ x4[n, g].T
    gb = gy.sum(axis=(0, 2, 3)) if need_b else None
    return gx, gw, gb


def _grouped(w, spec):
    """(wg, K, OCg): the weights as one (OCg, K) matrix per group, K = C/groups * KH * KW."""
    K, OCg = spec.C // spec.groups * spec.KH * spec.KW, spec.OC // spec.groups
    return np.ascontiguousarray(w).reshape(spec.groups, OCg, K), K, OCg


def conv2d_forward(x, w, b, spec):
    """y (N, OC, OH, OW) = conv(x (N, C, H, W), w (OC, C//groups, KH, KW)) + b."""
    x = np.ascontiguousarray(x)
    wg, K, OCg = _grouped(w, spec)
    if _is_pointwise(spec):
        return _pointwise_forward(x, wg, b, spec.groups)
    N, C, _, _ = x.shape
    OC, KH, KW, OH, OW, groups = spec.OC, spec.KH, spec.KW, spec.OH, spec.OW, spec.groups
    if b is not None:
        b = np.ascontiguousarray(b, dtype=x.dtype)
    b_rows = np.zeros(OC, x.dtype) if b is None else b    # what _rows_to_nchw adds
    y = np.empty((N, OC, OH * OW), dtype=x.dtype)
    for r0, r1 in _chunks(N, OH, C * KH * KW * OW * x.itemsize):
        J = (r1 - r0) * OW
        col = workspace("col", (C * KH * KW, J), x.dtype)
        _im2col_rows(x, r0, r1, spec, col)
        band = _band(r0, r1, OH, OW)
        if band is not None:      # one image's rows: the GEMMs write straight into y[n]
            n, p0, p1 = band
            for g in range(groups):
                np.matmul(wg[g], col[g * K:(g + 1) * K], out=y[n, g * OCg:(g + 1) * OCg, p0:p1])
            if b is not None:
                _add_bias(y, n, p0, p1, b)
            continue
        out = workspace("out", (OC, J), x.dtype)     # whole images: (OC, images*OH*OW)
        for g in range(groups):
            np.matmul(wg[g], col[g * K:(g + 1) * K], out=out[g * OCg:(g + 1) * OCg])
        _rows_to_nchw(out, b_rows, r0, r1, OH, OW, y)
    return y.reshape(N, OC, OH, OW)


def conv2d_backward(gy, x, w, spec, needs):
    """(gx, gw, gb) for gy (N, OC, OH, OW); `needs` = (need_x, need_w, need_b), and each
    gradient is None when its flag is False."""
    need_x, need_w, need_b = needs
    gy, x, w = (np.ascontiguousarray(a) for a in (gy, x, w))
    wg, K, OCg = _grouped(w, spec)
    if _is_pointwise(spec):
        return _pointwise_backward(gy, x, wg, need_x, need_w, need_b)
    N, C, _, _ = x.shape
    OC, KH, KW, OH, OW, groups = spec.OC, spec.KH, spec.KW, spec.OH, spec.OW, spec.groups
    gy3 = gy.reshape(N, OC, OH * OW)
    if not (need_w or need_x):
        return None, None, (gy3.sum(axis=(0, 2)) if need_b else None)
    gb = np.zeros(OC, np.float64)
    gwt = np.empty((groups, K, OCg), dtype=w.dtype) if need_w else None    # gw transposed
    gx = np.zeros(x.shape, dtype=x.dtype) if need_x else None
    chunks = _chunks(N, OH, C * KH * KW * OW * x.itemsize)
    banded = chunks[0][1] - chunks[0][0] <= OH     # every chunk lies in one image
    if banded and need_b:
        bias_grad(gy3, gb)
    for i, (r0, r1) in enumerate(chunks):
        J = (r1 - r0) * OW
        if banded:                 # gy's band is already an (OC, J) view: no copy
            n, p0, p1 = _band(r0, r1, OH, OW)
            gyr = gy3[n, :, p0:p1]
        else:                      # whole images: gather them into (OC, images*OH*OW)
            gyr = workspace("out", (OC, J), gy.dtype)
            _nchw_to_rows(gy3, r0, r1, OH, OW, gyr, gb)
        col = workspace("col", (C * KH * KW, J), x.dtype)
        if need_w:
            _im2col_rows(x, r0, r1, spec, col)
        for g in range(groups):
            gyr_g, col_g = gyr[g * OCg:(g + 1) * OCg], col[g * K:(g + 1) * K]
            if need_w:   # as (K, J) @ (J, OCg): OpenBLAS runs this orientation 5-15% faster
                if i == 0:   # the first chunk's product is the sum so far: no zeros, no add
                    np.matmul(col_g, gyr_g.T, out=gwt[g])
                else:
                    part = workspace("gw", (K, OCg), w.dtype)
                    np.matmul(col_g, gyr_g.T, out=part)
                    gwt[g] += part
            if need_x:
                np.matmul(wg[g].T, gyr_g, out=col_g)   # gcol_g replaces col_g, used up above
        if need_x:
            _col2im_rows(col, r0, r1, spec, gx)
    gw = None
    if need_w:
        gw = np.empty(w.shape, dtype=w.dtype)   # owns its data: autograd keeps it as .grad
        _transpose_last(gwt, gw.reshape(groups, OCg, K))
    return gx, gw, (gb.astype(gy.dtype) if need_b else None)
