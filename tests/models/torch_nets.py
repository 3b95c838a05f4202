"""torchvision's AlexNet and VGG, and timm's VGG, written with ``torch.nn`` (torchvision and
timm are not installed beside torch 2.13): the reference nets whose files minidl must load.

Each class has exactly the module names of the original, so ``state_dict()`` gives the keys
a downloaded checkpoint has. Only for tests; torch is imported by the caller's importorskip.
"""
import torch
from torch import nn

VGG11 = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]


class TorchAlexNet(nn.Module):
    """torchvision.models.AlexNet."""

    def __init__(self, num_classes=1000):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
            nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2))
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(0.5), nn.Linear(256 * 36, 4096), nn.ReLU(inplace=True),
            nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def _features(config, width):
    layers, c = [], 3
    for v in config:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            v = max(1, round(v * width))
            layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(inplace=True)]
            c = v
    return nn.Sequential(*layers), c


class TorchVGG(nn.Module):
    """torchvision.models.VGG (no batch norm); `width` narrows it as minidl's ``width``."""

    def __init__(self, config=VGG11, num_classes=1000, width=1.0):
        super().__init__()
        self.features, c = _features(config, width)
        hidden = max(1, round(4096 * width))
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(c * 49, hidden), nn.ReLU(True), nn.Dropout(),
            nn.Linear(hidden, hidden), nn.ReLU(True), nn.Dropout(),
            nn.Linear(hidden, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class ConvMlp(nn.Module):
    """timm's VGG ``pre_logits``: fc6 as a 7×7 convolution, fc7 as a 1×1 one."""

    def __init__(self, c, hidden):
        super().__init__()
        self.fc1 = nn.Conv2d(c, hidden, 7)
        self.act1 = nn.ReLU(True)
        self.drop = nn.Dropout(0.5)
        self.fc2 = nn.Conv2d(hidden, hidden, 1)
        self.act2 = nn.ReLU(True)

    def forward(self, x):
        return self.act2(self.fc2(self.drop(self.act1(self.fc1(x)))))


class ClassifierHead(nn.Module):
    """timm's head: global average pool, then ``fc``."""

    def __init__(self, c, num_classes):
        super().__init__()
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x):
        return self.fc(x.mean((2, 3)))


class TimmVGG(nn.Module):
    """timm.models.vgg.VGG (``vgg11.tv_in1k`` and friends): keys ``features.N``,
    ``pre_logits.fc1/fc2``, ``head.fc``."""

    def __init__(self, config=VGG11, num_classes=1000, width=1.0):
        super().__init__()
        self.features, c = _features(config, width)
        hidden = max(1, round(4096 * width))
        self.pre_logits = ConvMlp(c, hidden)
        self.head = ClassifierHead(hidden, num_classes)

    def forward(self, x):
        return self.head(self.pre_logits(self.features(x)))


def seeded(net, seed=0):
    """`net` with weights drawn from `seed` and spread out (default-init logits are tiny)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in net.named_parameters():
            fan_in = p[0].numel() if p.dim() > 1 else 1
            std = (2.0 / fan_in) ** 0.5 if p.dim() > 1 else 0.05
            p.copy_(torch.randn(p.shape, generator=g) * std)
    return net.eval()
