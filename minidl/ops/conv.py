"""``conv2d``: 2-D convolution (cross-correlation, as every framework computes it) with groups.

The arithmetic lives in ``minidl.kernels.conv`` (im2col + GEMM; read its ``reference.py``); this
file is the autograd node and the argument checks, which say which layer and shapes went wrong.

    input  (N, C, H, W)            float32 or float64
    weight (OC, C // groups, KH, KW)
    bias   (OC,) or None
    output (N, OC, OH, OW),  OH = (H + 2*padding - dilation*(KH - 1) - 1) // stride + 1
"""
import numpy as np

from ..autograd import Function
from ..kernels import select
from ..kernels.shapes import pair

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _describe(w, groups):
    OC, Cg, KH, KW = w.shape
    return f"conv2d({Cg * groups}→{OC}, k={KH}×{KW}, groups={groups})"


def _check(x, w, b, stride, padding, dilation, groups):
    if x.ndim != 4:
        raise ValueError(f"conv2d: expected a 4-D input (N, C, H, W), got shape {tuple(x.shape)}")
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
        return select("conv", x).conv2d_forward(x, weight, bias, stride, padding, dilation,
                                                groups)

    @staticmethod
    def backward(ctx, gy):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gx, gw, gb = select("conv", gy).conv2d_backward(
            gy, x, weight, *ctx.args, need_x, need_w, need_b and ctx.has_bias)
        return gx, gw, gb, None, None, None, None


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over an (N, C, H, W) batch; PyTorch's arguments and meaning.

    stride, padding, dilation: an int or an (h, w) pair. groups splits the channels into
    independent convolutions (AlexNet's two-GPU layers are groups=2).
    """
    return Conv2d.apply(input, weight, bias, pair(stride, "stride"), pair(padding, "padding"),
                        pair(dilation, "dilation"), int(groups))
