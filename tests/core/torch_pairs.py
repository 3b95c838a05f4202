"""Helpers shared by the PyTorch-comparison tests of tests/core: the same float64 values as a
minidl and a torch leaf, and a check of values and gradients. Only imported by test files that
have already skipped when torch is missing."""
import numpy as np

import minidl


def T(a):
    """A float64 minidl leaf that requires grad."""
    return minidl.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def both(a, requires_grad=True):
    """The same float64 values as a minidl and a torch leaf."""
    import torch
    a = np.asarray(a, dtype=np.float64)
    return (minidl.tensor(a, requires_grad=requires_grad),
            torch.tensor(a, requires_grad=requires_grad))


def check(m_out, t_out, m_in=(), t_in=(), atol=1e-10):
    """Values equal and, for each pair of inputs, the gradient of sum(out * w) equal."""
    import torch
    np.testing.assert_allclose(m_out.detach().numpy(), t_out.detach().numpy(), atol=atol,
                               rtol=1e-7)
    if not m_in:
        return
    w = np.random.default_rng(0).standard_normal(t_out.shape)
    (m_out * minidl.tensor(w)).sum().backward()
    (t_out * torch.tensor(w)).sum().backward()
    for m, t in zip(m_in, t_in):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), atol=atol, rtol=1e-7)
