"""Every function hands the model back as it came -- modes, hooks, requires_grad, .grad --
and leaves the caller's input alone, also when it raised half-way through a forward pass."""
import numpy as np
import pytest

import minidl
from minidl import nn
from minidl import visualize as V

from nets import no_hooks_left


class Boom(nn.Module):
    """Raises in forward while `armed`: a net that fails after the layer being looked at."""

    def __init__(self):
        super().__init__()
        self.armed = False

    def forward(self, x):
        if self.armed:
            raise RuntimeError("boom")
        return x


def make_net():
    minidl.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.Dropout(0.5), Boom(),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 4)).double()
    net.train()
    net[2].eval()                                   # a mixed state, to be kept as it is
    net[0].bias.requires_grad_(False)               # one frozen parameter
    return net


def state(net):
    return ([m.training for m in net.modules()], [p.requires_grad for p in net.parameters()],
            [p.grad for p in net.parameters()])


X = np.random.default_rng(0).standard_normal((2, 1, 5, 5))
CALLS = {
    "feature_maps": lambda net, x, t: V.feature_maps(net, x, "6" if t != 9 else "9"),
    "saliency": lambda net, x, t: V.saliency(net, x, t),
    "grad_cam": lambda net, x, t: V.grad_cam(net, x, t, "1"),
    "occlusion": lambda net, x, t: V.occlusion(net, x, t, 2, 2),
    "top_images": lambda net, x, t: V.top_images(net, [(x, np.array([0, 1]))], "6", t, 1),
    "class_model": lambda net, x, t: V.class_model(net, t, (1, 5, 5), steps=2),
    "confusion_matrix": lambda net, x, t: V.confusion_matrix(net, [(x, np.array([t, t]))], 4),
    "receptive_field": lambda net, x, t: V.receptive_field(net, "6", (1, 5, 5)),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_the_model_and_the_input_come_back_unchanged(name):
    net = make_net()
    before = state(net)
    x = minidl.tensor(X)
    CALLS[name](net, x, 1)
    assert state(net) == before
    assert no_hooks_left(net)
    assert not x.requires_grad and x.grad is None and np.array_equal(x.data, X)


@pytest.mark.parametrize("name", sorted(set(CALLS) - {"receptive_field"}))
def test_a_call_that_raised_leaves_nothing_behind(name):
    net = make_net()
    before = state(net)
    with pytest.raises(ValueError, match=r"not a class|labels must be in|channel 9 is not|"
                                         r"no layer '9'"):
        CALLS[name](net, X, 9)                      # a bad target, found after a forward pass
    assert state(net) == before and no_hooks_left(net)
    net[3].armed = True
    with pytest.raises(RuntimeError, match="boom"):
        CALLS[name](net, X, 1)                      # the forward pass itself fails
    assert state(net) == before and no_hooks_left(net)


def test_a_layer_that_runs_twice_is_refused_and_unhooked():
    relu = nn.ReLU()
    net = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), relu, nn.Conv2d(2, 2, 3, padding=1),
                        relu, nn.Flatten(), nn.Linear(50, 3)).double()
    with pytest.raises(RuntimeError, match="ran twice"):
        V.grad_cam(net, X[:1], 0, "1")
    assert no_hooks_left(net)
