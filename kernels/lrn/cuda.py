"""Local response normalisation with numba.cuda: one thread per element.

Same functions and formulas as `reference.py`. Each thread sums its own channel window (size
reads; neighbouring threads read neighbouring pixels, so the reads coalesce). In backward a
thread needs gy*y/scale of every channel whose window holds it, and the scale of each of those,
so it does size × size reads: cheap next to a kernel launch at AlexNet's size=5, and it needs no
temporary array.
"""
import math

from numba import cuda

from minidl.backend import get_array_module

from ..launch import launch


@cuda.jit(device=True)
def _scale(x, n, c, p, C, size, alpha, k):
    s = 0.0
    for cc in range(max(0, c - size // 2), min(C - 1, c + (size - 1) // 2) + 1):
        v = x[n, cc, p]
        s += v * v
    return k + alpha * s


@cuda.jit
def _forward(x, size, alpha, beta, k, y):
    N, C, P = x.shape
    i = cuda.grid(1)
    if i < x.size:
        n, c, p = i // (C * P), (i // P) % C, i % P
        y[n, c, p] = x[n, c, p] * math.pow(_scale(x, n, c, p, C, size, alpha, k), -beta)


@cuda.jit
def _backward(gy, x, size, alpha, beta, k, gx):
    N, C, P = x.shape
    i = cuda.grid(1)
    if i < x.size:
        n, c, p = i // (C * P), (i // P) % C, i % P
        r = 0.0
        for j in range(max(0, c - (size - 1) // 2), min(C - 1, c + size // 2) + 1):
            s = _scale(x, n, j, p, C, size, alpha, k)
            r += gy[n, j, p] * x[n, j, p] * math.pow(s, -beta - 1)
        s = _scale(x, n, c, p, C, size, alpha, k)
        gx[n, c, p] = gy[n, c, p] * math.pow(s, -beta) - 2 * alpha * beta * x[n, c, p] * r


def _planes(xp, a):
    return xp.ascontiguousarray(a).reshape(a.shape[0], a.shape[1], -1)


def lrn_forward(x, size, alpha, beta, k):
    xp = get_array_module(x)
    y = xp.empty(x.shape, dtype=x.dtype)
    launch(_forward, x.size, _planes(xp, x), size, alpha, beta, k, _planes(xp, y))
    return y


def lrn_backward(gy, x, size, alpha, beta, k):
    xp = get_array_module(x)
    gx = xp.empty(x.shape, dtype=x.dtype)
    launch(_backward, x.size, _planes(xp, gy), _planes(xp, x), size, alpha, beta, k,
           _planes(xp, gx))
    return gx
