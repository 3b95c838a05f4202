"""Spread and size: ``var``, ``std`` (with PyTorch's ``correction``, Bessel's by default) and
``norm`` (Frobenius, p-norms, max/min), each one fused autograd node.
"""
import builtins
import math
import warnings

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ._util import ShapeError
from .reduce import drop_dims, expand_grad, reduce_dim

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
        return drop_dims(xp, y, axis, keepdims)

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        xp, p = get_array_module(g), ctx.p
        g = expand_grad(g, a.shape, ctx.axis, ctx.keepdims)
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
        return drop_dims(get_array_module(a), y, axis, keepdims)

    @staticmethod
    def backward(ctx, g):
        (centered,) = ctx.saved_tensors
        g = expand_grad(g, centered.shape, ctx.axis, ctx.keepdims)
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
        return drop_dims(xp, y, axis, keepdims)

    @staticmethod
    def backward(ctx, g):
        centered, y = ctx.saved_tensors
        xp = get_array_module(g)
        g = expand_grad(g, centered.shape, ctx.axis, ctx.keepdims)
        with np.errstate(divide="ignore", invalid="ignore"):
            local = xp.where(y == 0, 0, g / (y * centered.dtype.type(ctx.denom)))
            return (local * centered).astype(centered.dtype, copy=False), None, None, None


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
    d = reduce_dim(input, dim, what)
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
    return Norm.apply(input, float(p), reduce_dim(input, dim, "norm"), bool(keepdim))
