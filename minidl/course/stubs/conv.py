"""Assignment `conv`: rebuild minidl's kernels/conv/reference.py, convolution as im2col + GEMM.

Fill in the four bodies, then run
    python -m minidl.course check conv conv.py
A finished file can replace kernels/conv/reference.py (same names, same signatures); the
capstone (`python -m minidl.course train DIR`) trains AlexNet with it. Read docs/im2col.md.

Shapes
    x   (N, C, H, W)              input
    w   (OC, C // groups, KH, KW) weights
    b   (OC,) or None             bias
    y   (N, OC, OH, OW)           OH = (H + 2*ph - dh*(KH - 1) - 1) // sh + 1, OW likewise
    col (C*KH*KW, N*OH*OW)        row (c, kh, kw), column (n, oh, ow)

Every function takes the layer's geometry as one value, `spec`, a ConvSpec
(minidl/kernels/conv/spec.py): the fields C, OC, KH, KW, stride, padding, dilation, groups,
OH, OW, with stride, padding, dilation pairs (sh, sw), (ph, pw), (dh, dw); read them as
spec.KH, spec.stride[0], ... To try your functions:
    spec = make_spec(x.shape, w.shape, stride=2, padding=1, dilation=1, groups=1)
"""
import numpy as np

from minidl.kernels.conv.spec import ConvSpec, make_spec  # noqa: F401


def im2col(x, spec):
    """x (N, C, H, W) -> col (C*KH*KW, N*OH*OW): every receptive field copied into a column.

        col[(c, kh, kw), (n, oh, ow)] = x[n, c, oh*sh - ph + kh*dh, ow*sw - pw + kw*dw]
                                        (0 where that cell is outside the image: padding)

    The fast way, one strided slice per (kh, kw):
        xp = x padded with zeros (ph rows above and below, pw columns left and right)
        col6 = empty (C, KH, KW, N, OH, OW)
        for kh, kw:
            window = xp[:, :, kh*dh : kh*dh + sh*OH : sh, kw*dw : kw*dw + sw*OW : sw]  # (N,C,OH,OW)
            col6[:, kh, kw] = window with axes (C, N, OH, OW)
        return col6.reshape(C*KH*KW, N*OH*OW)
    """
    # TODO
    raise NotImplementedError("im2col")


def col2im(col, x_shape, spec):
    """col (C*KH*KW, N*OH*OW) -> x (N, C, H, W): im2col's ADJOINT, each entry ADDED back.

    A cell covered by several windows (stride < kernel) was copied several times, so it
    receives the SUM of those entries (this is what the input gradient needs):

        xp = zeros (N, C, H + 2*ph, W + 2*pw)
        for kh, kw:
            xp[:, :, kh*dh : kh*dh + sh*OH : sh, kw*dw : kw*dw + sw*OW : sw] += (the (kh, kw)
                                                        rows of col, as (N, C, OH, OW))
        return xp without its padding: xp[:, :, ph:ph + H, pw:pw + W]
    """
    # TODO
    raise NotImplementedError("col2im")


def conv2d_forward(x, w, b, spec):
    """y (N, OC, OH, OW), C-contiguous, x's dtype = conv(x, w) + b.

        col = im2col(x, spec)                                        # (C*KH*KW, N*OH*OW)
        K = (C // groups) * KH * KW;  OCg = OC // groups
        for g in range(groups):                                      # one GEMM per group
            y2[g*OCg:(g+1)*OCg] = w[g*OCg:(g+1)*OCg].reshape(OCg, K) @ col[g*K:(g+1)*K]
        y2 += b[:, None]   (if b is not None)                        # y2 (OC, N*OH*OW)
        y = y2 as (OC, N, OH, OW), then axes (N, OC, OH, OW), made contiguous
    """
    # TODO
    raise NotImplementedError("conv2d_forward")


def conv2d_backward(gy, x, w, spec, needs):
    """(gx, gw, gb) for gy (N, OC, OH, OW); needs = (need_x, need_w, need_b), and each
    gradient is None when its flag is False (skip its work too).

        gy2 = gy as (OC, N*OH*OW)                     (axes (OC, N, OH, OW), then reshape)
        gb  = gy2.sum(axis=1)                                        (OC,)
        gw  = per group g: gy2[rows of g] @ col[rows of g].T, reshaped to (OCg, Cg, KH, KW)
        gcol = per group g: w_g.reshape(OCg, K).T @ gy2[rows of g]   (C*KH*KW, N*OH*OW)
        gx  = col2im(gcol, x.shape, spec)
    Each group's gradient uses ITS OWN rows of col and of gy2, never another group's.
    """
    # TODO
    raise NotImplementedError("conv2d_backward")
