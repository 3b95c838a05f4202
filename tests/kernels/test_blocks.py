"""A stride-1 convolution with a kernel larger than 3×3 as 3×3 blocks by Winograd
(kernels/conv/rewrites/blocks.py): against the direct loop and the im2col reference, float32 accuracy at
AlexNet conv2's shape, gradcheck through F.conv2d, PyTorch, and the dispatch rule."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl.kernels as kernels
from kernel_cases import (alexnet_float32_errors, assert_close, assert_conv_equals_torch,
                          auto_im2col, conv2d_direct, gradcheck_under_winograd, kernels_for,
                          pick)
from minidl.kernels.conv import reference, winograd_cpu, winograd_reference
from minidl.kernels.conv.rewrites import blocks
from minidl.kernels.conv.spec import make_spec


@st.composite
def block_cases(draw, max_side=11):
    """Stride 1, kernels 3-7 per axis (at least one side above 3), padding 0-3, groups 1-2."""
    groups = draw(st.integers(1, 2))
    k = (draw(st.integers(3, 7)), draw(st.integers(4, 7)))
    if draw(st.booleans()):
        k = k[::-1]
    pad = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    lo = [max(1, k[i] - 2 * pad[i]) for i in (0, 1)]
    return dict(N=draw(st.integers(1, 2)), C=groups * draw(st.integers(1, 2)),
                OC=groups * draw(st.integers(1, 3)), k=k, padding=pad, groups=groups,
                H=draw(st.integers(lo[0], max(lo[0], max_side))),
                W=draw(st.integers(lo[1], max(lo[1], max_side))))


def arrays(case, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((case["N"], case["C"], case["H"], case["W"]))
    w = rng.standard_normal((case["OC"], case["C"] // case["groups"]) + case["k"])
    return x, w, rng.standard_normal(case["OC"])


def args(case):
    """The case's ConvSpec."""
    return make_spec((case["N"], case["C"], case["H"], case["W"]),
                     (case["OC"], case["C"] // case["groups"]) + case["k"], 1, case["padding"],
                     1, case["groups"])



@settings(max_examples=25, deadline=None)
@given(block_cases(), st.sampled_from(["winograd_cpu", "winograd_reference"]))
def test_forward_and_gradients_equal_the_direct_loop_and_im2col(case, inner):
    x, w, b = arrays(case)
    conv = blocks.BlockConv({"winograd_cpu": winograd_cpu,
                             "winograd_reference": winograd_reference}[inner])
    y = conv.conv2d_forward(x, w, b, args(case))
    assert_close(y, conv2d_direct(x, w, b, args(case)))
    gy = np.random.default_rng(2).standard_normal(y.shape)
    got = conv.conv2d_backward(gy, x, w, args(case), (True, True, True))
    for g, want in zip(got, reference.conv2d_backward(gy, x, w, args(case), (True, True, True))):
        assert_close(g, want)
    gx, gw, gb = conv.conv2d_backward(gy, x, w, args(case), (False, True, False))
    assert gx is None and gb is None
    assert_close(gw, got[1])


def test_float32_error_at_alexnet_conv2():
    """float32 against float64 im2col, normwise, at AlexNet conv2 (batch 1): within 1e-6."""
    errors = alexnet_float32_errors(blocks.BlockConv(winograd_cpu), (1, 96, 27, 27),
                                    (256, 48, 5, 5), (1, 256, 27, 27), (1, 2, 1, 2))
    assert max(errors) <= 1e-6, errors


@settings(max_examples=10, deadline=None)
@given(block_cases(max_side=8), st.booleans())
def test_gradcheck_through_the_block_kernels(case, with_bias):
    x, w, b = arrays(case)
    assert gradcheck_under_winograd(x, w, b if with_bias else None, args(case), blocks.BlockConv)


@settings(max_examples=10, deadline=None)
@given(block_cases())
def test_block_conv_equals_torch(case):
    x, w, b = arrays(case)
    assert_conv_equals_torch(x, w, b, 1, case["padding"], case["groups"], "winograd")


def test_dispatch_rule():
    conv2 = ((32, 96, 27, 27), (256, 48, 5, 5), (1, 1), (1, 1), 2)
    assert pick(*conv2) == auto_im2col()     # auto: measured 1.57× slower than im2col there
    with kernels.use(conv_algo="winograd"):
        assert pick(*conv2) == "blocks"
        assert pick((8, 24, 27, 27), (64, 24, 7, 7), (1, 1), (1, 1), 1) == "blocks"
        assert pick((8, 24, 27, 27), (64, 24, 1, 5), (1, 1), (1, 1), 1) == "im2col"    # 1×5
        assert pick((8, 24, 27, 27), (64, 24, 5, 5), (1, 1), (2, 2), 1) == "im2col"    # dilated
        kern = kernels_for(np.zeros((1, 96, 27, 27)), (256, 48, 5, 5), (1, 1), (1, 1), 2)
        assert isinstance(kern, blocks.BlockConv) and kern.inner is winograd_cpu
        with kernels.use(conv_algo="im2col"):
            assert pick(*conv2) == "im2col"


def test_strides_are_refused():
    conv = blocks.BlockConv(winograd_reference)
    with pytest.raises(ValueError, match="blocks conv2d: needs stride 1 and dilation 1"):
        conv.conv2d_forward(np.zeros((1, 1, 9, 9)), np.zeros((1, 1, 5, 5)), None,
                            make_spec((1, 1, 9, 9), (1, 1, 5, 5), stride=2))
