"""Reductions: sum, mean, max/min, amax/amin, argmax/argmin, prod, cumsum, logsumexp, var, std,
norm, any/all (over dims, keepdim).

The backward of a reduction broadcasts the incoming gradient back over the reduced axes; for a
maximum (minimum) it goes only to the entries that won.
"""
import builtins
import math
import warnings
from collections import namedtuple

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from . import shape as sh
from ._util import ShapeError, normalize_axis
from .elementwise import clone, maximum, minimum


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
        ctx.count = a.size // builtins.max(y.size, 1) if a.size else 1
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
        return _expand(g, ctx.shape, axis, ctx.keepdims) * others, None, None


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
        g = _expand(g, a.shape, ctx.axis, ctx.keepdims)
        return g * get_array_module(g).exp(a - y), None, None


class Norm(Function):
    """Vector p-norm over `axis` (None: all): (sum |a|^p)^(1/p); p may be inf or -inf (the
    largest / smallest |a|, ties sharing the gradient) or 0 (the count of non-zeros, zero
    gradient). As in PyTorch the gradient at a zero norm is 0."""

    @staticmethod
    def forward(ctx, a, p, axis, keepdims):
        xp = get_array_module(a)
        absa = xp.abs(a)
        if p == np.inf:
            y = absa.max(axis=axis, keepdims=True)
        elif p == -np.inf:
            y = absa.min(axis=axis, keepdims=True)
        elif p == 0:
            y = (a != 0).sum(axis=axis, keepdims=True).astype(a.dtype)
        elif p == 1:
            y = absa.sum(axis=axis, keepdims=True)
        elif p == 2:
            y = xp.sqrt((a * a).sum(axis=axis, keepdims=True))
        else:
            y = (absa ** p).sum(axis=axis, keepdims=True) ** (1.0 / p)
        ctx.p, ctx.axis, ctx.keepdims = p, axis, keepdims
        ctx.save_for_backward(a, y)
        return _drop_dims(xp, y, axis, keepdims)

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        xp, p = get_array_module(g), ctx.p
        g = _expand(g, a.shape, ctx.axis, ctx.keepdims)
        sign = xp.sign(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            if p in (np.inf, -np.inf):
                winners = xp.abs(a) == y
                local = sign * winners / winners.sum(axis=ctx.axis, keepdims=True)
            elif p == 0:
                local = xp.zeros_like(a)
            elif p == 1:
                local = sign
            elif p == 2:
                local = xp.where(y == 0, 0, a / y)
            else:
                local = xp.where(y == 0, 0, sign * xp.abs(a) ** (p - 1) / y ** (p - 1))
        return (g * local).astype(a.dtype, copy=False), None, None, None


def reduced_count(shape, axis):
    """How many elements each output of a reduction over `axis` (None: all) sums: N."""
    if axis is None:
        return math.prod(shape)
    axes = axis if isinstance(axis, tuple) else (axis,)
    return math.prod(shape[d] for d in axes)


def _sum_of_squares(ctx, a, axis, correction, keepdims):
    """(a - mean, sum((a - mean)^2) with kept dims) over `axis`; sets ctx.denom =
    max(N - correction, 0), ctx.axis and ctx.keepdims for Var and Std."""
    centered = a - a.mean(axis=axis, keepdims=True)
    ctx.denom = builtins.max(reduced_count(a.shape, axis) - correction, 0)
    ctx.axis, ctx.keepdims = axis, keepdims
    return centered, (centered * centered).sum(axis=axis, keepdims=True)


class Var(Function):
    """sum((a - mean)^2) / max(N - correction, 0) over `axis` (None: all), N the count
    reduced. The gradient 2 (a - mean) / (N - correction) (inf at a zero denominator, as in
    PyTorch)."""

    @staticmethod
    def forward(ctx, a, axis, correction, keepdims):
        centered, squares = _sum_of_squares(ctx, a, axis, correction, keepdims)
        ctx.save_for_backward(centered)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = squares / a.dtype.type(ctx.denom)
        return _drop_dims(get_array_module(a), y, axis, keepdims)

    @staticmethod
    def backward(ctx, g):
        (centered,) = ctx.saved_tensors
        g = _expand(g, centered.shape, ctx.axis, ctx.keepdims)
        with np.errstate(divide="ignore", invalid="ignore"):
            return g * (2 * centered / centered.dtype.type(ctx.denom)), None, None, None


class Std(Function):
    """sqrt(Var): the standard deviation over `axis`. The gradient (a - mean) / (denom * std),
    0 where std is 0 (PyTorch masks those, where sqrt's chain rule would give NaN)."""

    @staticmethod
    def forward(ctx, a, axis, correction, keepdims):
        xp = get_array_module(a)
        centered, squares = _sum_of_squares(ctx, a, axis, correction, keepdims)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = xp.sqrt(squares / a.dtype.type(ctx.denom))
        ctx.save_for_backward(centered, y)
        return _drop_dims(xp, y, axis, keepdims)

    @staticmethod
    def backward(ctx, g):
        centered, y = ctx.saved_tensors
        xp = get_array_module(g)
        g = _expand(g, centered.shape, ctx.axis, ctx.keepdims)
        with np.errstate(divide="ignore", invalid="ignore"):
            local = xp.where(y == 0, 0, g / (y * centered.dtype.type(ctx.denom)))
            return (local * centered).astype(centered.dtype, copy=False), None, None, None


def _drop_dims(xp, y, axis, keepdims):
    """A result computed with keepdims=True, as the caller asked for it."""
    if not keepdims:
        y = y.reshape(()) if axis is None else y.squeeze(axis)
    return xp.asarray(y)


# -- the functions (PyTorch names and argument checks); each calls one Function above ---------

def _reduce_dim(t, dim, what):
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
    return _reduce_dim(t, dim, what), bool(keepdim)


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
    return AMax.apply(t, _reduce_dim(t, dim, "amax"), bool(keepdim))


def amin(t, dim=None, keepdim=False):
    """Minimum over `dim` (int, tuple, or None / () for all); ties share the gradient."""
    return AMin.apply(t, _reduce_dim(t, dim, "amin"), bool(keepdim))


def _arg(t, dim, keepdim, largest):
    """Index of the maximum (minimum) as int64, outside the graph; dim None: of the
    flattened tensor (keepdim then gives shape (1,) * ndim, as in PyTorch)."""
    what = "argmax" if largest else "argmin"
    d = _reduce_dim(t, dim, what)
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
    return _reduce_dim(t, dim, what)


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
    return LogSumExp.apply(input, _reduce_dim(input, dim, "logsumexp"), bool(keepdim))


def _floating(input, what):
    if input.dtype.kind not in "fc":
        raise RuntimeError(f"{what} only supports floating point tensors, got {input.dtype}")


def _spread_args(input, dim, unbiased, correction, what):
    """(dims, correction) for var/std from PyTorch's forms; warns when N - correction <= 0."""
    _floating(input, "std and var")
    if isinstance(dim, bool):  # var(unbiased) / std(unbiased)
        dim, unbiased = None, dim
    if correction is not None and unbiased is not None:
        raise TypeError(f"{what}: give correction or unbiased, not both")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    d = _reduce_dim(input, dim, what)
    if reduced_count(input.shape, d) - correction <= 0:
        warnings.warn(f"{what}(): degrees of freedom is <= 0. Correction should be strictly "
                      "less than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    return d, correction


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over `dim` (int, tuple or None for all): sum((x - mean)^2) / (N - correction).
    PyTorch's forms: ``var(dim=None, *, correction=1, keepdim=False)``, the legacy
    ``var(dim, unbiased=True, keepdim=False)`` and ``var(unbiased)``. N - correction <= 0 gives
    inf or NaN (with a warning), as in PyTorch."""
    d, correction = _spread_args(input, dim, unbiased, correction, "var")
    return Var.apply(input, d, correction, bool(keepdim))


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation: sqrt(var(...)), same forms as ``var``; the gradient is 0 where the
    standard deviation is 0 (as in PyTorch)."""
    d, correction = _spread_args(input, dim, unbiased, correction, "std")
    return Std.apply(input, d, correction, bool(keepdim))


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """Vector p-norm over `dim` (None: all elements, flattened). p: a number (1, 2, 3, ...,
    0), inf, -inf or 'fro' (the 2-norm; with a dim, 'fro' needs one or two dims). 'nuc' is
    not supported."""
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.kind not in "fc":
        raise RuntimeError(f"norm: expected a floating point tensor as input, got "
                           f"{input.dtype}")
    if p == "fro":
        if isinstance(dim, (tuple, list)) and len(dim) > 2:
            raise ShapeError(f"norm: p='fro' takes one or two dims, got {tuple(dim)}")
        p = 2
    elif isinstance(p, str):
        raise NotImplementedError(f"norm: p={p!r} is not supported (numbers, inf and 'fro' are)")
    if p is None:
        p = 2
    return Norm.apply(input, float(p), _reduce_dim(input, dim, "norm"), bool(keepdim))


def any(input, dim=None, keepdim=False):
    """Whether any element (along `dim`) is non-zero. bool (uint8 for uint8 input, as in
    PyTorch); no gradient."""
    return _any_all(input, dim, keepdim, "any")


def all(input, dim=None, keepdim=False):
    """Whether every element (along `dim`) is non-zero; see ``any``."""
    return _any_all(input, dim, keepdim, "all")


def _any_all(input, dim, keepdim, what):
    d = _reduce_dim(input, dim, what)
    out = getattr(input.data.astype(bool, copy=False), what)(axis=d, keepdims=bool(keepdim))
    out = input.xp.asarray(out)
    return Tensor._make(out.astype(np.uint8) if input.dtype == np.uint8 else out)
