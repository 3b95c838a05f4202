"""``conv2d``: 2-D convolution (cross-correlation, as every framework computes it) with groups.

The arithmetic lives in ``minidl.kernels.conv`` (im2col + GEMM, read its ``reference.py``; and
Winograd for 3×3 layers, ``winograd_reference.py``; ``dispatch.py`` picks per layer); this file
is the autograd node and the argument checks, which say which layer and shapes went wrong.

    input  (N, C, H, W)            float32 or float64
    weight (OC, C // groups, KH, KW)
    bias   (OC,) or None
    output (N, OC, OH, OW),  OH = (H + 2*padding - dilation*(KH - 1) - 1) // stride + 1

An unbatched (C, H, W) input gives a (OC, OH, OW) output (a batch of one, as PyTorch), and an
empty batch (N = 0) an empty output without calling the kernels.
"""
from ..autograd import Function
from ..backend import get_array_module
from ..kernels.conv.dispatch import backward_kernels, conv_kernels
from ..kernels.conv.spec import conv_spec
from ..kernels.shapes import as_int, pair
from ..tensor import Tensor
from ._util import FLOATS, ShapeError


def _check_dtypes(x, w, b, name):
    if x.dtype not in FLOATS or w.dtype != x.dtype or (b is not None and b.dtype != x.dtype):
        raise TypeError(f"{name}: input, weight and bias must share one float dtype (float32 or "
                        f"float64), got input {x.dtype}, weight {w.dtype}"
                        + (f", bias {b.dtype}" if b is not None else ""))


class Conv2d(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups, name):
        """`name`: how errors name the layer (None: the spec's ``conv2d(C→OC, ...)``)."""
        spec = conv_spec(weight.shape, stride, padding, dilation, groups, x_shape=x.shape,
                         b_shape=None if bias is None else bias.shape, name=name)
        _check_dtypes(x, weight, bias, name or "conv2d")
        ctx.spec = spec
        ctx.has_bias = bias is not None
        ctx.save_for_backward(x, weight)
        if x.shape[0] == 0:                    # empty batch: an empty output, no kernel call
            return get_array_module(x).zeros(spec.out_shape(0), dtype=x.dtype)
        ctx.kernels = conv_kernels(x, spec, weight)   # the same kernels run backward
        return ctx.kernels.conv2d_forward(x, weight, bias, spec)

    @staticmethod
    def backward(ctx, gy):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if x.shape[0] == 0:                    # nothing flowed through: zero gradients
            xp = get_array_module(x)
            return (xp.zeros_like(x) if need_x else None,
                    xp.zeros_like(weight) if need_w else None,
                    xp.zeros(weight.shape[0], dtype=gy.dtype) if need_b else None,
                    None, None, None, None, None)
        kernels = backward_kernels(ctx.kernels, gy)
        gx, gw, gb = kernels.conv2d_backward(gy, x, weight, ctx.spec,
                                             (need_x, need_w, need_b and ctx.has_bias))
        return gx, gw, gb, None, None, None, None, None


def _same_padding(weight_shape, stride, dilation):
    """padding='same' as PyTorch: (symmetric padding, extra (h, w) cells on the bottom/right).

    The window spans dilation*(k-1) extra cells; half of them go on each side and, for an even
    span, the odd cell goes on the bottom/right.
    """
    if stride != (1, 1):
        raise ShapeError(f"conv2d: padding='same' is not supported for strided convolutions "
                         f"(stride={stride}), as in PyTorch")
    spans = [d * (k - 1) for d, k in zip(dilation, weight_shape[-2:])]
    return tuple(t // 2 for t in spans), tuple(t % 2 for t in spans)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over an (N, C, H, W) batch or one (C, H, W) image; PyTorch's arguments.

    stride, dilation: an int or an (h, w) pair. padding: the same, or PyTorch's strings
    'valid' (no padding) and 'same' (stride 1 only: the output keeps the input's size; an even
    window's extra cell is padded on the bottom/right). groups splits the channels into
    independent convolutions (AlexNet's two-GPU layers are groups=2).
    """
    return _conv2d(input, weight, bias, stride, padding, dilation, groups)


def _conv2d(input, weight, bias, stride, padding, dilation, groups, name=None):
    """``conv2d`` whose errors name the layer `name` (``nn.Conv2d`` passes its own); every
    check of a convolution's arguments and input is here or in ``conv_spec``."""
    stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
    unbatched = isinstance(input, Tensor) and input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0, 0)
        elif padding == "same":
            padding, (eh, ew) = _same_padding(tuple(weight.shape), stride, dilation)
            if eh or ew:
                from . import pad
                input = pad(input, (0, ew, 0, eh))
        else:
            raise ShapeError(f"conv2d: padding={padding!r} is not one of 'valid', 'same' "
                             f"or an int or pair of ints")
    else:
        padding = pair(padding, "padding")
    y = Conv2d.apply(input, weight, bias, stride, padding, dilation, as_int(groups, "groups"),
                     name)
    return y.squeeze(0) if unbatched else y
