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
import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..kernels.conv.dispatch import conv_kernels
from ..kernels.shapes import as_int, conv_output_size, pair
from ..tensor import Tensor

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _describe(w, groups):
    OC, Cg, KH, KW = w.shape
    return f"conv2d({Cg * groups}→{OC}, k={KH}×{KW}, groups={groups})"


def _check(x, w, b, stride, padding, dilation, groups):
    if x.ndim != 4:
        raise ValueError(f"conv2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
                         f"shape {tuple(x.shape)}")
    if w.ndim != 4:
        raise ValueError(f"conv2d: expected a 4-D weight (OC, C/groups, KH, KW), got shape "
                         f"{tuple(w.shape)}")
    if x.dtype not in FLOATS or w.dtype != x.dtype or (b is not None and b.dtype != x.dtype):
        raise TypeError(f"conv2d: input, weight and bias must share one float dtype (float32 or "
                        f"float64), got input {x.dtype}, weight {w.dtype}"
                        + (f", bias {b.dtype}" if b is not None else ""))
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
        raise ValueError(f"conv2d: stride and dilation must be >= 1 and padding >= 0, got "
                         f"stride={stride}, padding={padding}, dilation={dilation}")
    if groups < 1:
        raise ValueError(f"conv2d: groups must be >= 1, got {groups}")
    name = _describe(w, groups)
    N, C, H, W = x.shape
    OC, Cg, KH, KW = w.shape
    if OC % groups:
        raise ValueError(f"{name}: {OC} output channels are not divisible by groups={groups}")
    if C % groups:
        raise ValueError(f"{name}: input has {C} channels, not divisible by groups={groups}")
    if C != Cg * groups:
        raise ValueError(f"{name}: input has {C} channels, expected {Cg * groups} (weight "
                         f"{tuple(w.shape)} holds {Cg} per group); for this input the weight "
                         f"should be ({OC}, {C // groups}, {KH}, {KW})")
    if b is not None and tuple(b.shape) != (OC,):
        raise ValueError(f"{name}: bias has shape {tuple(b.shape)}, expected ({OC},)")
    ekh, ekw = dilation[0] * (KH - 1) + 1, dilation[1] * (KW - 1) + 1
    ph, pw = H + 2 * padding[0], W + 2 * padding[1]
    if ekh > ph or ekw > pw:
        raise ValueError(f"{name}: kernel {KH}×{KW} (dilated {ekh}×{ekw}) is larger than the "
                         f"padded input {ph}×{pw} (input {H}×{W}, padding {padding[0]}×"
                         f"{padding[1]})")


class Conv2d(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups):
        _check(x, weight, bias, stride, padding, dilation, groups)
        ctx.args = (stride, padding, dilation, groups)
        ctx.has_bias = bias is not None
        ctx.save_for_backward(x, weight)
        if x.shape[0] == 0:                    # empty batch: an empty output, no kernel call
            OC, _, KH, KW = weight.shape
            out = tuple(conv_output_size(n, k, s, p, d) for n, k, s, p, d in
                        zip(x.shape[2:], (KH, KW), stride, padding, dilation))
            return get_array_module(x).zeros((0, OC) + out, dtype=x.dtype)
        ctx.kernels = conv_kernels(x, weight.shape, stride, dilation, groups)   # backward too
        return ctx.kernels.conv2d_forward(x, weight, bias, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, gy):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if x.shape[0] == 0:                    # nothing flowed through: zero gradients
            xp = get_array_module(x)
            return (xp.zeros_like(x) if need_x else None,
                    xp.zeros_like(weight) if need_w else None,
                    xp.zeros(weight.shape[0], dtype=gy.dtype) if need_b else None,
                    None, None, None, None)
        gx, gw, gb = ctx.kernels.conv2d_backward(
            gy, x, weight, *ctx.args, need_x, need_w, need_b and ctx.has_bias)
        return gx, gw, gb, None, None, None, None


def _same_padding(weight_shape, stride, dilation):
    """padding='same' as PyTorch: (symmetric padding, extra (h, w) cells on the bottom/right).

    The window spans dilation*(k-1) extra cells; half of them go on each side and, for an even
    span, the odd cell goes on the bottom/right.
    """
    if stride != (1, 1):
        raise ValueError(f"conv2d: padding='same' is not supported for strided convolutions "
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
            raise ValueError(f"conv2d: padding={padding!r} is not one of 'valid', 'same' "
                             f"or an int or pair of ints")
    else:
        padding = pair(padding, "padding")
    y = Conv2d.apply(input, weight, bias, stride, padding, dilation, as_int(groups, "groups"))
    return y.squeeze(0) if unbatched else y
