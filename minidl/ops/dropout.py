"""``dropout``: inverted dropout, p = probability of DROPPING an element (PyTorch's meaning).

While training, each element is zeroed with probability p and the survivors are scaled by
1 / (1 - p), so the expected activation is unchanged and evaluation uses the network as is
(``training=False`` returns the input untouched). The mask is a bool array (one byte per
element), kept for backward.

Randomness: each call draws one 64-bit key from a ``minidl.Generator`` (the default one unless
`generator` is given; ``minidl.manual_seed`` seeds it), and the kernels hash (key, element
index) into the mask (``minidl.kernels.dropout.reference`` explains the hash), so a seeded run
reproduces its masks, and the CPU and CUDA kernels give the same mask for the same key.
"""
import numbers

import numpy as np

from ..autograd import Function
from ..kernels import select
from ..random import get_generator
from ._util import FLOATS, ShapeError


class Dropout(Function):
    @staticmethod
    def forward(ctx, x, p, key):
        y, mask = select("dropout", x).dropout_forward(x, p, key)
        ctx.p = p
        ctx.save_for_backward(mask)
        return y

    @staticmethod
    def backward(ctx, gy):
        (mask,) = ctx.saved_tensors
        return select("dropout", gy).dropout_backward(gy, mask, ctx.p), None, None


def dropout(input, p=0.5, training=True, inplace=False, *, generator=None):
    """Zero each element with probability p in [0, 1] and scale the rest by 1/(1-p) (training
    only; p = 1 gives zeros, as PyTorch).
    PyTorch's signature; ``inplace=True`` writes into `input` when it is outside the graph
    and computes out of place otherwise (minidl records no in-place ops)."""
    out = _dropout(input, p, training, generator)
    if inplace and out is not input and out.grad_fn is None and not input.requires_grad:
        input.data[...] = out.data
        return input
    return out


def check_p(p, name="dropout"):
    """`p`, the probability of dropping an element, checked for ``F.dropout`` (each call) and
    ``nn.Dropout`` (its constructor): a number (TypeError otherwise) in [0, 1]."""
    if not isinstance(p, numbers.Real) or isinstance(p, bool):
        raise TypeError(f"{name}: p must be a number in [0, 1], got {type(p).__name__} {p!r}")
    if not 0 <= p <= 1:
        raise ShapeError(f"{name}: p must be in [0, 1] (p is the probability of dropping an "
                         f"element), got {p}")


def _dropout(input, p, training, generator):
    check_p(p)
    if input.dtype not in FLOATS:
        raise TypeError(f"dropout: expected a float32 or float64 input, got {input.dtype}")
    if not training or p == 0:
        return input
    if p == 1:  # everything dropped: zeros (input * 0, as PyTorch), zero gradient
        return input * 0.0
    key = int(get_generator(generator).np.integers(0, 2 ** 64, dtype=np.uint64))
    return Dropout.apply(input, float(p), key)
