"""Choosing and comparing elements: ``where(cond, a, b)`` (a differentiable select, with
broadcasting and PyTorch's type promotion), ``allclose`` and ``equal`` (a Python bool, no graph).
"""
from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from ._util import check_broadcast, promote, result_type, sum_to_shape
from .elementwise import _is_arr, _operand, _shape


class Where(Function):
    """where(cond, a, b): a where cond is true, else b. `cond` gets no gradient."""

    @staticmethod
    def forward(ctx, cond, a, b):
        xp = get_array_module(cond)
        check_broadcast("where", cond, a)
        check_broadcast("where", cond, b)
        check_broadcast("where", a, b)
        ctx.in_shapes = (_shape(cond), _shape(a), _shape(b))
        a, b = promote(a, b)
        ctx.save_for_backward(cond)
        y = xp.where(cond, a, b)
        return y if _is_arr(a) or _is_arr(b) else y.astype(result_type(a, b))

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        _, na, nb = ctx.needs_input_grad
        xp, zero = get_array_module(g), g.dtype.type(0)
        ga = sum_to_shape(xp.where(cond, g, zero), ctx.in_shapes[1]) if na else None
        gb = sum_to_shape(xp.where(cond, zero, g), ctx.in_shapes[2]) if nb else None
        return None, ga, gb


_NOTHING = object()


def where(condition, a=_NOTHING, b=_NOTHING):
    """Elements of `a` where `condition` holds, else of `b` (broadcasting). ``where(cond)``
    alone is ``nonzero(cond, as_tuple=True)``."""
    if a is _NOTHING and b is _NOTHING:
        if not isinstance(condition, Tensor):
            raise TypeError("where(condition): condition must be a Tensor")
        from .extras import nonzero  # the PyTorch-compat one-argument form
        return nonzero(condition, as_tuple=True)
    if a is _NOTHING or b is _NOTHING:
        raise TypeError("where: give both input and other, or neither")
    like = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else condition
    cond = condition.data if isinstance(condition, Tensor) else like.xp.asarray(condition)
    if cond.dtype != bool:
        raise TypeError(f"where: condition must be boolean, got {cond.dtype}")
    return Where.apply(cond, _operand(a, like), _operand(b, like))


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether all elements satisfy |a - b| <= atol + rtol * |b| (a Python bool, no graph)."""
    a = a.data if isinstance(a, Tensor) else a
    b = b.data if isinstance(b, Tensor) else b
    xp = get_array_module(a if hasattr(a, "shape") else b)
    return bool(xp.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(a, b):
    """Whether `a` and `b` have the same shape and the same elements (a Python bool)."""
    if tuple(a.shape) != tuple(b.shape):
        return False
    return bool((a.data == b.data).all())
