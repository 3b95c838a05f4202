"""3×3 convolution by Winograd F(2×2, 3×3) on the GPU: numba.cuda transforms around cuBLAS.

Same functions, shapes and tile layout as `winograd_reference.py` and `winograd_cpu.py` (read
the reference first). One thread per tile and channel: the input transform reads a 4×4 tile
and writes its 16 transformed values, the output transform the reverse; the 16 products are
one batched CuPy matmul. Chunks of tile rows as on the CPU, with a larger buffer.
"""
import numpy as np
from numba import cuda

from minidl.backend import get_array_module

from ..launch import launch
from .winograd_reference import supports  # noqa: F401  (the dispatch asks each module)

TILE_BUFFER_BYTES = 256 << 20   # upper bound of V and of M (one chunk of tiles each), bytes


ZERO, HALF = np.float32(0), np.float32(0.5)   # float32 constants keep float32 in float32


# The tile arithmetic, one 1-D step each (winograd_reference.py has the matrices); a 2-D
# transform is the step across each row of the tile, then down each column.
@cuda.jit(device=True)
def _bt(d0, d1, d2, d3):
    return d0 - d2, d1 + d2, d2 - d1, d1 - d3


@cuda.jit(device=True)
def _at(m0, m1, m2, m3):
    return m0 + m1 + m2, m1 - m2 - m3


@cuda.jit(device=True)
def _a(g0, g1):
    return g0, g0 + g1, g0 - g1, -g1


@cuda.jit(device=True)
def _g(f0, f1, f2):
    return f0, (f0 + f1 + f2) * HALF, (f0 - f1 + f2) * HALF, f2


@cuda.jit(device=True)
def _gt(q0, q1, q2, q3):
    h = (q1 + q2) * HALF
    return q0 + h, (q1 - q2) * HALF, h + q3


@cuda.jit(device=True)
def _cell(x, n, c, ih, iw):
    """x[n, c, ih, iw], or zero outside the image (the padding)."""
    H, W = x.shape[2], x.shape[3]
    return x[n, c, ih, iw] if 0 <= ih < H and 0 <= iw < W else ZERO


@cuda.jit(device=True)
def _row_bt(x, n, c, ih, iw):
    """B^T across the 4 input cells x[n, c, ih, iw:iw + 4]."""
    return _bt(_cell(x, n, c, ih, iw), _cell(x, n, c, ih, iw + 1), _cell(x, n, c, ih, iw + 2),
               _cell(x, n, c, ih, iw + 3))


@cuda.jit
def _input_transform(x, ph, pw, TH, TW, r0, r1, V):
    """V[4ξ + ν, c, p] = (B^T d B)[ξ, ν], d the 4×4 input tile of tile p (zeros outside x)."""
    C = x.shape[1]
    P = (r1 - r0) * TW
    i = cuda.grid(1)
    if i < C * P:
        c, p = i // P, i % P
        r, tw = r0 + p // TW, p % TW
        n, th = r // TH, r % TH
        ih, iw = 2 * th - ph, 2 * tw - pw
        a0, a1, a2, a3 = _row_bt(x, n, c, ih, iw)
        b0, b1, b2, b3 = _row_bt(x, n, c, ih + 1, iw)
        c0, c1, c2, c3 = _row_bt(x, n, c, ih + 2, iw)
        d0, d1, d2, d3 = _row_bt(x, n, c, ih + 3, iw)
        for nu, col in enumerate(((a0, b0, c0, d0), (a1, b1, c1, d1), (a2, b2, c2, d2),
                                  (a3, b3, c3, d3))):
            v0, v1, v2, v3 = _bt(col[0], col[1], col[2], col[3])
            V[nu, c, p], V[4 + nu, c, p], V[8 + nu, c, p], V[12 + nu, c, p] = v0, v1, v2, v3


@cuda.jit(device=True)
def _tile(i, P, TH, TW, r0):
    """Thread i's (channel k, tile p of the chunk), and that tile's image n, tile row th and
    tile column tw (the chunk starts at tile row r0 of all N*TH)."""
    k, p = i // P, i % P
    r, tw = r0 + p // TW, p % TW
    return k, p, r // TH, r % TH, tw


@cuda.jit
def _output_transform(M, b, TH, TW, r0, y):
    """y[n, k, 2th + i, 2tw + j] = (A^T m A)[i, j] + b[k], m = M[:, k, p]."""
    OH, OW = y.shape[2], y.shape[3]
    K, P = M.shape[1], M.shape[2]
    i = cuda.grid(1)
    if i < K * P:
        k, p, n, th, tw = _tile(i, P, TH, TW, r0)
        s00, s01 = _at(M[0, k, p], M[1, k, p], M[2, k, p], M[3, k, p])
        s10, s11 = _at(M[4, k, p], M[5, k, p], M[6, k, p], M[7, k, p])
        s20, s21 = _at(M[8, k, p], M[9, k, p], M[10, k, p], M[11, k, p])
        s30, s31 = _at(M[12, k, p], M[13, k, p], M[14, k, p], M[15, k, p])
        y00, y10 = _at(s00, s10, s20, s30)
        y01, y11 = _at(s01, s11, s21, s31)
        oh, ow = 2 * th, 2 * tw
        y[n, k, oh, ow] = y00 + b[k]
        if ow + 1 < OW:
            y[n, k, oh, ow + 1] = y01 + b[k]
        if oh + 1 < OH:
            y[n, k, oh + 1, ow] = y10 + b[k]
            if ow + 1 < OW:
                y[n, k, oh + 1, ow + 1] = y11 + b[k]


@cuda.jit
def _gy_transform(gy, TH, TW, r0, gM):
    """gM[4ξ + ν, k, p] = (A g A^T)[ξ, ν], g the 2×2 tile of gy (zeros beyond OH×OW)."""
    OH, OW = gy.shape[2], gy.shape[3]
    K, P = gM.shape[1], gM.shape[2]
    i = cuda.grid(1)
    if i < K * P:
        k, p, n, th, tw = _tile(i, P, TH, TW, r0)
        oh, ow = 2 * th, 2 * tw
        g00, g01 = gy[n, k, oh, ow], _cell(gy, n, k, oh, ow + 1)
        g10, g11 = _cell(gy, n, k, oh + 1, ow), _cell(gy, n, k, oh + 1, ow + 1)
        a0, a1, a2, a3 = _a(g00, g01)                # A across the 2 rows ...
        b0, b1, b2, b3 = _a(g10, g11)
        for nu, col in enumerate(((a0, b0), (a1, b1), (a2, b2), (a3, b3))):
            v0, v1, v2, v3 = _a(col[0], col[1])     # ... then down the 4 columns
            gM[nu, k, p], gM[4 + nu, k, p], gM[8 + nu, k, p], gM[12 + nu, k, p] = v0, v1, v2, v3


@cuda.jit
def _filter_transform(w, groups, flip, U):
    """U[:, g, k, c] = G w[g*OCg + k, c] G^T; flip: U[:, g, c, k] of w rotated by 180°."""
    OC, Cg = w.shape[0], w.shape[1]
    OCg = OC // groups
    i = cuda.grid(1)
    if i < OC * Cg:
        k, c = i // Cg, i % Cg
        g, kk = k // OCg, k % OCg
        if flip:
            a0, a1, a2, a3 = _g(w[k, c, 2, 2], w[k, c, 2, 1], w[k, c, 2, 0])
            b0, b1, b2, b3 = _g(w[k, c, 1, 2], w[k, c, 1, 1], w[k, c, 1, 0])
            c0, c1, c2, c3 = _g(w[k, c, 0, 2], w[k, c, 0, 1], w[k, c, 0, 0])
        else:
            a0, a1, a2, a3 = _g(w[k, c, 0, 0], w[k, c, 0, 1], w[k, c, 0, 2])
            b0, b1, b2, b3 = _g(w[k, c, 1, 0], w[k, c, 1, 1], w[k, c, 1, 2])
            c0, c1, c2, c3 = _g(w[k, c, 2, 0], w[k, c, 2, 1], w[k, c, 2, 2])
        i0, i1 = (c, kk) if flip else (kk, c)
        for nu, col in enumerate(((a0, b0, c0), (a1, b1, c1), (a2, b2, c2), (a3, b3, c3))):
            v0, v1, v2, v3 = _g(col[0], col[1], col[2])
            U[nu, g, i0, i1], U[4 + nu, g, i0, i1] = v0, v1
            U[8 + nu, g, i0, i1], U[12 + nu, g, i0, i1] = v2, v3


@cuda.jit
def _filter_gradient(gU, gw):
    """gw[g*OCg + k, c] = G^T gU[:, g, k, c] G."""
    groups, OCg, Cg = gU.shape[1], gU.shape[2], gU.shape[3]
    i = cuda.grid(1)
    if i < groups * OCg * Cg:
        k, c = i // Cg, i % Cg
        g, kk = k // OCg, k % OCg
        a0, a1, a2 = _gt(gU[0, g, kk, c], gU[1, g, kk, c], gU[2, g, kk, c], gU[3, g, kk, c])
        b0, b1, b2 = _gt(gU[4, g, kk, c], gU[5, g, kk, c], gU[6, g, kk, c], gU[7, g, kk, c])
        c0, c1, c2 = _gt(gU[8, g, kk, c], gU[9, g, kk, c], gU[10, g, kk, c], gU[11, g, kk, c])
        d0, d1, d2 = _gt(gU[12, g, kk, c], gU[13, g, kk, c], gU[14, g, kk, c],
                         gU[15, g, kk, c])
        gw[k, c, 0, 0], gw[k, c, 1, 0], gw[k, c, 2, 0] = _gt(a0, b0, c0, d0)
        gw[k, c, 0, 1], gw[k, c, 1, 1], gw[k, c, 2, 1] = _gt(a1, b1, c1, d1)
        gw[k, c, 0, 2], gw[k, c, 1, 2], gw[k, c, 2, 2] = _gt(a2, b2, c2, d2)


def _transformed_filter(xp, w, groups, flip=False):
    OC, Cg = w.shape[:2]
    a, b = (Cg, OC // groups) if flip else (OC // groups, Cg)
    U = xp.empty((16, groups, a, b), dtype=w.dtype)
    launch(_filter_transform, OC * Cg, w, groups, flip, U)
    return U


def _chunks(N, TH, TW, channels, itemsize):
    per = max(1, TILE_BUFFER_BYTES // max(1, 16 * channels * TW * itemsize))
    rows = N * TH
    count = -(-rows // per)
    per = -(-rows // count)
    return [(r, min(rows, r + per)) for r in range(0, rows, per)]


def _forward(xp, x, U, b, ph, pw, OH, OW, groups):
    N, C = x.shape[:2]
    OC = U.shape[1] * U.shape[2]
    TH, TW = -(-OH // 2), -(-OW // 2)
    y = xp.empty((N, OC, OH, OW), dtype=x.dtype)
    b = xp.zeros(OC, x.dtype) if b is None else xp.ascontiguousarray(b, dtype=x.dtype)
    for r0, r1 in _chunks(N, TH, TW, max(C, OC), x.itemsize):
        P = (r1 - r0) * TW
        V = xp.empty((16, C, P), dtype=x.dtype)
        launch(_input_transform, C * P, x, ph, pw, TH, TW, r0, r1, V)
        M = xp.matmul(U, V.reshape(16, groups, C // groups, P)).reshape(16, OC, P)
        launch(_output_transform, OC * P, M, b, TH, TW, r0, y)
    return y


def conv2d_forward(x, w, b, spec):
    xp = get_array_module(x)
    x, w = xp.ascontiguousarray(x), xp.ascontiguousarray(w)
    ph, pw = spec.padding
    return _forward(xp, x, _transformed_filter(xp, w, spec.groups), b, ph, pw, spec.OH, spec.OW,
                    spec.groups)


def conv2d_backward(gy, x, w, spec, needs):
    need_x, need_w, need_b = needs
    groups = spec.groups
    xp = get_array_module(gy)
    gy, x, w = (xp.ascontiguousarray(a) for a in (gy, x, w))
    N, C, H, W = x.shape
    OC, Cg = w.shape[:2]
    OH, OW = gy.shape[2:]
    ph, pw = spec.padding
    gb = gy.sum(axis=(0, 2, 3)) if need_b else None
    gx = gw = None
    if need_x:
        gx = _forward(xp, gy, _transformed_filter(xp, w, groups, flip=True), None, 2 - ph,
                      2 - pw, H, W, groups)
    if need_w:
        TH, TW = -(-OH // 2), -(-OW // 2)
        gU = xp.zeros((16, groups, OC // groups, Cg), dtype=w.dtype)
        for r0, r1 in _chunks(N, TH, TW, max(C, OC), x.itemsize):
            P = (r1 - r0) * TW
            V = xp.empty((16, C, P), dtype=x.dtype)
            gM = xp.empty((16, OC, P), dtype=x.dtype)
            launch(_input_transform, C * P, x, ph, pw, TH, TW, r0, r1, V)
            launch(_gy_transform, OC * P, gy, TH, TW, r0, gM)
            gU += xp.matmul(gM.reshape(16, groups, OC // groups, P),
                            V.reshape(16, groups, Cg, P).transpose(0, 1, 3, 2))
        gw = xp.empty(w.shape, dtype=w.dtype)
        launch(_filter_gradient, gw.shape[0] * Cg, gU, gw)
    return gx, gw, gb
