"""Optimizers built from ``model.named_parameters()`` (PyTorch >= 2.6): the same steps and the
same state dict (with ``param_names``) as PyTorch's."""
import numpy as np
import pytest

import minidl
import minidl.optim as optim

torch = pytest.importorskip("torch")


def _pair():
    m = minidl.nn.Linear(3, 2)
    t = torch.nn.Linear(3, 2)
    t.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in m.state_dict().items()})
    return m, t


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_named_parameters_step_and_state_dict_as_torch(name):
    m, t = _pair()
    kw = dict(lr=0.1, momentum=0.9) if name == "SGD" else dict(lr=0.1)
    om = getattr(optim, name)(m.named_parameters(), **kw)
    ot = getattr(torch.optim, name)(t.named_parameters(), **kw)
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)
    for _ in range(3):
        for lib, mod, o in ((minidl, m, om), (torch, t, ot)):
            o.zero_grad()
            mod(lib.tensor(x)).pow(2).sum().backward()
            o.step()
    np.testing.assert_allclose(m.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-6,
                               atol=1e-7)
    assert om.state_dict()["param_groups"] == ot.state_dict()["param_groups"]
    assert om.param_groups[0]["param_names"] == ["weight", "bias"]
    # torch's state dict loads into a named minidl optimizer, names included
    sd = ot.state_dict()
    conv = {"state": {k: {kk: minidl.tensor(vv.numpy()) for kk, vv in v.items()}
                      for k, v in sd["state"].items()}, "param_groups": sd["param_groups"]}
    fresh = getattr(optim, name)(minidl.nn.Linear(3, 2).named_parameters(), **kw)
    fresh.load_state_dict(conv)
    assert fresh.param_groups[0]["param_names"] == ["weight", "bias"]


def test_mixing_named_and_unnamed_is_refused_like_torch():
    for lib in (minidl, torch):
        a, b = lib.zeros(2, requires_grad=True), lib.zeros(2, requires_grad=True)
        with pytest.raises(ValueError, match="with/without names"):
            lib.optim.SGD([("a", a), b], lr=0.1)
        o = lib.optim.SGD([("a", a)], lr=0.1)
        with pytest.raises(ValueError, match="with/without names"):
            o.add_param_group({"params": [b]})
