"""2-D pooling with Numba: one thread per (n, c) plane.

Same functions as `reference.py` (read that for the window rules). A plane of AlexNet's first
pooling layer is 55×55 floats, 12 KB: it stays in L1 while its windows are scanned, and since
one thread owns a whole plane, the backward scatter-add needs no atomics and sums overlapping
windows in a fixed order (deterministic).

Average and adaptive pooling share one kernel: `windows.py` turns either rule into per-axis
tables of window bounds and a table of 1/divisor.
"""
import numpy as np
from numba import njit, prange
from numba import uint64 as u

from . import windows


@njit(cache=True)
def _beats(v, i, m, b):
    """Does cell (value v, index i) beat the best so far (m, b)? Larger wins, NaN wins, and
    on a tie the smaller row-major index: the first maximum, as a plain scan finds it.
    Written with & and | rather than `and`/`or`, so it compiles to selects, not branches."""
    return (v > m) | ((v != v) & (m == m)) | (((v == m) | ((v != v) & (m != m))) & (i < b))


@njit(cache=True, parallel=True)
def _max_forward(x, hs, he, ws, we, y, argmax):
    """Max pooling in two passes per output row, both over small buffers in L1:

    1. down the window's rows: the best cell of every input column (contiguous, vectorised);
    2. across each window's columns: the best of those column winners.

    A direct scan of each window costs one unpredictable branch per cell; this is ~3x faster.
    """
    NC, H, W = x.shape
    OH, OW = hs.size, ws.size
    xf, yf, af = x.ravel(), y.ravel(), argmax.ravel()
    for t in prange(NC):
        src, dst = t * H * W, t * OH * OW
        col_max = np.empty(W, x.dtype)
        col_arg = np.empty(W, np.int32)
        for oh in range(OH):
            for w in range(W):
                col_max[w] = xf[u(src + hs[oh] * W + w)]
                col_arg[w] = hs[oh] * W + w
            for h in range(hs[oh] + 1, he[oh]):
                for w in range(W):
                    v, m = xf[u(src + h * W + w)], col_max[w]
                    take = (v > m) | ((v != v) & (m == m))      # lower rows come later
                    col_max[w] = v if take else m
                    col_arg[w] = h * W + w if take else col_arg[w]
            for ow in range(OW):
                m, b = col_max[ws[ow]], col_arg[ws[ow]]
                for w in range(ws[ow] + 1, we[ow]):
                    v, i = col_max[w], col_arg[w]
                    take = _beats(v, i, m, b)
                    m = v if take else m
                    b = i if take else b
                yf[u(dst + oh * OW + ow)] = m
                af[u(dst + oh * OW + ow)] = b


@njit(cache=True, parallel=True)
def _max_backward(gy, argmax, HW, gx):
    NC, P = gy.shape
    gf, af, gxf = gy.ravel(), argmax.ravel(), gx.ravel()
    for t in prange(NC):
        d = t * HW
        for i in range(HW):
            gxf[u(d + i)] = 0
        for i in range(P):
            gxf[u(d + af[u(t * P + i)])] += gf[u(t * P + i)]


@njit(cache=True, parallel=True)
def _avg_forward(x, hs, he, ws, we, inv, y):
    NC, H, W = x.shape
    OH, OW = hs.size, ws.size
    xf, yf = x.ravel(), y.ravel()
    for t in prange(NC):
        src, dst = t * H * W, t * OH * OW
        for oh in range(OH):
            for ow in range(OW):
                acc = 0.0
                for h in range(hs[oh], he[oh]):
                    for w in range(ws[ow], we[ow]):
                        acc += xf[u(src + h * W + w)]
                yf[u(dst + oh * OW + ow)] = acc * inv[oh, ow]


@njit(cache=True, parallel=True)
def _avg_backward(gy, hs, he, ws, we, inv, gx):
    NC, H, W = gx.shape
    OH, OW = hs.size, ws.size
    gf, gxf = gy.ravel(), gx.ravel()
    for t in prange(NC):
        src, dst = t * OH * OW, t * H * W
        for i in range(H * W):
            gxf[u(dst + i)] = 0
        for oh in range(OH):
            for ow in range(OW):
                g = gf[u(src + oh * OW + ow)] * inv[oh, ow]
                for h in range(hs[oh], he[oh]):
                    for w in range(ws[ow], we[ow]):
                        gxf[u(dst + h * W + w)] += g


def _planes(a):
    """(N, C, H, W) -> contiguous (N*C, H, W)."""
    N, C, H, W = a.shape
    return np.ascontiguousarray(a).reshape(N * C, H, W)


def max_pool2d_forward(x, spec):
    N, C, H, W = x.shape
    hs, he, ws, we = windows.max_tables(x.shape, spec)
    y = np.empty((N, C, hs.size, ws.size), dtype=x.dtype)
    argmax = np.empty(y.shape, dtype=np.int32)
    _max_forward(_planes(x), hs, he, ws, we, y, argmax)
    return y, argmax


def max_pool2d_backward(gy, argmax, x_shape, spec):
    N, C, H, W = x_shape
    gx = np.empty(x_shape, dtype=gy.dtype)
    planes = (N * C, gy.shape[2] * gy.shape[3])      # explicit: -1 is ambiguous when N*C = 0
    _max_backward(np.ascontiguousarray(gy).reshape(planes),
                  np.ascontiguousarray(argmax).reshape(planes), H * W, gx)
    return gx


def _avg(x, tables):
    hs, he, ws, we, inv = tables
    N, C = x.shape[:2]
    y = np.empty((N, C, hs.size, ws.size), dtype=x.dtype)
    _avg_forward(_planes(x), hs, he, ws, we, inv.astype(x.dtype), y)
    return y


def _avg_grad(gy, x_shape, tables):
    hs, he, ws, we, inv = tables
    gx = np.empty(x_shape, dtype=gy.dtype)
    _avg_backward(np.ascontiguousarray(gy), hs, he, ws, we, inv.astype(gy.dtype),
                  gx.reshape(x_shape[0] * x_shape[1], x_shape[2], x_shape[3]))
    return gx


def avg_pool2d_forward(x, spec):
    return _avg(x, windows.avg_tables(x.shape, spec))


def avg_pool2d_backward(gy, x_shape, spec):
    return _avg_grad(gy, x_shape, windows.avg_tables(x_shape, spec))


def adaptive_avg_pool2d_forward(x, output_size):
    return _avg(x, windows.adaptive_tables(x.shape, output_size))


def adaptive_avg_pool2d_backward(gy, x_shape, output_size):
    return _avg_grad(gy, x_shape, windows.adaptive_tables(x_shape, output_size))
