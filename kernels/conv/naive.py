"""2-D convolution straight from its definition: five nested loops, no im2col, no trick.

Shapes: x (N, C, H, W), w (OC, C // groups, KH, KW), b (OC,) or None -> y (N, OC, OH, OW),
OH = (H + 2*ph - dh*(KH - 1) - 1) // sh + 1 (and OW likewise).

This is the loop `reference.py`'s docstring writes in pseudocode, run as it stands (only the
innermost sum over a group's input channels is a dot product). It is the first thing to read,
the slowest thing to run, and the test suite's oracle: it shares no code with the im2col
kernels, so agreeing with it means something. It accumulates in float64 whatever the input
dtype, so that it is the more accurate side of any comparison.
"""
import numpy as np


def conv2d_direct(x, w, b, spec):
    """y (N, OC, OH, OW) float64 = the convolution of x with w, plus b, by plain loops."""
    N, C, H, W = x.shape
    OC, Cg, KH, KW = w.shape
    OH, OW, groups = spec.OH, spec.OW, spec.groups
    stride, padding, dilation = spec.stride, spec.padding, spec.dilation
    y = np.zeros((N, OC, OH, OW))
    for oc in range(OC):
        g = oc // (OC // groups)                    # the group this output channel reads
        for oh in range(OH):
            for ow in range(OW):
                for kh in range(KH):
                    for kw in range(KW):
                        ih = oh * stride[0] - padding[0] + kh * dilation[0]
                        iw = ow * stride[1] - padding[1] + kw * dilation[1]
                        if 0 <= ih < H and 0 <= iw < W:      # outside: padding, zero
                            y[:, oc, oh, ow] += x[:, g * Cg:(g + 1) * Cg, ih, iw] @ w[oc, :, kh, kw]
        if b is not None:
            y[:, oc] += b[oc]
    return y
