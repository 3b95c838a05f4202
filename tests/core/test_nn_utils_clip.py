"""``minidl.nn.utils``: clip_grad_norm_/clip_grad_value_ and the vector helpers, against
PyTorch's ``torch.nn.utils`` on the same gradients."""
import math

import numpy as np
import pytest

import minidl

torch = pytest.importorskip("torch")


def _grads(lib, seed):
    rng = np.random.default_rng(seed)
    params = [lib.zeros(3, 4, requires_grad=True), lib.zeros(4, requires_grad=True),
              lib.zeros(2, requires_grad=True)]
    for p in params[:2]:   # the last one has no gradient, as a frozen layer
        p.grad = lib.tensor((rng.standard_normal(tuple(p.shape)) * 3).astype(np.float32))
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e4])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    m, t = _grads(minidl, 0), _grads(torch, 0)
    nt = float(norm_type)
    got = minidl.nn.utils.clip_grad_norm_(m, max_norm=max_norm, norm_type=nt)
    want = torch.nn.utils.clip_grad_norm_(t, max_norm=max_norm, norm_type=nt)
    assert got.shape == () and str(got.dtype) == "float32"
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-6)
    for a, b in zip(m, t):
        assert (a.grad is None) == (b.grad is None)
        if a.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_clip_grad_norm_single_tensor_no_grads_and_nonfinite():
    m, t = _grads(minidl, 1)[0], _grads(torch, 1)[0]
    np.testing.assert_allclose(minidl.nn.utils.clip_grad_norm_(m, 1.0).item(),
                               torch.nn.utils.clip_grad_norm_(t, 1.0).item(), rtol=1e-6)
    assert minidl.nn.utils.clip_grad_norm_([minidl.zeros(2, requires_grad=True)], 1.0).item() == \
        torch.nn.utils.clip_grad_norm_([torch.zeros(2, requires_grad=True)], 1.0).item() == 0.0
    for lib in (minidl, torch):
        p = lib.zeros(2, requires_grad=True)
        p.grad = lib.tensor([float("nan"), 1.0])
        with pytest.raises(RuntimeError, match="non-finite"):
            lib.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_clip_grad_value_and_vectors_match_torch():
    m, t = _grads(minidl, 2), _grads(torch, 2)
    minidl.nn.utils.clip_grad_value_(m, 1.5)
    torch.nn.utils.clip_grad_value_(t, 1.5)
    for a, b in zip(m[:2], t[:2]):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    for p, q in zip(m, t):
        with minidl.no_grad():
            p.copy_(minidl.tensor(np.arange(p.numel(), dtype=np.float32).reshape(p.shape)))
        with torch.no_grad():
            q.copy_(torch.arange(q.numel(), dtype=torch.float32).reshape(q.shape))
    v, w = minidl.nn.utils.parameters_to_vector(m), torch.nn.utils.parameters_to_vector(t)
    np.testing.assert_array_equal(v.detach().numpy(), w.detach().numpy())
    minidl.nn.utils.vector_to_parameters(v.detach() * 2, m)
    torch.nn.utils.vector_to_parameters(w.detach() * 2, t)
    for p, q in zip(m, t):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
