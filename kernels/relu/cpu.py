"""ReLU with Numba: one parallel pass each way, no temporaries.

Same functions as `reference.py`. NumPy's `np.where(y > 0, gy, 0)` makes a boolean mask and then
a select (two passes, one temporary); here the test and the select are one loop.
"""
import numpy as np
from numba import njit, prange

from ..layout import c_contiguous


@njit(cache=True, parallel=True)
def _relu(x, y):
    for i in prange(x.size):
        v = x[i]
        y[i] = 0 if v <= 0 else v     # NaN passes through, as in np.maximum


@njit(cache=True, parallel=True)
def _relu_grad(gy, y, gx):
    for i in prange(y.size):
        gx[i] = 0 if y[i] <= 0 else gy[i]    # NaN: passed on, as in PyTorch


def relu_forward(x):
    x = c_contiguous(x)
    y = np.empty_like(x)
    _relu(x.ravel(), y.ravel())
    return y


def relu_backward(gy, y):
    gy, y = c_contiguous(gy), c_contiguous(y)
    gx = np.empty_like(gy)
    _relu_grad(gy.ravel(), y.ravel(), gx.ravel())
    return gx
