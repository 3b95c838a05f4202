"""minidl's kernel-backed ops against torch.nn.functional: values and gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
import minidl.functional as F
from kernel_cases import conv_arrays, conv_cases, distinct, pool_cases

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def run_both(minidl_fn, torch_fn, arrays, seed=0):
    """Outputs and input gradients (for a random output weighting) from both libraries."""
    ours = [minidl.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, yt = minidl_fn(*ours), torch_fn(*theirs)
    gy = np.random.default_rng(seed).standard_normal(y.shape).astype(arrays[0].dtype)
    y.backward(minidl.tensor(gy))
    yt.backward(torch.tensor(gy))
    return ([y.detach().numpy()] + [t.grad.numpy() for t in ours],
            [yt.detach().numpy()] + [t.grad.numpy() for t in theirs])


def assert_same(ours, theirs, dtype):
    tol = 1e-9 if dtype == np.float64 else 2e-4
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@settings(max_examples=20)
@given(conv_cases(), st.sampled_from([np.float64, np.float32]))
def test_conv2d(case, dtype):
    x, w, b = conv_arrays(case, dtype)
    stride, padding, dilation, groups = (case[k] for k in ("stride", "padding", "dilation",
                                                           "groups"))
    ours, theirs = run_both(
        lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups),
        lambda x, w, b: TF.conv2d(x, w, b, stride, padding, dilation, groups), [x, w, b])
    assert_same(ours, theirs, dtype)


def test_conv2d_alexnet_conv2_grouped():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 96, 13, 13), dtype=np.float32)
    w = rng.standard_normal((256, 48, 5, 5), dtype=np.float32) * 0.05
    b = rng.standard_normal(256, dtype=np.float32)
    ours, theirs = run_both(lambda x, w, b: F.conv2d(x, w, b, padding=2, groups=2),
                            lambda x, w, b: TF.conv2d(x, w, b, padding=2, groups=2), [x, w, b])
    for a, t in zip(ours, theirs):
        np.testing.assert_allclose(a, t, rtol=1e-3, atol=1e-3 * np.abs(t).max())


@settings(max_examples=20)
@given(pool_cases(), st.integers(0, 99), st.sampled_from([np.float64, np.float32]))
def test_max_pool2d(case, seed, dtype):
    x = distinct((case["N"], case["C"], case["H"], case["W"]), seed, dtype)
    k, s, p, ceil_mode = (case[n] for n in ("kernel_size", "stride", "padding", "ceil_mode"))
    ours, theirs = run_both(lambda x: F.max_pool2d(x, k, s, p, 1, ceil_mode),
                            lambda x: TF.max_pool2d(x, k, s, p, 1, ceil_mode), [x])
    assert_same(ours, theirs, dtype)


def test_max_pool2d_alexnet_overlapping():
    x = distinct((2, 4, 55, 55), 0, np.float32)
    ours, theirs = run_both(lambda x: F.max_pool2d(x, 3, 2), lambda x: TF.max_pool2d(x, 3, 2), [x])
    assert ours[0].shape == (2, 4, 27, 27)
    assert_same(ours, theirs, np.float32)


@settings(max_examples=20)
@given(pool_cases(), st.booleans(), st.sampled_from([np.float64, np.float32]))
def test_avg_pool2d(case, count_include_pad, dtype):
    x = np.random.default_rng(0).standard_normal((case["N"], case["C"], case["H"], case["W"]))
    k, s, p, ceil_mode = (case[n] for n in ("kernel_size", "stride", "padding", "ceil_mode"))
    ours, theirs = run_both(lambda x: F.avg_pool2d(x, k, s, p, ceil_mode, count_include_pad),
                            lambda x: TF.avg_pool2d(x, k, s, p, ceil_mode, count_include_pad),
                            [x.astype(dtype)])
    assert_same(ours, theirs, dtype)


@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 5), st.integers(1, 5))
def test_adaptive_avg_pool2d(H, W, OH, OW):
    x = np.random.default_rng(0).standard_normal((2, 3, H, W))
    ours, theirs = run_both(lambda x: F.adaptive_avg_pool2d(x, (OH, OW)),
                            lambda x: TF.adaptive_avg_pool2d(x, (OH, OW)), [x])
    assert_same(ours, theirs, np.float64)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("size, alpha, beta, k", [(5, 1e-4, 0.75, 2.0), (5, 1.0, 0.75, 2.0),
                                                   (4, 0.5, 0.75, 1.0), (3, 1.0, 1.2, 0.5),
                                                   (2, 2.0, 0.5, 1.0)])
def test_local_response_norm_is_torchs(size, alpha, beta, k, dtype):
    x = np.random.default_rng(size).standard_normal((2, 9, 4, 5)).astype(dtype)
    ours, theirs = run_both(lambda x: F.local_response_norm(x, size, alpha, beta, k),
                            lambda x: TF.local_response_norm(x, size, alpha, beta, k), [x])
    assert_same(ours, theirs, dtype)


def test_relu():
    x = np.random.default_rng(0).standard_normal((3, 4, 5)).astype(np.float32)
    ours, theirs = run_both(F.relu, TF.relu, [x])
    assert_same(ours, theirs, np.float32)
