"""2-D convolution as im2col + GEMM, in plain NumPy: the teaching version and the test oracle.

Shapes (`spec`: the layer's ConvSpec, `spec.py`: C, OC, KH, KW, stride, padding, dilation,
------  groups, OH, OW)
    x   (N, C, H, W)              input
    w   (OC, C // groups, KH, KW) weights
    b   (OC,) or None             bias
    y   (N, OC, OH, OW)           output, C-contiguous

    OH = (H + 2*ph - dh*(KH - 1) - 1) // sh + 1      (and OW likewise with W, pw, dw, KW, sw)

What it computes (the naive loop):

    for n, oc, oh, ow:
        g = oc // (OC // groups)                      # the group this output channel belongs to
        y[n, oc, oh, ow] = b[oc] + sum over c in group g, kh, kw of
            w[oc, c - g*C//groups, kh, kw] * x[n, c, oh*sh - ph + kh*dh, ow*sw - pw + kw*dw]
        (input cells outside the image count as zero: that is the padding)

The trick: im2col
-----------------
Copy every receptive field into a column of a matrix; the convolution is then one matrix product,
which BLAS runs near the machine's peak:

    col  (C*KH*KW, N*OH*OW)     row (c, kh, kw), column (n, oh, ow):
         col[(c, kh, kw), (n, oh, ow)] = x[n, c, oh*sh - ph + kh*dh, ow*sw - pw + kw*dw]
    y    = w.reshape(OC, C*KH*KW) @ col       -> (OC, N*OH*OW), then reordered to (N, OC, OH, OW)

With `groups`, the rows of `col` split into `groups` consecutive blocks of (C/groups)*KH*KW rows,
the output channels into `groups` blocks, and each block pair is its own GEMM.

Worked example, AlexNet conv1: a 227×227×3 image, 96 kernels of 11×11×3, stride 4, no padding.
OH = OW = (227 - 11) // 4 + 1 = 55, so each image gives a column matrix of 3*11*11 = 363 rows by
55*55 = 3025 columns; the layer is a (96 × 363) @ (363 × 3025) product per image. In float32 the
column matrix takes 363*3025*4 bytes = 4.4 MB per image, 7.1× the 0.6 MB image itself (an interior
pixel is copied into (11/4)² ≈ 7.6 columns on average, at most 3×3 = 9): 141 MB for a batch of 32,
which is why the fast kernels fill it a few images at a time.

Backward, with gy (N, OC, OH, OW):
    gb   = gy summed over n, oh, ow
    gw   = gy (OC, N*OH*OW) @ col.T           (per group)
    gcol = w.T @ gy (OC, N*OH*OW)             (per group), then col2im adds each column back into
    gx   = col2im(gcol)                       the input cells it was copied from.
"""
import numpy as np


def im2col(x, spec):
    """x (N, C, H, W) -> col (C*KH*KW, N*OH*OW); see the module docstring for the layout."""
    N, C, H, W = x.shape
    KH, KW, OH, OW = spec.KH, spec.KW, spec.OH, spec.OW
    (sh, sw), (ph, pw), (dh, dw) = spec.stride, spec.padding, spec.dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    col = np.empty((C, KH, KW, N, OH, OW), dtype=x.dtype)
    for kh in range(KH):
        for kw in range(KW):
            # every output position reads the padded input at (oh*sh + kh*dh, ow*sw + kw*dw)
            window = xp[:, :, kh * dh: kh * dh + sh * OH: sh, kw * dw: kw * dw + sw * OW: sw]
            col[:, kh, kw] = window.transpose(1, 0, 2, 3)
    return col.reshape(C * KH * KW, N * OH * OW)


def col2im(col, x_shape, spec):
    """col (C*KH*KW, N*OH*OW) -> x (N, C, H, W): each column entry is added back to its cell.

    Cells covered by several windows (stride < kernel) receive the sum of their copies; this is
    the adjoint of im2col, which is what the input gradient needs.
    """
    N, C, H, W = x_shape
    KH, KW, OH, OW = spec.KH, spec.KW, spec.OH, spec.OW
    (sh, sw), (ph, pw), (dh, dw) = spec.stride, spec.padding, spec.dilation
    col = col.reshape(C, KH, KW, N, OH, OW)
    xp = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=col.dtype)
    for kh in range(KH):
        for kw in range(KW):
            # within one (kh, kw) the cells are distinct, so a plain += is exact
            xp[:, :, kh * dh: kh * dh + sh * OH: sh, kw * dw: kw * dw + sw * OW: sw] += \
                col[:, kh, kw].transpose(1, 0, 2, 3)
    return xp[:, :, ph: ph + H, pw: pw + W].copy()


def conv2d_forward(x, w, b, spec):
    """y (N, OC, OH, OW) = conv(x (N, C, H, W), w (OC, C//groups, KH, KW)) + b."""
    N = x.shape[0]
    OC, Cg, KH, KW = w.shape
    OH, OW, groups = spec.OH, spec.OW, spec.groups
    col = im2col(x, spec)                                         # (C*KH*KW, N*OH*OW)
    K, OCg = Cg * KH * KW, OC // groups
    y = np.empty((OC, N * OH * OW), dtype=x.dtype)
    for g in range(groups):
        y[g * OCg:(g + 1) * OCg] = w[g * OCg:(g + 1) * OCg].reshape(OCg, K) @ col[g * K:(g + 1) * K]
    if b is not None:
        y += b[:, None]
    return np.ascontiguousarray(y.reshape(OC, N, OH, OW).transpose(1, 0, 2, 3))


def conv2d_backward(gy, x, w, spec, needs):
    """(gx, gw, gb) for gy (N, OC, OH, OW); `needs` = (need_x, need_w, need_b), and each
    gradient is None when its flag is False."""
    need_x, need_w, need_b = needs
    N, OC, OH, OW = gy.shape
    _, Cg, KH, KW = w.shape
    groups = spec.groups
    K, OCg = Cg * KH * KW, OC // groups
    gy2 = gy.transpose(1, 0, 2, 3).reshape(OC, N * OH * OW)
    gb = gy2.sum(axis=1) if need_b else None
    gw = gx = None
    if need_w:
        col = im2col(x, spec)
        gw = np.empty_like(w)
        for g in range(groups):
            gw[g * OCg:(g + 1) * OCg] = (gy2[g * OCg:(g + 1) * OCg] @ col[g * K:(g + 1) * K].T
                                         ).reshape(OCg, Cg, KH, KW)
    if need_x:
        gcol = np.empty((groups * K, N * OH * OW), dtype=gy.dtype)
        for g in range(groups):
            w_g = w[g * OCg:(g + 1) * OCg].reshape(OCg, K)
            gcol[g * K:(g + 1) * K] = w_g.T @ gy2[g * OCg:(g + 1) * OCg]
        gx = col2im(gcol, x.shape, spec)
    return gx, gw, gb
