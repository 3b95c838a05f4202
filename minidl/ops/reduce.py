"""Reductions: sum, mean, max/min, amax/amin, argmax/argmin, prod, cumsum, logsumexp, any/all
(over dims, keepdim); var, std and norm are in `statistics.py`.

The backward of a reduction broadcasts the incoming gradient back over the reduced axes; for a
maximum (minimum) it goes only to the entries that won.
"""
import builtins
from collections import namedtuple

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from . import shape as sh
from ._util import normalize_axis
from .elementwise import clone, maximum, minimum


def expand_grad(g, shape, axis, keepdims):
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
        g = expand_grad(g, ctx.shape, ctx.axis, ctx.keepdims)
        return xp.broadcast_to(g, ctx.shape), None, None


class Mean(Function):
    """Mean over `axis` (None: all). The mean of integers is float32 (PyTorch refuses them)."""

    @staticmethod
    def forward(ctx, a, axis, keepdims):
        ctx.shape, ctx.axis, ctx.keepdims = a.shape, axis, keepdims
        dtype = np.float32 if a.dtype.kind in "biu" else None
        y = get_array_module(a).asarray(a.mean(axis=axis, keepdims=keepdims, dtype=dtype))
        ctx.count = a.size // builtins.max(y.size, 1) if a.size else 1
        return y

    @staticmethod
    def backward(ctx, g):
        xp = get_array_module(g)
        g = expand_grad(g, ctx.shape, ctx.axis, ctx.keepdims) / ctx.count
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
        y = expand_grad(y, a.shape, ctx.axis, ctx.keepdims)
        g = expand_grad(g, a.shape, ctx.axis, ctx.keepdims)
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


class Prod(Function):
    """Product over one `axis` (None: all). The gradient of each element is the product of
    all the others (computed without dividing, so zeros are fine). Integers multiply in
    int64, as in PyTorch."""

    @staticmethod
    def forward(ctx, a, axis, keepdims):
        xp = get_array_module(a)
        ctx.shape, ctx.axis, ctx.keepdims = a.shape, axis, keepdims
        ctx.save_for_backward(a)
        dtype = np.int64 if a.dtype.kind in "biu" else None
        return xp.asarray(a.prod(axis=axis, keepdims=keepdims, dtype=dtype))

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        xp = get_array_module(g)
        axis = ctx.axis
        x = a.reshape(-1) if axis is None else xp.moveaxis(a, axis, -1)
        ones = xp.ones(x.shape[:-1] + (1,), dtype=x.dtype)
        before = xp.cumprod(xp.concatenate([ones, x[..., :-1]], -1), -1)
        after = xp.cumprod(xp.concatenate([ones, x[..., :0:-1]], -1), -1)[..., ::-1]
        others = before * after
        others = others.reshape(a.shape) if axis is None else xp.moveaxis(others, -1, axis)
        return expand_grad(g, ctx.shape, axis, ctx.keepdims) * others, None, None


class CumSum(Function):
    """Running sum along `axis`; the gradient is the running sum of g taken backwards."""

    @staticmethod
    def forward(ctx, a, axis):
        ctx.axis = axis
        dtype = np.int64 if a.dtype.kind in "biu" else None
        return get_array_module(a).cumsum(a, axis=axis, dtype=dtype)

    @staticmethod
    def backward(ctx, g):
        xp, axis = get_array_module(g), ctx.axis
        return xp.flip(xp.cumsum(xp.flip(g, axis), axis=axis), axis), None


class LogSumExp(Function):
    """log(sum(exp(a))) over `axis`, shifted by the maximum so nothing overflows (an infinite
    maximum shifts by 0, as in PyTorch). The gradient is softmax: exp(a - y)."""

    @staticmethod
    def forward(ctx, a, axis, keepdims):
        xp = get_array_module(a)
        m = a.max(axis=axis, keepdims=True) if a.size else xp.zeros((1,) * a.ndim, a.dtype)
        m = xp.where(xp.isfinite(m), m, 0)
        with np.errstate(divide="ignore"):
            y = xp.log(xp.exp(a - m).sum(axis=axis, keepdims=True)) + m
        ctx.axis, ctx.keepdims = axis, keepdims
        ctx.save_for_backward(a, y)
        if not keepdims:
            y = y.reshape(()) if axis is None else y.squeeze(axis)
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        g = expand_grad(g, a.shape, ctx.axis, ctx.keepdims)
        return g * get_array_module(g).exp(a - y), None, None


def drop_dims(xp, y, axis, keepdims):
    """A result computed with keepdims=True, as the caller asked for it."""
    if not keepdims:
        y = y.reshape(()) if axis is None else y.squeeze(axis)
    return xp.asarray(y)


# -- the functions (PyTorch names and argument checks); each calls one Function above ---------

def reduce_dim(t, dim, what):
    """`dim` normalised; None for all dims (also for an empty list, and for a 0-d tensor,
    whose only valid dims are 0 and -1, as in PyTorch)."""
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        return None
    dim = normalize_axis(dim, t.ndim, what)
    return None if t.ndim == 0 else dim


def _reduce_args(t, dim, keepdim, axis, keepdims, what):
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return reduce_dim(t, dim, what), bool(keepdim)


def sum(t, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Sum over `dim` (an int, a tuple, or None / () for all dims); `dtype` casts the input
    first (as in PyTorch)."""
    if dtype is not None:
        t = t.to(dtype)
    dim, keepdim = _reduce_args(t, dim, keepdim, axis, keepdims, "sum")
    return Sum.apply(t, dim, keepdim)


def mean(t, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Mean over `dim` (an int, a tuple, or None / () for all dims)."""
    dim, keepdim = _reduce_args(t, dim, keepdim, axis, keepdims, "mean")
    return Mean.apply(t, dim, keepdim)


MaxResult = namedtuple("MaxResult", ["values", "indices"])
MinResult = namedtuple("MinResult", ["values", "indices"])


def _extreme(t, dim, keepdim, axis, keepdims, largest):
    what = "max" if largest else "min"
    if axis is not None or keepdims is not None:
        return (amax if largest else amin)(t, axis, bool(keepdims))
    if isinstance(dim, Tensor):  # torch.max(a, b) is maximum(a, b)
        return (maximum if largest else minimum)(t, dim)
    if dim is None:
        return (MaxAll if largest else MinAll).apply(t, None, False)
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{what}(dim): dim must be one int; use a{what} for several dims")
    d = normalize_axis(dim, t.ndim, what)
    result = MaxResult if largest else MinResult
    if t.ndim == 0:
        return result(sh.Reshape.apply(t, ()), Tensor._make(t.xp.zeros((), dtype=np.int64)))
    values = (MaxAlong if largest else MinAlong).apply(t, d, bool(keepdim))
    return result(values, _arg(t, d, keepdim, largest))


def max(t, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Maximum. PyTorch's three forms plus NumPy's:

    - ``max(t)``: the largest element (ties share the gradient evenly; a NaN wins);
    - ``max(t, dim)``: ``(values, indices)`` along `dim`, the gradient going to the winner;
    - ``max(t, other_tensor)``: ``maximum(t, other_tensor)``;
    - ``max(t, axis=..., keepdims=...)``: NumPy's spelling, values only (same as ``amax``).
    """
    return _extreme(t, dim, keepdim, axis, keepdims, largest=True)


def min(t, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Minimum, the mirror of ``max`` (``min(t, dim)`` gives ``(values, indices)``)."""
    return _extreme(t, dim, keepdim, axis, keepdims, largest=False)


def amax(t, dim=None, keepdim=False):
    """Maximum over `dim` (int, tuple, or None / () for all); ties share the gradient."""
    return AMax.apply(t, reduce_dim(t, dim, "amax"), bool(keepdim))


def amin(t, dim=None, keepdim=False):
    """Minimum over `dim` (int, tuple, or None / () for all); ties share the gradient."""
    return AMin.apply(t, reduce_dim(t, dim, "amin"), bool(keepdim))


def _arg(t, dim, keepdim, largest):
    """Index of the maximum (minimum) as int64, outside the graph; dim None: of the
    flattened tensor (keepdim then gives shape (1,) * ndim, as in PyTorch)."""
    what = "argmax" if largest else "argmin"
    d = reduce_dim(t, dim, what)
    a = t.data
    if d is None:
        idx = t.xp.asarray(a.argmax() if largest else a.argmin())
        if keepdim:
            idx = idx.reshape((1,) * t.ndim)
    else:
        idx = a.argmax(axis=d) if largest else a.argmin(axis=d)
        if keepdim:
            idx = t.xp.expand_dims(idx, d)
    return Tensor._make(idx.astype(np.int64))


def argmax(t, dim=None, keepdim=False):
    """Index of the maximum (no gradient)."""
    return _arg(t, dim, keepdim, largest=True)


def argmin(t, dim=None, keepdim=False):
    """Index of the minimum (no gradient)."""
    return _arg(t, dim, keepdim, largest=False)


# -- more reductions ---------------------------------------------------------------------------

def _one_dim(t, dim, what):
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{what}: dim must be one int, got {dim!r}")
    return reduce_dim(t, dim, what)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product of all elements, or along one `dim` (integers multiply in int64)."""
    if dtype is not None:
        input = input.to(dtype)
    d = _one_dim(input, dim, "prod")
    return Prod.apply(input, d, bool(keepdim) and dim is not None)


def cumsum(input, dim, *, dtype=None):
    """Running sum along `dim` (integers add up in int64)."""
    if dtype is not None:
        input = input.to(dtype)
    if input.ndim == 0:
        normalize_axis(dim, 0, "cumsum")
        return clone(input) if input.dtype.kind == "f" else input.to(np.int64)
    return CumSum.apply(input, _one_dim(input, dim, "cumsum"))


def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(x))) over `dim` (an int or tuple), stable for large x."""
    if input.dtype.kind not in "fc":
        input = input.to(np.float32)
    return LogSumExp.apply(input, reduce_dim(input, dim, "logsumexp"), bool(keepdim))


def any(input, dim=None, keepdim=False):
    """Whether any element (along `dim`) is non-zero. bool (uint8 for uint8 input, as in
    PyTorch); no gradient."""
    return _any_all(input, dim, keepdim, "any")


def all(input, dim=None, keepdim=False):
    """Whether every element (along `dim`) is non-zero; see ``any``."""
    return _any_all(input, dim, keepdim, "all")


def _any_all(input, dim, keepdim, what):
    d = reduce_dim(input, dim, what)
    out = getattr(input.data.astype(bool, copy=False), what)(axis=d, keepdims=bool(keepdim))
    out = input.xp.asarray(out)
    return Tensor._make(out.astype(np.uint8) if input.dtype == np.uint8 else out)


# var, std and norm are in statistics.py; importable from here
from .statistics import Norm, Std, Var, norm, reduced_count, std, var  # noqa: E402,F401
