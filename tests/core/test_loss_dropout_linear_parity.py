"""PyTorch parity of losses, dropout and linear: BCE's target gradient, dropout with p = 1,
the elementwise `weight` of mse_loss/l1_loss (PyTorch 2.13), F.linear with a 1-D weight,
Tanh/Sigmoid taking arguments. Gradients against finite differences (float64, hypothesis) and
against torch."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
import minidl.functional as F
from minidl import nn
from minidl.testing import arrays, shapes


def T(a, grad=True):
    return minidl.tensor(np.asarray(a, dtype=np.float64), dtype=minidl.float64,
                         requires_grad=grad)


def torch_t(a, grad=True):
    torch = pytest.importorskip("torch")
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


# -- binary_cross_entropy: the target gradient is unclamped ---------------------------------

@given(st.data(), shapes(min_dims=1, max_dims=3))
def test_bce_gradcheck_input_and_target(data, shape):
    x = T(data.draw(arrays(shape, min_value=0.05, max_value=0.95)))
    t = T(data.draw(arrays(shape, min_value=0.0, max_value=1.0)))
    reduction = data.draw(st.sampled_from(["mean", "sum", "none"]))
    assert minidl.gradcheck(lambda x, t: F.binary_cross_entropy(x, t, reduction=reduction),
                            [x, t])


def test_bce_target_gradient_at_0_and_1_matches_torch():
    torch = pytest.importorskip("torch")
    xs = np.array([0.0, 1.0, 0.5, 1e-50, 1.0 - 1e-12, 0.3])
    ts = np.array([0.3, 0.3, 0.3, 0.3, 0.7, 1.0])
    w = np.array([1.0, 2.0, 0.5, 1.0, 3.0, 1.0])
    for weight in (None, w):
        x, t = T(xs, grad=False), T(ts)
        loss = F.binary_cross_entropy(x, t, weight=None if weight is None else T(weight, False),
                                      reduction="sum")
        loss.backward()
        tx, tt = torch_t(xs, grad=False), torch_t(ts)
        tl = torch.nn.functional.binary_cross_entropy(
            tx, tt, weight=None if weight is None else torch_t(weight, False), reduction="sum")
        tl.backward()
        assert loss.item() == pytest.approx(tl.item(), rel=1e-12)  # value still clamped
        assert np.isfinite(loss.item())
        np.testing.assert_allclose(t.grad.detach().numpy(), tt.grad.detach().numpy(), rtol=1e-12)
        assert t.grad.detach().numpy()[0] == np.inf and t.grad.detach().numpy()[1] == -np.inf


def test_bce_value_uses_log1p_like_torch():
    torch = pytest.importorskip("torch")
    xs, ts = np.array([1e-20, 0.25]), np.array([0.0, 0.0])
    got = F.binary_cross_entropy(T(xs, False), T(ts, False), reduction="none").detach().numpy()
    want = torch.nn.functional.binary_cross_entropy(torch_t(xs, False), torch_t(ts, False),
                                                    reduction="none").detach().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)


# -- dropout with p = 1 ----------------------------------------------------------------------

def test_dropout_p_one_gives_zeros():
    x = T(np.arange(6.0).reshape(2, 3) - 2.0)
    y = F.dropout(x, 1.0)
    assert y.shape == (2, 3) and y.dtype == x.dtype
    np.testing.assert_array_equal(y.detach().numpy(), np.zeros((2, 3)))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), np.zeros((2, 3)))
    assert F.dropout(x, 1.0, training=False) is x
    m = nn.Dropout(1.0)
    np.testing.assert_array_equal(m(x).detach().numpy(), np.zeros((2, 3)))
    assert m.eval()(x) is x
    x32 = minidl.tensor(np.ones((3,), np.float32))
    assert F.dropout(x32, p=1).dtype == minidl.float32


@pytest.mark.parametrize("p", [-0.1, 1.0001, 2.0])
def test_dropout_p_outside_0_1_still_raises(p):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        F.dropout(T(np.ones(3)), p)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        nn.Dropout(p)


# -- mse_loss / l1_loss weight (PyTorch 2.13) ---------------------------------------------------

@pytest.mark.parametrize("fn", ["mse_loss", "l1_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_weighted_pointwise_losses_match_torch(fn, reduction):
    torch = pytest.importorskip("torch")
    import inspect
    if "weight" not in inspect.signature(getattr(torch.nn.functional, fn)).parameters:
        pytest.skip("this torch has no weight for " + fn)
    rng = np.random.default_rng(0)
    a, b, w = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.random((3, 4))
    x, t, wt = T(a), T(b), T(w)
    out = getattr(F, fn)(x, t, reduction=reduction, weight=wt)
    tx, tt, tw = torch_t(a), torch_t(b), torch_t(w)
    tout = getattr(torch.nn.functional, fn)(tx, tt, reduction=reduction, weight=tw)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    tout.sum().backward()
    for mine, theirs in ((x, tx), (t, tt), (wt, tw)):
        np.testing.assert_allclose(mine.grad.detach().numpy(), theirs.grad.detach().numpy(), rtol=1e-10,
                                   atol=1e-14)


@settings(max_examples=30)
@given(st.data(), shapes(min_dims=1, max_dims=3))
def test_weighted_pointwise_losses_gradcheck(data, shape):
    x = T(data.draw(arrays(shape)))
    t = T(data.draw(arrays(shape)))
    w = T(data.draw(arrays(shape, min_value=0.1, max_value=2.0)))
    reduction = data.draw(st.sampled_from(["mean", "sum", "none"]))
    assert minidl.gradcheck(lambda x, t, w: F.mse_loss(x, t, reduction=reduction, weight=w),
                            [x, t, w])
    # keep |x - t| away from l1's kink
    t2 = T(x.detach().numpy() + np.where(data.draw(arrays(shape)) >= 0, 0.5, -0.5))
    assert minidl.gradcheck(lambda x, t, w: F.l1_loss(x, t, reduction=reduction, weight=w),
                            [x, t2, w])


def test_weight_must_have_the_input_shape():
    with pytest.raises(ValueError, match="Weights and input must have the same size"):
        F.mse_loss(T(np.ones((2, 3))), T(np.ones((2, 3))), weight=T(np.ones(3)))
    x = T(np.ones((2, 3)))
    assert F.l1_loss(x, x, weight=None).item() == 0.0


# -- F.linear with a 1-D weight ----------------------------------------------------------------

@given(st.data(), shapes(min_dims=0, max_dims=2), st.integers(1, 4), st.booleans())
def test_linear_vector_weight_gradcheck(data, batch, n_in, with_bias):
    x = T(data.draw(arrays(batch + (n_in,))))
    w = T(data.draw(arrays((n_in,))))
    inputs = [x, w] + ([T(data.draw(arrays(())))] if with_bias else [])
    y = F.linear(*inputs)
    assert y.shape == batch
    assert minidl.gradcheck(lambda *a: F.linear(*a), inputs)


# torch's 2-D input with a 1-D weight and a bias goes to addmm and fails; minidl allows it
@pytest.mark.parametrize("shape,with_bias", [((3,), False), ((3,), True), ((2, 3), False),
                                             ((0, 3), False), ((4, 2, 3), False),
                                             ((4, 2, 3), True), ((0, 2, 3), True)])
def test_linear_vector_weight_matches_torch(shape, with_bias):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    a, w, b = rng.standard_normal(shape), rng.standard_normal(3), rng.standard_normal(())
    args = [T(a), T(w)] + ([T(b)] if with_bias else [])
    targs = [torch_t(a), torch_t(w)] + ([torch_t(b)] if with_bias else [])
    y, ty = F.linear(*args), torch.nn.functional.linear(*targs)
    assert y.shape == tuple(ty.shape) == shape[:-1]
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
    (y * 2).sum().backward()
    (ty * 2).sum().backward()
    for mine, theirs in zip(args, targs):
        np.testing.assert_allclose(mine.grad.detach().numpy(), theirs.grad.detach().numpy(), rtol=1e-12)


def test_linear_vector_weight_errors():
    with pytest.raises(ValueError, match="needs weight of shape"):
        F.linear(T(np.ones((2, 3))), T(np.ones(4)))
    with pytest.raises(ValueError, match="bias must be 0-d"):
        F.linear(T(np.ones((2, 3))), T(np.ones(3)), T(np.ones(2)))


# -- Tanh / Sigmoid ignore arguments -------------------------------------------------------------

def test_tanh_sigmoid_accept_and_ignore_arguments():
    x = T(np.array([-1.0, 0.0, 2.0]), grad=False)
    for cls, fn in ((nn.Tanh, np.tanh), (nn.Sigmoid, lambda v: 1 / (1 + np.exp(-v)))):
        for m in (cls(), cls(1, "a", inplace=True), cls(foo=None)):
            np.testing.assert_allclose(m(x).detach().numpy(), fn(x.detach().numpy()), rtol=1e-12)
            assert list(m.parameters()) == []
