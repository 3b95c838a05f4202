"""Shared cases for the kernel tests: hypothesis strategies for layer geometries, an independent
direct-convolution oracle, and tolerances per dtype."""
import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from minidl.kernels.shapes import conv_output_size, pool_output_size

TOL = {np.float64: dict(rtol=1e-10, atol=1e-10), np.float32: dict(rtol=1e-4, atol=1e-4)}


def assert_close(actual, expected, dtype=np.float64, **kw):
    np.testing.assert_allclose(actual, expected, **{**TOL[np.dtype(dtype).type], **kw})


@st.composite
def conv_cases(draw, max_side=8):
    """A valid conv2d geometry: a dict of N, C, OC, H, W, KH, KW, stride, padding, dilation,
    groups."""
    groups = draw(st.integers(1, 3))
    case = dict(N=draw(st.integers(1, 2)), groups=groups,
                C=groups * draw(st.integers(1, 3)), OC=groups * draw(st.integers(1, 3)),
                H=draw(st.integers(1, max_side)), W=draw(st.integers(1, max_side)),
                KH=draw(st.integers(1, 4)), KW=draw(st.integers(1, 4)),
                stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
                padding=(draw(st.integers(0, 2)), draw(st.integers(0, 2))),
                dilation=(draw(st.integers(1, 2)), draw(st.integers(1, 2))))
    assume(conv_output_size(case["H"], case["KH"], case["stride"][0], case["padding"][0],
                            case["dilation"][0]) >= 1)
    assume(conv_output_size(case["W"], case["KW"], case["stride"][1], case["padding"][1],
                            case["dilation"][1]) >= 1)
    return case


def conv_arrays(case, dtype=np.float64, seed=0):
    """x, w, b for a conv case."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((case["N"], case["C"], case["H"], case["W"])).astype(dtype)
    w = rng.standard_normal((case["OC"], case["C"] // case["groups"], case["KH"], case["KW"]))
    b = rng.standard_normal(case["OC"])
    return x, w.astype(dtype), b.astype(dtype)


def conv_args(case):
    return case["stride"], case["padding"], case["dilation"], case["groups"]


def conv2d_direct(x, w, b, stride, padding, dilation, groups):
    """The convolution's definition as loops over (oc, oh, ow, kh, kw), no im2col: an oracle
    that shares no code and no trick with the kernels under test."""
    N, C, H, W = x.shape
    OC, Cg, KH, KW = w.shape
    OH = conv_output_size(H, KH, stride[0], padding[0], dilation[0])
    OW = conv_output_size(W, KW, stride[1], padding[1], dilation[1])
    y = np.zeros((N, OC, OH, OW))
    for oc in range(OC):
        g = oc // (OC // groups)
        for oh in range(OH):
            for ow in range(OW):
                for kh in range(KH):
                    for kw in range(KW):
                        ih = oh * stride[0] - padding[0] + kh * dilation[0]
                        iw = ow * stride[1] - padding[1] + kw * dilation[1]
                        if 0 <= ih < H and 0 <= iw < W:
                            y[:, oc, oh, ow] += x[:, g * Cg:(g + 1) * Cg, ih, iw] @ w[oc, :, kh, kw]
        if b is not None:
            y[:, oc] += b[oc]
    return y


@st.composite
def pool_cases(draw, max_side=9):
    """A valid pooling geometry: kernel, stride, padding <= kernel // 2, ceil_mode."""
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    case = dict(N=draw(st.integers(1, 2)), C=draw(st.integers(1, 3)),
                H=draw(st.integers(1, max_side)), W=draw(st.integers(1, max_side)),
                kernel_size=k, stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
                padding=(draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2))),
                ceil_mode=draw(st.booleans()))
    for i, side in enumerate(("H", "W")):
        assume(pool_output_size(case[side], k[i], case["stride"][i], case["padding"][i],
                                case["ceil_mode"]) >= 1)
    return case


def pool_args(case):
    return case["kernel_size"], case["stride"], case["padding"], case["ceil_mode"]


def distinct(shape, seed, dtype=np.float64):
    """Values all different and shuffled: max pooling has no ties to break."""
    n = int(np.prod(shape))
    v = (np.arange(n) - n / 2) * 0.1
    np.random.default_rng(seed).shuffle(v)
    return v.reshape(shape).astype(dtype)
