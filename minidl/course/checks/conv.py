"""Checks of assignment `conv` (kernels/conv/reference.py): im2col and col2im against loops over
every (c, kh, kw, n, oh, ow) written here, the convolution and its gradients against the
tap-by-tap oracle, known answers, and float64 finite differences (minidl.gradcheck)."""
import itertools

import numpy as np

from ..grading import Check, Mismatch, compare, rng
from . import _conv_api as api
from . import _conv_oracle as O
from ._common import gradcheck_kernel


def _geometry(xs, ws, s, p, d):
    N, C, H, W = xs
    KH, KW = ws[2:]
    return N, C, H, W, KH, KW, O.out_size(H, KH, s[0], p[0], d[0]), O.out_size(W, KW, s[1], p[1],
                                                                            d[1])


def loop_im2col(x, ks, s, p, d):
    N, C, H, W = x.shape
    KH, KW = ks
    OH, OW = O.out_size(H, KH, s[0], p[0], d[0]), O.out_size(W, KW, s[1], p[1], d[1])
    col = np.zeros((C, KH, KW, N, OH, OW), dtype=x.dtype)
    for c, kh, kw, oh, ow in itertools.product(range(C), range(KH), range(KW), range(OH),
                                               range(OW)):
        ih, iw = oh * s[0] - p[0] + kh * d[0], ow * s[1] - p[1] + kw * d[1]
        if 0 <= ih < H and 0 <= iw < W:
            col[c, kh, kw, :, oh, ow] = x[:, c, ih, iw]
    return col.reshape(C * KH * KW, N * OH * OW)


def loop_col2im(col, x_shape, ks, s, p, d):
    N, C, H, W = x_shape
    KH, KW = ks
    OH, OW = O.out_size(H, KH, s[0], p[0], d[0]), O.out_size(W, KW, s[1], p[1], d[1])
    col = col.reshape(C, KH, KW, N, OH, OW)
    x = np.zeros(x_shape, dtype=np.float64)
    for c, kh, kw, oh, ow in itertools.product(range(C), range(KH), range(KW), range(OH),
                                               range(OW)):
        ih, iw = oh * s[0] - p[0] + kh * d[0], ow * s[1] - p[1] + kw * d[1]
        if 0 <= ih < H and 0 <= iw < W:
            x[:, c, ih, iw] += col[c, kh, kw, :, oh, ow]
    return x


def _case_args(case):
    xs, ws, s, p, d, g, _ = case
    return xs, ws, s, p, d, g


def _im2col(case):
    xs, ws, s, p, d, g = _case_args(case)

    def run(mod):
        x = rng(91).standard_normal(xs)
        return compare(api.im2col(mod, x, ws[2:], s, p, d), loop_im2col(x, ws[2:], s, p, d),
                       "col", rtol=0, atol=0, hint="row (c, kh, kw), column (n, oh, ow): "
                       "x[n, c, oh*sh - ph + kh*dh, ow*sw - pw + kw*dw], 0 in the padding")
    return Check("im2col", f"x {xs}, kernel {ws[2:]}, stride {s}, padding {p}, dilation {d}", run)


def _col2im(case):
    xs, ws, s, p, d, g = _case_args(case)

    def run(mod):
        N, C, H, W, KH, KW, OH, OW = _geometry(xs, ws, s, p, d)
        col = rng(92).standard_normal((C * KH * KW, N * OH * OW))
        return compare(api.col2im(mod, col, xs, ws[2:], s, p, d),
                       loop_col2im(col, xs, ws[2:], s, p, d), "x", rtol=1e-12, atol=1e-12,
                       hint="ADD every entry back into its cell (+=): where windows overlap a "
                       "cell receives the sum of its copies; padding entries are dropped")
    return Check("col2im", f"x {xs}, kernel {ws[2:]}, stride {s}, padding {p}, dilation {d}",
                 run)


def _forward(case, dtype):
    xs, ws, s, p, d, g = _case_args(case)

    def run(mod):
        x, w, b = O.arrays(case, dtype=dtype)
        y = api.forward(mod, x, w, b, s, p, d, g)
        tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
        note = compare(y, O.conv(x, w, b, s, p, d, g), "y", dtype=dtype, hint="one GEMM per "
                       "group: w's rows of group g times col's rows of group g", **tol)
        if not y.flags.c_contiguous:
            raise Mismatch("y is not C-contiguous (np.ascontiguousarray after the transpose)")
        return note
    return Check("conv2d_forward", O.label(case) + f", {np.dtype(dtype).name}", run)


def _backward(case):
    xs, ws, s, p, d, g = _case_args(case)

    def run(mod):
        x, w, b = O.arrays(case, seed=1)
        N, C, H, W, KH, KW, OH, OW = _geometry(xs, ws, s, p, d)
        gy = rng(93).standard_normal((N, ws[0], OH, OW))
        gx, gw, gb = api.backward(mod, gy, x, w, s, p, d, g, True, True, True)
        ogx, ogw, ogb = O.conv_grads(gy, x, w, s, p, d, g)
        compare(gx, ogx, "gx", rtol=1e-10, atol=1e-10, hint="gcol = w_g^T @ gy_g per group, then "
                "col2im ADDS each column back (overlapping windows sum)")
        compare(gw, ogw, "gw", rtol=1e-10, atol=1e-10, hint="gw_g = gy_g @ col_g^T with group g's "
                "OWN rows of col (rows g*K .. (g+1)*K)")
        compare(gb, ogb, "gb", rtol=1e-10, atol=1e-10, hint="gb = gy summed over n, oh, ow")
        return "gx, gw, gb agree with the oracle"
    return Check("conv2d_backward", O.label(case), run)


def _needs(mod):
    case = O.CASES[1]
    x, w, b = O.arrays(case)
    xs, ws, s, p, d, g = _case_args(case)
    N, C, H, W, KH, KW, OH, OW = _geometry(xs, ws, s, p, d)
    gy = rng(94).standard_normal((N, ws[0], OH, OW))
    for flags in ((True, False, False), (False, True, False), (False, False, True)):
        out = api.backward(mod, gy, x, w, s, p, d, g, *flags)
        for name, flag, v in zip(("gx", "gw", "gb"), flags, out):
            if flag and v is None:
                raise Mismatch(f"{name} is None though need_{name[1]} is True")
            if not flag and v is not None:
                raise Mismatch(f"{name} was computed though need_{name[1]} is False: return None "
                               "(and skip the work)")
    return "each gradient only when asked for"


def _grad(case):
    xs, ws, s, p, d, g, bias = case

    def run(mod):
        x, w, b = O.arrays(case, seed=2)
        return gradcheck_kernel(
            "conv2d_backward",
            lambda x, w, b: api.forward(mod, x, w, b, s, p, d, g),
            lambda gy, x, w, b: api.backward(mod, gy, x, w, s, p, d, g, True, True, True),
            [x, w, b], mode="direction")
    return Check("conv2d_backward", O.label(case) + ", against finite differences", run)


def _known(i):
    x, w, b, s, p, d, g, y = O.KNOWN[i]

    def run(mod):
        return compare(api.forward(mod, x, w, b, s, p, d, g), y, "y", rtol=1e-12, atol=1e-12)
    return Check("conv2d_forward", f"known answer {i + 1}: x {x.shape}, w {w.shape}, stride {s}, "
                 f"padding {p}, dilation {d}, groups {g}", run)


GRAD_CASES = [((1, 4, 5, 5), (4, 2, 3, 3), (2, 2), (1, 1), (1, 1), 2, True),
              ((1, 2, 6, 5), (3, 2, 2, 3), (1, 2), (0, 1), (2, 1), 1, True)]


def checks():
    out = [_known(i) for i in range(len(O.KNOWN))]
    out += [_im2col(c) for c in O.CASES]
    out += [_col2im(c) for c in O.CASES]
    out += [_forward(c, np.float64) for c in O.CASES]
    out += [_forward(O.CASES[1], np.float32), _forward(O.CASES[6], np.float32)]
    out += [_backward(c) for c in O.CASES]
    out.append(Check("conv2d_backward", "need_x, need_w, need_b", _needs))
    out += [_grad(c) for c in GRAD_CASES]
    return out
