"""Tensor factories: zeros, ones, full, arange, rand, randn and their ``*_like`` forms.

As in PyTorch, results are float32 unless a dtype is given, except where the values say
otherwise: ``full`` and ``arange`` infer int64 from integers and bool from booleans.
"""
import numbers

import numpy as np

from .backend import CPU, Device, xp_for
from .ops._util import ShapeError
from .random import get_generator
from .tensor import DEFAULT_DTYPE, Tensor


def _shape(size, keyword=None):
    """The shape from ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` or ``f(size=(2, 3))``."""
    if keyword is not None:
        if size:
            raise TypeError("give the size either positionally or as size=, not both")
        size = (keyword,)
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(int(s) for s in size)


def _make(array, dtype, device, requires_grad):
    device = CPU if device is None else Device(device)
    xp = xp_for(device)
    if xp is not np:
        array = xp.asarray(array)
    return Tensor(array.astype(dtype or DEFAULT_DTYPE, copy=False), requires_grad=requires_grad)


def zeros(*sizes, size=None, dtype=None, device=None, requires_grad=False):
    return _make(np.zeros(_shape(sizes, size), dtype or DEFAULT_DTYPE), dtype, device,
                 requires_grad)


def ones(*sizes, size=None, dtype=None, device=None, requires_grad=False):
    return _make(np.ones(_shape(sizes, size), dtype or DEFAULT_DTYPE), dtype, device,
                 requires_grad)


def empty(*sizes, size=None, dtype=None, device=None, requires_grad=False):
    return _make(np.empty(_shape(sizes, size), dtype or DEFAULT_DTYPE), dtype, device,
                 requires_grad)


def _fill_dtype(value):
    """PyTorch's inference for full(): bool, int64, the default float32, or complex64."""
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(bool)
    if isinstance(value, numbers.Integral):
        return np.dtype(np.int64)
    if isinstance(value, numbers.Real):
        return DEFAULT_DTYPE
    return np.dtype(np.complex64)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor of `size` filled with `fill_value`; its dtype follows the value when not given
    (``full((2,), 3)`` is int64, ``full((2,), True)`` bool, ``full((2,), 2.5)`` float32)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    dtype = np.dtype(dtype) if dtype is not None else _fill_dtype(fill_value)
    size = (size,) if isinstance(size, numbers.Integral) else size
    return _make(np.full(_shape((size,)), fill_value, dtype), dtype, device, requires_grad)


def _like(t, dtype, device):
    return (t.dtype if dtype is None else np.dtype(dtype)), (t.device if device is None
                                                              else device)


def zeros_like(t, *, dtype=None, device=None, requires_grad=False):
    dtype, device = _like(t, dtype, device)
    return zeros(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(t, *, dtype=None, device=None, requires_grad=False):
    dtype, device = _like(t, dtype, device)
    return ones(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(t, *, dtype=None, device=None, requires_grad=False):
    dtype, device = _like(t, dtype, device)
    return empty(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(t, fill_value, *, dtype=None, device=None, requires_grad=False):
    """Like ``full(t.shape, fill_value)`` with t's dtype (not the value's) and device."""
    dtype, device = _like(t, dtype, device)
    return full(t.shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def rand_like(t, *, dtype=None, device=None, requires_grad=False, generator=None):
    dtype, device = _like(t, dtype, device)
    return rand(t.shape, generator=generator, dtype=dtype, device=device,
                requires_grad=requires_grad)


def randn_like(t, *, dtype=None, device=None, requires_grad=False, generator=None):
    dtype, device = _like(t, dtype, device)
    return randn(t.shape, generator=generator, dtype=dtype, device=device,
                 requires_grad=requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """[start, end) by step: int64 when all three are integers, else float32 (or `dtype`)."""
    if end is None:
        start, end = 0, start
    a = np.arange(start, end, step)
    if dtype is None:
        dtype = np.int64 if a.dtype.kind == "i" else DEFAULT_DTYPE
    return _make(a, dtype, device, requires_grad)


def _floating(dtype, what):
    dtype = DEFAULT_DTYPE if dtype is None else np.dtype(dtype)
    if dtype.kind not in "fc":
        raise TypeError(f"{what}: random values need a floating dtype, got {dtype}")
    return dtype


def rand(*sizes, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform on [0, 1)."""
    dtype = _floating(dtype, "rand")
    a = get_generator(generator).np.random(_shape(sizes, size))
    return _make(a, dtype, device, requires_grad)


def randn(*sizes, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal."""
    dtype = _floating(dtype, "randn")
    a = get_generator(generator).np.standard_normal(_shape(sizes, size))
    return _make(a, dtype, device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """`data` as a tensor, **without a copy** where it can (PyTorch's ``as_tensor``): a Tensor
    of that dtype and device is returned as is, a NumPy (or CuPy) array of that dtype is shared
    (writes show through); anything else is copied as ``tensor(data, dtype, device)``."""
    from .tensor import tensor
    want = None if dtype is None else np.dtype(dtype)
    if isinstance(data, Tensor):
        if (want is None or data.dtype == want) and (device is None or
                                                       Device(device) == data.device):
            return data
        return data.to(dtype=want, device=device)
    if (hasattr(data, "__array_interface__") or hasattr(data, "__cuda_array_interface__")) \
            and getattr(data, "ndim", None) is not None:
        t = Tensor(data) if want is None or data.dtype == want else None
        if t is not None and (device is None or Device(device) == t.device):
            return t
    return tensor(data, dtype=dtype, device=device)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None,
             requires_grad=False):
    """Integers uniform on [low, high) of shape `size` (int64 by default), PyTorch's
    ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:                 # randint(high, size): the second positional is the size
        low, high, size = 0, low, high
    if high is None or size is None:
        raise TypeError("randint: expected randint(high, size) or randint(low, high, size)")
    if not low < high:
        raise ShapeError(f"randint: expected low < high, got low={low}, high={high}")
    a = get_generator(generator).np.integers(low, high, _shape((size,)))
    return _make(a, np.dtype(np.int64) if dtype is None else dtype, device, requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of ``0 .. n-1`` (int64 by default)."""
    a = get_generator(generator).np.permutation(int(n))
    return _make(a, np.dtype(np.int64) if dtype is None else dtype, device, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """`steps` evenly spaced values from `start` to `end` inclusive (float32 by default)."""
    steps = int(steps)
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    start = start.item() if isinstance(start, Tensor) else start
    end = end.item() if isinstance(end, Tensor) else end
    dtype = DEFAULT_DTYPE if dtype is None else np.dtype(dtype)
    a = np.linspace(start, end, steps, dtype=np.float64)
    if dtype.kind in "iu":
        a = np.trunc(a)  # torch computes in floating point and truncates toward zero
    return _make(a, dtype, device, requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """An n x m (default n x n) matrix with ones on the diagonal (float32 by default)."""
    n = int(n)
    m = n if m is None else int(m)
    if n < 0 or m < 0:
        raise RuntimeError(f"eye: n and m must be non-negative, got n={n}, m={m}")
    dtype = DEFAULT_DTYPE if dtype is None else np.dtype(dtype)
    return _make(np.eye(n, m, dtype=dtype), dtype, device, requires_grad)
