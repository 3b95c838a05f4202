"""Inverted dropout with Numba: the hash, the mask and the scaling in one parallel pass.

Same functions and the same hash as `reference.py`, so the masks agree bit for bit.
"""
import numpy as np
from numba import njit, prange
from numba import uint64

from .reference import GOLDEN, M1, M2, keep_threshold
from ..layout import c_contiguous

S30, S27, S31, S32, ONE = uint64(30), uint64(27), uint64(31), uint64(32), uint64(1)


@njit(cache=True)
def _bits(key, i):
    z = key + (uint64(i) + ONE) * GOLDEN
    z = (z ^ (z >> S30)) * M1
    z = (z ^ (z >> S27)) * M2
    return z ^ (z >> S31)


@njit(cache=True, parallel=True)
def _forward(x, key, threshold, scale, y, mask):
    for i in prange(x.size):
        keep = (_bits(key, i) >> S32) >= threshold
        mask[i] = keep
        y[i] = x[i] * scale if keep else 0


@njit(cache=True, parallel=True)
def _backward(gy, mask, scale, gx):
    for i in prange(gy.size):
        gx[i] = gy[i] * scale if mask[i] else 0


def dropout_forward(x, p, key):
    x = c_contiguous(x)
    y = np.empty_like(x)
    mask = np.empty(x.shape, dtype=np.bool_)
    _forward(x.ravel(), uint64(key), keep_threshold(p), x.dtype.type(1 / (1 - p)),
             y.ravel(), mask.ravel())
    return y, mask


def dropout_backward(gy, mask, p):
    gy = c_contiguous(gy)
    gx = np.empty_like(gy)
    _backward(gy.ravel(), c_contiguous(mask).ravel(), gy.dtype.type(1 / (1 - p)),
              gx.ravel())
    return gx
