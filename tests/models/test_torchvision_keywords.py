"""The paper-size constructors take torchvision's keyword-only weights/progress: None builds
the net as before; asking for pretrained weights is a clear error (minidl ships none)."""
import pytest

from minidl import models


@pytest.mark.parametrize("name", ["alexnet", "alexnet_torchvision", "vgg11", "vgg16", "googlenet"])
def test_pretrained_weights_are_a_clear_error(name):
    with pytest.raises(ValueError, match="no pretrained weights"):
        getattr(models, name)(weights="IMAGENET1K_V1")


def test_weights_none_builds_the_same_net():
    net = models.vgg11(num_classes=10, width=0.125, weights=None, progress=False)
    assert sum(p.numel() for p in net.parameters()) == sum(
        p.numel() for p in models.vgg11(num_classes=10, width=0.125).parameters())
