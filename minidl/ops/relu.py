"""ReLU, f(x) = max(0, x). (Temporary plain-array version; the kernel-backed one replaces it.)"""
from ..autograd import Function
from ..backend import get_array_module


class ReLU(Function):
    @staticmethod
    def forward(ctx, x):
        y = get_array_module(x).maximum(x, 0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (y > 0)


def relu(input):
    """max(0, x) element-wise."""
    return ReLU.apply(input)
