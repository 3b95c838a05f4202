"""Tensor factories: zeros, ones, full, arange, rand, randn and friends (float32 by default)."""
import numpy as np

from .backend import CPU, Device, xp_for
from .random import get_generator
from .tensor import DEFAULT_DTYPE, Tensor


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(int(s) for s in size)


def _make(array, dtype, device, requires_grad):
    device = CPU if device is None else Device(device)
    xp = xp_for(device)
    if xp is not np:
        array = xp.asarray(array)
    return Tensor(array.astype(dtype or DEFAULT_DTYPE, copy=False), requires_grad=requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    return _make(np.zeros(_shape(size), dtype or DEFAULT_DTYPE), dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _make(np.ones(_shape(size), dtype or DEFAULT_DTYPE), dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    return _make(np.empty(_shape(size), dtype or DEFAULT_DTYPE), dtype, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    return _make(np.full(_shape((size,)), fill_value, dtype or DEFAULT_DTYPE), dtype, device,
                 requires_grad)


def zeros_like(t, dtype=None):
    return zeros(t.shape, dtype=dtype or t.dtype, device=t.device)


def ones_like(t, dtype=None):
    return ones(t.shape, dtype=dtype or t.dtype, device=t.device)


def arange(start, end=None, step=1, dtype=None, device=None):
    if end is None:
        start, end = 0, start
    a = np.arange(start, end, step)
    if dtype is None:
        dtype = np.int64 if a.dtype.kind == "i" else DEFAULT_DTYPE
    return _make(a, dtype, device, False)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform on [0, 1)."""
    a = get_generator(generator).np.random(_shape(size))
    return _make(a, dtype, device, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal."""
    a = get_generator(generator).np.standard_normal(_shape(size))
    return _make(a, dtype, device, requires_grad)
