"""AlexNet (Krizhevsky, Sutskever & Hinton, NIPS 2012), as the paper draws it, on one device.

    (N, 3, 227, 227) -> features -> (N, 256, 6, 6) -> flatten 9216 -> classifier -> (N, 1000)

    layer  what                                         output (227 input)   params
    conv1  96 × 11×11×3, stride 4; ReLU, LRN            96 × 55 × 55          34,944
    pool1  max 3×3 stride 2 (overlapping)               96 × 27 × 27
    conv2  256 × 5×5×48, pad 2, groups=2; ReLU, LRN     256 × 27 × 27        307,456
    pool2  max 3×3 stride 2                             256 × 13 × 13
    conv3  384 × 3×3×256, pad 1 (across both GPUs)      384 × 13 × 13        885,120
    conv4  384 × 3×3×192, pad 1, groups=2               384 × 13 × 13        663,936
    conv5  256 × 3×3×192, pad 1, groups=2               256 × 13 × 13        442,624
    pool5  max 3×3 stride 2                             256 × 6 × 6
    fc6    9216 -> 4096; ReLU, dropout 0.5                                37,752,832
    fc7    4096 -> 4096; ReLU, dropout 0.5                                16,781,312
    fc8    4096 -> 1000 (softmax in the loss)                              4,097,000
                                                                    total 60,965,224

The paper says 224×224 input, but (224 - 11)/4 + 1 is not an integer: 227 makes the arithmetic
exact (Caffe's choice). ``alexnet(input_size=224)`` instead pads conv1 by 2 (torchvision's
choice): (224 + 4 - 11)//4 + 1 = 55, and every size after that is the same.

``groups=2`` is the paper's two GPUs: each half of conv2/4/5's kernels sees only the half of the
previous layer's maps that lived on its GPU. LRN is the paper's (k=2, n=5, alpha=1e-4 on the plain
sum, beta=0.75), written in PyTorch's convention: ``nn.LocalResponseNorm(5, alpha=5e-4, k=2.0)``.
Dropout is applied to the outputs of fc6 and fc7.

State-dict keys follow torchvision's layout: ``features.{0,4,8,10,12}`` are conv1..conv5,
``classifier.{0,3,6}`` fc6..fc8. ``alexnet_torchvision`` is the different net torchvision ships
(loads its weights by key); ``alexnet_small`` keeps the paper's character for 28×28/32×32 images.
"""
from .. import nn
from ..ops import cat, chunk, flatten
from ._check import check_trunk
from ._init import check_scheme, init_weights, scaled, weight_layers
from .heads import ClassifierMixin
from .pretrained import check_weights, load_weights

PAPER_CHANNELS = (96, 256, 384, 384, 256)


def conv_out(size, kernel, stride=1, padding=0):
    """Output side of a convolution or (floor-mode) pooling: (size + 2p - k)//s + 1."""
    return (size + 2 * padding - kernel) // stride + 1


class GroupLocalResponseNorm(nn.Module):
    """LRN within each of `groups` equal slices of the channels: the paper's LRN, which ran on
    each GPU's 48 of conv1's 96 maps (and 128 of conv2's 256), so a map near the middle never
    saw the other GPU's maps. (N, C, H, W) -> (N, C, H, W); with a window of 5 it differs from
    the LRN over all C maps only in the two maps either side of each group boundary.
    size, alpha, beta, k: ``nn.LocalResponseNorm``'s (PyTorch's convention, alpha / size on the
    sum); the defaults are the paper's n=5, α=1e-4 (= 5e-4 / 5), β=0.75, k=2."""

    def __init__(self, groups, size=5, alpha=5e-4, beta=0.75, k=2.0):
        super().__init__()
        self.groups = groups
        self.lrn = nn.LocalResponseNorm(size, alpha=alpha, beta=beta, k=k)

    def forward(self, x):
        if x.ndim < 3 or x.shape[1] % self.groups:
            raise ValueError(f"GroupLocalResponseNorm(groups={self.groups}): expected (N, C, *) "
                             f"with C divisible by {self.groups}, got shape {tuple(x.shape)}")
        return cat([self.lrn(part) for part in chunk(x, self.groups, 1)], 1)

    def extra_repr(self):
        return f"groups={self.groups}, " + self.lrn.extra_repr()


class AlexNet(ClassifierMixin, nn.Module):
    """The paper's AlexNet, with every size a parameter so that ``alexnet_small`` can narrow it.

    (N, in_channels, S, S) -> (N, num_classes), S = input_size. conv1 = (kernel, stride,
    padding); channels = conv1..conv5 output channels; hidden = width of fc6 and fc7.
    ``lrn_groups=2``: the LRN runs within each half of the maps, as on the paper's two GPUs
    (the default, 1, runs it across all maps; see ``GroupLocalResponseNorm``).
    """

    def __init__(self, num_classes=1000, in_channels=3, input_size=227, channels=PAPER_CHANNELS,
                 hidden=4096, conv1=(11, 4, 0), conv2_kernel=5, groups=2, lrn=True,
                 dropout=0.5, init="paper", lrn_groups=1):
        super().__init__()
        check_scheme(init, "AlexNet")
        c1, c2, c3, c4, c5 = channels
        k1, s1, p1 = conv1

        def lrn_layer():
            # the paper's k=2, n=5, α=1e-4, β=0.75 on the plain sum = PyTorch's alpha 5 × 1e-4
            if not lrn:
                return nn.Identity()
            if lrn_groups > 1:
                return GroupLocalResponseNorm(lrn_groups, 5, alpha=5e-4, beta=0.75, k=2.0)
            return nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)

        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, k1, stride=s1, padding=p1),           # 0  conv1
            nn.ReLU(inplace=True), lrn_layer(),
            nn.MaxPool2d(3, stride=2),                                      # 3  z=3 > s=2: overlap
            nn.Conv2d(c1, c2, conv2_kernel, padding=conv2_kernel // 2, groups=groups),  # 4 conv2
            nn.ReLU(inplace=True), lrn_layer(),
            nn.MaxPool2d(3, stride=2),                                      # 7
            nn.Conv2d(c2, c3, 3, padding=1),                                # 8  conv3: one group
            nn.ReLU(inplace=True),
            nn.Conv2d(c3, c4, 3, padding=1, groups=groups),                 # 10 conv4
            nn.ReLU(inplace=True),
            nn.Conv2d(c4, c5, 3, padding=1, groups=groups),                 # 12 conv5
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, stride=2),                                      # 14
        )
        side = conv_out(conv_out(conv_out(conv_out(input_size, k1, s1, p1), 3, 2), 3, 2), 3, 2)
        if side < 1:
            raise ValueError(f"AlexNet: a {input_size}×{input_size} input leaves no pixels "
                             "after pool5")
        self.input_size = input_size
        self.feature_shape = (c5, side, side)
        self.classifier = nn.Sequential(
            nn.Linear(c5 * side * side, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),  # fc6
            nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),          # fc7
            nn.Linear(hidden, num_classes),                                                 # fc8
        )
        self.reset_parameters(init)

    def conv_layers(self):
        return [self.features[i] for i in (0, 4, 8, 10, 12)]

    def fc_layers(self):
        return [self.classifier[i] for i in (0, 3, 6)]

    def reset_parameters(self, init="paper"):
        """Paper: every weight N(0, 0.01²); biases 1 in conv2, conv4, conv5, fc6 and fc7 (so
        their ReLUs start with positive inputs and learn early), 0 in conv1, conv3 and fc8."""
        conv1, conv2, conv3, conv4, conv5 = self.conv_layers()
        fc6, fc7, fc8 = self.fc_layers()
        if init == "paper":
            init_weights([conv1, conv3, fc8], "paper", bias=0.0)
            init_weights([conv2, conv4, conv5, fc6, fc7], "paper", bias=1.0)
        else:
            init_weights(self.conv_layers() + self.fc_layers(), init, output=fc8)

    def forward(self, x):
        check_trunk(self.features, x.shape)   # a too-small image fails here, naming the layer
        h, w = x.shape[-2:]
        x = self.features(x)
        if x.shape[1:] != self.feature_shape:
            raise ValueError(f"AlexNet(input_size={self.input_size}): a {h}×{w} input gives "
                             f"pool5 maps {x.shape[1:]}, but fc6 expects {self.feature_shape}; "
                             f"feed {self.input_size}×{self.input_size} images or build the net "
                             "for this input_size")
        return self.classifier(flatten(x, 1))


def alexnet(num_classes=1000, in_channels=3, input_size=227, init="paper", dropout=0.5, *,
            weights=None, progress=True, pretrained=False):
    """The paper's AlexNet: 60,965,224 parameters for 1000 classes.

    input_size 227 (conv1 unpadded, the exact arithmetic) or 224 (conv1 padded by 2); both give
    55×55 after conv1 and 6×6×256 = 9216 features into fc6.

    The paper's N(0, 0.01²) init was sized for its inputs: mean-subtracted raw pixels (0-255,
    std about 60). Inputs scaled to unit variance start conv1's outputs ~60× smaller; with
    those, ``init="kaiming"`` is the safer choice.
    """
    check_weights("alexnet", weights, pretrained)
    if input_size not in (224, 227):
        raise ValueError(f"alexnet: input_size must be 227 (or 224, conv1 padded by 2), got "
                         f"{input_size}; for small images use alexnet_small")
    padding = 2 if input_size == 224 else 0
    net = AlexNet(num_classes, in_channels, input_size, conv1=(11, 4, padding), init=init,
                  dropout=dropout)
    return load_weights(net, weights, "alexnet")


def alexnet_small(num_classes=10, in_channels=1, input_size=28, width=0.25, hidden=512,
                  init="kaiming", dropout=0.5):
    """AlexNet for 28×28 (Fashion-MNIST) or 32×32 (CIFAR) images, small enough for a CPU.

    Everything that makes it AlexNet stays: ReLU + LRN after conv1 and conv2, two groups in
    conv2/4/5 and one in conv3, overlapping 3×3 stride-2 max-pooling, dropout on fc6/fc7. What
    changes: conv1 is 5×5 stride 1 padding 2 (a 28-pixel image cannot afford AlexNet's 4×
    downsampling at the first layer), channels are the paper's × `width` (0.25: 24-64-96-96-64)
    and fc6/fc7 have `hidden` units.

        28×28: conv1 28 -> pool 13 -> conv2 13 -> pool 6 -> conv3-5 6 -> pool 2: 64×2×2 = 256
        32×32: conv1 32 -> pool 15 -> conv2 15 -> pool 7 -> conv3-5 7 -> pool 3: 64×3×3 = 576

    28×28, width 0.25: 543,930 parameters (10 classes), 8.6M multiply-accumulates per image;
    32×32: 708,970 and 12.8M.

    Init defaults to "kaiming", not the paper's: N(0, 0.01²) multiplies a signal's size by about
    0.01·sqrt(fan_in) per layer, near 0.5-1 for the paper's fan-ins (2304 to 9216) but 0.05-0.3
    for these narrow layers, so at init every image gives the same logits to six digits and
    the net stays at chance (measured: 10% test accuracy after 3 epochs; "kaiming": 80%).
    ``init="paper"`` is there to show it.
    """
    channels = tuple(scaled(c, width) for c in PAPER_CHANNELS)
    channels = tuple(c + c % 2 for c in channels)  # groups=2 needs even channel counts
    return AlexNet(num_classes, in_channels, input_size, channels=channels, hidden=hidden,
                   conv1=(5, 1, 2), init=init, dropout=dropout)


class AlexNetTorchvision(ClassifierMixin, nn.Module):
    """torchvision's ``AlexNet`` (from "One weird trick", Krizhevsky 2014), key for key.

    (N, 3, 224, 224) -> features (N, 256, 6, 6) -> avgpool (6, 6) -> classifier -> (N, classes)

    Not the 2012 paper's net: 64-192-384-256-256 channels, conv1 11×11 stride 4 padding 2, no
    LRN, no groups, dropout *before* fc6 and fc7. Keys: ``features.{0,3,6,8,10}``,
    ``classifier.{1,4,6}`` -- exactly torchvision's, so its checkpoint loads by key.
    """

    def __init__(self, num_classes=1000, dropout=0.5, init=None):
        super().__init__()
        check_scheme(init, "AlexNetTorchvision")
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, stride=2),
            nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, stride=2),
            nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))  # lets any input ≥ 63 pixels reach fc6
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )
        if init is not None:  # default: the layers' PyTorch-style init, as torchvision
            init_weights(weight_layers(self), init, output=self.classifier[6])

    def forward(self, x):
        check_trunk(self.features, x.shape)   # a too-small image fails here, naming the layer
        x = self.avgpool(self.features(x))
        return self.classifier(flatten(x, 1))


def alexnet_torchvision(num_classes=1000, dropout=0.5, init=None, *, weights=None,
                        progress=True, pretrained=False):
    """torchvision's AlexNet (61,100,840 parameters for 1000 classes); see AlexNetTorchvision.

    `weights`: None, or the path of torchvision's weights (``alexnet-owt-7be5be79.pth``, or
    the same as ``.safetensors``), loaded strictly (see ``minidl.models.pretrained``);
    minidl downloads nothing. `progress`: torchvision's keyword, ignored."""
    check_weights("alexnet_torchvision", weights, pretrained)
    return load_weights(AlexNetTorchvision(num_classes, dropout, init), weights,
                        "alexnet_torchvision")
