"""Unary math beyond the basic ops of `elementwise.py`: exp2, log2, log10, log1p, expm1, sin,
cos, rsqrt, reciprocal, square, and the piecewise-constant floor, ceil, sign, round (a zero
gradient, as in PyTorch).

Each is one subclass of ``Unary``, given as ``y = f(a)`` and its local derivative
``dy/da = local(a, y)``; backward multiplies that by the incoming gradient.
"""
import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ._util import to_floating
from .elementwise import clone


class Unary(Function):
    """Base of the simple unary ops below: subclasses give ``f(xp, a)`` and the local
    derivative ``local(xp, a, y)``; ``floating`` says whether integers first become float32
    (exp2, log2, ...) or keep their dtype (square, sign, round, ...)."""

    floating = True

    @classmethod
    def forward(cls, ctx, a, *args):
        xp = get_array_module(a)
        if cls.floating:
            a = to_floating(a)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            y = xp.asarray(cls.f(xp, a, *args))
        ctx.save_for_backward(a, y)
        ctx.n_args = len(args)
        return y

    @classmethod
    def backward(cls, ctx, g):
        a, y = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return (g * cls.local(get_array_module(g), a, y),) + (None,) * ctx.n_args


def _unary(name, f, local, floating=True, doc=""):
    return type(name, (Unary,), {"f": staticmethod(f), "local": staticmethod(local),
                                 "floating": floating, "__doc__": doc})


def _zero_grad(xp, a, y):
    return xp.zeros_like(a)


_LN2, _LN10 = float(np.log(2.0)), float(np.log(10.0))
Exp2 = _unary("Exp2", lambda xp, a: xp.exp2(a), lambda xp, a, y: y * _LN2)
Log2 = _unary("Log2", lambda xp, a: xp.log2(a), lambda xp, a, y: 1 / (a * _LN2))
Log10 = _unary("Log10", lambda xp, a: xp.log10(a), lambda xp, a, y: 1 / (a * _LN10))
Log1p = _unary("Log1p", lambda xp, a: xp.log1p(a), lambda xp, a, y: 1 / (1 + a))
Expm1 = _unary("Expm1", lambda xp, a: xp.expm1(a), lambda xp, a, y: y + 1)
Sin = _unary("Sin", lambda xp, a: xp.sin(a), lambda xp, a, y: xp.cos(a))
Cos = _unary("Cos", lambda xp, a: xp.cos(a), lambda xp, a, y: -xp.sin(a))
Rsqrt = _unary("Rsqrt", lambda xp, a: 1 / xp.sqrt(a), lambda xp, a, y: -0.5 * y * y * y)
Reciprocal = _unary("Reciprocal", lambda xp, a: 1 / a, lambda xp, a, y: -y * y)
Square = _unary("Square", lambda xp, a: a * a, lambda xp, a, y: 2 * a, floating=False)
# piecewise constant: a zero gradient, as in PyTorch; integers keep their dtype
Sign = _unary("Sign", lambda xp, a: xp.sign(a), _zero_grad, floating=False)
Floor = _unary("Floor", lambda xp, a: xp.floor(a) if a.dtype.kind == "f" else a.copy(),
               _zero_grad, floating=False)
Ceil = _unary("Ceil", lambda xp, a: xp.ceil(a) if a.dtype.kind == "f" else a.copy(),
              _zero_grad, floating=False)
Round = _unary("Round", lambda xp, a, decimals: xp.round(a, decimals), _zero_grad,
               floating=False, doc="Round half to even (PyTorch's and NumPy's rule).")


# -- the functions of the other unary math -----------------------------------------------------

def _unary_op(fn, doc):
    def op(input):
        return fn.apply(input)
    op.__doc__ = doc
    return op


exp2 = _unary_op(Exp2, "2 ** x (integers give float32).")
log2 = _unary_op(Log2, "Base-2 logarithm.")
log10 = _unary_op(Log10, "Base-10 logarithm.")
log1p = _unary_op(Log1p, "log(1 + x), accurate for small x.")
expm1 = _unary_op(Expm1, "exp(x) - 1, accurate for small x.")
sin = _unary_op(Sin, "Sine.")
cos = _unary_op(Cos, "Cosine.")
rsqrt = _unary_op(Rsqrt, "1 / sqrt(x).")
reciprocal = _unary_op(Reciprocal, "1 / x (integers give float32).")
square = _unary_op(Square, "x * x (integers stay integers).")
floor = _unary_op(Floor, "Round down (zero gradient; integers stay as they are).")
ceil = _unary_op(Ceil, "Round up (zero gradient; integers stay as they are).")


def sign(input):
    """-1, 0 or 1 by the sign of x (zero gradient; bool stays bool, as in PyTorch)."""
    return clone(input) if input.dtype == bool else Sign.apply(input)


def round(input, *, decimals=0):
    """Round half to even to `decimals` places (zero gradient)."""
    return Round.apply(input, int(decimals))


def positive(input):
    """+x: the tensor itself (PyTorch refuses bool)."""
    if input.dtype == bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input
