"""Small helpers the ops share."""
import numbers

import numpy as np


def sum_to_shape(g, shape):
    """Reduce a broadcast gradient `g` back to `shape` (the input's shape before broadcasting).

    Broadcasting copies an input along new leading axes and along axes of size 1, so its
    gradient is the sum over those axes: ``(4, 3) + (3,)`` sends ``g.sum(0)`` to the (3,) side.
    """
    shape = tuple(shape)
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    g = g.sum(axis=axes, keepdims=True) if axes else g
    return g.reshape(shape)


def as_scalar(value):
    """NumPy scalars become Python numbers so they stay 'weak' and never upcast float32."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def normalize_axis(axis, ndim, what):
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        return tuple(sorted(normalize_axis(a, ndim, what) for a in axis))
    if not isinstance(axis, numbers.Integral):
        raise TypeError(f"{what}: dim must be an int or tuple of ints, got {type(axis).__name__}")
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise IndexError(f"{what}: dim {axis} is out of range for a tensor of {ndim} dimensions")
    return axis % max(ndim, 1)


def broadcast_error(what, a_shape, b_shape):
    return ValueError(f"{what}: shapes {tuple(a_shape)} and {tuple(b_shape)} cannot be broadcast "
                      "together (NumPy rules: trailing dimensions must match or be 1)")


def check_broadcast(what, a, b):
    sa = getattr(a, "shape", ())
    sb = getattr(b, "shape", ())
    try:
        np.broadcast_shapes(sa, sb)
    except ValueError:
        raise broadcast_error(what, sa, sb) from None
