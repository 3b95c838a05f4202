"""Winograd F(2×2, 3×3) convolution: the NumPy reference and the Numba kernel against the direct
loop, the im2col kernels and PyTorch; float32 accuracy against float64; the algorithm switch."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl.kernels as kernels
from kernel_cases import (NEEDS, assert_close, assert_computes_only_what_is_asked,
                          assert_conv_equals_torch, auto_im2col, conv2d_direct,
                          gradcheck_under_winograd, kernels_for, pick)
from minidl.kernels.conv import cpu, reference, winograd_cpu, winograd_reference
from minidl.kernels.conv.spec import make_spec


@st.composite
def wino_cases(draw, max_side=9):
    """A 3×3, stride-1 layer: N, C, OC, H, W, padding (0-3, so the input gradient's padding
    2 - p is also a crop), groups; sizes odd and even so tiles overhang the output."""
    groups = draw(st.integers(1, 2))
    pad = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    H = draw(st.integers(max(1, 3 - 2 * pad[0]), max_side))
    W = draw(st.integers(max(1, 3 - 2 * pad[1]), max_side))
    return dict(N=draw(st.integers(1, 2)), C=groups * draw(st.integers(1, 3)),
                OC=groups * draw(st.integers(1, 3)), H=H, W=W, padding=pad, groups=groups)


def arrays(case, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((case["N"], case["C"], case["H"], case["W"]))
    w = rng.standard_normal((case["OC"], case["C"] // case["groups"], 3, 3))
    return x.astype(dtype), w.astype(dtype), rng.standard_normal(case["OC"]).astype(dtype)


def args(case):
    """The case's ConvSpec."""
    return make_spec((case["N"], case["C"], case["H"], case["W"]),
                     (case["OC"], case["C"] // case["groups"], 3, 3), 1, case["padding"], 1,
                     case["groups"])



@settings(max_examples=20)
@given(wino_cases(), st.sampled_from([2, 4]))
def test_reference_forward_equals_the_direct_loop(case, m):
    x, w, b = arrays(case)
    y = winograd_reference.winograd_conv(x, w, b, case["padding"], case["groups"], m)
    assert_close(y, conv2d_direct(x, w, b, args(case)))


@settings(max_examples=15)
@given(wino_cases(), st.sampled_from([2, 4]))
def test_reference_backward_equals_im2col(case, m):
    x, w, _ = arrays(case)
    gy = np.random.default_rng(1).standard_normal(reference.conv2d_forward(
        x, w, None, args(case)).shape)
    got = winograd_reference.conv2d_backward(gy, x, w, args(case), (True, True, True), m=m)
    for g, r in zip(got, reference.conv2d_backward(gy, x, w, args(case), (True, True, True))):
        assert_close(g, r)


@given(wino_cases(), st.sampled_from([np.float64, np.float32]), st.booleans())
def test_numba_kernel_equals_the_direct_loop_and_im2col(case, dtype, one_row_chunks):
    """one_row_chunks: the tile buffers hold one tile row, so every chunk boundary is hit."""
    x, w, b = arrays(case, dtype)
    old = winograd_cpu.TILE_BUFFER_BYTES
    winograd_cpu.TILE_BUFFER_BYTES = 1 if one_row_chunks else old
    try:
        y = winograd_cpu.conv2d_forward(x, w, b, args(case))
        gy = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
        got = winograd_cpu.conv2d_backward(gy, x, w, args(case), (True, True, True))
    finally:
        winograd_cpu.TILE_BUFFER_BYTES = old
    assert y.dtype == dtype and y.flags.c_contiguous
    assert_close(y, conv2d_direct(x, w, b, args(case)), dtype)
    for g, r, a in zip(got, reference.conv2d_backward(gy, x, w, args(case), (True, True, True)),
                       (x, w, b)):
        assert g.shape == a.shape and g.dtype == dtype
        assert_close(g, r, dtype)


@settings(max_examples=10)
@given(wino_cases(), st.sampled_from(NEEDS))
def test_backward_computes_only_what_is_asked(case, needs):
    x, w, _ = arrays(case)
    assert_computes_only_what_is_asked(winograd_cpu, x, w, args(case), needs)


def normwise(a, ref):
    return np.linalg.norm((a - ref).ravel()) / np.linalg.norm(ref.ravel())


@settings(max_examples=10, deadline=None)
@given(st.integers(1, 2), st.integers(4, 24), st.integers(4, 24), st.integers(6, 16),
       st.integers(0, 2))
def test_float32_accuracy_against_float64(N, C, OC, side, pad):
    """Every algorithm's float32 result against the float64 direct loop, normwise: the fast
    kernels (im2col, Winograd F(2×2)) within 1e-6, the reference's F(4×4) within 2e-5."""
    case = dict(N=N, C=C, OC=OC, H=side, W=side + 1, padding=(pad, pad), groups=1)
    x, w, b = arrays(case, seed=side)
    exact = conv2d_direct(x, w, b, args(case))
    x32, w32, b32 = (a.astype(np.float32) for a in (x, w, b))
    for kernel in (cpu, winograd_cpu):
        assert normwise(kernel.conv2d_forward(x32, w32, b32, args(case)), exact) <= 1e-6
    f4 = winograd_reference.winograd_conv(x32, w32, b32, (pad, pad), 1, m=4)
    assert f4.dtype == np.float32 and normwise(f4, exact) <= 2e-5


@settings(max_examples=10, deadline=None)
@given(wino_cases(max_side=5), st.booleans())
def test_gradcheck_through_the_winograd_kernels(case, with_bias):
    x, w, b = arrays(case)
    assert gradcheck_under_winograd(x, w, b if with_bias else None, args(case), winograd_cpu)


@settings(max_examples=10, deadline=None)
@given(wino_cases(max_side=7))
def test_winograd_equals_torch(case):
    x, w, b = arrays(case)
    assert_conv_equals_torch(x, w, b, 1, case["padding"], case["groups"], "winograd")


def test_dispatch_rule_and_the_switch():
    x = np.zeros((8, 64, 56, 56), np.float32)
    assert pick(x.shape, (64, 64, 3, 3), (1, 1), (1, 1), 1) == "winograd"
    for w, s, d in [((64, 64, 3, 3), (2, 2), (1, 1)), ((64, 64, 3, 3), (1, 1), (2, 2)),
                    ((64, 64, 1, 3), (1, 1), (1, 1))]:
        for name in ("auto", "winograd"):     # Winograd cannot run these: im2col always
            # (5×5 and strided 11×11 layers go to blocks.py / phases.py: their own tests)
            with kernels.use(conv_algo=name):
                assert pick(x.shape, w, s, d, 1) == ("im2col" if name == "winograd"
                                                     else auto_im2col())
    assert pick((8, 3, 224, 224), (64, 3, 3, 3), (1, 1), (1, 1), 1) == auto_im2col()  # C = 3
    with kernels.use(conv_algo="winograd"):
        assert pick((8, 3, 224, 224), (64, 3, 3, 3), (1, 1), (1, 1), 1) == "winograd"
    with kernels.use(conv_algo="im2col"):
        assert pick(x.shape, (64, 64, 3, 3), (1, 1), (1, 1), 1) == "im2col"
        assert kernels_for(x, (64, 64, 3, 3), (1, 1), (1, 1), 1) is cpu
    with pytest.raises(ValueError, match="conv_algo='fast'"):
        with kernels.use(conv_algo="fast"):
            pass


def test_reference_target_runs_the_winograd_reference():
    x = np.zeros((1, 2, 5, 5))
    with kernels.use(conv_algo="winograd"):
        with kernels.use(target="reference"):
            assert kernels_for(x, (2, 2, 3, 3), (1, 1), (1, 1), 1) is winograd_reference
        assert kernels_for(x, (2, 2, 3, 3), (1, 1), (1, 1), 1) is winograd_cpu


def test_the_reference_refuses_what_it_cannot_compute():
    x, w = np.zeros((1, 2, 5, 5)), np.zeros((2, 2, 3, 3))
    with pytest.raises(ValueError, match="3×3 kernel, stride 1 and dilation 1"):
        winograd_reference.conv2d_forward(x, w, None, make_spec(x.shape, w.shape, 2, 1))
