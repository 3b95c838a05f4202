"""The convolution oracle of the conv, direct_conv and winograd checks, written here from the
definition (one slice of the padded input per kernel tap, summed in float64): it shares no code
with minidl's kernels or the student's file. Also the cases and the known answers."""
import numpy as np

from ..grading import rng


def out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def conv(x, w, b, stride, padding, dilation, groups):
    """y (N, OC, OH, OW) float64 by taps: for each (kh, kw), a strided slice of the padded x."""
    N, C, H, W = x.shape
    OC, Cg, KH, KW = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    OH, OW = out_size(H, KH, sh, ph, dh), out_size(W, KW, sw, pw, dw)
    xp = np.zeros((N, C, H + 2 * ph, W + 2 * pw))
    xp[:, :, ph:ph + H, pw:pw + W] = x
    y = np.zeros((N, OC, OH, OW))
    OCg = OC // groups
    for g in range(groups):
        xg = xp[:, g * Cg:(g + 1) * Cg]
        wg = w[g * OCg:(g + 1) * OCg].astype(np.float64)
        for kh in range(KH):
            for kw in range(KW):
                sl = xg[:, :, kh * dh: kh * dh + sh * (OH - 1) + 1: sh,
                        kw * dw: kw * dw + sw * (OW - 1) + 1: sw]
                y[:, g * OCg:(g + 1) * OCg] += np.einsum("nchw,kc->nkhw", sl, wg[:, :, kh, kw])
    if b is not None:
        y += np.asarray(b, dtype=np.float64)[None, :, None, None]
    return y


def conv_grads(gy, x, w, stride, padding, dilation, groups):
    """(gx, gw, gb) float64: the adjoint of `conv`, tap by tap."""
    N, C, H, W = x.shape
    OC, Cg, KH, KW = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    OH, OW = gy.shape[2:]
    xp = np.zeros((N, C, H + 2 * ph, W + 2 * pw))
    xp[:, :, ph:ph + H, pw:pw + W] = x
    gxp = np.zeros_like(xp)
    gw = np.zeros(w.shape)
    gy = gy.astype(np.float64)
    OCg = OC // groups
    for g in range(groups):
        cs, ks = slice(g * Cg, (g + 1) * Cg), slice(g * OCg, (g + 1) * OCg)
        for kh in range(KH):
            for kw in range(KW):
                rows = slice(kh * dh, kh * dh + sh * (OH - 1) + 1, sh)
                cols = slice(kw * dw, kw * dw + sw * (OW - 1) + 1, sw)
                if OH <= 0 or OW <= 0:
                    continue
                gw[ks, :, kh, kw] = np.einsum("nkhw,nchw->kc", gy[:, ks], xp[:, cs, rows, cols])
                gxp[:, cs, rows, cols] += np.einsum("nkhw,kc->nchw", gy[:, ks], w[ks, :, kh, kw])
    return gxp[:, :, ph:ph + H, pw:pw + W], gw, gy.sum(axis=(0, 2, 3))


# (x shape, w shape, stride, padding, dilation, groups, bias)
CASES = [
    ((2, 3, 7, 7), (4, 3, 3, 3), (1, 1), (0, 0), (1, 1), 1, True),
    ((2, 4, 8, 6), (6, 2, 3, 2), (2, 1), (1, 0), (1, 1), 2, True),
    ((1, 6, 9, 9), (6, 1, 3, 3), (2, 2), (1, 1), (2, 2), 6, False),
    ((2, 3, 11, 11), (4, 3, 5, 5), (3, 3), (2, 2), (1, 1), 1, True),
    ((1, 2, 5, 5), (3, 2, 1, 1), (1, 1), (0, 0), (1, 1), 1, True),
    ((1, 1, 4, 4), (2, 1, 4, 4), (1, 1), (0, 0), (1, 1), 1, False),
    ((2, 4, 7, 6), (4, 2, 3, 3), (2, 2), (2, 1), (2, 1), 2, True),
    ((1, 1, 2, 2), (1, 1, 3, 3), (1, 1), (1, 1), (1, 1), 1, True),
    ((1, 3, 1, 1), (2, 3, 1, 1), (1, 1), (0, 0), (1, 1), 1, True),
]
# no empty batch (N = 0): minidl's conv op answers it without calling the kernels, so a kernel
# that cannot take one is still a drop-in replacement


def label(case):
    xs, ws, s, p, d, g, bias = case
    return (f"x {xs}, w {ws}, stride {s}, padding {p}, dilation {d}, groups {g}"
            + ("" if bias else ", no bias"))


def arrays(case, seed=0, dtype=np.float64):
    xs, ws, _, _, _, _, bias = case
    r = rng(100 + seed)
    x = r.standard_normal(xs).astype(dtype)
    w = r.standard_normal(ws).astype(dtype)
    b = r.standard_normal(ws[0]).astype(dtype) if bias else None
    return x, w, b


# known answers: (x, w, b, stride, padding, dilation, groups, y), checked by hand
KNOWN = [
    (np.arange(16.0).reshape(1, 1, 4, 4), np.ones((1, 1, 2, 2)), None, (2, 2), (0, 0), (1, 1), 1,
     np.array([[[[10.0, 18.0], [42.0, 50.0]]]])),
    (np.arange(9.0).reshape(1, 1, 3, 3), np.ones((1, 1, 3, 3)), np.array([1.0]), (1, 1), (1, 1),
     (1, 1), 1, np.array([[[[9.0, 16.0, 13.0], [22.0, 37.0, 28.0], [21.0, 34.0, 25.0]]]])),
    # groups 2: channel 0 through filter 0 (x2), channel 1 through filter 1 (x-1)
    (np.array([[[[1.0, 2.0]], [[3.0, 4.0]]]]), np.array([[[[2.0]]], [[[-1.0]]]]), None, (1, 1),
     (0, 0), (1, 1), 2, np.array([[[[2.0, 4.0]], [[-3.0, -4.0]]]])),
    # dilation 2 over a row: taps 0 and 2
    (np.array([[[[1.0, 2.0, 3.0, 4.0]]]]), np.array([[[[1.0, 10.0]]]]), None, (1, 1), (0, 0),
     (1, 2), 1, np.array([[[[31.0, 42.0]]]])),
]
