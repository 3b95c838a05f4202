"""``local_response_norm``: AlexNet's normalisation across neighbouring channels.

    b_c = a_c / (k + alpha * sum_{c' in window(c)} a_c'^2) ** beta,
    window(c) = c - size//2 .. c + (size-1)//2, clipped to the channels

Convention: **alpha multiplies the plain sum** (the paper, Chainer). PyTorch's
``torch.nn.functional.local_response_norm`` divides alpha by ``size``, as Caffe's LRN layer does:
minidl with alpha equals PyTorch (or Caffe) with alpha * size. The fused kernels are in
``minidl.kernels.lrn``.
"""
import math

import numpy as np

from ..autograd import Function
from ..kernels import select

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


class LocalResponseNorm(Function):
    @staticmethod
    def forward(ctx, x, size, alpha, beta, k):
        if x.ndim < 3:
            raise ValueError(f"local_response_norm: expected an input (N, C, ...) with at least "
                             f"3 dimensions, got shape {tuple(x.shape)}")
        if x.dtype not in FLOATS:
            raise TypeError(f"local_response_norm: expected a float32 or float64 input, "
                            f"got {x.dtype}")
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


def local_response_norm(input, size=5, alpha=1e-4, beta=0.75, k=2.0):
    """Normalise each activation by the energy of `size` neighbouring channels (AlexNet §3.3).

    The defaults are the paper's: n=5, alpha=1e-4, beta=0.75, k=2. alpha multiplies the plain
    sum (PyTorch's alpha is this alpha * size).
    """
    if int(size) != size or size < 1:
        raise ValueError(f"local_response_norm: size must be a positive int, got {size!r}")
    if k <= 0 or alpha < 0:
        # keeps the base k + alpha * sum positive, so its power is defined
        raise ValueError(f"local_response_norm: need k > 0 and alpha >= 0, got k={k}, "
                         f"alpha={alpha}")
    return LocalResponseNorm.apply(input, int(size), float(alpha), float(beta), float(k))
