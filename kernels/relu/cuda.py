"""ReLU with numba.cuda: one thread per element. Same functions as `reference.py`."""
from numba import cuda

from minidl.backend import get_array_module

from ..launch import launch
from ..layout import c_contiguous


@cuda.jit
def _relu(x, y):
    i = cuda.grid(1)
    if i < x.size:
        v = x[i]
        y[i] = 0 if v <= 0 else v


@cuda.jit
def _relu_grad(gy, y, gx):
    i = cuda.grid(1)
    if i < y.size:
        gx[i] = 0 if y[i] <= 0 else gy[i]    # NaN: passed on, as in PyTorch


def relu_forward(x):
    xp = get_array_module(x)
    x = c_contiguous(x)
    y = xp.empty_like(x)
    launch(_relu, x.size, x.ravel(), y.ravel())
    return y


def relu_backward(gy, y):
    xp = get_array_module(gy)
    gy, y = c_contiguous(gy), c_contiguous(y)
    gx = xp.empty_like(gy)
    launch(_relu_grad, gy.size, gy.ravel(), y.ravel(), gx.ravel())
    return gx
