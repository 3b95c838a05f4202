"""nn loss modules and Sigmoid/Softmax/LogSoftmax: the same values and gradients as PyTorch's."""
import numpy as np
import pytest

import minidl
import minidl.nn as nn

torch = pytest.importorskip("torch")


def _pair(shape, seed, kind):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    if kind == "prob":
        x = 1 / (1 + np.exp(-x))
    return x


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", ["MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss"])
def test_elementwise_losses_match_torch(name, reduction):
    x = _pair((4, 3), 0, "prob" if name == "BCELoss" else "any")
    t = _pair((4, 3), 1, "prob")
    weight = np.random.default_rng(2).uniform(0.5, 2, 3) if name.startswith("BCE") else None
    kwargs = {} if weight is None else {"weight": weight}
    ours = getattr(nn, name)(reduction=reduction,
                             **{k: minidl.tensor(v) for k, v in kwargs.items()})
    theirs = getattr(torch.nn, name)(reduction=reduction,
                                     **{k: torch.tensor(v) for k, v in kwargs.items()})
    xm = minidl.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    ym, yt = ours(xm, minidl.tensor(t)), theirs(xt, torch.tensor(t))
    np.testing.assert_allclose(ym.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    ym.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_with_weight_and_ignore_index_matches_torch(reduction):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 4))
    target = np.array([0, 3, 1, 1, 2, 3])
    weight = rng.uniform(0.5, 2, 4)
    ours = nn.Sequential(nn.LogSoftmax(dim=1))
    lm = nn.NLLLoss(weight=minidl.tensor(weight), ignore_index=1, reduction=reduction)
    lt = torch.nn.NLLLoss(weight=torch.tensor(weight), ignore_index=1, reduction=reduction)
    xm, xt = minidl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ym = lm(ours(xm), minidl.tensor(target))
    yt = lt(torch.nn.LogSoftmax(dim=1)(xt), torch.tensor(target))
    np.testing.assert_allclose(ym.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    ym.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_activation_modules_match_torch():
    x = np.random.default_rng(4).standard_normal((2, 5))
    for ours, theirs in ((nn.Sigmoid(), torch.nn.Sigmoid()), (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
                         (nn.LogSoftmax(dim=0), torch.nn.LogSoftmax(dim=0))):
        np.testing.assert_allclose(ours(minidl.tensor(x)).numpy(),
                                   theirs(torch.tensor(x)).numpy(), rtol=1e-12)
        assert repr(ours) == repr(theirs)


def test_loss_weight_is_a_buffer_and_bad_reduction_is_refused():
    w = minidl.tensor([1.0, 2.0])
    assert list(nn.NLLLoss(weight=w).state_dict()) == list(
        torch.nn.NLLLoss(weight=torch.tensor([1.0, 2.0])).state_dict()) == ["weight"]
    with pytest.raises(ValueError, match="MSELoss: reduction"):
        nn.MSELoss(reduction="average")
    with pytest.raises(TypeError, match="NLLLoss: weight"):
        nn.NLLLoss(weight=[1.0, 2.0])
