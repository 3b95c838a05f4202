"""Assignment `elementwise`: rebuild the backward rules of minidl's minidl/ops/elementwise.py.

The forwards are written for you; fill in each `backward`, then run
    python -m minidl.course check elementwise elementwise.py
The checker applies your classes to minidl Tensors (`Mul.apply(a, b)`), runs backward through
minidl's engine and compares with float64 finite differences. Read docs/autograd.md first.

Each backward gets `g`, the gradient w.r.t. the forward's output (the output's shape), and
returns one gradient per forward input, each of THAT input's shape. Binary ops broadcast:
(3, 1) * (4,) -> (3, 4), so each side's gradient must be summed back to its own shape with
sum_to_shape(grad, ctx.in_shapes[i]) (assignment `sum_to_shape`).
"""
import numpy as np

from minidl.autograd import Function
from minidl.ops._util import sum_to_shape  # noqa: F401  (your binary backwards need it)


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.in_shapes = (np.shape(a), np.shape(b))
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        """(ga, gb) for y = a * b.

            a, b = ctx.saved_tensors
            ga = sum_to_shape(g * b, shape of a)      d(a*b)/da = b
            gb = sum_to_shape(g * a, shape of b)
        """
        # TODO
        raise NotImplementedError("Mul.backward")


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.in_shapes = (np.shape(a), np.shape(b))
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        """(ga, gb) for y = a / b: d/da = 1 / b, d/db = -a / b**2 (each summed to its shape)."""
        # TODO
        raise NotImplementedError("Div.backward")


class Exp(Function):
    @staticmethod
    def forward(ctx, a):
        y = np.exp(a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        """g * dy/da with y = exp(a): the saved OUTPUT is the derivative."""
        # TODO
        raise NotImplementedError("Exp.backward")


class Log(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log(a)

    @staticmethod
    def backward(ctx, g):
        """d log(a)/da = 1 / a."""
        # TODO
        raise NotImplementedError("Log.backward")


class Sqrt(Function):
    @staticmethod
    def forward(ctx, a):
        y = np.sqrt(a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        """d sqrt(a)/da = 1 / (2 sqrt(a)): written with the saved output y."""
        # TODO
        raise NotImplementedError("Sqrt.backward")


class Tanh(Function):
    @staticmethod
    def forward(ctx, a):
        y = np.tanh(a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        """d tanh(a)/da = 1 - tanh(a)**2 = 1 - y**2."""
        # TODO
        raise NotImplementedError("Tanh.backward")


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, a):
        y = 1 / (1 + np.exp(-a))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        """d sigmoid(a)/da = y * (1 - y)."""
        # TODO
        raise NotImplementedError("Sigmoid.backward")
