"""The benchmark's nets written in PyTorch, layer for layer as minidl builds them.

Same layers, same state-dict keys (``features.N``, ``classifier.N``), so minidl's weights load
into them and both frameworks time the very same function on the same numbers:

* `alexnet()`: the paper's AlexNet as ``minidl.models.alexnet(input_size=224)`` builds it
  (conv1 padded by 2, ReLU then LRN after conv1 and conv2, groups=2 in conv2/4/5).
  PyTorch's LRN divides alpha by the window size, so minidl's alpha=1e-4 is PyTorch's 5e-4.
* `vgg16()`: configuration D, as ``minidl.models.vgg16()`` and torchvision's ``vgg16``.

Only the benchmarks import this file, and only when PyTorch is installed.
"""
import numpy as np
import torch
from torch import nn

VGG16 = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def _classifier(features_out, hidden=4096, num_classes=1000):
    return nn.Sequential(
        nn.Linear(features_out, hidden), nn.ReLU(inplace=True), nn.Dropout(0.5),
        nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Dropout(0.5),
        nn.Linear(hidden, num_classes))


class AlexNet(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        lrn = lambda: nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)  # noqa: E731
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, 11, stride=4, padding=2), nn.ReLU(inplace=True), lrn(),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(inplace=True), lrn(),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2))
        self.classifier = _classifier(256 * 6 * 6, num_classes=num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


class VGG(nn.Module):
    def __init__(self, config=VGG16, num_classes=1000):
        super().__init__()
        layers, c = [], 3
        for item in config:
            if item == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, item, 3, padding=1), nn.ReLU(inplace=True)]
                c = item
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = _classifier(512 * 7 * 7, num_classes=num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


BUILDERS = {"alexnet": AlexNet, "vgg16": VGG}


def build(arch, state_dict=None):
    """The PyTorch net for `arch`, with minidl's weights (a dict of NumPy arrays) if given."""
    net = BUILDERS[arch]()
    if state_dict is not None:
        net.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state_dict.items()})
    return net
