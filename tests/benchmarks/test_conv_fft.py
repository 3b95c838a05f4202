"""The FFT prototype for AlexNet's conv2 (benchmarks/conv_fft.py) computes the convolution:
against minidl's im2col kernel in float64 on other shapes, and in float32 at conv2's."""
import os
import sys

import numpy as np
import pytest

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                     "benchmarks")
sys.path.insert(0, BENCH)

import conv_fft  # noqa: E402
from minidl.kernels.conv import cpu  # noqa: E402
from minidl.kernels.conv.spec import make_spec  # noqa: E402


@pytest.mark.parametrize("C,OC,k,p,g,size", [(4, 6, 5, 2, 2, 11), (3, 5, 5, 0, 1, 9),
                                              (4, 4, 3, 1, 1, 7), (6, 4, 5, 1, 2, 10)])
def test_fft_matches_im2col(C, OC, k, p, g, size):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, C, size, size))
    w = rng.standard_normal((OC, C // g, k, k))
    b = rng.standard_normal(OC)
    OH = size + 2 * p - k + 1
    gy = rng.standard_normal((3, OC, OH, OH))
    args = make_spec(x.shape, w.shape, 1, p, 1, g)
    want = (cpu.conv2d_forward(x, w, b, args),) + cpu.conv2d_backward(gy, x, w, args,
                                                                       (True, True, True))
    for a, e in zip(conv_fft.fft_conv(x, w, b, gy, p, g), want):
        np.testing.assert_allclose(a, e, rtol=1e-8, atol=1e-8)


def test_float32_error_at_alexnet_conv2():
    assert all(e < 1e-6 for e in conv_fft.error())
