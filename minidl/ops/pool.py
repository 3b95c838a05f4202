"""Pooling ops: ``max_pool2d``, ``avg_pool2d``, ``adaptive_avg_pool2d`` (PyTorch's arguments).

The loops live in ``minidl.kernels.pool`` (its ``reference.py`` states the window rules:
padding never wins a max, ``ceil_mode`` keeps a last partial window that starts inside the
input, ``count_include_pad`` decides the average's divisor). This file holds the autograd nodes
and the argument checks.

    input (N, C, H, W) -> output (N, C, OH, OW),  OH = (H + 2*padding - kernel) // stride + 1
    input (C, H, W)    -> output (C, OH, OW)       (unbatched, as PyTorch: a batch of one)

Geometry arguments are ints or pairs of ints (a 1-tuple is repeated); a float or a bool is a
TypeError, as in PyTorch. An empty batch (N = 0) gives an empty output.
"""
import numpy as np

from ..autograd import Function
from ..kernels import select
from ..kernels.pool.spec import pool_spec
from ..kernels.shapes import as_int, pair
from ..tensor import Tensor
from ._util import FLOATS, ShapeError


def _check_input(op, x):
    if x.ndim != 4:
        raise ShapeError(f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape "
                         f"{tuple(x.shape)}")
    if x.dtype not in FLOATS:
        raise TypeError(f"{op}: expected a float32 or float64 input, got {x.dtype}")


def _window_args(kernel_size, stride, padding):
    kernel_size = pair(kernel_size, "kernel_size")
    stride = kernel_size if stride is None else pair(stride, "stride")
    return kernel_size, stride, pair(padding, "padding")


def _batched(input):
    """(input as 4-D, whether a batch dim of one was added to a 3-D (C, H, W) input)."""
    if isinstance(input, Tensor) and input.ndim == 3:
        return input.unsqueeze(0), True
    return input, False


class MaxPool2d(Function):
    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, ceil_mode, indices_out, name):
        """`indices_out`: None, or a list that receives the argmax array (return_indices);
        `name`: how errors name the layer."""
        _check_input(name, x)
        spec = pool_spec(x.shape, kernel_size, stride, padding, ceil_mode, op=name)
        ctx.args = (x.shape, spec)
        y, argmax = select("pool", x).max_pool2d_forward(x, spec)
        ctx.save_for_backward(argmax)          # int32 winners: the input need not be kept
        if indices_out is not None:
            indices_out.append(argmax)
        return y

    @staticmethod
    def backward(ctx, gy):
        (argmax,) = ctx.saved_tensors
        gx = select("pool", gy).max_pool2d_backward(gy, argmax, *ctx.args)
        return gx, None, None, None, None, None, None


class AvgPool2d(Function):
    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, ceil_mode, count_include_pad, name):
        _check_input(name, x)
        spec = pool_spec(x.shape, kernel_size, stride, padding, ceil_mode, count_include_pad,
                         op=name)
        ctx.args = (x.shape, spec)
        return select("pool", x).avg_pool2d_forward(x, spec)

    @staticmethod
    def backward(ctx, gy):
        return (select("pool", gy).avg_pool2d_backward(gy, *ctx.args),) + (None,) * 6


class AdaptiveAvgPool2d(Function):
    @staticmethod
    def forward(ctx, x, output_size, name):
        _check_input(name, x)
        ctx.args = (x.shape, output_size)
        return select("pool", x).adaptive_avg_pool2d_forward(x, output_size)

    @staticmethod
    def backward(ctx, gy):
        return select("pool", gy).adaptive_avg_pool2d_backward(gy, *ctx.args), None, None


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over each kernel_size window, windows `stride` apart (default: kernel_size).

    (N, C, H, W) or (C, H, W) -> (N, C, OH, OW) or (C, OH, OW). PyTorch's argument order.
    AlexNet pools 3×3 windows 2 apart (overlapping), VGG 2×2 windows 2 apart.

    return_indices=True also returns the int64 indices of the winners, each the flat index
    h * W + w in its input plane (PyTorch's convention). Only dilation=1 is implemented.
    """
    return _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                name="max_pool2d"):
    """``max_pool2d`` whose errors name the layer `name` (``nn.MaxPool2d`` passes its own)."""
    kernel_size, stride, padding = _window_args(kernel_size, stride, padding)
    if dilation != 1 and pair(dilation, "dilation") != (1, 1):
        raise ShapeError(f"{name}: dilation={dilation!r} is not implemented (minidl's "
                         f"pooling kernels scan contiguous windows); only dilation=1 is")
    x, unbatched = _batched(input)
    sink = [] if return_indices else None
    y = MaxPool2d.apply(x, kernel_size, stride, padding, bool(ceil_mode), sink, name)
    if unbatched:
        y = y.squeeze(0)
    if not return_indices:
        return y
    indices = sink[0].astype(np.int64)
    return y, Tensor._make(indices[0] if unbatched else indices)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over each window; count_include_pad=True counts padding cells in the divisor.

    (N, C, H, W) or (C, H, W) -> (N, C, OH, OW) or (C, OH, OW). PyTorch's argument order;
    divisor_override is not implemented (only None).
    """
    return _avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)


def _avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                divisor_override, name="avg_pool2d"):
    """``avg_pool2d`` whose errors name the layer `name` (``nn.AvgPool2d`` passes its own)."""
    kernel_size, stride, padding = _window_args(kernel_size, stride, padding)
    if divisor_override is not None:
        raise ShapeError(f"{name}: divisor_override={divisor_override!r} is not "
                         f"implemented; only None is")
    x, unbatched = _batched(input)
    y = AvgPool2d.apply(x, kernel_size, stride, padding, bool(ceil_mode),
                        bool(count_include_pad), name)
    return y.squeeze(0) if unbatched else y


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size (an int, a pair, None keeps that input side).

    (N, C, H, W) or (C, H, W) -> (N, C, OH, OW) or (C, OH, OW).
    adaptive_avg_pool2d(x, 1) is global average pooling (GoogLeNet's last pooling layer).
    """
    return _adaptive_avg_pool2d(input, output_size)


def _adaptive_avg_pool2d(input, output_size, name="adaptive_avg_pool2d"):
    """``adaptive_avg_pool2d`` whose errors name the layer `name` (``nn.AdaptiveAvgPool2d``
    passes its own)."""
    if input.ndim not in (3, 4):
        raise ShapeError(f"{name}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) "
                         f"input, got shape {tuple(input.shape)}")
    if not isinstance(output_size, (tuple, list)):
        output_size = (output_size, output_size)
    if len(output_size) != 2:
        raise ShapeError(f"{name}: output_size must be an int or a pair, "
                         f"got {output_size!r}")
    size = tuple(input.shape[i - 2] if o is None else as_int(o, "output_size")
                 for i, o in enumerate(output_size))
    if min(size) < 1:
        raise ShapeError(f"{name}: output_size must be positive, got {output_size}")
    x, unbatched = _batched(input)
    y = AdaptiveAvgPool2d.apply(x, size, name)
    return y.squeeze(0) if unbatched else y
