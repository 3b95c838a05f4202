"""Inverted dropout with numba.cuda: one thread per element, the same hash as `reference.py`.

For one key, this kernel, the Numba CPU kernel and the NumPy reference make the same mask.
"""
from numba import cuda, uint64

from minidl.backend import get_array_module

from ..launch import launch
from .reference import GOLDEN, M1, M2, keep_threshold
from ..layout import c_contiguous


@cuda.jit(device=True)
def _bits(key, i):
    z = key + (uint64(i) + uint64(1)) * GOLDEN
    z = (z ^ (z >> uint64(30))) * M1
    z = (z ^ (z >> uint64(27))) * M2
    return z ^ (z >> uint64(31))


@cuda.jit
def _forward(x, key, threshold, scale, y, mask):
    i = cuda.grid(1)
    if i < x.size:
        keep = (_bits(key, i) >> uint64(32)) >= threshold
        mask[i] = keep
        y[i] = x[i] * scale if keep else 0


@cuda.jit
def _backward(gy, mask, scale, gx):
    i = cuda.grid(1)
    if i < gy.size:
        gx[i] = gy[i] * scale if mask[i] else 0


def dropout_forward(x, p, key):
    xp = get_array_module(x)
    x = c_contiguous(x)
    y = xp.empty_like(x)
    mask = xp.empty(x.shape, dtype=xp.bool_)
    launch(_forward, x.size, x.ravel(), uint64(key), keep_threshold(p),
           x.dtype.type(1 / (1 - p)), y.ravel(), mask.ravel())
    return y, mask


def dropout_backward(gy, mask, p):
    xp = get_array_module(gy)
    gy = c_contiguous(gy)
    gx = xp.empty_like(gy)
    launch(_backward, gy.size, gy.ravel(), c_contiguous(mask).ravel(),
           gy.dtype.type(1 / (1 - p)), gx.ravel())
    return gx
