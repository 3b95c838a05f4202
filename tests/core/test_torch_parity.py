"""The same computations in PyTorch (when installed): values and gradients agree."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
import minidl.functional as F
from minidl.testing import arrays, broadcastable_shapes

torch = pytest.importorskip("torch")


def both(a):
    return (minidl.tensor(a, requires_grad=True),
            torch.tensor(a, dtype=torch.float64, requires_grad=True))


def check(m_out, t_out, m_in, t_in):
    np.testing.assert_allclose(m_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-6,
                               atol=1e-9)
    g = np.random.default_rng(0).standard_normal(t_out.shape)
    m_out.backward(minidl.tensor(g))
    t_out.backward(torch.tensor(g))
    for m, t in zip(m_in, t_in):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-9)


@given(st.data(), broadcastable_shapes(min_dims=1))
def test_elementwise_composite(data, pair):
    a, b = data.draw(arrays(pair[0])), data.draw(arrays(pair[1], min_value=0.5))
    (ma, ta), (mb, tb) = both(a), both(b)
    m = (ma * mb - ma / mb + (ma ** 2) * mb.exp()).tanh() + mb.log() * ma.sigmoid()
    t = (ta * tb - ta / tb + (ta ** 2) * tb.exp()).tanh() + tb.log() * ta.sigmoid()
    check(m, t, [ma, mb], [ta, tb])


def test_matmul_linear_and_losses():
    rng = np.random.default_rng(3)
    (mx, tx), (mw, tw), (mb, tb) = both(rng.standard_normal((5, 4))), \
        both(rng.standard_normal((3, 4))), both(rng.standard_normal(3))
    target = rng.integers(0, 3, 5)
    m = F.cross_entropy(F.linear(mx, mw, mb), minidl.tensor(target))
    t = torch.nn.functional.cross_entropy(torch.nn.functional.linear(tx, tw, tb),
                                          torch.tensor(target))
    check(m, t, [mx, mw, mb], [tx, tw, tb])


def test_reductions_and_shapes():
    rng = np.random.default_rng(4)
    (mx, tx) = both(rng.standard_normal((2, 3, 4)))
    m = mx.permute(2, 0, 1).reshape(4, 6).max(dim=1).values + mx.mean(dim=(0, 2)).sum() \
        + mx.transpose(0, 2)[1:3].flatten().sum() + mx.amax(dim=-1).sum()
    t = tx.permute(2, 0, 1).reshape(4, 6).max(dim=1).values + tx.mean(dim=(0, 2)).sum() \
        + tx.transpose(0, 2)[1:3].flatten().sum() + tx.amax(dim=-1).sum()
    check(m, t, [mx], [tx])


def test_cat_stack_pad_where_softmax():
    rng = np.random.default_rng(5)
    (ma, ta), (mb, tb) = both(rng.standard_normal((2, 3))), both(rng.standard_normal((2, 3)))
    m = F.softmax(minidl.cat([ma, mb], dim=1), dim=1) * F.pad(minidl.stack([ma, mb]), (1, 2))[:, :, :6].sum(0)
    t = torch.softmax(torch.cat([ta, tb], dim=1), dim=1) * torch.nn.functional.pad(torch.stack([ta, tb]), (1, 2))[:, :, :6].sum(0)
    m = m + minidl.where(ma.detach() > 0, ma, mb).sum() + F.log_softmax(ma, dim=0).sum()
    t = t + torch.where(ta.detach() > 0, ta, tb).sum() + torch.log_softmax(ta, dim=0).sum()
    check(m, t, [ma, mb], [ta, tb])
