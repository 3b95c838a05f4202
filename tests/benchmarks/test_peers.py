"""The peers (benchmarks/peers/): JAX's and tinygrad's nets compute minidl's function.

At a tiny size (AlexNet's layers, 8-16 channels, a 67×67 input, kaiming init so the gradients
are far from zero): the same weights give the same logits, the same gradients and the same
weights after one SGD step (momentum 0.9, weight decay 5e-4), each against minidl's, within
float32 tolerance. Skipped when the peer (or tinygrad's clang) is not installed: CI does not
need them. The suite runs the same check at full size before it times anything.
"""
import os
import shutil
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

from peers import arch, check  # noqa: E402


def test_check_catches_a_wrong_gradient():
    """The comparison the suite relies on flags a gradient off by 1% in one parameter."""
    rng = np.random.default_rng(0)
    before = {"a": rng.standard_normal((8, 9)), "b": rng.standard_normal(5)}
    grads = {k: rng.standard_normal(v.shape) for k, v in before.items()}
    after = {k: before[k] - 0.01 * grads[k] for k in before}
    same = check.digest(before, after, grads)
    assert check.update_error(same, check.digest(before, after, grads))[0] == 0.0
    wrong = dict(grads, b=grads["b"] * 1.01)
    err, name = check.update_error(check.digest(before, after, wrong), same)
    assert name == "grad b" and 5e-3 < err < 2e-2


@pytest.fixture(scope="module")
def tiny():
    """A tiny minidl AlexNet, a batch, and minidl's logits, weights and one step's result."""
    minidl = pytest.importorskip("minidl")
    from minidl.models.alexnet import AlexNet
    minidl.manual_seed(0)
    net = AlexNet(num_classes=10, input_size=67, channels=(8, 16, 16, 16, 16), hidden=32,
                  conv1=(11, 4, 2), init="kaiming")
    state = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 67, 67), dtype=np.float32)
    y = np.array([1, 7])
    net.eval()
    with minidl.no_grad():
        logits = net(minidl.tensor(x)).numpy()
    new, grads = check.minidl_updated_weights(net, x, y)
    return state, x, y, logits, new, grads


def _peer(name):
    pytest.importorskip(name)
    if name == "tinygrad" and shutil.which(os.environ.get("CC", "clang")) is None:
        pytest.skip("tinygrad's CPU device needs clang")
    if name == "jax":
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import importlib
    return importlib.import_module(f"peers.{name}_nets")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["jax", "tinygrad"])
def test_peer_is_minidls_function(name, tiny):
    module = _peer(name)
    state, x, y, logits, new, grads = tiny
    net = module.Net(arch.alexnet(), state)
    assert check.logit_error(net.logits(x), logits) < check.LOGIT_TOL
    peer_new, peer_grads = net.updated_weights(x, y)
    assert sorted(peer_new) == sorted(state)
    for k in state:
        assert peer_new[k].shape == state[k].shape, k
    ours = check.digest(state, new, grads, samples=10 ** 9)       # every position
    theirs = check.digest(state, peer_new, peer_grads, samples=10 ** 9)
    err, where = check.update_error(theirs, ours)
    assert err < check.UPDATE_TOL, (err, where)
    # and the peer's weights are left as they were (the suite times the same net after)
    assert check.logit_error(net.logits(x), logits) < check.LOGIT_TOL
