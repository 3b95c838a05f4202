"""``nn.LocalResponseNorm`` and ``F.local_response_norm`` are PyTorch's: alpha divided by size,
k=1 by default, PyTorch's window for even sizes; against torch itself, plus a float64 gradcheck."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
import minidl.functional as F
from minidl import nn

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 6])
def test_module_with_defaults_is_torchs(size, dtype):
    x = (np.random.default_rng(size).standard_normal((2, 9, 4, 3)) * 30).astype(dtype)
    ours = nn.LocalResponseNorm(size)
    theirs = torch.nn.LocalResponseNorm(size)
    assert repr(ours) == repr(theirs)                      # same defaults, printed alike
    a = minidl.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    y, yt = ours(a), theirs(t)
    gy = np.random.default_rng(1).standard_normal(x.shape).astype(dtype)
    y.backward(minidl.tensor(gy))
    yt.backward(torch.tensor(gy))
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("shape", [(2, 7, 5), (1, 6, 2, 3, 2)])
@pytest.mark.parametrize("size, alpha, beta, k", [(5, 1e-2, 0.75, 2.0), (4, 2.0, 0.5, 1.0)])
def test_functional_3d_and_5d_inputs_are_torchs(shape, size, alpha, beta, k):
    x = np.random.default_rng(0).standard_normal(shape) * 2
    ours = F.local_response_norm(minidl.tensor(x), size, alpha, beta, k).numpy()
    theirs = torch.nn.functional.local_response_norm(torch.tensor(x), size, alpha, beta, k)
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12, atol=1e-12)


def test_a_large_alpha_makes_the_convention_visible():
    """Were alpha applied to the plain sum (the paper's form), this input would differ by far
    more than rounding: the test can fail."""
    x = np.random.default_rng(3).standard_normal((1, 8, 3, 3)) * 3
    ours = F.local_response_norm(minidl.tensor(x), 5, alpha=1.0).numpy()
    theirs = torch.nn.functional.local_response_norm(torch.tensor(x), 5, alpha=1.0).numpy()
    paper = torch.nn.functional.local_response_norm(torch.tensor(x), 5, alpha=5.0).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert np.abs(ours - paper).max() > 0.1


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 6), st.floats(0.01, 3.0), st.floats(0.3, 1.5), st.floats(0.5, 2.5),
       st.integers(1, 8), st.integers(0, 1000))
def test_gradcheck_float64(size, alpha, beta, k, channels, seed):
    x = minidl.tensor(np.random.default_rng(seed).standard_normal((2, channels, 2, 3)) * 2,
                      requires_grad=True)
    assert minidl.gradcheck(lambda x: F.local_response_norm(x, size, alpha, beta, k), [x])
