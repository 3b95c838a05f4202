"""Element-wise ops with NumPy broadcasting and PyTorch's type promotion:
+ - * / ** // % neg exp log sqrt tanh sigmoid abs clamp maximum minimum clone cast (``where``
is in `select.py`, the other unary math in `unary.py`).

Each binary forward first brings its operands to one dtype (``promote``, PyTorch's rules: see
``_util.result_type``); each backward is the local derivative times the incoming gradient, then
``sum_to_shape`` undoes broadcasting. Non-Tensor operands (Python numbers) get no gradient.
"""
import builtins
import numbers

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from ._util import (ShapeError, as_scalar, check_broadcast, promote, result_type, sum_to_shape,
                    to_floating)


def _shape(a):
    return getattr(a, "shape", ())


def _is_arr(a):
    return hasattr(a, "shape")


def _setup(ctx, what, a, b):
    """Check that a and b broadcast, remember their shapes for sum_to_shape, and return them
    promoted to their common dtype."""
    check_broadcast(what, a, b)
    ctx.in_shapes = (_shape(a), _shape(b))
    return promote(a, b)


def _xp(a, b):
    return get_array_module(a if _is_arr(a) else b)


def _keep(ctx, a, b):
    """Save the array operands; remember the number ones as plain settings."""
    ctx.save_for_backward(a if _is_arr(a) else None, b if _is_arr(b) else None)
    ctx.scalars = (None if _is_arr(a) else a, None if _is_arr(b) else b)


def _kept(ctx):
    saved = ctx.saved_tensors
    return tuple(s if s is not None else c for s, c in zip(saved[:2], ctx.scalars))


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        a, b = _setup(ctx, "add", a, b)
        return a + b

    @staticmethod
    def backward(ctx, g):
        sa, sb = ctx.in_shapes
        na, nb = ctx.needs_input_grad
        return (sum_to_shape(g, sa) if na else None, sum_to_shape(g, sb) if nb else None)


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        a, b = _setup(ctx, "sub", a, b)
        return a - b

    @staticmethod
    def backward(ctx, g):
        sa, sb = ctx.in_shapes
        na, nb = ctx.needs_input_grad
        return (sum_to_shape(g, sa) if na else None, sum_to_shape(-g, sb) if nb else None)


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        a, b = _setup(ctx, "mul", a, b)
        na, nb = ctx.needs_input_grad
        # each side's gradient needs only the *other* side
        ctx.save_for_backward(b if na and _is_arr(b) else None, a if nb and _is_arr(a) else None)
        ctx.scalars = (None if _is_arr(a) else a, None if _is_arr(b) else b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        b, a = ctx.saved_tensors
        a_s, b_s = ctx.scalars
        na, nb = ctx.needs_input_grad
        ga = sum_to_shape(g * (b if b is not None else b_s), ctx.in_shapes[0]) if na else None
        gb = sum_to_shape(g * (a if a is not None else a_s), ctx.in_shapes[1]) if nb else None
        return ga, gb


class Div(Function):
    """True division: integers divide to float32, as in PyTorch."""

    @staticmethod
    def forward(ctx, a, b):
        # a Python int divides as its true value (uint8 / 300 is not uint8 / 44)
        a, b = (float(x) if type(x) is int else x for x in (a, b))
        a, b = _setup(ctx, "div", a, b)
        a, b = (to_floating(x) if _is_arr(x) else x for x in (a, b))
        _keep(ctx, a, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = _kept(ctx)
        na, nb = ctx.needs_input_grad
        ga = sum_to_shape(g / b, ctx.in_shapes[0]) if na else None
        gb = sum_to_shape(-g * a / (b * b), ctx.in_shapes[1]) if nb else None
        return ga, gb


class Pow(Function):
    """a ** b. d/da = b a^(b-1); d/db = a^b log a.

    At the corners PyTorch's conventions: where b == 0 the gradient w.r.t. a is 0 (even at
    a == 0, where b a^(b-1) would be 0 * inf); where a == 0 and b >= 0 the gradient w.r.t. b
    is 0 (a^b log a would be 0 * -inf).
    """

    @staticmethod
    def forward(ctx, a, b):
        a, b = _setup(ctx, "pow", a, b)
        xp = _xp(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = xp.asarray(xp.power(a, b))
        ctx.save_for_backward(a if _is_arr(a) else None, b if _is_arr(b) else None, y)
        ctx.scalars = (None if _is_arr(a) else a, None if _is_arr(b) else b)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b = _kept(ctx)
        y = ctx.saved_tensors[2]
        xp = get_array_module(g)
        na, nb = ctx.needs_input_grad
        ga = gb = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if na:
                ga = xp.where(b == 0, 0, g * b * xp.power(a, b - 1))
                ga = sum_to_shape(ga, ctx.in_shapes[0])
            if nb:
                log_a = xp.log(a if _is_arr(a) else xp.asarray(a, dtype=g.dtype))
                gb = xp.where((a == 0) & (b >= 0), 0, g * y * log_a)
                gb = sum_to_shape(gb, ctx.in_shapes[1])
        return ga, gb


class FloorDivide(Function):
    """a // b, rounding down (Python's and PyTorch's rule). Like PyTorch, it has no derivative:
    a float result joins the graph, but backpropagating through it raises."""

    @staticmethod
    def forward(ctx, a, b):
        a, b = _setup(ctx, "floor_divide", a, b)
        _check_int_divisor(a, b, "floor_divide")
        with np.errstate(divide="ignore", invalid="ignore"):
            return _xp(a, b).floor_divide(a, b)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("the derivative of floor_divide (//) is not implemented (as in "
                           "PyTorch); use torch-style a.div(b) and floor it outside the graph")


class Remainder(Function):
    """a % b with the sign of b (Python's and PyTorch's rule). d/da = 1, d/db = -floor(a / b)."""

    @staticmethod
    def forward(ctx, a, b):
        a, b = _setup(ctx, "remainder", a, b)
        _check_int_divisor(a, b, "remainder")
        _keep(ctx, a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _xp(a, b).remainder(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = _kept(ctx)
        na, nb = ctx.needs_input_grad
        ga = sum_to_shape(g, ctx.in_shapes[0]) if na else None
        gb = None
        if nb:
            gb = sum_to_shape(-g * get_array_module(g).floor_divide(a, b), ctx.in_shapes[1])
        return ga, gb


def _check_int_divisor(a, b, what):
    """Integer division by zero raises, as in PyTorch (NumPy would quietly give 0)."""
    if (a if _is_arr(a) else b).dtype.kind in "biu" and not bool((b != 0).all()
                                                                 if _is_arr(b) else b != 0):
        raise ZeroDivisionError(f"{what}: integer division by zero")


class Neg(Function):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        return -g


class Exp(Function):
    @staticmethod
    def forward(ctx, a):
        y = get_array_module(a).exp(to_floating(a))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


class Log(Function):
    @staticmethod
    def forward(ctx, a):
        a = to_floating(a)
        ctx.save_for_backward(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return get_array_module(a).log(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return g / a


class Sqrt(Function):
    """d/da sqrt(a) = 1 / (2 sqrt(a)): inf at 0, as in PyTorch."""

    @staticmethod
    def forward(ctx, a):
        with np.errstate(invalid="ignore"):
            y = get_array_module(a).sqrt(to_floating(a))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return g / (2 * y)


class Tanh(Function):
    @staticmethod
    def forward(ctx, a):
        y = get_array_module(a).tanh(to_floating(a))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (1 - y * y)


class Sigmoid(Function):
    """1 / (1 + exp(-a)), computed from e = exp(-|a|) <= 1 so nothing overflows and tiny values
    keep their precision: sigmoid(-50) is 1.9e-22, not 0 (so log(sigmoid(-50)) is -50)."""

    @staticmethod
    def forward(ctx, a):
        a = to_floating(a)
        xp = get_array_module(a)
        e = xp.exp(-xp.abs(a))
        y = xp.where(a >= 0, 1 / (1 + e), e / (1 + e))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y * (1 - y)


class Abs(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return builtins.abs(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * get_array_module(a).sign(a)


class Clamp(Function):
    """Elements limited to [lo, hi] (either may be None). As in PyTorch the gradient passes
    where lo <= a <= hi, boundaries included, and is 0 outside (and at NaN)."""

    @staticmethod
    def forward(ctx, a, lo, hi):
        xp = get_array_module(a)
        dtype = result_type(a, *(v for v in (lo, hi) if v is not None))
        a = a.astype(dtype, copy=False)
        inside = xp.ones(a.shape, dtype=bool)
        y = a
        if lo is not None:
            inside &= a >= lo
            y = xp.maximum(y, xp.asarray(lo, dtype=dtype))
        if hi is not None:
            inside &= a <= hi
            y = xp.minimum(y, xp.asarray(hi, dtype=dtype))
        ctx.save_for_backward(inside if ctx.needs_input_grad[0] else None)
        return y  # a new array; NaN stays NaN (maximum/minimum propagate it), as in PyTorch

    @staticmethod
    def backward(ctx, g):
        (inside,) = ctx.saved_tensors
        return g * inside, None, None


class Maximum(Function):
    """Element-wise max. Like PyTorch: where a == b each side gets half the gradient; where
    either is NaN (the result is NaN) both get all of it."""

    @staticmethod
    def forward(ctx, a, b):
        a, b = _setup(ctx, "maximum", a, b)
        _keep(ctx, a, b)
        return _xp(a, b).maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = _kept(ctx)
        xp = get_array_module(g)
        shared = xp.where(a == b, g / 2, g)
        na, nb = ctx.needs_input_grad
        ga = sum_to_shape(xp.where(a < b, 0, shared), ctx.in_shapes[0]) if na else None
        gb = sum_to_shape(xp.where(a > b, 0, shared), ctx.in_shapes[1]) if nb else None
        return ga, gb


class Minimum(Function):
    """Element-wise min, the mirror of Maximum."""

    @staticmethod
    def forward(ctx, a, b):
        a, b = _setup(ctx, "minimum", a, b)
        _keep(ctx, a, b)
        return _xp(a, b).minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = _kept(ctx)
        xp = get_array_module(g)
        shared = xp.where(a == b, g / 2, g)
        na, nb = ctx.needs_input_grad
        ga = sum_to_shape(xp.where(a > b, 0, shared), ctx.in_shapes[0]) if na else None
        gb = sum_to_shape(xp.where(a < b, 0, shared), ctx.in_shapes[1]) if nb else None
        return ga, gb


class Clone(Function):
    """A copy with its own memory; the gradient passes through unchanged."""

    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, g):
        return g


class Cast(Function):
    @staticmethod
    def forward(ctx, a, dtype):
        ctx.dtype_in = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.dtype_in), None


# -- the functions (PyTorch names and argument checks); each calls one Function above ---------

def _operand(x, like):
    """A Tensor stays; a number stays a (weak) Python scalar; an array becomes a Tensor."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (numbers.Number, np.generic)):
        return as_scalar(x)
    return Tensor(like.xp.asarray(x))


def _binary(fn, a, b):
    like = a if isinstance(a, Tensor) else b
    return fn.apply(_operand(a, like), _operand(b, like))


def add(a, b, *, alpha=1):
    """a + alpha * b."""
    return _binary(Add, a, b if alpha == 1 else mul(b, alpha))


def sub(a, b, *, alpha=1):
    """a - alpha * b."""
    return _binary(Sub, a, b if alpha == 1 else mul(b, alpha))


def mul(a, b):
    return _binary(Mul, a, b)


def div(a, b):
    """True division (integers give float32)."""
    return _binary(Div, a, b)


def pow(a, b):
    return _binary(Pow, a, b)


def floor_divide(a, b):
    """a // b, rounded down (not differentiable, as in PyTorch)."""
    return _binary(FloorDivide, a, b)


def remainder(a, b):
    """a % b, with the sign of b (Python's rule)."""
    return _binary(Remainder, a, b)


def maximum(a, b):
    return _binary(Maximum, a, b)


def minimum(a, b):
    return _binary(Minimum, a, b)


def neg(a):
    return Neg.apply(a)


def exp(a):
    return Exp.apply(a)


def log(a):
    return Log.apply(a)


def sqrt(a):
    return Sqrt.apply(a)


def tanh(input):
    return Tanh.apply(input)


def sigmoid(input):
    return Sigmoid.apply(input)


def abs(a):
    return Abs.apply(a)


def clone(a):
    """A copy in its own memory that stays in the graph (the gradient passes through)."""
    return Clone.apply(a)


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor._make(x)


def clamp(input, min=None, max=None):
    """Limit the elements to [min, max] (either may be None). The gradient passes where
    min <= input <= max and is 0 elsewhere, as in PyTorch. Tensor bounds also work
    (as ``where``s, so they get gradients too)."""
    if min is None and max is None:
        raise ShapeError("clamp: at least one of min and max must be given")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = where(_as_tensor(out < min), min, out)
        if max is not None:
            out = where(_as_tensor(out > max), max, out)
        return out
    return Clamp.apply(input, as_scalar(min), as_scalar(max))


clip = clamp


# where, allclose and equal are in select.py, the other unary math (exp2, log2, sin, ...,
# sign, round) in unary.py; both importable from here
from .select import Where, allclose, equal, where  # noqa: E402,F401
from .unary import (Ceil, Cos, Exp2, Expm1, Floor, Log1p, Log2, Log10, Reciprocal,  # noqa: E402,F401
                    Round, Rsqrt, Sign, Sin, Square, Unary, ceil, cos, exp2, expm1, floor, log1p,
                    log2, log10, positive, reciprocal, round, rsqrt, sign, sin, square)
