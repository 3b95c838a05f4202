"""Gradient checks (float64, finite differences) of every kernel-backed op through autograd."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
import minidl.functional as F
from kernel_cases import conv_arrays, conv_cases, distinct, pool_cases


def T(a):
    return minidl.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


@settings(max_examples=10)
@given(conv_cases(max_side=5), st.booleans())
def test_conv2d(case, with_bias):
    x, w, b = conv_arrays(case)
    stride, padding, dilation, groups = (case[k] for k in ("stride", "padding", "dilation",
                                                           "groups"))
    inputs = [T(x), T(w)] + ([T(b)] if with_bias else [])
    assert minidl.gradcheck(lambda x, w, *b: F.conv2d(x, w, *(b or [None]), stride=stride,
                                                      padding=padding, dilation=dilation,
                                                      groups=groups), inputs)


@settings(max_examples=10)
@given(pool_cases(max_side=6), st.integers(0, 50))
def test_max_pool2d_without_ties(case, seed):
    x = T(distinct((case["N"], case["C"], case["H"], case["W"]), seed))
    k, s, p, ceil_mode = (case[n] for n in ("kernel_size", "stride", "padding", "ceil_mode"))
    assert minidl.gradcheck(lambda x: F.max_pool2d(x, k, s, p, ceil_mode=ceil_mode), [x])


@settings(max_examples=10)
@given(pool_cases(max_side=6), st.booleans())
def test_avg_pool2d(case, count_include_pad):
    x = T(np.random.default_rng(0).standard_normal((case["N"], case["C"], case["H"], case["W"])))
    k, s, p, ceil_mode = (case[n] for n in ("kernel_size", "stride", "padding", "ceil_mode"))
    assert minidl.gradcheck(lambda x: F.avg_pool2d(x, k, s, p, ceil_mode, count_include_pad), [x])


@pytest.mark.parametrize("out", [1, (2, 3), (4, 4)])
def test_adaptive_avg_pool2d(out):
    x = T(np.random.default_rng(0).standard_normal((2, 2, 5, 7)))
    assert minidl.gradcheck(lambda x: F.adaptive_avg_pool2d(x, out), [x])


@pytest.mark.parametrize("size, alpha, beta, k", [(5, 1e-4, 0.75, 2.0), (5, 1.0, 0.75, 2.0),
                                                   (4, 1.0, 0.75, 1.0), (2, 0.5, 1.5, 0.7),
                                                   (1, 1.0, 0.6, 1.0), (6, 1.0, 0.75, 2.0)])
def test_local_response_norm_odd_and_even_sizes(size, alpha, beta, k):
    x = T(np.random.default_rng(size).standard_normal((2, 7, 3, 2)) * 2)
    assert minidl.gradcheck(lambda x: F.local_response_norm(x, size, alpha, beta, k), [x])


def test_relu_off_zero():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4, 5))
    a += np.sign(a) * 0.1                      # no input within 0.1 of the kink
    assert minidl.gradcheck(F.relu, [T(a)])


def test_dropout_with_a_fixed_generator():
    x = T(np.random.default_rng(0).standard_normal((4, 30)))
    # a fresh generator per call: every finite-difference pass sees the same mask
    assert minidl.gradcheck(lambda x: F.dropout(x, 0.4, generator=minidl.Generator(7)), [x])
