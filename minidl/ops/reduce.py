"""Reductions: sum, mean, max/min and amax/amin (axis, keepdims).

The backward of a reduction broadcasts the incoming gradient back over the reduced axes; for a
maximum (minimum) it goes only to the entries that won.
"""
import numpy as np

from ..autograd import Function
from ..backend import get_array_module


def _expand(g, shape, axis, keepdims):
    """Give `g` back the reduced axes (as size 1) so it broadcasts against the input."""
    if axis is None:
        return g.reshape((1,) * len(shape))
    if not keepdims:
        axes = axis if isinstance(axis, tuple) else (axis,)
        for a in sorted(axes):
            g = get_array_module(g).expand_dims(g, a)
    return g


class Sum(Function):
    """Sum over `axis` (None: all). Integers and bools add up in int64, as in PyTorch."""

    @staticmethod
    def forward(ctx, a, axis, keepdims):
        ctx.shape, ctx.axis, ctx.keepdims = a.shape, axis, keepdims
        dtype = np.int64 if a.dtype.kind in "biu" else None
        return get_array_module(a).asarray(a.sum(axis=axis, keepdims=keepdims, dtype=dtype))

    @staticmethod
    def backward(ctx, g):
        xp = get_array_module(g)
        g = _expand(g, ctx.shape, ctx.axis, ctx.keepdims)
        return xp.broadcast_to(g, ctx.shape), None, None


class Mean(Function):
    """Mean over `axis` (None: all). The mean of integers is float32 (PyTorch refuses them)."""

    @staticmethod
    def forward(ctx, a, axis, keepdims):
        ctx.shape, ctx.axis, ctx.keepdims = a.shape, axis, keepdims
        dtype = np.float32 if a.dtype.kind in "biu" else None
        y = get_array_module(a).asarray(a.mean(axis=axis, keepdims=keepdims, dtype=dtype))
        ctx.count = a.size // max(y.size, 1) if a.size else 1
        return y

    @staticmethod
    def backward(ctx, g):
        xp = get_array_module(g)
        g = _expand(g, ctx.shape, ctx.axis, ctx.keepdims) / ctx.count
        return xp.broadcast_to(g, ctx.shape), None, None


class AMax(Function):
    """Maximum over axes; tied maxima share the gradient evenly (PyTorch's amax; as there, a
    NaN maximum gives NaN gradients to its whole slice)."""

    pick = "max"

    @staticmethod
    def forward(ctx, a, axis, keepdims):
        xp = get_array_module(a)
        y = xp.asarray(getattr(a, type(ctx).pick)(axis=axis, keepdims=keepdims))
        ctx.axis, ctx.keepdims = axis, keepdims
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        y = _expand(y, a.shape, ctx.axis, ctx.keepdims)
        g = _expand(g, a.shape, ctx.axis, ctx.keepdims)
        winners = type(ctx).winners(a, y)
        count = winners.sum(axis=ctx.axis, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g * winners / count).astype(a.dtype, copy=False), None, None

    @staticmethod
    def winners(a, y):
        return a == y


class AMin(AMax):
    """Minimum over axes (PyTorch's amin), the mirror of AMax."""

    pick = "min"


class MaxAll(AMax):
    """``max()`` of all elements: ties share the gradient evenly and, as in PyTorch, a NaN
    maximum sends the gradient to the NaN entries (not NaN everywhere)."""

    @staticmethod
    def winners(a, y):
        xp = get_array_module(a)
        return xp.isnan(a) if bool(xp.isnan(y).any()) else a == y


class MinAll(MaxAll):
    """``min()`` of all elements, the mirror of MaxAll."""

    pick = "min"


class MaxAlong(Function):
    """Maximum along one axis, remembering *which* entry won: the gradient goes to it alone
    (PyTorch's ``max(dim)``, which also returns those indices). A NaN wins, as in PyTorch."""

    pick = "argmax"

    @staticmethod
    def forward(ctx, a, axis, keepdims):
        xp = get_array_module(a)
        index = xp.expand_dims(getattr(a, type(ctx).pick)(axis=axis), axis)
        y = xp.take_along_axis(a, index, axis=axis)
        ctx.axis, ctx.shape = axis, a.shape
        ctx.save_for_backward(index)
        return y if keepdims else y.squeeze(axis)

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        xp = get_array_module(g)
        gx = xp.zeros(ctx.shape, dtype=g.dtype)
        g = g.reshape(index.shape)
        xp.put_along_axis(gx, index, g, axis=ctx.axis)
        return gx, None, None


class MinAlong(MaxAlong):
    """Minimum along one axis (PyTorch's ``min(dim)``), the mirror of MaxAlong."""

    pick = "argmin"
