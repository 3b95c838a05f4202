"""VGG: Table 1's configurations, parameter counts, torchvision's keys, and init_from."""
import numpy as np
import pytest

from minidl import nn
from minidl.models import VGG, init_from, vgg, vgg11, vgg11_lrn, vgg13, vgg16, vgg16c, vgg19
from minidl.models import vgg_small

from models_helpers import image, n_params, out_shape

# torchvision.models.vgg16().state_dict().keys()
TORCHVISION_VGG16_KEYS = [
    f"features.{i}.{p}" for i in (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)
    for p in ("weight", "bias")
] + [f"classifier.{i}.{p}" for i in (0, 3, 6) for p in ("weight", "bias")]
TORCHVISION_CONV_INDICES = {  # features.N of each conv in torchvision's vgg11/13/19
    "A": (0, 3, 6, 8, 11, 13, 16, 18),
    "B": (0, 2, 5, 7, 10, 12, 15, 17, 20, 22),
    "E": (0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34),
}


def conv_specs(net):
    return [(m.out_channels, m.kernel_size[0]) for m in net.features
            if isinstance(m, nn.Conv2d)]


@pytest.mark.parametrize("config,count", [
    ("A", 132_863_336), ("A-LRN", 132_863_336), ("B", 133_047_848), ("C", 133_638_952),
    ("D", 138_357_544), ("E", 143_667_240)])
def test_parameter_counts(config, count):
    assert n_params(vgg(config, init=None)) == count


def test_aliases_and_weight_layers():
    depth = {vgg11: 11, vgg11_lrn: 11, vgg13: 13, vgg16c: 16, vgg16: 16, vgg19: 19}
    for build, layers in depth.items():
        net = build(width=1 / 16, num_classes=10)
        assert len(net.conv_layers()) + len(net.fc_layers()) == layers, build.__name__
    assert vgg16c(width=1 / 16).config == "C" and vgg11_lrn(width=1 / 16).config == "A-LRN"


def test_config_c_has_one_by_one_convs_last_in_blocks_3_to_5():
    assert conv_specs(vgg16c(width=1 / 16)) == [
        (4, 3), (4, 3), (8, 3), (8, 3), (16, 3), (16, 3), (16, 1), (32, 3), (32, 3), (32, 1),
        (32, 3), (32, 3), (32, 1)]
    full = [(m.out_channels, m.kernel_size, m.padding) for m in vgg("C", init=None).features
            if isinstance(m, nn.Conv2d)]
    assert full[6] == (256, (1, 1), (0, 0)) and full[12] == (512, (1, 1), (0, 0))


def test_a_lrn_has_alexnets_lrn_after_the_first_conv():
    kinds = [type(m).__name__ for m in vgg11_lrn(width=1 / 16).features][:4]
    assert kinds == ["Conv2d", "ReLU", "LocalResponseNorm", "MaxPool2d"]
    lrn = vgg11_lrn(width=1 / 16).features[2]
    assert (lrn.size, lrn.alpha, lrn.beta, lrn.k) == (5, 5e-4, 0.75, 2.0)   # PyTorch's alpha


def test_vgg16_keys_are_torchvisions():
    assert list(vgg16(width=1 / 16).state_dict()) == TORCHVISION_VGG16_KEYS
    assert isinstance(vgg16(width=1 / 16).avgpool, nn.AdaptiveAvgPool2d)


@pytest.mark.parametrize("config", ["A", "B", "E"])
def test_other_keys_are_torchvisions(config):
    keys = list(vgg(config, width=1 / 16).state_dict())
    expected = [f"features.{i}.{p}" for i in TORCHVISION_CONV_INDICES[config]
                for p in ("weight", "bias")]
    assert keys[:-6] == expected


def test_keys_and_shapes_match_torch_layout():
    """torchvision's make_layers written out in torch.nn: same keys, same shapes."""
    torch = pytest.importorskip("torch")
    layers, c = [], 3
    for v in [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
              512, 512, 512, "M"]:
        if v == "M":
            layers.append(torch.nn.MaxPool2d(2, 2))
        else:
            layers += [torch.nn.Conv2d(c, v, 3, padding=1), torch.nn.ReLU()]
            c = v
    ref = torch.nn.Module()
    ref.features = torch.nn.Sequential(*layers)
    ref.avgpool = torch.nn.AdaptiveAvgPool2d((7, 7))
    ref.classifier = torch.nn.Sequential(
        torch.nn.Linear(25088, 4096), torch.nn.ReLU(), torch.nn.Dropout(),
        torch.nn.Linear(4096, 4096), torch.nn.ReLU(), torch.nn.Dropout(),
        torch.nn.Linear(4096, 1000))
    theirs = {k: tuple(v.shape) for k, v in ref.state_dict().items()}
    assert {k: v.shape for k, v in vgg16(init=None).state_dict().items()} == theirs


def test_paper_initialisation():
    net = vgg("A", width=1 / 4)
    for m in net.conv_layers() + net.fc_layers():
        assert abs(m.weight.data.std() - 0.01) < 0.0015, m
        assert np.all(m.bias.data == 0)
    net = vgg("D", width=1 / 4, init="kaiming")
    conv = net.conv_layers()[5]
    fan_in = conv.weight.shape[1] * 9
    assert abs(conv.weight.data.std() / np.sqrt(2 / fan_in) - 1) < 0.05


def test_output_shape_at_224():
    assert out_shape(vgg("D", width=1 / 16, num_classes=5), image(1, 3, 224)) == (1, 5)


@pytest.mark.parametrize("config", ["A", "A-LRN", "C", "E"])
@pytest.mark.parametrize("size,channels", [(28, 1), (32, 3)])
def test_small_versions(config, size, channels):
    net = vgg_small(config, num_classes=10, in_channels=channels, input_size=size)
    assert out_shape(net, image(2, channels, size)) == (2, 10)
    assert all(k == 3 for _, k in conv_specs(net) if config != "C")


def snapshot(net):
    return {k: v.data.copy() for k, v in net.state_dict().items()}


@pytest.mark.parametrize("config", ["B", "C", "D", "E"])
def test_init_from_copies_exactly_the_layers_the_paper_names(config):
    net_a = vgg("A", width=1 / 8, num_classes=10)
    deep = vgg(config, width=1 / 8, num_classes=10)
    before, a = snapshot(deep), snapshot(net_a)
    copied = init_from(deep, net_a)

    a_convs = [k for k in a if k.startswith("features") and k.endswith("weight")]
    # A's conv1_1, conv2_1, conv3_1, conv3_2 go to the same block and position in the deep
    # net: conv1_1, conv2_1, conv3_1, conv3_2, which sit at features.0, 5, 10, 12 in B to E
    expected = {f"features.{i}.{p}": f"{a_key[:-len('.weight')]}.{p}"
                for i, a_key in zip((0, 5, 10, 12), a_convs[:4]) for p in ("weight", "bias")}
    expected.update({f"classifier.{i}.{p}": f"classifier.{i}.{p}"
                     for i in (0, 3, 6) for p in ("weight", "bias")})
    assert sorted(copied) == sorted(expected)
    after = snapshot(deep)
    for key, value in after.items():
        if key in expected:
            np.testing.assert_array_equal(value, a[expected[key]])
        else:
            np.testing.assert_array_equal(value, before[key])
    # a copy, not a shared array
    net_a.fc_layers()[0].weight.data[...] = 0
    assert deep.fc_layers()[0].weight.data.any()


def test_init_from_names_the_mismatch():
    with pytest.raises(ValueError, match="features.0.weight"):
        init_from(vgg("D", width=1 / 8), vgg("A", width=1 / 4))


def test_init_from_is_also_a_method():
    deep = vgg("D", width=1 / 8, num_classes=10)
    assert isinstance(deep, VGG)
    assert len(deep.init_from(vgg("A", width=1 / 8, num_classes=10))) == 14


def test_unknown_config():
    with pytest.raises(ValueError, match="'F'"):
        vgg("F")
