"""The prototype algorithms behind issue 12's target 4 (benchmarks/conv_prototypes.py) compute
the convolution: each against minidl's im2col kernel in float64 on shapes other than AlexNet's."""
import os
import sys

import numpy as np
import pytest

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                     "benchmarks")
sys.path.insert(0, BENCH)

import conv_prototypes as cp  # noqa: E402
from minidl.kernels.conv import cpu  # noqa: E402


def _case(rng, N, C, OC, k, size, groups=1):
    x = rng.standard_normal((N, C, size, size))
    w = rng.standard_normal((OC, C // groups, k, k))
    b = rng.standard_normal(OC)
    return x, w, b


def _exact(x, w, b, gy, s, p, g, need_x):
    args = ((s, s), (p, p), (1, 1), g)
    return (cpu.conv2d_forward(x, w, b, *args),) + cpu.conv2d_backward(
        gy, x, w, *args, need_x, True, True)


@pytest.mark.parametrize("C,OC,k,s,p,size", [(3, 8, 11, 4, 2, 35), (2, 5, 7, 3, 1, 20),
                                              (4, 6, 5, 2, 0, 17)])
def test_space_to_depth_winograd_matches_im2col(C, OC, k, s, p, size):
    rng = np.random.default_rng(1)
    x, w, b = _case(rng, 2, C, OC, k, size)
    OH = (size + 2 * p - k) // s + 1
    gy = rng.standard_normal((2, OC, OH, OH))
    y, gw, gb = cp.s2d_conv1(x, w, b, gy, s, p)
    ey, _, egw, egb = _exact(x, w, b, gy, s, p, 1, False)
    np.testing.assert_allclose(y, ey, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(gw, egw, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(gb, egb, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("algo", ["fft", "split"])
@pytest.mark.parametrize("C,OC,k,p,g,size", [(4, 6, 5, 2, 2, 11), (3, 5, 5, 0, 1, 9),
                                              (4, 4, 3, 1, 1, 7), (6, 4, 5, 1, 2, 10)])
def test_fft_and_split_winograd_match_im2col(algo, C, OC, k, p, g, size):
    if algo == "split" and k != 5:
        pytest.skip("the split is written for 5×5 kernels")
    rng = np.random.default_rng(2)
    x, w, b = _case(rng, 3, C, OC, k, size, g)
    OH = size + 2 * p - k + 1
    gy = rng.standard_normal((3, OC, OH, OH))
    got = (cp.fft_conv if algo == "fft" else cp.split_winograd)(x, w, b, gy, p, g)
    for a, e in zip(got, _exact(x, w, b, gy, 1, p, g, True)):
        np.testing.assert_allclose(a, e, rtol=1e-8, atol=1e-8)


def test_float32_errors_at_alexnets_shapes_are_within_the_bound():
    for name in ("conv1", "conv2"):
        for algo, errs in cp.errors(name, N=1).items():
            assert all(e is None or e < 1e-6 for e in errs), (name, algo, errs)
