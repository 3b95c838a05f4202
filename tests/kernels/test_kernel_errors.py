"""Bad arguments to the kernel-backed ops: each a clear error naming the op and the shapes."""
import numpy as np
import pytest

import minidl
import minidl.functional as F


def t(*shape, dtype=np.float32):
    return minidl.tensor(np.zeros(shape, dtype=dtype))


@pytest.mark.parametrize("x, w, kw, message", [
    (t(8, 8), t(4, 3, 3, 3), {},
     r"conv2d: expected a 3-D \(C, H, W\) or 4-D \(N, C, H, W\) input, got shape \(8, 8\)"),
    (t(1, 3, 8, 8), t(4, 3, 3), {}, r"expected a 4-D weight .* got shape \(4, 3, 3\)"),
    (t(1, 64, 8, 8), t(256, 48, 5, 5), dict(groups=2),
     r"conv2d\(96→256, k=5×5, groups=2\): input has 64 channels, expected 96"),
    (t(1, 95, 8, 8), t(256, 48, 5, 5), dict(groups=2), r"95 channels, not divisible by groups=2"),
    (t(1, 6, 8, 8), t(5, 3, 3, 3), dict(groups=2),
     r"5 output channels are not divisible by groups=2"),
    (t(1, 3, 4, 4), t(4, 3, 11, 11), dict(padding=2),
     r"kernel 11×11 \(dilated 11×11\) is larger than the padded input 8×8 "
     r"\(input 4×4, padding 2×2\)"),
    (t(1, 3, 5, 5), t(4, 3, 3, 3), dict(dilation=3),
     r"dilated 7×7\) is larger than the padded input 5×5"),
    (t(1, 3, 8, 8), t(4, 3, 3, 3), dict(stride=0), r"stride and dilation must be >= 1"),
])
def test_conv2d_errors(x, w, kw, message):
    with pytest.raises(ValueError, match=message):
        F.conv2d(x, w, **kw)


def test_conv2d_bias_and_dtype_errors():
    with pytest.raises(ValueError, match=r"bias has shape \(3,\), expected \(4,\)"):
        F.conv2d(t(1, 3, 8, 8), t(4, 3, 3, 3), t(3))
    with pytest.raises(TypeError, match=r"got input float32, weight float64"):
        F.conv2d(t(1, 3, 8, 8), t(4, 3, 3, 3, dtype=np.float64))
    with pytest.raises(TypeError, match=r"float32 or float64"):
        F.conv2d(t(1, 3, 8, 8, dtype=np.int64), t(4, 3, 3, 3, dtype=np.int64))


@pytest.mark.parametrize("fn", [lambda x: F.max_pool2d(x, 2), lambda x: F.avg_pool2d(x, 2),
                                lambda x: F.adaptive_avg_pool2d(x, 1)])
def test_pooling_wants_3d_or_4d(fn):
    with pytest.raises(ValueError, match=r"expected a 3-D \(C, H, W\) or 4-D \(N, C, H, W\) "
                                         r"input, got shape \(2, 3, 8, 8, 1\)"):
        fn(t(2, 3, 8, 8, 1))


def test_pooling_window_errors():
    with pytest.raises(ValueError,
                       match=r"max_pool2d: kernel 5×5 is larger than the padded input 4×4"):
        F.max_pool2d(t(1, 1, 4, 4), 5)
    with pytest.raises(ValueError,
                       match=r"padding \(2, 2\) must be at most half the kernel size \(3, 3\)"):
        F.max_pool2d(t(1, 1, 8, 8), 3, 2, 2)
    with pytest.raises(ValueError, match=r"avg_pool2d: kernel_size and stride must be >= 1"):
        F.avg_pool2d(t(1, 1, 8, 8), 2, 0)
    with pytest.raises(ValueError, match=r"output_size must be positive"):
        F.adaptive_avg_pool2d(t(1, 1, 8, 8), 0)


@pytest.mark.parametrize("p", [-0.1, 1.0001, 1.5])
def test_dropout_p_outside_0_1(p):
    with pytest.raises(ValueError,
                       match=r"dropout: p must be in \[0, 1\] \(p is the probability of dropping"):
        F.dropout(t(2, 3), p)


def test_lrn_errors():
    with pytest.raises(ValueError, match=r"at least 3 dimensions, got shape \(2, 3\)"):
        F.local_response_norm(t(2, 3), 5)
    with pytest.raises(ValueError, match=r"size must be a positive int"):
        F.local_response_norm(t(1, 3, 2, 2), 0)
