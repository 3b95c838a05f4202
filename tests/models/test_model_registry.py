"""get_model: the paper's net or the small version, by input size."""
import pytest

from minidl.models import AlexNet, GoogLeNet, VGG, get_model, list_models

from models_helpers import image, out_shape


def test_every_name_builds_its_small_version():
    for name in list_models():
        if name == "alexnet_torchvision":
            continue
        net = get_model(name, num_classes=10, in_channels=1, input_size=28)
        assert out_shape(net, image(1, 1, 28)) == (1, 10), name


def test_paper_sizes_and_kinds():
    assert isinstance(get_model("alexnet", init=None), AlexNet)
    assert get_model("alexnet", input_size=224, init=None).features[0].padding == (2, 2)
    assert isinstance(get_model("vgg16c", width=1 / 16), VGG)
    assert get_model("vgg16c", width=1 / 16).config == "C"
    assert isinstance(get_model("googlenet", num_classes=10, width=1 / 8), GoogLeNet)
    assert get_model("alexnet", num_classes=10, input_size=32, in_channels=3).feature_shape \
        == (64, 3, 3)


def test_errors_name_the_choices():
    with pytest.raises(ValueError, match="vgg16"):
        get_model("resnet50")
    with pytest.raises(ValueError, match="'alexnet' for small"):
        get_model("alexnet_torchvision", input_size=28)
