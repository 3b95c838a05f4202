"""``Module.register_full_backward_hook`` / ``register_full_backward_pre_hook`` against torch's on
the same nets and weights: what each hook receives, replacements, removal, several inputs."""
import numpy as np
import pytest

import minidl
from minidl import nn

torch = pytest.importorskip("torch")
tnn = torch.nn


def twins(kind):
    """The same small net in both libraries, weights copied from minidl's."""
    minidl.manual_seed(0)
    if kind == "mlp":
        ours = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        theirs = tnn.Sequential(tnn.Linear(3, 4), tnn.ReLU(), tnn.Linear(4, 2))
        shape = (5, 3)
    else:
        ours = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 2, 2, stride=2))
        theirs = tnn.Sequential(tnn.Conv2d(2, 3, 3, padding=1), tnn.ReLU(),
                                tnn.Conv2d(3, 2, 2, stride=2))
        shape = (2, 2, 4, 4)
    theirs = theirs.double()
    with torch.no_grad():
        for (_, p), (_, t) in zip(ours.named_parameters(), theirs.named_parameters()):
            p.data = p.data.astype(np.float64)
            t.copy_(torch.from_numpy(p.data))
    x = np.random.default_rng(1).standard_normal(shape)
    return ours, theirs, x


def record(net, log, full=True, pre=True):
    handles = []
    for i, m in enumerate(net):
        if full:
            handles.append(m.register_full_backward_hook(
                lambda m, gi, go, i=i: log.append(("full", i, _arrays(gi), _arrays(go)))))
        if pre:
            handles.append(m.register_full_backward_pre_hook(
                lambda m, go, i=i: log.append(("pre", i, _arrays(go)))))
    return handles


def _arrays(grads):
    return tuple(None if g is None else np.asarray(g.detach().numpy() if hasattr(g, "detach")
                                                   else g) for g in grads)


def assert_logs_equal(a, b):
    assert [e[:2] for e in a] == [e[:2] for e in b]
    for ea, eb in zip(a, b):
        for ga, gb in zip(ea[2:], eb[2:]):
            assert len(ga) == len(gb)
            for x, y in zip(ga, gb):
                assert (x is None) == (y is None)
                if x is not None:
                    np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-12)


def run(ours, theirs, x, input_grad):
    xo = minidl.tensor(x, requires_grad=input_grad)
    xt = torch.tensor(x, requires_grad=input_grad)
    gy = np.random.default_rng(2).standard_normal(ours(xo).shape)
    ours(xo).backward(minidl.tensor(gy))
    theirs(xt).backward(torch.tensor(gy))
    return xo, xt


@pytest.mark.parametrize("input_grad", [True, False])
@pytest.mark.parametrize("kind", ["mlp", "conv"])
def test_hooks_receive_what_torchs_receive(kind, input_grad):
    ours, theirs, x = twins(kind)
    log_o, log_t = [], []
    record(ours, log_o)
    record(theirs, log_t)
    run(ours, theirs, x, input_grad)
    assert len(log_o) == 2 * len(ours)
    assert_logs_equal(log_o, log_t)


@pytest.mark.parametrize("kind", ["mlp", "conv"])
def test_replacements_flow_on_as_torchs(kind):
    ours, theirs, x = twins(kind)
    for net in (ours, theirs):
        net[1].register_full_backward_hook(lambda m, gi, go: (gi[0] * 3,))
        net[2].register_full_backward_pre_hook(lambda m, go: (go[0] * -2,))
    xo, xt = run(ours, theirs, x, True)
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-10)
    for p, t in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-10)


def test_handles_remove_hooks():
    ours, _, x = twins("mlp")
    log = []
    for h in record(ours, log):
        h.remove()
    ours(minidl.tensor(x, requires_grad=True)).sum().backward()
    assert log == []


class Mix(nn.Module):
    def forward(self, a, scale, b):
        return a * scale + b * b, a - b


class TMix(tnn.Module):
    def forward(self, a, scale, b):
        return a * scale + b * b, a - b


def test_several_inputs_and_outputs_and_a_non_tensor_argument():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    logs = []
    for lib, mod in ((minidl, Mix()), (torch, TMix())):
        log = []
        mod.register_full_backward_hook(lambda m, gi, go: log.append(("full", 0, _arrays(gi),
                                                                      _arrays(go))))
        mod.register_full_backward_pre_hook(lambda m, go: log.append(("pre", 0, _arrays(go))))
        ta, tb = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        y1, y2 = mod(ta, 2.0, tb)
        (y1 * 3 + y2).sum().backward()
        logs.append(log)
    assert_logs_equal(*logs)
    assert logs[0][1][2][1] is None                # the float argument's grad_input entry

