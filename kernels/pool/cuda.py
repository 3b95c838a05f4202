"""2-D pooling with numba.cuda: one thread per output element forward, per input element backward.

Same functions as `reference.py`. Backward gathers instead of scattering: each input cell sums
the gradients of the windows that chose it (max) or contain it (average), so no two threads
write one cell, no atomics are needed, and the sum has a fixed order (deterministic).
"""
from numba import cuda

from minidl.backend import get_array_module

from ..launch import launch
from . import windows


@cuda.jit
def _max_forward(x, hs, he, ws, we, y, argmax):
    NC, H, W = x.shape
    OH, OW = hs.size, ws.size
    i = cuda.grid(1)
    if i < NC * OH * OW:
        t, oh, ow = i // (OH * OW), (i // OW) % OH, i % OW
        best = hs[oh] * W + ws[ow]
        m = x[t, hs[oh], ws[ow]]
        for h in range(hs[oh], he[oh]):
            for w in range(ws[ow], we[ow]):
                v = x[t, h, w]
                if v > m or (v != v and m == m):       # first maximum; NaN wins
                    m, best = v, h * W + w
        y[t, oh, ow] = m
        argmax[t, oh, ow] = best


@cuda.jit
def _max_backward(gy, argmax, spec, gx):
    NC, H, W = gx.shape
    KH, KW, (sh, sw), (ph, pw) = spec.KH, spec.KW, spec.stride, spec.padding
    OH, OW = gy.shape[1], gy.shape[2]
    i = cuda.grid(1)
    if i < NC * H * W:
        t, h, w = i // (H * W), (i // W) % H, i % W
        # the windows holding (h, w): oh*sh - ph <= h < oh*sh - ph + KH
        oh0, oh1 = max(0, (h + ph - KH) // sh + 1), min(OH - 1, (h + ph) // sh)
        ow0, ow1 = max(0, (w + pw - KW) // sw + 1), min(OW - 1, (w + pw) // sw)
        acc = 0.0
        for oh in range(oh0, oh1 + 1):
            for ow in range(ow0, ow1 + 1):
                if argmax[t, oh, ow] == h * W + w:
                    acc += gy[t, oh, ow]
        gx[t, h, w] = acc


@cuda.jit
def _avg_forward(x, hs, he, ws, we, inv, y):
    NC, H, W = x.shape
    OH, OW = hs.size, ws.size
    i = cuda.grid(1)
    if i < NC * OH * OW:
        t, oh, ow = i // (OH * OW), (i // OW) % OH, i % OW
        acc = 0.0
        for h in range(hs[oh], he[oh]):
            for w in range(ws[ow], we[ow]):
                acc += x[t, h, w]
        y[t, oh, ow] = acc * inv[oh, ow]


@cuda.jit
def _avg_backward(gy, hs, he, ws, we, inv, gx):
    NC, H, W = gx.shape
    OH, OW = hs.size, ws.size
    i = cuda.grid(1)
    if i < NC * H * W:
        t, h, w = i // (H * W), (i // W) % H, i % W
        acc = 0.0
        for oh in range(OH):          # window bounds grow with oh: stop past the cell
            if hs[oh] > h:
                break
            if h < he[oh]:
                for ow in range(OW):
                    if ws[ow] > w:
                        break
                    if w < we[ow]:
                        acc += gy[t, oh, ow] * inv[oh, ow]
        gx[t, h, w] = acc


def _planes(xp, a):
    N, C, H, W = a.shape
    return xp.ascontiguousarray(a).reshape(N * C, H, W)


def max_pool2d_forward(x, spec):
    xp = get_array_module(x)
    N, C, H, W = x.shape
    hs, he, ws, we = windows.max_tables(x.shape, spec)
    y = xp.empty((N, C, hs.size, ws.size), dtype=x.dtype)
    argmax = xp.empty(y.shape, dtype=xp.int32)
    launch(_max_forward, y.size, _planes(xp, x), *(xp.asarray(a) for a in (hs, he, ws, we)),
           _planes(xp, y), _planes(xp, argmax))
    return y, argmax


def max_pool2d_backward(gy, argmax, x_shape, spec):
    xp = get_array_module(gy)
    gx = xp.empty(x_shape, dtype=gy.dtype)
    launch(_max_backward, gx.size, _planes(xp, gy), _planes(xp, argmax), spec, _planes(xp, gx))
    return gx


def _avg(x, tables):
    xp = get_array_module(x)
    hs, he, ws, we, inv = (xp.asarray(a) for a in tables)
    N, C = x.shape[:2]
    y = xp.empty((N, C, hs.size, ws.size), dtype=x.dtype)
    launch(_avg_forward, y.size, _planes(xp, x), hs, he, ws, we, inv.astype(x.dtype),
           _planes(xp, y))
    return y


def _avg_grad(gy, x_shape, tables):
    xp = get_array_module(gy)
    hs, he, ws, we, inv = (xp.asarray(a) for a in tables)
    gx = xp.empty(x_shape, dtype=gy.dtype)
    launch(_avg_backward, gx.size, _planes(xp, gy), hs, he, ws, we, inv.astype(gy.dtype),
           _planes(xp, gx))
    return gx


def avg_pool2d_forward(x, spec):
    return _avg(x, windows.avg_tables(x.shape, spec))


def avg_pool2d_backward(gy, x_shape, spec):
    return _avg_grad(gy, x_shape, windows.avg_tables(x_shape, spec))


def adaptive_avg_pool2d_forward(x, output_size):
    return _avg(x, windows.adaptive_tables(x.shape, output_size))


def adaptive_avg_pool2d_backward(gy, x_shape, output_size):
    return _avg_grad(gy, x_shape, windows.adaptive_tables(x_shape, output_size))
