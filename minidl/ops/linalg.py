"""Matrix products: ``matmul`` (NumPy's rules: 1-D vectors, broadcast batch dims) and ``linear``.

For C = A @ B the gradients are dA = dC @ Bᵀ and dB = Aᵀ @ dC, summed over any batch
dimensions that broadcasting added.
"""
import math

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from ._util import ShapeError, result_type, sum_to_shape
from .elementwise import _operand


class MatMul(Function):
    @staticmethod
    def forward(ctx, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError("matmul: both operands need at least one dimension "
                             f"(got shapes {tuple(a.shape)} and {tuple(b.shape)})")
        k_a = a.shape[-1]
        k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if k_a != k_b:
            raise ShapeError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} do not "
                             f"align: {k_a} (last dim of the first) != {k_b} "
                             f"({'first' if b.ndim == 1 else 'second-to-last'} dim of the second)")
        na, nb = ctx.needs_input_grad
        ctx.save_for_backward(b if na else None, a if nb else None)
        ctx.shapes = (a.shape, b.shape)
        xp = get_array_module(a)
        try:
            return xp.matmul(a, b)
        except ValueError:
            raise ShapeError(f"matmul: batch dimensions of {tuple(a.shape)} and "
                             f"{tuple(b.shape)} cannot be broadcast") from None

    @staticmethod
    def backward(ctx, g):
        b, a = ctx.saved_tensors
        sa, sb = ctx.shapes
        xp = get_array_module(g)
        na, nb = ctx.needs_input_grad
        # Treat a vector as a matrix: a row on the left, a column on the right.
        sa2 = (1,) + sa if len(sa) == 1 else sa
        sb2 = sb + (1,) if len(sb) == 1 else sb
        batch = np.broadcast_shapes(sa2[:-2], sb2[:-2])
        g2 = g.reshape(batch + (sa2[-2], sb2[-1]))
        ga = gb = None
        if na:
            ga = sum_to_shape(xp.matmul(g2, xp.swapaxes(b.reshape(sb2), -1, -2)), sa2).reshape(sa)
        if nb:
            gb = sum_to_shape(xp.matmul(xp.swapaxes(a.reshape(sa2), -1, -2), g2), sb2).reshape(sb)
        return ga, gb


class Linear(Function):
    """y = x @ weightᵀ + bias with x (..., in), weight (out, in), bias (out,): y (..., out).
    A 1-D weight (in,) gives y = x @ weight of shape x.shape[:-1] (PyTorch's), its bias 0-d.

    input, weight and bias must share one float dtype (PyTorch's rule: no silent promotion).
    """

    @staticmethod
    def forward(ctx, x, weight, bias, name="linear"):
        """`name`: how errors name the layer (``nn.Linear`` passes its own)."""
        if (x.dtype != weight.dtype or x.dtype.kind != "f"
                or (bias is not None and bias.dtype != x.dtype)):
            got = (f"input {x.dtype}, weight {weight.dtype}"
                   + (f", bias {bias.dtype}" if bias is not None else ""))
            if x.dtype != weight.dtype:
                raise TypeError(f"{name}: input dtype {x.dtype} does not match the weight's "
                                f"dtype {weight.dtype} (input, weight and bias must share one "
                                f"float dtype, got {got}; cast one, e.g. x.float() or "
                                f"layer.double())")
            raise TypeError(f"{name}: input, weight and bias must share one float dtype, got "
                            f"{got}")
        if weight.ndim == 1:
            return Linear._forward_vector(ctx, x, weight, bias)
        if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
            got = x.shape[-1] if x.ndim else "?"
            expected = weight.shape[1] if weight.ndim == 2 else "?"
            raise ShapeError(f"{name}: input has {got} features, expected {expected} (input "
                             f"shape {tuple(x.shape)} needs weight of shape (out, {got}), got "
                             f"{tuple(weight.shape)})")
        if bias is not None and bias.shape != (weight.shape[0],):
            raise ShapeError(f"{name}: bias must have shape ({weight.shape[0]},), "
                             f"got {tuple(bias.shape)}")
        nx, nw, _ = ctx.needs_input_grad[:3]
        ctx.vector = False
        ctx.save_for_backward(x if nw else None, weight if nx else None)
        y = x @ weight.T
        if bias is not None:
            y += bias
        return y

    @staticmethod
    def _forward_vector(ctx, x, weight, bias):
        if x.ndim == 0 or x.shape[-1] != weight.shape[0]:
            raise ShapeError(f"linear: input of shape {tuple(x.shape)} needs weight of shape "
                             f"({x.shape[-1] if x.ndim else '?'},), got {tuple(weight.shape)}")
        if bias is not None and bias.shape != ():
            raise ShapeError(f"linear: with a 1-D weight the bias must be 0-d, got shape "
                             f"{tuple(bias.shape)}")
        nx, nw, _ = ctx.needs_input_grad[:3]
        ctx.vector = True
        ctx.save_for_backward(x if nw else None, weight if nx else None)
        xp = get_array_module(x)
        y = xp.asarray(xp.matmul(x, weight), dtype=x.dtype)
        if bias is not None:
            y = xp.asarray(y + bias, dtype=x.dtype)
        return y

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        nx, nw, nb = ctx.needs_input_grad[:3]
        if ctx.vector:  # y (...,) = x (..., in) @ weight (in,)
            gx = (g[..., None] * weight) if nx else None
            rows = math.prod(g.shape)
            gw = (g.reshape(rows) @ x.reshape(rows, x.shape[-1])) if nw else None
            gb = g.sum() if nb else None
            return gx, gw, (None if gb is None else get_array_module(g).asarray(gb)), None
        rows = math.prod(g.shape[:-1])        # spelled out: -1 fails on an empty batch
        g2 = g.reshape(rows, g.shape[-1])
        gx = (g @ weight) if nx else None
        gw = (g2.T @ x.reshape(rows, x.shape[-1])) if nw else None
        gb = g2.sum(axis=0) if nb else None
        return gx, gw, gb, None


# -- the functions (PyTorch names and argument checks); each calls one Function above ---------



def matmul(a, b):
    """Matrix product with NumPy's rules (vectors, broadcast batch dims); mixed dtypes promote
    (where PyTorch would refuse them)."""
    like = a if isinstance(a, Tensor) else b
    a, b = _operand(a, like), _operand(b, like)
    dtype = result_type(a, b)
    a, b = (x if x.dtype == dtype else x.to(dtype) for x in (a, b))
    try:
        return MatMul.apply(a, b)
    except ShapeError:
        raise
    except ValueError as e:  # shape mismatches: catchable as RuntimeError too, as in PyTorch
        raise ShapeError(str(e)) from None


def linear(input, weight, bias=None):
    """y = input @ weightᵀ + bias, weight (out_features, in_features) as in PyTorch."""
    return _linear(input, weight, bias)


def _linear(input, weight, bias, name="linear"):
    """``linear`` whose errors name the layer `name` (``nn.Linear`` passes its own)."""
    try:
        return Linear.apply(input, weight, bias, name)
    except ShapeError:
        raise
    except ValueError as e:
        raise ShapeError(str(e)) from None
