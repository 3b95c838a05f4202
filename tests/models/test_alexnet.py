"""AlexNet: the paper's layer table, parameter count, initialisation and torchvision's keys."""
import numpy as np
import pytest

import minidl
from minidl import nn
from minidl.models import alexnet, alexnet_small, alexnet_torchvision

from models_helpers import image, n_params, out_shape

TORCHVISION_ALEXNET_KEYS = [
    "features.0.weight", "features.0.bias", "features.3.weight", "features.3.bias",
    "features.6.weight", "features.6.bias", "features.8.weight", "features.8.bias",
    "features.10.weight", "features.10.bias",
    "classifier.1.weight", "classifier.1.bias", "classifier.4.weight", "classifier.4.bias",
    "classifier.6.weight", "classifier.6.bias",
]


@pytest.fixture(scope="module")
def net():
    return alexnet()


def test_parameter_count_is_the_papers(net):
    assert n_params(net) == 60_965_224


def test_layers_as_the_paper_table(net):
    conv1, conv2, conv3, conv4, conv5 = net.conv_layers()
    assert conv1.weight.shape == (96, 3, 11, 11) and conv1.stride == (4, 4)
    assert conv2.weight.shape == (256, 48, 5, 5) and conv2.groups == 2 and conv2.padding == (2, 2)
    assert conv3.weight.shape == (384, 256, 3, 3) and conv3.groups == 1     # across the GPUs
    assert conv4.weight.shape == (384, 192, 3, 3) and conv4.groups == 2
    assert conv5.weight.shape == (256, 192, 3, 3) and conv5.groups == 2
    assert [fc.weight.shape for fc in net.fc_layers()] == [(4096, 9216), (4096, 4096),
                                                           (1000, 4096)]
    kinds = [type(m).__name__ for m in net.features]
    assert kinds[:8] == ["Conv2d", "ReLU", "LocalResponseNorm", "MaxPool2d",
                         "Conv2d", "ReLU", "LocalResponseNorm", "MaxPool2d"]
    for i in (2, 6):
        lrn = net.features[i]
        assert (lrn.size, lrn.alpha, lrn.beta, lrn.k) == (5, 5e-4, 0.75, 2.0)   # PyTorch's alpha
    for i in (3, 7, 14):  # overlapping: z=3 > s=2
        assert (net.features[i].kernel_size, net.features[i].stride) == (3, 2)
    drops = [m for m in net.classifier if isinstance(m, nn.Dropout)]
    assert [d.p for d in drops] == [0.5, 0.5]


def test_paper_initialisation(net):
    ones = {4, 10, 12}  # conv2, conv4, conv5 (features indices); fc6, fc7 below
    for i, conv in zip((0, 4, 8, 10, 12), net.conv_layers()):
        w = conv.weight.data
        assert abs(w.std() - 0.01) < 0.001 and abs(w.mean()) < 0.001
        assert np.all(conv.bias.data == (1.0 if i in ones else 0.0))
    fc6, fc7, fc8 = net.fc_layers()
    assert abs(fc6.weight.data.std() - 0.01) < 1e-4
    assert np.all(fc6.bias.data == 1) and np.all(fc7.bias.data == 1)
    assert np.all(fc8.bias.data == 0)


def test_state_dict_keys(net):
    keys = list(net.state_dict())
    assert keys[:10:2] == [f"features.{i}.weight" for i in (0, 4, 8, 10, 12)]
    assert keys[10::2] == [f"classifier.{i}.weight" for i in (0, 3, 6)]


def test_output_shapes_at_227_and_224(net):
    assert out_shape(net, image(1, 3, 227)) == (1, 1000)
    net224 = alexnet(num_classes=10, input_size=224, init=None)
    assert net224.features[0].padding == (2, 2)
    assert out_shape(net224, image(1, 3, 224)) == (1, 10)
    assert n_params(net224) == 60_965_224 - 990 * 4097


def test_wrong_input_size_names_the_sizes(net):
    with pytest.raises(ValueError, match=r"227×227"):
        out_shape(net, image(1, 3, 224))
    with pytest.raises(ValueError, match="alexnet_small"):
        alexnet(input_size=32)


@pytest.mark.parametrize("size,channels", [(28, 1), (32, 3)])
def test_small_version_keeps_the_character(size, channels):
    net = alexnet_small(num_classes=10, in_channels=channels, input_size=size)
    assert out_shape(net, image(2, channels, size)) == (2, 10)
    convs = net.conv_layers()
    assert [c.groups for c in convs] == [1, 2, 1, 2, 2]
    assert sum(isinstance(m, nn.LocalResponseNorm) for m in net.features) == 2
    assert all((m.kernel_size, m.stride) == (3, 2) for m in net.features
               if isinstance(m, nn.MaxPool2d))
    assert n_params(net) < 1_000_000


@pytest.fixture(scope="module")
def tv_net():
    return alexnet_torchvision()


def test_torchvision_variant_keys_and_count(tv_net):
    net = tv_net
    assert list(net.state_dict()) == TORCHVISION_ALEXNET_KEYS
    assert n_params(net) == 61_100_840  # torchvision's AlexNet
    assert not any(isinstance(m, nn.LocalResponseNorm) for m in net.modules())
    assert all(m.groups == 1 for m in net.features if isinstance(m, nn.Conv2d))


def test_torchvision_variant_matches_torch_layout(tv_net):
    """The same layer structure in plain torch.nn has the same keys and shapes, so a
    torchvision checkpoint loads by key."""
    torch = pytest.importorskip("torch")
    tnn = torch.nn

    class Ref(tnn.Module):
        def forward(self, x):
            return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))

    ref = Ref()
    ref.features = tnn.Sequential(
        tnn.Conv2d(3, 64, 11, 4, 2), tnn.ReLU(), tnn.MaxPool2d(3, 2),
        tnn.Conv2d(64, 192, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(3, 2),
        tnn.Conv2d(192, 384, 3, padding=1), tnn.ReLU(), tnn.Conv2d(384, 256, 3, padding=1),
        tnn.ReLU(), tnn.Conv2d(256, 256, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(3, 2))
    ref.avgpool = tnn.AdaptiveAvgPool2d((6, 6))
    ref.classifier = tnn.Sequential(
        tnn.Dropout(), tnn.Linear(9216, 4096), tnn.ReLU(), tnn.Dropout(),
        tnn.Linear(4096, 4096), tnn.ReLU(), tnn.Linear(4096, 1000))
    ours = tv_net
    theirs = {k: tuple(v.shape) for k, v in ref.state_dict().items()}
    assert {k: v.shape for k, v in ours.state_dict().items()} == theirs
    ours.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((1, 3, 224, 224)).astype(np.float32)
    ref.eval()
    with torch.no_grad():
        expected = ref(torch.from_numpy(x)).numpy()
    ours.eval()
    with minidl.no_grad():
        got = ours(minidl.tensor(x)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
