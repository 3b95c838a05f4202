"""GoogLeNet: Table 1's sizes, the auxiliary heads in training only, and the 0.3-weighted loss."""
import numpy as np
import pytest

import minidl
import minidl.functional as F
from minidl import nn
from minidl.models import (GoogLeNetOutputs, googlenet, googlenet_loss, googlenet_small,
                           summary)
from minidl.models.googlenet import INCEPTION

from models_helpers import image, n_params

# Table 1: output side and depth after each stage, for a 224×224 input
TABLE_1 = {
    "conv1": (112, 64), "maxpool1": (56, 64), "conv3": (56, 192), "maxpool2": (28, 192),
    "inception3a": (28, 256), "inception3b": (28, 480), "maxpool3": (14, 480),
    "inception4a": (14, 512), "inception4b": (14, 512), "inception4c": (14, 512),
    "inception4d": (14, 528), "inception4e": (14, 832), "maxpool4": (7, 832),
    "inception5a": (7, 832), "inception5b": (7, 1024), "avgpool": (1, 1024),
}


@pytest.fixture(scope="module")
def net():
    return googlenet()


def test_parameter_count(net):
    aux = sum(p.numel() for k, p in net.named_parameters() if k.startswith("aux"))
    assert n_params(net) - aux == 6_998_552  # the paper's table sums to ~6.8M
    assert n_params(googlenet(aux_logits=False)) == 6_998_552
    assert aux == 2 * (528 * 128 + 128 + 2048 * 1024 + 1024 + 1024 * 1000 + 1000) - 16 * 128


def test_inception_numbers_are_table_1s(net):
    for name, (c1, c3r, c3, c5r, c5, pp) in INCEPTION.items():
        block = getattr(net, f"inception{name}")
        assert block.branch1.conv.out_channels == c1
        assert block.branch2[0].conv.out_channels == c3r
        assert block.branch2[1].conv.weight.shape[:2] == (c3, c3r)
        assert block.branch3[0].conv.out_channels == c5r
        assert block.branch3[1].conv.weight.shape == (c5, c5r, 5, 5)  # a real 5×5
        assert block.branch4[1].conv.out_channels == pp


def test_stage_sizes_at_224_are_table_1s(net):
    rows = {r.name: r.output_shape for r in summary(net, (3, 224, 224), print_fn=None).rows}
    rows["conv1"], rows["conv3"] = rows["conv1.conv"], rows["conv3.conv"]
    for name, (side, depth) in TABLE_1.items():
        assert rows[name] == (1, depth, side, side), name
    assert rows["fc"] == (1, 1000)


def test_aux_heads_only_in_training(net):
    x = image(1, 3, 224)
    net.train()
    with minidl.no_grad():
        out = net(x)
    assert isinstance(out, GoogLeNetOutputs)
    assert [o.shape for o in out] == [(1, 1000)] * 3
    net.eval()
    with minidl.no_grad():
        assert net(x).shape == (1, 1000)
    assert googlenet(aux_logits=False).train()(image(1, 3, 224)).shape == (1, 1000)


def test_outputs_as_torchvision():
    assert GoogLeNetOutputs._fields == ("logits", "aux_logits2", "aux_logits1")
    net = googlenet_small(num_classes=10, in_channels=1).train()
    # distinguishable heads: aux1 (on 4a) predicts 1.0 everywhere, aux2 (on 4d) 2.0
    for head, value in ((net.aux1, 1.0), (net.aux2, 2.0)):
        head.fc2.weight.data[...] = 0.0
        head.fc2.bias.data[...] = value
    with minidl.no_grad():
        out = net(image(2, 1, 28))
    assert isinstance(out, tuple) and len(out) == 3
    logits, aux_logits2, aux_logits1 = out
    assert logits is out.logits and out[1] is out.aux_logits2 and out[2] is out.aux_logits1
    np.testing.assert_array_equal(out.aux_logits1.numpy(), np.ones((2, 10)))
    np.testing.assert_array_equal(out.aux_logits2.numpy(), np.full((2, 10), 2.0))
    with minidl.no_grad():
        assert net.eval()(image(2, 1, 28)).shape == (2, 10)
        assert googlenet_small(aux_logits=False).train()(image(2, 1, 28)).shape == (2, 10)


def test_aux_head_layout(net):
    aux = net.aux1
    assert (aux.pool.kernel_size, aux.pool.stride) == (5, 3)  # 14 -> 4
    assert aux.conv.conv.weight.shape == (128, 512, 1, 1)
    assert aux.fc1.weight.shape == (1024, 128 * 4 * 4) and aux.dropout.p == 0.7
    assert net.aux2.conv.conv.weight.shape == (128, 528, 1, 1)
    assert net.dropout.p == 0.4


def test_lrn_after_the_stem(net):
    assert isinstance(net.lrn1, nn.LocalResponseNorm) and isinstance(net.lrn2,
                                                                     nn.LocalResponseNorm)


def test_loss_is_main_plus_point_three_aux():
    rng = np.random.default_rng(0)
    logits, a1, a2 = (minidl.tensor(rng.standard_normal((4, 5)).astype(np.float32))
                      for _ in range(3))
    y = minidl.tensor(np.array([0, 1, 2, 4]))
    got = googlenet_loss(GoogLeNetOutputs(logits, a2, a1), y).item()
    expected = (F.cross_entropy(logits, y).item()
                + 0.3 * (F.cross_entropy(a1, y).item() + F.cross_entropy(a2, y).item()))
    assert got == pytest.approx(expected, rel=1e-6)
    assert googlenet_loss(logits, y).item() == pytest.approx(F.cross_entropy(logits, y).item())


@pytest.mark.parametrize("size,channels,side5", [(28, 1, 3), (32, 3, 4)])
def test_small_versions(size, channels, side5):
    net = googlenet_small(num_classes=10, in_channels=channels)
    x = image(2, channels, size)
    net.train()
    out = net(x)
    assert [o.shape for o in out] == [(2, 10)] * 3
    rows = {r.name: r.output_shape for r in summary(net, (channels, size, size),
                                                    print_fn=None).rows}
    assert rows["inception5b"][2:] == (side5, side5)
    assert sum(isinstance(m, nn.LocalResponseNorm) for m in net.modules()) == 2
