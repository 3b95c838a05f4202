"""Checks of assignment `pool` (kernels/pool/reference.py): every output cell recomputed here
by a loop over its window (row-major, first maximum wins), the backward as scatter loops,
known answers (a cell that wins four overlapping windows; ties), finite differences."""
import itertools

import numpy as np

from ..grading import Check, Mismatch, compare, rng
from . import _pool_api as api
from ._common import gradcheck_kernel


def out_size(size, k, s, p, ceil_mode):
    span = size + 2 * p - k
    if not ceil_mode:
        return span // s + 1
    out = -(-span // s) + 1
    if (out - 1) * s >= size + p:
        out -= 1
    return out


def _windows(x_shape, k, s, p, ceil_mode):
    """(oh, ow, rows, cols) of every output cell: the window's image cells."""
    H, W = x_shape[2:]
    OH, OW = out_size(H, k[0], s[0], p[0], ceil_mode), out_size(W, k[1], s[1], p[1], ceil_mode)
    for oh, ow in itertools.product(range(OH), range(OW)):
        hs, ws = oh * s[0] - p[0], ow * s[1] - p[1]
        rows = [h for h in range(hs, hs + k[0]) if 0 <= h < H]
        cols = [w for w in range(ws, ws + k[1]) if 0 <= w < W]
        yield oh, ow, rows, cols, hs, ws
    return


def loop_max(x, k, s, p, ceil_mode):
    N, C, H, W = x.shape
    OH, OW = out_size(H, k[0], s[0], p[0], ceil_mode), out_size(W, k[1], s[1], p[1], ceil_mode)
    y = np.zeros((N, C, OH, OW))
    arg = np.zeros((N, C, OH, OW), dtype=np.int64)
    for oh, ow, rows, cols, _, _ in _windows(x.shape, k, s, p, ceil_mode):
        for n, c in itertools.product(range(N), range(C)):
            best, where = -np.inf, -1
            for h in rows:                      # row-major; strictly greater: first max wins
                for w in cols:
                    if x[n, c, h, w] > best or where < 0:
                        best, where = x[n, c, h, w], h * W + w
            y[n, c, oh, ow], arg[n, c, oh, ow] = best, where
    return y, arg


def loop_max_backward(gy, arg, x_shape):
    N, C, H, W = x_shape
    gx = np.zeros((N, C, H * W))
    for n, c, oh, ow in itertools.product(*(range(v) for v in gy.shape)):
        gx[n, c, arg[n, c, oh, ow]] += gy[n, c, oh, ow]
    return gx.reshape(x_shape)


def _divisor(x_shape, k, p, hs, ws, rows, cols, include_pad):
    H, W = x_shape[2:]
    if include_pad:
        he, we = min(hs + k[0], H + p[0]), min(ws + k[1], W + p[1])
        return (he - hs) * (we - ws)
    return len(rows) * len(cols)


def loop_avg(x, k, s, p, ceil_mode, include_pad):
    N, C, H, W = x.shape
    OH, OW = out_size(H, k[0], s[0], p[0], ceil_mode), out_size(W, k[1], s[1], p[1], ceil_mode)
    y = np.zeros((N, C, OH, OW))
    for oh, ow, rows, cols, hs, ws in _windows(x.shape, k, s, p, ceil_mode):
        div = _divisor(x.shape, k, p, hs, ws, rows, cols, include_pad)
        total = sum(x[:, :, h, w] for h in rows for w in cols)
        y[:, :, oh, ow] = total / div
    return y


def loop_avg_backward(gy, x_shape, k, s, p, ceil_mode, include_pad):
    gx = np.zeros(x_shape)
    for oh, ow, rows, cols, hs, ws in _windows(x_shape, k, s, p, ceil_mode):
        div = _divisor(x_shape, k, p, hs, ws, rows, cols, include_pad)
        for h in rows:
            for w in cols:
                gx[:, :, h, w] += gy[:, :, oh, ow] / div
    return gx


def _adaptive_windows(H, W, OH, OW):
    for oh, ow in itertools.product(range(OH), range(OW)):
        rows = range((oh * H) // OH, -(-((oh + 1) * H) // OH))
        cols = range((ow * W) // OW, -(-((ow + 1) * W) // OW))
        yield oh, ow, rows, cols


def loop_adaptive(x, out):
    N, C, H, W = x.shape
    y = np.zeros((N, C) + tuple(out))
    for oh, ow, rows, cols in _adaptive_windows(H, W, *out):
        y[:, :, oh, ow] = sum(x[:, :, h, w] for h in rows for w in cols) / (len(rows) * len(cols))
    return y


def loop_adaptive_backward(gy, x_shape, out):
    gx = np.zeros(x_shape)
    for oh, ow, rows, cols in _adaptive_windows(x_shape[2], x_shape[3], *out):
        for h in rows:
            for w in cols:
                gx[:, :, h, w] += gy[:, :, oh, ow] / (len(rows) * len(cols))
    return gx


# (x shape, kernel, stride, padding, ceil_mode)
CASES = [((2, 3, 7, 7), (3, 3), (2, 2), (0, 0), False),     # AlexNet's overlapping pooling
         ((1, 2, 6, 5), (2, 2), (2, 2), (0, 0), False),
         ((2, 2, 5, 5), (3, 3), (2, 2), (1, 1), False),
         ((1, 2, 6, 6), (3, 3), (2, 2), (0, 0), True),
         ((1, 1, 5, 7), (2, 3), (1, 2), (1, 1), True),
         ((1, 3, 4, 4), (1, 1), (1, 1), (0, 0), False),
         ((1, 1, 3, 3), (3, 3), (1, 1), (0, 0), False),
         ((2, 1, 9, 8), (3, 2), (2, 3), (1, 1), True),
         ((0, 2, 5, 5), (3, 3), (2, 2), (0, 0), False)]


def _label(case):
    xs, k, s, p, ceil_mode = case
    return f"x {xs}, kernel {k}, stride {s}, padding {p}" + (", ceil_mode" if ceil_mode else "")


def _x(xs, seed, ties=False):
    r = rng(seed)
    if ties:
        return r.integers(0, 3, size=xs).astype(np.float64)
    return r.standard_normal(xs)


MAX_HINT = ("the window is clipped to the image; ties go to the FIRST cell in row-major order; "
            "argmax is h*W + w in the input plane")


def _max_forward(case, ties=False):
    xs, k, s, p, c = case

    def run(mod):
        x = _x(xs, 101, ties)
        y, arg = api.max_forward(mod, x, k, s, p, c)
        oy, oarg = loop_max(x, k, s, p, c)
        compare(y, oy, "y", rtol=0, atol=0, hint=MAX_HINT)
        if np.asarray(arg).dtype != np.int32:
            raise Mismatch(f"argmax has dtype {np.asarray(arg).dtype}, expected int32")
        return compare(arg, oarg, "argmax", rtol=0, atol=0, hint=MAX_HINT)
    return Check("max_pool2d_forward", _label(case) + (", many ties" if ties else ""), run)


def _max_backward(case, ties=False):
    xs, k, s, p, c = case

    def run(mod):
        x = _x(xs, 102, ties)
        _, oarg = loop_max(x, k, s, p, c)
        gy = rng(103).standard_normal(oarg.shape)
        gx = api.max_backward(mod, gy, oarg.astype(np.int32), xs, k, s, p, c)
        return compare(gx, loop_max_backward(gy, oarg, xs), "gx", rtol=1e-12, atol=1e-12,
                       hint="ADD (+=) each gy to its window's winner: with overlapping windows a "
                       "cell can win several")
    return Check("max_pool2d_backward", _label(case) + (", many ties" if ties else ""), run)


def _max_known(mod):
    x = np.zeros((1, 1, 5, 5))
    x[0, 0, 2, 2] = 5.0                 # inside all four 3×3 windows at stride 2
    y, arg = api.max_forward(mod, x, (3, 3), (2, 2), (0, 0), False)
    compare(y, np.full((1, 1, 2, 2), 5.0), "y", rtol=0, atol=0)
    compare(arg, np.full((1, 1, 2, 2), 12), "argmax", rtol=0, atol=0, hint="12 = 2*5 + 2")
    gy = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    gx = api.max_backward(mod, gy, np.asarray(arg), (1, 1, 5, 5), (3, 3), (2, 2), (0, 0), False)
    want = np.zeros((1, 1, 5, 5))
    want[0, 0, 2, 2] = 10.0
    compare(gx, want, "gx", rtol=0, atol=0, hint="the centre cell won all four overlapping "
            "windows: it gets 1 + 2 + 3 + 4 = 10 (+=, not =)")
    return "the centre of a 5×5 wins four overlapping 3×3 windows and gets 1 + 2 + 3 + 4"


def _avg_forward(case, include_pad):
    xs, k, s, p, c = case

    def run(mod):
        x = _x(xs, 104)
        return compare(api.avg_forward(mod, x, k, s, p, c, include_pad),
                       loop_avg(x, k, s, p, c, include_pad), "y", rtol=1e-12, atol=1e-12,
                       hint="count_include_pad: divide by the window's cells inside the PADDED "
                       "input; without it, by its cells inside the image")
    return Check("avg_pool2d_forward", _label(case) + f", count_include_pad={include_pad}", run)


def _avg_backward(case, include_pad):
    xs, k, s, p, c = case

    def run(mod):
        H, W = xs[2:]
        OH, OW = out_size(H, k[0], s[0], p[0], c), out_size(W, k[1], s[1], p[1], c)
        gy = rng(105).standard_normal(xs[:2] + (OH, OW))
        return compare(api.avg_backward(mod, gy, xs, k, s, p, c, include_pad),
                       loop_avg_backward(gy, xs, k, s, p, c, include_pad), "gx", rtol=1e-12,
                       atol=1e-12, hint="each gy / divisor is ADDED to every image cell of its "
                       "window (windows overlap)")
    return Check("avg_pool2d_backward", _label(case) + f", count_include_pad={include_pad}", run)


ADAPTIVE = [((2, 3, 7, 5), (3, 2)), ((1, 2, 6, 6), (1, 1)), ((1, 1, 5, 5), (5, 5)),
            ((1, 1, 3, 3), (2, 2)), ((2, 1, 4, 7), (3, 3)), ((0, 2, 4, 4), (2, 2))]


def _adaptive(xs, out):
    def run(mod):
        x = _x(xs, 106)
        compare(api.adaptive_forward(mod, x, out), loop_adaptive(x, out), "y", rtol=1e-12,
                atol=1e-12, hint="row oh covers floor(oh*H/OH) .. ceil((oh+1)*H/OH) - 1")
        gy = rng(107).standard_normal(xs[:2] + out)
        return compare(api.adaptive_backward(mod, gy, xs, out),
                       loop_adaptive_backward(gy, xs, out), "gx", rtol=1e-12, atol=1e-12,
                       hint="windows may overlap: ADD each share")
    return Check("adaptive_avg_pool2d", f"x {xs} -> {out}, forward and backward", run)


def _grads(mod):
    x = rng(108).permutation(50).reshape(1, 2, 5, 5).astype(np.float64) / 10  # distinct values
    k, s, p = (3, 3), (2, 2), (1, 1)
    gradcheck_kernel("max_pool2d_backward",
                     lambda x: api.max_forward(mod, x, k, s, p, True)[0],
                     lambda gy, x: (api.max_backward(mod, gy, api.max_forward(mod, x, k, s, p, True)[1],
                                                     x.shape, k, s, p, True),), [x])
    gradcheck_kernel("avg_pool2d_backward",
                     lambda x: api.avg_forward(mod, x, k, s, p, True, False),
                     lambda gy, x: (api.avg_backward(mod, gy, x.shape, k, s, p, True, False),), [x])
    gradcheck_kernel("adaptive_avg_pool2d_backward",
                     lambda x: api.adaptive_forward(mod, x, (2, 3)),
                     lambda gy, x: (api.adaptive_backward(mod, gy, x.shape, (2, 3)),), [x])
    return "max, average and adaptive: backward agrees with finite differences of forward"


def _dtype(mod):
    x = _x((1, 2, 5, 5), 109).astype(np.float32)
    y, _ = api.max_forward(mod, x, (3, 3), (2, 2), (0, 0), False)
    a = api.avg_forward(mod, x, (3, 3), (2, 2), (0, 0), False, True)
    for name, v in (("max_pool2d_forward's y", y), ("avg_pool2d_forward's y", a)):
        if np.asarray(v).dtype != np.float32:
            raise Mismatch(f"{name} is {np.asarray(v).dtype} for a float32 input")
    return "float32 in, float32 out"


def checks():
    out = [Check("max_pool2d", "known answer: one cell wins four overlapping windows",
                 _max_known)]
    out += [_max_forward(c) for c in CASES]
    out += [_max_forward(CASES[0], ties=True), _max_forward(CASES[4], ties=True)]
    out += [_max_backward(c) for c in CASES]
    out += [_max_backward(CASES[0], ties=True)]
    for include_pad in (True, False):
        out += [_avg_forward(c, include_pad) for c in CASES[2:5] + CASES[7:]]
        out += [_avg_backward(c, include_pad) for c in CASES[2:5] + CASES[7:]]
    out += [_avg_forward(CASES[0], True), _avg_backward(CASES[0], True)]
    out += [_adaptive(*a) for a in ADAPTIVE]
    out += [Check("pool backward", "finite differences", _grads), Check("pool", "dtype", _dtype)]
    return out
