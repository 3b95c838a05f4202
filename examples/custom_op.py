"""Your own op: Swish, y = x · sigmoid(x), as a minidl Function, checked as minidl checks its own.

    python examples/custom_op.py

Forward computes on raw arrays (NumPy or CuPy: `xp`); backward gets the output's gradient and
returns one gradient per input. Then three checks: the whole Jacobian by finite differences
("full"), one random directional derivative ("direction", for any size), and a hypothesis
property test over many shapes and values from `minidl.testing`. docs/custom-op.md explains
the pitfalls (kinks, ties, float64, random ops).
"""
from hypothesis import given, settings

import minidl
from minidl.autograd import Function
from minidl.backend import get_array_module
from minidl.testing import tensors


class Swish(Function):
    """x (any shape) -> y = x * sigmoid(x), same shape.

    dy/dx = s + x * s * (1 - s) with s = sigmoid(x): backward needs x and s, both saved.
    """

    @staticmethod
    def forward(ctx, x):
        xp = get_array_module(x)
        s = 1 / (1 + xp.exp(-x))
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx, gy):
        x, s = ctx.saved_tensors
        return gy * (s + x * s * (1 - s))


def swish(x):
    return Swish.apply(x)


@settings(max_examples=25, deadline=None)
@given(tensors())          # float64, any shape up to 4-D, some of them non-contiguous
def check_swish_gradient(x):
    assert minidl.gradcheck(swish, [x])


def main():
    x = minidl.tensor([[-2.0, -0.5, 0.0], [0.5, 1.0, 3.0]], dtype=minidl.float64,
                      requires_grad=True)
    print("swish(x) =", swish(x).data.round(4).tolist())
    assert minidl.gradcheck(swish, [x], mode="full")
    assert minidl.gradcheck(swish, [minidl.randn(64, 64, dtype=minidl.float64,
                                                 requires_grad=True)], mode="direction")
    check_swish_gradient()
    print("gradcheck full, gradcheck direction and the hypothesis property test: all pass")


if __name__ == "__main__":
    main()
