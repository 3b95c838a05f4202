"""``local_response_norm``: AlexNet's normalisation across neighbouring channels.

    (N, C, *) -> (N, C, *), at least 3 dimensions
    b_c = a_c / (k + alpha / size * sum_{c' in window(c)} a_c'^2) ** beta,
    window(c) = c - size//2 .. c + (size-1)//2, clipped to the channels

Two conventions, side by side (they differ only in where ``size`` goes):

    PyTorch, Caffe, ONNX (this function, ``nn.LocalResponseNorm``):  k + alpha / size * sum
    the AlexNet paper, Chainer, ``minidl.kernels.lrn`` (the kernels):  k + alpha * sum

So the paper's n=5, alpha=1e-4, beta=0.75, k=2 is ``local_response_norm(x, 5, alpha=5e-4,
beta=0.75, k=2.0)`` here. PyTorch's defaults are alpha=1e-4, beta=0.75, k=1.

Where the division happens: this function converts once, ``alpha / size``, and hands the kernels
the paper's alpha (``LocalResponseNorm.apply(x, size, alpha / size, beta, k)``), which multiplies
the plain sum. For the paper nets' constants the conversion is exact (5e-4 / 5 == 1e-4 and
1e-4 / 5 == 2e-5 in float64), so they run exactly the floating-point operations they ran when
minidl took the paper's alpha. PyTorch computes ``alpha * (sum / size)`` instead: the same number
up to rounding (a few ulp), not bit for bit.
"""
import math

from ..autograd import Function
from ..kernels import select
from ._util import FLOATS, ShapeError


class LocalResponseNorm(Function):
    """The autograd node. Takes the **kernels' (the paper's) alpha**, on the plain sum;
    ``local_response_norm`` below converts PyTorch's."""

    @staticmethod
    def forward(ctx, x, size, alpha, beta, k):
        ctx.args = (size, alpha, beta, k)
        ctx.save_for_backward(x)                          # backward recomputes the scale
        if x.size == 0:                                   # empty batch: an empty result
            return x.copy()
        x4 = x.reshape(_as_4d(x.shape))                   # (N, C, ...) as (N, C, L, 1)
        return select("lrn", x).lrn_forward(x4, size, alpha, beta, k).reshape(x.shape)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        if x.size == 0:
            return gy.copy(), None, None, None, None
        shape4 = _as_4d(x.shape)
        gx = select("lrn", gy).lrn_backward(gy.reshape(shape4), x.reshape(shape4), *ctx.args)
        return gx.reshape(x.shape), None, None, None, None


def _as_4d(shape):
    """(N, C, d1, d2, ...) -> (N, C, d1*d2*..., 1), spelled out (-1 fails on empty arrays)."""
    return shape[0], shape[1], math.prod(shape[2:]), 1


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """(N, C, *) -> (N, C, *): each activation divided by the energy of `size` neighbouring
    channels (AlexNet §3.3), PyTorch's formula and defaults:

        b_c = a_c / (k + alpha / size * sum_{c' in window(c)} a_c'^2) ** beta

    The paper's constants (n=5, alpha=1e-4 on the plain sum, beta=0.75, k=2) in this convention:
    ``local_response_norm(x, 5, alpha=5e-4, beta=0.75, k=2.0)`` (alpha times size).
    """
    return _local_response_norm(input, size, alpha, beta, k)


def _local_response_norm(input, size, alpha, beta, k, name="local_response_norm"):
    """``local_response_norm`` whose errors name the layer `name` (``nn.LocalResponseNorm``
    passes its own): every check of LRN's input and arguments is here."""
    if input.ndim < 3:
        raise ShapeError(f"{name}: expected an input (N, C, *) with at least 3 dimensions, got "
                         f"shape {tuple(input.shape)}")
    if input.dtype not in FLOATS:
        raise TypeError(f"{name}: expected a float32 or float64 input, got {input.dtype}")
    if int(size) != size or size < 1:
        raise ShapeError(f"{name}: size must be a positive int, got {size!r}")
    if k <= 0 or alpha < 0:
        # keeps the base k + alpha * sum positive, so its power is defined
        raise ShapeError(f"{name}: need k > 0 and alpha >= 0, got k={k}, "
                         f"alpha={alpha}")
    size = int(size)
    # the kernels take the paper's alpha (on the plain sum): see the module docstring
    return LocalResponseNorm.apply(input, size, float(alpha) / size, float(beta), float(k))
