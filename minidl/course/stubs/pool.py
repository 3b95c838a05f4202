"""Assignment `pool`: rebuild minidl's kernels/pool/reference.py: max pooling (with the overlapping
windows of AlexNet), average pooling and adaptive average pooling, forward and backward.

Fill in the bodies, then run
    python -m minidl.course check pool pool.py
A finished file can replace kernels/pool/reference.py (same names, same signatures); the
capstone trains AlexNet with it. Read docs/pooling.md first.

Shapes: x (N, C, H, W) -> y (N, C, OH, OW). The max and average functions take the layer's
windows as one value, `spec`, a PoolSpec (minidl/kernels/pool/spec.py): the fields KH, KW,
stride, padding, ceil_mode, count_include_pad, OH, OW, with stride and padding pairs (sh, sw),
(ph, pw); spec.kernel_size is (KH, KW). OH = floor((H + 2*ph - KH) / sh) + 1, rounded up with
ceil_mode except that a last window starting in the right padding is dropped: already in the
spec. To try your functions: spec = make_spec(x.shape, 3, stride=2, padding=0).

Output cell (oh, ow) pools the window rows oh*sh - ph .. oh*sh - ph + KH - 1 and columns
likewise, CLIPPED to the image: padding never takes part in a max.
"""
import numpy as np

from minidl.kernels.pool.spec import PoolSpec, make_spec  # noqa: F401


def max_pool2d_forward(x, spec):
    """(y, argmax): y (N, C, OH, OW) the window maxima, argmax (N, C, OH, OW) int32 the
    winner's flat index h*W + w in its input plane. Ties: the FIRST cell in row-major order.

        for oh, ow:
            h0, h1 = max(oh*sh - ph, 0), min(oh*sh - ph + KH, H)       # clipped window
            w0, w1 = likewise for ow
            window = x[:, :, h0:h1, w0:w1] as (N, C, (h1-h0)*(w1-w0))
            i = window.argmax(axis=2)                                     # first max wins
            y[:, :, oh, ow] = the max;  argmax = (h0 + i // (w1-w0)) * W + w0 + i % (w1-w0)
    """
    # TODO
    raise NotImplementedError("max_pool2d_forward")


def max_pool2d_backward(gy, argmax, x_shape, spec):
    """gx (N, C, H, W): each gy[n, c, oh, ow] ADDED to the input cell that won its window.

    With overlapping windows (AlexNet: 3×3 windows, stride 2) one cell can win two windows
    and must receive the SUM of their gradients (+=, never =).

        gx = zeros (N, C, H*W)
        for oh, ow:
            gx[n, c, argmax[n, c, oh, ow]] += gy[n, c, oh, ow]      (for all n, c at once)
        return gx as (N, C, H, W)
    """
    # TODO
    raise NotImplementedError("max_pool2d_backward")


def avg_pool2d_forward(x, spec):
    """y (N, C, OH, OW) = the window sum over the image cells / the divisor.

    The divisor (PyTorch's): with spec.count_include_pad, the window's cells inside the PADDED
    input (hs = oh*sh - ph, he = min(hs + KH, H + ph); (he - hs) * (we - ws)); without, only
    the cells inside the image ((min(he, H) - max(hs, 0)) * (min(we, W) - max(ws, 0))).
    """
    # TODO
    raise NotImplementedError("avg_pool2d_forward")


def avg_pool2d_backward(gy, x_shape, spec):
    """gx (N, C, H, W): each gy[n, c, oh, ow] / divisor ADDED to every image cell of its window."""
    # TODO
    raise NotImplementedError("avg_pool2d_backward")


def adaptive_avg_pool2d_forward(x, output_size):
    """y (N, C, OH, OW), (OH, OW) = output_size: row oh averages the input rows
    floor(oh*H/OH) .. ceil((oh+1)*H/OH) - 1, columns likewise (windows may overlap)."""
    # TODO
    raise NotImplementedError("adaptive_avg_pool2d_forward")


def adaptive_avg_pool2d_backward(gy, x_shape, output_size):
    """gx (N, C, H, W): each gy cell divided by its window's cell count, ADDED to the window."""
    # TODO
    raise NotImplementedError("adaptive_avg_pool2d_backward")
