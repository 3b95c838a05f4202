"""Pooling kernels: Numba CPU == NumPy reference, forward and backward, over drawn geometries."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from kernel_cases import assert_close, distinct, pool_args, pool_cases
from minidl.kernels.pool import cpu, reference
from minidl.kernels.pool.spec import make_spec
from minidl.kernels.shapes import pool_output_size


def _x(case, seed, dtype=np.float64):
    return distinct((case["N"], case["C"], case["H"], case["W"]), seed, dtype)


@given(pool_cases(), st.integers(0, 100), st.sampled_from([np.float64, np.float32]))
def test_max_pool_matches_reference(case, seed, dtype):
    x = _x(case, seed, dtype)
    y, argmax = cpu.max_pool2d_forward(x, pool_args(case))
    y_ref, argmax_ref = reference.max_pool2d_forward(x, pool_args(case))
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(argmax, argmax_ref)
    assert argmax.dtype == np.int32 and y.dtype == dtype
    gy = np.random.default_rng(seed).standard_normal(y.shape).astype(dtype)
    assert_close(cpu.max_pool2d_backward(gy, argmax, x.shape, pool_args(case)),
                 reference.max_pool2d_backward(gy, argmax, x.shape, pool_args(case)), dtype)


@given(pool_cases(), st.integers(0, 100))
def test_max_pool_winners_are_inside_the_image_and_hold_the_max(case, seed):
    x = _x(case, seed) - 100.0              # all negative: a zero from padding would win
    y, argmax = cpu.max_pool2d_forward(x, pool_args(case))
    assert (y < 0).all()
    planes = x.reshape(x.shape[0], x.shape[1], -1)
    np.testing.assert_array_equal(np.take_along_axis(planes, argmax.reshape(
        argmax.shape[0], argmax.shape[1], -1), 2).reshape(y.shape), y)


def test_overlapping_windows_sum_their_gradients():
    # AlexNet's 3×3 windows 2 apart: the centre cell wins all four windows of a 5×5 input
    x = np.zeros((1, 1, 5, 5))
    x[0, 0, 2, 2] = 1.0
    y, argmax = cpu.max_pool2d_forward(x, make_spec(x.shape, 3, stride=2))
    assert y.shape == (1, 1, 2, 2) and (argmax == 12).all()
    gx = cpu.max_pool2d_backward(np.ones_like(y), argmax, x.shape, make_spec(x.shape, 3, 2))
    assert gx[0, 0, 2, 2] == 4.0 and gx.sum() == 4.0


@given(pool_cases(), st.booleans(), st.sampled_from([np.float64, np.float32]))
def test_avg_pool_matches_reference(case, count_include_pad, dtype):
    x = _x(case, 0, dtype)
    args = pool_args(case, count_include_pad)
    y = cpu.avg_pool2d_forward(x, args)
    assert_close(y, reference.avg_pool2d_forward(x, args), dtype)
    gy = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
    assert_close(cpu.avg_pool2d_backward(gy, x.shape, args),
                 reference.avg_pool2d_backward(gy, x.shape, args), dtype)


@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 5), st.integers(1, 5))
def test_adaptive_avg_pool_matches_reference(H, W, OH, OW):
    x = np.random.default_rng(H * W).standard_normal((2, 3, H, W))
    y = cpu.adaptive_avg_pool2d_forward(x, (OH, OW))
    assert_close(y, reference.adaptive_avg_pool2d_forward(x, (OH, OW)))
    gy = np.random.default_rng(0).standard_normal(y.shape)
    assert_close(cpu.adaptive_avg_pool2d_backward(gy, x.shape, (OH, OW)),
                 reference.adaptive_avg_pool2d_backward(gy, x.shape, (OH, OW)))


def test_global_average_pooling_is_the_mean():
    x = np.random.default_rng(0).standard_normal((2, 4, 7, 7))
    assert_close(cpu.adaptive_avg_pool2d_forward(x, (1, 1))[:, :, 0, 0], x.mean(axis=(2, 3)))


def test_ceil_mode_keeps_a_partial_window_but_not_one_in_the_padding():
    assert pool_output_size(6, 3, 2, 0, False) == 2
    assert pool_output_size(6, 3, 2, 0, True) == 3           # a last window over columns 4..5
    # 5 + 2*1 - 2 = 5 over stride 2 rounds up to 3 windows, but the 4th (index 3) would start
    # at 3*2 - 1 = 5, inside the right padding only, so PyTorch drops it
    assert pool_output_size(5, 2, 2, 1, True) == 3
