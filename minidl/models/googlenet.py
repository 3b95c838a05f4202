"""GoogLeNet, Inception v1 (Szegedy et al., "Going Deeper with Convolutions", CVPR 2015).

    (N, 3, 224, 224) -> stem -> inception 3a..5b -> global avg pool -> dropout 0.4 -> fc
    -> (N, 1000); in training GoogLeNetOutputs(logits, aux_logits2, aux_logits1) as torchvision:
    also the two auxiliary classifiers' logits, on 4d (aux_logits2) and on 4a (aux_logits1).

The paper's Table 1 (every convolution, inside the modules too, is followed by ReLU):

    type            patch/stride  output     #1×1  #3×3red  #3×3  #5×5red  #5×5  pool proj
    conv            7×7/2         112×112×64
    max pool        3×3/2         56×56×64
    (LRN)
    conv (reduce)   1×1/1         56×56×64
    conv            3×3/1         56×56×192
    (LRN)
    max pool        3×3/2         28×28×192
    inception (3a)                28×28×256   64     96      128     16      32     32
    inception (3b)                28×28×480  128    128      192     32      96     64
    max pool        3×3/2         14×14×480
    inception (4a)                14×14×512  192     96      208     16      48     64
    inception (4b)                14×14×512  160    112      224     24      64     64
    inception (4c)                14×14×512  128    128      256     24      64     64
    inception (4d)                14×14×528  112    144      288     32      64     64
    inception (4e)                14×14×832  256    160      320     32     128    128
    max pool        3×3/2         7×7×832
    inception (5a)                7×7×832    256    160      320     32     128    128
    inception (5b)                7×7×1024   384    192      384     48     128    128
    avg pool        7×7/1         1×1×1024
    dropout (40%), linear 1024 -> 1000, softmax

Max-pools round up (``ceil_mode=True``, Caffe's only mode): floor would give 112 -> 55.
Parameters (conv biases included, no batch norm): 6,998,552 without the auxiliary classifiers
(the paper's table sums to about 6.8M; torchvision's, with batch norm and 3×3 "5×5" branches,
is 6,624,904), 13,378,280 with them.

Auxiliary classifier (on 4a: 14×14×512, on 4d: 14×14×528): avg pool 5×5 stride 3 -> 4×4,
1×1 conv 128 + ReLU, FC 2048 -> 1024 + ReLU, dropout 0.7, FC -> classes. Used only in training,
its loss weighted 0.3 (``googlenet_loss``). LRN: the paper gives no constants; these are
Caffe's bvlc_googlenet (local_size 5, alpha 1e-4, beta 0.75, k 1), whose alpha is divided by the
size as PyTorch's is: ``nn.LocalResponseNorm(5, alpha=1e-4, k=1.0)`` (2e-5 on the plain sum).

Module names follow torchvision's ``GoogLeNet`` (``conv1.conv.weight``, ``inception3a.branch2.1
.conv.weight``, ``aux1.fc1.weight``, ``fc.weight``) without its batch norms.
"""
from collections import namedtuple

from .. import functional as F
from .. import nn
from ..ops import cat, flatten
from ._init import check_scheme, init_weights, scaled, weight_layers
from .heads import fresh_head
from .pretrained import check_weights, load_weights

GoogLeNetOutputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])
GoogLeNetOutputs.__doc__ = (
    "Training-mode output, as torchvision's: (logits, aux_logits2, aux_logits1) -- the main "
    "logits, then the head on 4d (module aux2), then the head on 4a (module aux1).")

# name: (#1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj), the paper's Table 1
INCEPTION = {
    "3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64), "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64), "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128), "5b": (384, 192, 384, 48, 128, 128),
}


class BasicConv2d(nn.Module):
    """Convolution + ReLU (torchvision's name; it adds batch norm, the paper had none)."""

    def __init__(self, in_channels, out_channels, kernel_size, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, **kwargs)

    def forward(self, x):
        return F.relu(self.conv(x))


class Inception(nn.Module):
    """Four parallel branches, concatenated on channels (all keep the H × W of the input):

        branch1  1×1 conv (c1)
        branch2  1×1 conv (c3r, the "reduce") -> 3×3 conv (c3)
        branch3  1×1 conv (c5r) -> 5×5 conv (c5)
        branch4  3×3 max-pool stride 1 -> 1×1 conv (pool proj)

    (N, in_channels, H, W) -> (N, c1 + c3 + c5 + pool_proj, H, W). The 1×1 reduces are the
    trick: 3b's 5×5 branch costs 480·32 + 32·25·96 weights instead of 480·25·96.
    """

    def __init__(self, in_channels, c1, c3r, c3, c5r, c5, pool_proj):
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, c1, 1)
        self.branch2 = nn.Sequential(BasicConv2d(in_channels, c3r, 1),
                                     BasicConv2d(c3r, c3, 3, padding=1))
        self.branch3 = nn.Sequential(BasicConv2d(in_channels, c5r, 1),
                                     BasicConv2d(c5r, c5, 5, padding=2))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
                                     BasicConv2d(in_channels, pool_proj, 1))
        self.out_channels = c1 + c3 + c5 + pool_proj

    def forward(self, x):
        return cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], dim=1)


class InceptionAux(nn.Module):
    """(N, C, 14, 14) -> avg pool 5×5/3 -> (N, C, 4, 4) -> 1×1 conv 128 -> FC 1024 -> FC classes.

    `pool` may be replaced (the small versions pool adaptively to 2×2); `side` is its output side.
    """

    def __init__(self, in_channels, num_classes, conv_channels=128, hidden=1024, pool=None,
                 side=4, dropout=0.7):
        super().__init__()
        self.pool = nn.AvgPool2d(5, stride=3) if pool is None else pool
        self.conv = BasicConv2d(in_channels, conv_channels, 1)
        self.fc1 = nn.Linear(conv_channels * side * side, hidden)
        self.dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x):
        x = flatten(self.conv(self.pool(x)), 1)
        return self.fc2(self.dropout(F.relu(self.fc1(x))))


class GoogLeNet(nn.Module):
    """Inception v1. (N, in_channels, S, S) -> (N, num_classes), or GoogLeNetOutputs(logits,
    aux_logits2, aux_logits1) in training when aux_logits (torchvision's order). `width`
    narrows every layer; `small` swaps the stem for 28/32-pixel images."""

    def __init__(self, num_classes=1000, aux_logits=True, in_channels=3, width=1.0, small=False,
                 dropout=0.4, aux_dropout=0.7, init="xavier"):
        super().__init__()
        check_scheme(init, "GoogLeNet")
        w = lambda c: scaled(c, width)  # noqa: E731
        self.aux_logits = aux_logits

        def lrn():  # Caffe's bvlc_googlenet constants (local_size 5, alpha 1e-4, PyTorch's and
            # Caffe's convention: 2e-5 on the plain sum, the paper's form the kernels compute)
            return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)

        if small:  # 3×3/1, no first pool: 32 -> 16 -> 8 -> 4, 28 -> 14 -> 7 -> 3
            self.conv1 = BasicConv2d(in_channels, w(64), 3, padding=1)
            self.maxpool1 = nn.Identity()
        else:
            self.conv1 = BasicConv2d(in_channels, w(64), 7, stride=2, padding=3)
            self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.lrn1 = lrn()
        self.conv2 = BasicConv2d(w(64), w(64), 1)
        self.conv3 = BasicConv2d(w(64), w(192), 3, padding=1)
        self.lrn2 = lrn()
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        c = w(192)
        for name in ("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b"):
            if name in ("4a", "5a"):  # torchvision's names: maxpool3 before 4a, maxpool4 before 5a
                setattr(self, "maxpool3" if name == "4a" else "maxpool4",
                        nn.MaxPool2d(3, stride=2, ceil_mode=True))
            block = Inception(c, *(w(n) for n in INCEPTION[name]))
            setattr(self, f"inception{name}", block)
            if name == "4a":
                c4a = block.out_channels
            if name == "4d":
                c4d = block.out_channels
            c = block.out_channels
        if aux_logits:
            pool = (lambda: nn.AdaptiveAvgPool2d((2, 2))) if small else (lambda: None)
            side = 2 if small else 4
            self.aux1 = InceptionAux(c4a, num_classes, w(128), w(1024), pool(), side, aux_dropout)
            self.aux2 = InceptionAux(c4d, num_classes, w(128), w(1024), pool(), side, aux_dropout)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))  # = avg pool 7×7/1 at 224
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(c, num_classes)
        self.num_features = c   # fc's input width (timm's name), for reset_classifier
        self.reset_parameters(init)

    def reset_parameters(self, init="xavier"):
        """The paper gives no initialisation (it trained with DistBelief); "xavier" with biases
        0.2 is Caffe's bvlc_googlenet recipe, the public reproduction."""
        init_weights(weight_layers(self), init, bias=0.2 if init == "xavier" else 0.0)

    def get_classifier(self):
        """The main head, ``fc`` (the auxiliary ones: ``aux_classifiers()``)."""
        return self.fc

    def aux_classifiers(self):
        """The auxiliary heads' last layers, ``[aux1.fc2, aux2.fc2]`` ([] without aux_logits)."""
        return [self.aux1.fc2, self.aux2.fc2] if self.aux_logits else []

    def reset_classifier(self, num_classes):
        """A fresh ``fc`` for `num_classes` (0: Identity, the net outputs the pooled 5b
        features) and fresh auxiliary heads ``aux1.fc2``, ``aux2.fc2`` with it. Returns fc."""
        self.fc = fresh_head(self.num_features, num_classes, self.conv1.conv.weight)
        if self.aux_logits:
            for aux in (self.aux1, self.aux2):
                aux.fc2 = fresh_head(aux.fc1.out_features, num_classes, aux.fc1.weight)
        return self.fc

    def forward(self, x):
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.lrn2(self.conv3(self.conv2(self.lrn1(x)))))
        x = self.inception3b(self.inception3a(x))
        x = self.inception4a(self.maxpool3(x))
        aux1 = self.aux1(x) if self.aux_logits and self.training else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if self.aux_logits and self.training else None
        x = self.inception5a(self.maxpool4(self.inception4e(x)))
        x = self.inception5b(x)
        x = self.fc(self.dropout(flatten(self.avgpool(x), 1)))
        if aux1 is not None:  # torchvision's order: main, aux on 4d, aux on 4a
            return GoogLeNetOutputs(x, aux2, aux1)
        return x


def googlenet(num_classes=1000, aux_logits=True, in_channels=3, width=1.0, init="xavier",
              dropout=0.4, *, weights=None, progress=True, pretrained=False):
    """GoogLeNet as the paper's Table 1, for 224×224 input (any side ≥ 193 runs).
    `weights`: None, or the path of a state dict of this net (``minidl.save``d, or a training
    checkpoint) -- torchvision's GoogLeNet has batch norm and 3×3 "5×5" branches, so its
    weights do not fit this one. `progress`: torchvision's keyword, ignored."""
    check_weights("googlenet", weights, pretrained)
    net = GoogLeNet(num_classes, aux_logits, in_channels, width, small=False, dropout=dropout,
                    init=init)
    return load_weights(net, weights, "googlenet")


def googlenet_small(num_classes=10, aux_logits=True, in_channels=1, width=0.25, init="xavier",
                    dropout=0.4):
    """GoogLeNet for 28×28 or 32×32 images: every Inception module and both auxiliary heads.

    The stem's 7×7/2 conv becomes 3×3/1 and its first max-pool goes (the paper's stem divides
    the side by 4 before any Inception module; a 32-pixel image can afford 2). Inception 3 runs
    at 16×16 (14×14 for 28), 4 at 8×8 (7×7), 5 at 4×4 (3×3). The auxiliary heads pool
    adaptively to 2×2 instead of 5×5/3. Channels × `width` (0.25: 3a outputs 64, 5b 256).
    28×28, 10 classes: 456,410 parameters (376,838 without the aux heads), 22.5M MACs.
    """
    return GoogLeNet(num_classes, aux_logits, in_channels, width, small=True, dropout=dropout,
                     init=init)


def googlenet_loss(outputs, target, aux_weight=0.3):
    """The paper's training loss: main + 0.3 × (aux1 + aux2) cross-entropies.

    `outputs` is what the net returned: GoogLeNetOutputs(logits, aux_logits2, aux_logits1) in
    training (torchvision's order: 4d's head, then 4a's), plain logits otherwise (then just
    the cross-entropy).
    """
    if isinstance(outputs, GoogLeNetOutputs):
        main = F.cross_entropy(outputs.logits, target)
        return main + aux_weight * (F.cross_entropy(outputs.aux_logits1, target)
                                    + F.cross_entropy(outputs.aux_logits2, target))
    return F.cross_entropy(outputs, target)
