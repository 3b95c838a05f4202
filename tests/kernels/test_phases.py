"""A strided convolution on the input's phases (kernels/conv/rewrites/phases.py): against the direct loop
and the im2col reference, float32 accuracy at AlexNet conv1's shape, gradcheck through F.conv2d,
PyTorch, and the dispatch rule that picks it."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl.kernels as kernels
from kernel_cases import (alexnet_float32_errors, assert_close, assert_conv_equals_torch,
                          auto_im2col, conv2d_direct, gradcheck_under_winograd, kernels_for,
                          pick)
from minidl.kernels.conv import cpu, reference, winograd_cpu, winograd_reference
from minidl.kernels.conv.rewrites import phases
from minidl.kernels.conv.spec import make_spec


@st.composite
def strided_cases(draw, max_side=14, phase3=True):
    """A strided layer: stride 2-4 per axis, padding 0-3, groups 1-2; with phase3, kernels whose
    phase form is 3×3 (k in 2s+1 .. 3s), otherwise any k ≤ 3s."""
    groups = draw(st.integers(1, 2))
    stride = (draw(st.integers(2, 4)), draw(st.integers(2, 4)))
    k = tuple(draw(st.integers(2 * s + 1 if phase3 else 1, 3 * s)) for s in stride)
    pad = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    lo = [max(1, k[i] - 2 * pad[i]) for i in (0, 1)]     # the smallest input with an output
    H = draw(st.integers(lo[0], max(lo[0], max_side)))
    W = draw(st.integers(lo[1], max(lo[1], max_side)))
    return dict(N=draw(st.integers(1, 2)), C=groups * draw(st.integers(1, 2)),
                OC=groups * draw(st.integers(1, 3)), H=H, W=W, k=k, stride=stride, padding=pad,
                groups=groups)


def arrays(case, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((case["N"], case["C"], case["H"], case["W"]))
    w = rng.standard_normal((case["OC"], case["C"] // case["groups"]) + case["k"])
    return x.astype(dtype), w.astype(dtype), rng.standard_normal(case["OC"]).astype(dtype)


def args(case):
    """The case's ConvSpec."""
    return make_spec((case["N"], case["C"], case["H"], case["W"]),
                     (case["OC"], case["C"] // case["groups"]) + case["k"],
                     case["stride"], case["padding"], 1, case["groups"])



@settings(max_examples=25, deadline=None)
@given(strided_cases(phase3=False))
def test_the_phase_rearrangements_are_exact_and_adjoint(case):
    """to_phases / phase_filter lose nothing, and from_* are their adjoints (<Ax, y> = <x, A'y>)."""
    x, w, _ = arrays(case)
    spec, s = args(case), case["stride"]
    xs, ws = phases.to_phases(x, spec), phases.phase_filter(w, s)
    rng = np.random.default_rng(1)
    ys, vs = rng.standard_normal(xs.shape), rng.standard_normal(ws.shape)
    assert np.isclose((xs * ys).sum(), (x * phases.from_phases(ys, x.shape, spec)).sum())
    assert np.isclose((ws * vs).sum(), (w * phases.from_phase_filter(vs, w.shape, s)).sum())
    assert_close(phases.from_phase_filter(ws, w.shape, s), w)


@settings(max_examples=25, deadline=None)
@given(strided_cases(), st.sampled_from(["winograd_cpu", "winograd_reference"]))
def test_forward_and_gradients_equal_the_direct_loop_and_im2col(case, inner):
    x, w, b = arrays(case)
    conv = phases.PhaseConv({"winograd_cpu": winograd_cpu,
                             "winograd_reference": winograd_reference}[inner])
    y = conv.conv2d_forward(x, w, b, args(case))
    assert_close(y, conv2d_direct(x, w, b, args(case)))
    gy = np.random.default_rng(2).standard_normal(y.shape)
    got = conv.conv2d_backward(gy, x, w, args(case), (True, True, True))
    for g, want in zip(got, reference.conv2d_backward(gy, x, w, args(case), (True, True, True))):
        assert_close(g, want)


@settings(max_examples=15, deadline=None)
@given(strided_cases(phase3=False))
def test_any_phase_kernel_through_im2col(case):
    """The rewrite itself does not need a 3×3 phase kernel (the dispatch only uses it there)."""
    x, w, b = arrays(case)
    conv = phases.PhaseConv(cpu)
    y = conv.conv2d_forward(x, w, b, args(case))
    assert_close(y, reference.conv2d_forward(x, w, b, args(case)))
    gy = np.random.default_rng(3).standard_normal(y.shape)
    got = conv.conv2d_backward(gy, x, w, args(case), (True, False, True))
    want = reference.conv2d_backward(gy, x, w, args(case), (True, False, True))
    assert got[1] is None
    assert_close(got[0], want[0])
    assert_close(got[2], want[2])


def test_float32_error_at_alexnet_conv1():
    """float32 against float64 im2col, normwise, at AlexNet conv1 (batch 1): within 1e-6."""
    errors = alexnet_float32_errors(phases.PhaseConv(winograd_cpu), (1, 3, 224, 224),
                                    (96, 3, 11, 11), (1, 96, 55, 55), (4, 2, 1, 1))
    assert max(errors) <= 1e-6, errors


@settings(max_examples=10, deadline=None)
@given(strided_cases(max_side=11), st.booleans())
def test_gradcheck_through_the_phase_kernels(case, with_bias):
    x, w, b = arrays(case)
    assert gradcheck_under_winograd(x, w, b if with_bias else None, args(case), phases.PhaseConv)


@settings(max_examples=10, deadline=None)
@given(strided_cases())
def test_phase_conv_equals_torch(case):
    x, w, b = arrays(case)
    assert_conv_equals_torch(x, w, b, case["stride"], case["padding"], case["groups"], "winograd")


def test_dispatch_rule():
    conv1 = ((32, 3, 224, 224), (96, 3, 11, 11), (4, 4), (1, 1), 1)
    assert pick(*conv1) == auto_im2col()     # auto: measured no faster than im2col there
    assert pick((1,) + conv1[0][1:], *conv1[1:]) == auto_im2col(1)   # a batch of one
    x = np.zeros((1, 3, 64, 64), np.float32)
    with kernels.use(conv_algo="winograd"):
        assert pick(*conv1) == "phases"
        assert pick((8, 3, 224, 224), (32, 3, 11, 11), (4, 4), (1, 1), 1) == "phases"
        assert pick((8, 3, 224, 224), (64, 3, 7, 7), (2, 2), (1, 1), 1) == "im2col"   # 4×4
        assert pick((8, 3, 224, 224), (96, 3, 11, 11), (4, 4), (2, 2), 1) == "im2col"  # dilated
        kern = kernels_for(x, (96, 3, 11, 11), (4, 4), (1, 1), 1)
        assert isinstance(kern, phases.PhaseConv) and kern.inner is winograd_cpu
        with kernels.use(target="reference"):
            assert kernels_for(x, (96, 3, 11, 11), (4, 4), (1, 1), 1).inner \
                is winograd_reference
    with kernels.use(conv_algo="im2col"):
        assert pick(*conv1) == "im2col"
        assert kernels_for(x, (96, 3, 11, 11), (4, 4), (1, 1), 1) is cpu


def test_dilation_is_refused():
    conv = phases.PhaseConv(winograd_reference)
    with pytest.raises(ValueError, match="phases conv2d: needs dilation 1"):
        conv.conv2d_forward(np.zeros((1, 1, 9, 9)), np.zeros((1, 1, 5, 5)), None,
                            make_spec((1, 1, 9, 9), (1, 1, 5, 5), stride=2, dilation=2))
