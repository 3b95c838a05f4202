"""Checks of assignment `winograd` (kernels/conv/winograd_reference.py, F(2×2, 3×3)): the
matrices by the identity they must satisfy, each transform against einsums written here with
the student's own matrices, the layer against the tap-by-tap convolution oracle."""
import numpy as np

from ..grading import Check, Mismatch, compare, rng
from . import _conv_oracle as O


def _matrices(mod):
    mats = []
    for name, shape in (("BT2", (4, 4)), ("G2", (4, 3)), ("AT2", (2, 4))):
        a = getattr(mod, name, None)
        if a is None:
            raise NotImplementedError(name)
        a = np.asarray(a, dtype=np.float64)
        if a.shape != shape:
            raise Mismatch(f"{name} has shape {a.shape}, expected {shape}")
        mats.append(a)
    return mats


def _identity(mod):
    BT, G, AT = _matrices(mod)
    r = rng(61)
    for trial in range(5):
        d, g = r.standard_normal(4), r.standard_normal(3)
        want = np.array([d[0] * g[0] + d[1] * g[1] + d[2] * g[2],
                         d[1] * g[0] + d[2] * g[1] + d[3] * g[2]])
        got = AT @ ((G @ g) * (BT @ d))
        if not np.allclose(got, want, rtol=1e-10, atol=1e-12):
            # which basis vector breaks: the entry of the bilinear map that is wrong
            for i in range(4):
                for j in range(3):
                    e_d, e_g = np.eye(4)[i], np.eye(3)[j]
                    y = AT @ ((G @ e_g) * (BT @ e_d))
                    exp = np.array([float(i == j), float(i == j + 1)])
                    if not np.allclose(y, exp, atol=1e-12):
                        raise Mismatch(
                            f"AT2 ((G2 g) * (BT2 d)) is not the correlation: with d = e{i} and "
                            f"g = e{j} it gives {y.tolist()}, expected {exp.tolist()} (the "
                            f"coefficient of d{i} g{j} in y0 and y1); hint: G2 evaluates the "
                            "filter polynomial at 0, 1, -1, infinity with the 1/2 factors, "
                            "BT2 and AT2 follow")
            raise Mismatch("AT2 ((G2 g) * (BT2 d)) differs from the correlation")
    return "AT2 ((G2 g) * (BT2 d)) = (d0g0 + d1g1 + d2g2, d1g0 + d2g1 + d3g2) for 5 random d, g"


def _filter(mod):
    BT, G, AT = _matrices(mod)
    w = rng(62).standard_normal((6, 2, 3, 3))
    U = mod.filter_transform(w, 2, G)
    want = np.empty((16, 2, 3, 2))
    for k in range(6):
        for c in range(2):
            want[:, k // 3, k % 3, c] = (G @ w[k, c] @ G.T).ravel()
    return compare(U, want, "U", rtol=1e-10, atol=1e-12,
                   hint="U[i*4 + j, g, k, c] = (G w[g*OCg + k, c] G^T)[i, j]")


def _tiles(case):
    shape, padding, TH, TW = case

    def run(mod):
        x = rng(63).standard_normal(shape)
        d = mod.input_tiles(x, padding, 2, TH, TW)
        N, C, H, W = shape
        want = np.zeros((N, C, TH, TW, 4, 4))
        for th in range(TH):
            for tw in range(TW):
                for i in range(4):
                    for j in range(4):
                        h, v = 2 * th - padding[0] + i, 2 * tw - padding[1] + j
                        if 0 <= h < H and 0 <= v < W:
                            want[:, :, th, tw, i, j] = x[:, :, h, v]
        return compare(d, want, "d", rtol=0, atol=0,
                       hint="tile (th, tw) starts at row 2*th - ph, column 2*tw - pw; zeros "
                       "outside the image; neighbouring tiles overlap by 2")
    return Check("input_tiles", f"x {shape}, padding {padding}, {TH}×{TW} tiles", run)


def _input(mod):
    BT, G, AT = _matrices(mod)
    d = rng(64).standard_normal((2, 4, 2, 3, 4, 4))
    V = mod.input_transform(d, 2, BT)
    want = np.empty((4, 4, 4, 2, 2, 3))
    for n in range(2):
        for c in range(4):
            for th in range(2):
                for tw in range(3):
                    want[:, :, c, n, th, tw] = BT @ d[n, c, th, tw] @ BT.T
    return compare(V, want.reshape(16, 2, 2, 12), "V", rtol=1e-10, atol=1e-12,
                   hint="V[i*4 + j, g, c, p] = (B^T d_p B)[i, j], tiles p in (n, th, tw) order")


def _output(mod):
    BT, G, AT = _matrices(mod)
    N, OC, TH, TW, OH, OW = 2, 3, 2, 3, 3, 5
    M = rng(65).standard_normal((16, OC, N * TH * TW))
    y = mod.output_transform(M, AT, N, TH, TW, OH, OW)
    t = M.reshape(4, 4, OC, N, TH, TW)
    want = np.empty((N, OC, 2 * TH, 2 * TW))
    for n in range(N):
        for k in range(OC):
            for th in range(TH):
                for tw in range(TW):
                    want[n, k, 2 * th:2 * th + 2, 2 * tw:2 * tw + 2] = \
                        AT @ t[:, :, k, n, th, tw] @ AT.T
    return compare(y, want[:, :, :OH, :OW], "y", rtol=1e-10, atol=1e-12,
                   hint="tile (th, tw) is A^T M A at rows 2*th.., columns 2*tw..; cut to OH×OW")


LAYER = [((2, 3, 6, 6), (4, 3, 3, 3), (0, 0), 1, True),
         ((1, 4, 7, 5), (6, 2, 3, 3), (1, 1), 2, True),
         ((2, 2, 5, 8), (2, 2, 3, 3), (2, 1), 1, False),
         ((1, 3, 3, 3), (2, 3, 3, 3), (0, 0), 1, True),
         ((1, 1, 4, 4), (1, 1, 3, 3), (1, 0), 1, True)]      # no N = 0: the conv op skips it


def _layer(case, dtype):
    xs, ws, padding, groups, bias = case

    def run(mod):
        r = rng(66)
        x, w = r.standard_normal(xs).astype(dtype), r.standard_normal(ws).astype(dtype)
        b = r.standard_normal(ws[0]).astype(dtype) if bias else None
        got = mod.winograd_conv(x, w, b, padding, groups)
        want = O.conv(x, w, b, (1, 1), padding, (1, 1), groups)
        tol = 1e-4 if dtype == np.float32 else 1e-10
        return compare(got, want, "y", rtol=tol, atol=tol, dtype=dtype,
                       hint="TH = ceil(OH / 2) tiles; M = U @ V over the 16 positions; the "
                       "output transform cuts the overhang")
    return Check("winograd_conv", f"x {xs}, w {ws}, padding {padding}, groups {groups}"
                 + ("" if bias else ", no bias") + f", {np.dtype(dtype).name}, against the "
                 "direct convolution", run)


def _known(mod):
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    w = np.ones((1, 1, 3, 3))
    return compare(mod.winograd_conv(x, w, None, (0, 0), 1), [[[[45.0, 54.0], [81.0, 90.0]]]],
                   "y", rtol=1e-12, atol=1e-12,
                   hint="a 4×4 input is exactly one tile: y = A^T [(G w G^T) ⊙ (B^T x B)] A")


def checks():
    out = [Check("BT2, G2, AT2", "the F(2, 3) identity", _identity),
           Check("filter_transform", "w (6, 2, 3, 3), groups 2", _filter)]
    out += [_tiles(c) for c in (((1, 2, 4, 4), (0, 0), 1, 1), ((2, 1, 5, 7), (1, 1), 3, 4),
                                ((1, 1, 6, 3), (0, 1), 2, 2))]
    out += [Check("input_transform", "d (2, 4, 2, 3, 4, 4), groups 2", _input),
            Check("output_transform", "M (16, 3, 12), 2×3 tiles cut to 3×5", _output),
            Check("winograd_conv", "known answer: one 4×4 tile of arange(16), all-ones 3×3",
                  _known)]
    out += [_layer(c, np.float64) for c in LAYER]
    out.append(_layer(LAYER[1], np.float32))
    return out
