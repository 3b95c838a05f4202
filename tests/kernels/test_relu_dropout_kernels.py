"""ReLU and dropout kernels: Numba CPU == NumPy reference; dropout's mask statistics."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minidl.kernels.dropout import cpu as dcpu
from minidl.kernels.dropout import reference as dref
from minidl.kernels.relu import cpu as rcpu
from minidl.kernels.relu import reference as rref


@given(st.integers(0, 2000), st.sampled_from([np.float64, np.float32]))
def test_relu_matches_reference(n, dtype):
    x = np.random.default_rng(n).standard_normal(n).astype(dtype)
    gy = np.random.default_rng(n + 1).standard_normal(n).astype(dtype)
    y = rcpu.relu_forward(x)
    np.testing.assert_array_equal(y, rref.relu_forward(x))
    np.testing.assert_array_equal(rcpu.relu_backward(gy, y), rref.relu_backward(gy, y))
    assert y.dtype == dtype


def test_relu_keeps_shape_and_passes_nan():
    x = np.array([[-1.0, 0.0], [np.nan, 2.0]])
    y = rcpu.relu_forward(x.T)                       # non-contiguous input
    np.testing.assert_array_equal(y, [[0.0, np.nan], [0.0, 2.0]])


@given(st.integers(1, 3000), st.sampled_from([0.0, 0.1, 0.5, 0.9]), st.integers(0, 2 ** 64 - 1))
def test_dropout_cpu_mask_is_the_reference_mask_bit_for_bit(n, p, key):
    x = np.random.default_rng(n).standard_normal(n).astype(np.float32)
    y, mask = dcpu.dropout_forward(x, p, key)
    y_ref, mask_ref = dref.dropout_forward(x, p, key)
    assert mask.dtype == np.bool_ and y.dtype == np.float32
    np.testing.assert_array_equal(mask, mask_ref)
    np.testing.assert_allclose(y, y_ref, rtol=1e-6)
    gy = np.ones_like(x)
    np.testing.assert_allclose(dcpu.dropout_backward(gy, mask, p),
                               dref.dropout_backward(gy, mask_ref, p), rtol=1e-6)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_drops_a_fraction_p_and_keeps_the_mean(p):
    x = np.ones((64, 4096))
    y, mask = dcpu.dropout_forward(x, p, 12345)
    assert abs((1 - mask.mean()) - p) < 0.01                 # 262144 draws: sd ~ 0.001
    np.testing.assert_allclose(y[mask], 1 / (1 - p))
    assert (y[~mask] == 0).all()
    assert abs(y.mean() - 1.0) < 0.02


def test_dropout_keys_give_independent_masks():
    x = np.ones(100000)
    _, m1 = dcpu.dropout_forward(x, 0.5, 1)
    _, m2 = dcpu.dropout_forward(x, 0.5, 2)
    assert abs((m1 == m2).mean() - 0.5) < 0.01


def test_zero_dimensional_inputs_keep_their_shape():
    x = np.asarray(-1.5)
    assert rcpu.relu_forward(x).shape == () and rcpu.relu_backward(x, x).shape == ()
    y, mask = dcpu.dropout_forward(np.asarray(2.0), 0.5, 3)
    assert y.shape == () and mask.shape == () and dcpu.dropout_backward(y, mask, 0.5).shape == ()


@pytest.mark.parametrize("mode", ["cpu", "reference"])
def test_relu_gradient_passes_at_nan_as_in_pytorch(mode):
    """PyTorch zeros the gradient only where y <= 0; a NaN input (y = NaN) passes it on."""
    from minidl.kernels.relu import cpu, reference
    kernel = {"cpu": cpu, "reference": reference}[mode]
    x = np.array([np.nan, -1.0, 0.0, 2.0], dtype=np.float32)
    y = kernel.relu_forward(x)
    gx = kernel.relu_backward(np.full(4, 0.5, np.float32), y)
    np.testing.assert_array_equal(gx, [0.5, 0.0, 0.0, 0.5])
