"""2-D convolution on the GPU: numba.cuda im2col/col2im around cuBLAS GEMMs (CuPy's matmul).

Same functions (each taking the layer's ConvSpec, `spec.py`), shapes and column layout as
`reference.py` and `cpu.py`; the same chunking by output rows as `cpu.py`, with a larger
buffer. One thread per element: im2col writes one
column entry, col2im *gathers* into one input cell the column entries copied from it (no
atomics, a fixed summation order).
"""
from numba import cuda

from minidl.backend import get_array_module

from ..launch import launch

COL_BUFFER_BYTES = 512 << 20   # upper bound of one chunk's column buffer, bytes


@cuda.jit
def _im2col_rows(x, r0, r1, spec, col):
    _, C, H, W = x.shape
    KH, KW, OH, OW = spec.KH, spec.KW, spec.OH, spec.OW
    (sh, sw), (ph, pw), (dh, dw) = spec.stride, spec.padding, spec.dilation
    J = (r1 - r0) * OW
    i = cuda.grid(1)
    if i < C * KH * KW * J:
        k, j = i // J, i % J
        c, kh, kw = k // (KH * KW), (k // KW) % KH, k % KW
        r, ow = r0 + j // OW, j % OW
        n, oh = r // OH, r % OH
        ih, iw = oh * sh - ph + kh * dh, ow * sw - pw + kw * dw
        inside = 0 <= ih < H and 0 <= iw < W
        col[k, j] = x[n, c, ih, iw] if inside else 0


@cuda.jit
def _col2im_rows(col, r0, r1, spec, gx):
    """gx[n, c, ih, iw] += the column entries of rows [r0, r1) that were copied from it."""
    _, C, H, W = gx.shape
    KH, KW, OH, OW = spec.KH, spec.KW, spec.OH, spec.OW
    (sh, sw), (ph, pw), (dh, dw) = spec.stride, spec.padding, spec.dilation
    n0 = r0 // OH
    i = cuda.grid(1)
    if i < ((r1 - 1) // OH + 1 - n0) * C * H * W:
        n, c, ih, iw = n0 + i // (C * H * W), (i // (H * W)) % C, (i // W) % H, i % W
        acc = 0.0
        for kh in range(KH):
            th = ih + ph - kh * dh                     # = oh * sh when a window row lands here
            if th < 0 or th % sh != 0 or th // sh >= OH:
                continue
            r = n * OH + th // sh
            if r < r0 or r >= r1:
                continue
            for kw in range(KW):
                tw = iw + pw - kw * dw
                if tw >= 0 and tw % sw == 0 and tw // sw < OW:
                    acc += col[(c * KH + kh) * KW + kw, (r - r0) * OW + tw // sw]
        gx[n, c, ih, iw] += acc


@cuda.jit
def _rows_nchw(rows, nchw, b, r0, OW, to_nchw):
    """Between a chunk's rows (OC, J) and its pixels q = n*P + p of nchw (N, OC, P):
    to_nchw: nchw[n, o, p] = rows[o, q - r0*OW] + b[o]; else rows[o, j] = nchw[n, o, p]."""
    N, OC, P = nchw.shape
    J = rows.shape[1]
    i = cuda.grid(1)
    if i < OC * J:
        o, j = i // J, i % J
        q = r0 * OW + j
        if to_nchw:
            nchw[q // P, o, q % P] = rows[o, j] + b[o]
        else:
            rows[o, j] = nchw[q // P, o, q % P]


def _chunks(rows, row_bytes):
    per = max(1, COL_BUFFER_BYTES // max(1, row_bytes))
    count = -(-rows // per)
    per = -(-rows // count)
    return [(r, min(rows, r + per)) for r in range(0, rows, per)]


def im2col(x, spec):
    xp = get_array_module(x)
    x = xp.ascontiguousarray(x)
    N, C = x.shape[:2]
    col = xp.empty((C * spec.KH * spec.KW, N * spec.OH * spec.OW), dtype=x.dtype)
    launch(_im2col_rows, col.size, x, 0, N * spec.OH, spec, col)
    return col


def col2im(col, x_shape, spec):
    xp = get_array_module(col)
    gx = xp.zeros(x_shape, dtype=col.dtype)
    launch(_col2im_rows, gx.size, xp.ascontiguousarray(col), 0, x_shape[0] * spec.OH, spec, gx)
    return gx


def conv2d_forward(x, w, b, spec):
    xp = get_array_module(x)
    x, w = xp.ascontiguousarray(x), xp.ascontiguousarray(w)
    N, C = x.shape[:2]
    OC, Cg, KH, KW = w.shape
    OH, OW, groups = spec.OH, spec.OW, spec.groups
    K, OCg = Cg * KH * KW, OC // groups
    wg = w.reshape(groups, OCg, K)
    b = xp.zeros(OC, x.dtype) if b is None else xp.ascontiguousarray(b, dtype=x.dtype)
    y = xp.empty((N, OC, OH * OW), dtype=x.dtype)
    for r0, r1 in _chunks(N * OH, C * KH * KW * OW * x.itemsize):
        J = (r1 - r0) * OW
        col = xp.empty((C * KH * KW, J), dtype=x.dtype)
        out = xp.empty((OC, J), dtype=x.dtype)
        launch(_im2col_rows, col.size, x, r0, r1, spec, col)
        for g in range(groups):
            xp.matmul(wg[g], col[g * K:(g + 1) * K], out=out[g * OCg:(g + 1) * OCg])
        launch(_rows_nchw, out.size, out, y, b, r0, OW, True)
    return y.reshape(N, OC, OH, OW)


def conv2d_backward(gy, x, w, spec, needs):
    need_x, need_w, need_b = needs
    xp = get_array_module(gy)
    gy, x, w = (xp.ascontiguousarray(a) for a in (gy, x, w))
    N, C = x.shape[:2]
    OC, Cg, KH, KW = w.shape
    OH, OW, groups = spec.OH, spec.OW, spec.groups
    K, OCg = Cg * KH * KW, OC // groups
    wg = w.reshape(groups, OCg, K)
    gy3 = gy.reshape(N, OC, OH * OW)
    gb = gy3.sum(axis=(0, 2)) if need_b else None
    gw = xp.zeros((groups, OCg, K), dtype=w.dtype) if need_w else None
    gx = xp.zeros(x.shape, dtype=x.dtype) if need_x else None
    if need_w or need_x:
        no_bias = xp.zeros(1, gy.dtype)      # _rows_nchw reads b only on the way to NCHW
        for r0, r1 in _chunks(N * OH, C * KH * KW * OW * x.itemsize):
            J = (r1 - r0) * OW
            gyr = xp.empty((OC, J), dtype=gy.dtype)
            launch(_rows_nchw, gyr.size, gyr, gy3, no_bias, r0, OW, False)
            col = xp.empty((C * KH * KW, J), dtype=x.dtype)
            if need_w:
                launch(_im2col_rows, col.size, x, r0, r1, spec, col)
            for g in range(groups):
                gyr_g, col_g = gyr[g * OCg:(g + 1) * OCg], col[g * K:(g + 1) * K]
                if need_w:
                    gw[g] += gyr_g @ col_g.T
                if need_x:
                    xp.matmul(wg[g].T, gyr_g, out=col_g)   # gcol_g replaces col_g, used up
            if need_x:
                n_imgs = (r1 - 1) // OH + 1 - r0 // OH
                launch(_col2im_rows, n_imgs * C * x.shape[2] * x.shape[3], col, r0, r1, spec, gx)
    return gx, (gw.reshape(w.shape) if need_w else None), gb
