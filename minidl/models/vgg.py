"""VGG (Simonyan & Zisserman, ICLR 2015): how deep can a stack of 3×3 convolutions go?

    (N, 3, 224, 224) -> features (N, 512, 7, 7) -> avgpool (7, 7) -> flatten 25088
                     -> classifier -> (N, 1000)

The paper's Table 1 (conv3-64 = 3×3 convolution, 64 channels; every conv pads 1 and is
followed by ReLU; M = max-pool 2×2 stride 2, halving the side):

    config  A (11)    A-LRN (11)  B (13)    C (16)        D (16)    E (19)      params
    block1  conv3-64  conv3-64    conv3-64  conv3-64      conv3-64  conv3-64
                      LRN         conv3-64  conv3-64      conv3-64  conv3-64
            M         M           M         M             M         M
    block2  conv3-128 ×1          ×2        ×2            ×2        ×2
    block3  conv3-256 ×2          ×2        ×2 + conv1-256  ×3      ×4
    block4  conv3-512 ×2          ×2        ×2 + conv1-512  ×3      ×4
    block5  conv3-512 ×2          ×2        ×2 + conv1-512  ×3      ×4
    FC-4096, ReLU, dropout; FC-4096, ReLU, dropout; FC-1000
    params: A 132,863,336  B 133,047,848  C 133,638,952  D 138,357,544  E 143,667,240
    (A-LRN = A: LRN has no parameters)

Why 3×3: three stacked 3×3 layers see 7×7 with three ReLUs and 27C² weights instead of 49C².
C's 1×1 convolutions add a non-linearity without widening the receptive field.

State-dict keys are torchvision's (``features.N``, ``avgpool`` without parameters,
``classifier.{0,3,6}``) for A, B, D, E, so its checkpoints (without batch norm) load by key.
"""
from .. import nn
from ..autograd import no_grad
from ..ops import flatten
from ._check import check_trunk
from ._init import check_scheme, init_weights, scaled, weight_layers
from .heads import ClassifierMixin
from .pretrained import check_weights, load_weights

# an int = 3×3 conv with that many channels; (c, 1) = 1×1 conv; "M" = max-pool; "LRN" = LRN
CONFIGS = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "A-LRN": [64, "LRN", "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "C": [64, 64, "M", 128, 128, "M", 256, 256, (256, 1), "M", 512, 512, (512, 1), "M",
          512, 512, (512, 1), "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
          512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"],
}
ALIASES = {"vgg11": "A", "vgg11_lrn": "A-LRN", "vgg13": "B", "vgg16c": "C", "vgg16": "D",
           "vgg19": "E"}


def make_features(config, in_channels=3, width=1.0, ceil_mode=False):
    """The convolutional part of a configuration as one Sequential (torchvision's indices)."""
    layers, c = [], in_channels
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(2, stride=2, ceil_mode=ceil_mode))
        elif item == "LRN":  # A-LRN uses AlexNet's LRN (k=2, n=5, α=1e-4 on the plain sum,
            # β=0.75), in PyTorch's convention alpha = 5 × 1e-4
            layers.append(nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0))
        else:
            out, k = item if isinstance(item, tuple) else (item, 3)
            out = scaled(out, width)
            layers += [nn.Conv2d(c, out, k, padding=k // 2), nn.ReLU(inplace=True)]
            c = out
    return nn.Sequential(*layers), c


class VGG(ClassifierMixin, nn.Module):
    """A VGG configuration. (N, in_channels, S, S) -> (N, num_classes).

    width narrows every layer (channels × width, hidden units × width) with the topology
    unchanged; `pool_size` is the side avgpool brings the last maps to (7 = 224 / 32);
    `ceil_mode` lets the small versions pool 28 -> 14 -> 7 -> 4 -> 2 -> 1.
    """

    def __init__(self, config="D", num_classes=1000, in_channels=3, width=1.0, hidden=None,
                 pool_size=7, ceil_mode=False, dropout=0.5, init="paper"):
        super().__init__()
        config = ALIASES.get(config, config)
        if config not in CONFIGS:
            raise ValueError(f"VGG: unknown configuration {config!r}; expected one of "
                             f"{list(CONFIGS)} or {list(ALIASES)}")
        check_scheme(init, f"VGG-{config}")
        self.config, self.width = config, width
        hidden = scaled(4096, width) if hidden is None else hidden
        self.features, c = make_features(CONFIGS[config], in_channels, width, ceil_mode)
        # at 224 the maps are already 7×7 and this is the identity; torchvision keeps it so that
        # other sizes reach fc6 too (the paper's answer for other sizes is dense evaluation)
        self.avgpool = nn.AdaptiveAvgPool2d((pool_size, pool_size))
        self.classifier = nn.Sequential(
            nn.Linear(c * pool_size * pool_size, hidden), nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(hidden, num_classes),
        )
        self.reset_parameters(init)

    def conv_layers(self):
        return [m for m in self.features if isinstance(m, nn.Conv2d)]

    def fc_layers(self):
        return [self.classifier[i] for i in (0, 3, 6)]

    def reset_parameters(self, init="paper"):
        """Paper: weights N(0, 0.01²), biases 0. That trains A; the deeper nets needed A's
        layers (``init_from``) -- or ``init="kaiming"``, which later work found sufficient."""
        init_weights(weight_layers(self), init, output=self.fc_layers()[-1])

    def forward(self, x):
        check_trunk(self.features, x.shape)   # a too-small image fails here, naming the layer
        x = self.avgpool(self.features(x))
        return self.classifier(flatten(x, 1))

    def init_from(self, net_a):
        """VGG's own transfer; see ``init_from``."""
        return init_from(self, net_a)


def blocks(net):
    """Conv layers grouped by block (between max-pools): [[conv1_1, ...], [conv2_1, ...], ...]."""
    out, cur = [], []
    for m in net.features:
        if isinstance(m, nn.Conv2d):
            cur.append(m)
        elif isinstance(m, nn.MaxPool2d):
            out.append(cur)
            cur = []
    return out


def init_from(net, net_a):
    """Initialise a deeper VGG from a trained net A, as the paper did (Sec. 3.1).

    "We initialised the first four convolutional layers and the last three fully-connected
    layers with the layers of net A (the intermediate layers were initialised randomly)."
    A's first four conv layers are conv1_1, conv2_1, conv3_1 and conv3_2 (A has one conv in
    blocks 1 and 2, two in block 3); each goes to the same place -- same block, same position --
    in the deeper net, the only place its shape fits (e.g. in D, conv1_2 takes 64 channels in,
    but A's second conv, conv2_1, takes 64 and gives 128: it fits D's conv2_1). fc6, fc7, fc8 are
    copied as they are. Everything else in `net` is left as it was.

    Returns the names of the copied parameters (``features.0.weight``, ...). Copies, not shares.
    """
    a_blocks, n_blocks = blocks(net_a), blocks(net)
    pairs = []
    for b, a_block in enumerate(a_blocks):
        for i, conv in enumerate(a_block):
            if len(pairs) < 4:
                pairs.append((conv, n_blocks[b][i]))
    pairs += list(zip(net_a.fc_layers(), net.fc_layers()))
    names = {id(p): k for k, p in net.named_parameters()}
    copied = []
    for src, dst in pairs:
        for attr in ("weight", "bias"):
            s, d = getattr(src, attr), getattr(dst, attr)
            if s.shape != d.shape:
                raise ValueError(f"init_from: {names[id(d)]} has shape {d.shape}, net A's layer "
                                 f"{s.shape}; build both nets with the same width, in_channels "
                                 "and num_classes")
    with no_grad():
        for src, dst in pairs:
            for attr in ("weight", "bias"):
                d = getattr(dst, attr)
                d.data[...] = getattr(src, attr).data
                copied.append(names[id(d)])
    return copied


def vgg(config="D", num_classes=1000, in_channels=3, width=1.0, init="paper", dropout=0.5, *,
        weights=None, progress=True, pretrained=False):
    """A VGG configuration ("A", "A-LRN", "B", "C", "D", "E" or an alias) for 224×224 input.

    `weights`: None, or the path of pretrained weights in torchvision's layout (``.pth`` or
    ``.safetensors``) or timm's (``model.safetensors`` of ``timm/vgg16.tv_in1k``), loaded
    strictly (see ``minidl.models.pretrained``); minidl downloads nothing. `progress`:
    torchvision's keyword, ignored. Loading skips the random init (its result is overwritten)."""
    name = f"vgg({config!r})"
    check_weights(name, weights, pretrained)
    if weights is not None:
        init = None   # every weight comes from the file: drawing 138M normals first is waste
    return load_weights(VGG(config, num_classes, in_channels, width, init=init, dropout=dropout),
                        weights, name)


def vgg_small(config="A", num_classes=10, in_channels=1, input_size=28, width=0.25,
              hidden=512, init="kaiming", dropout=0.5):
    """A VGG configuration for 28×28 or 32×32 images: the same 3×3 stacks and five max-pools.

    Channels × `width` (0.25: 16-32-64-128-128), `hidden` units in fc6/fc7. Pools round up
    (``ceil_mode``) so both sizes reach 1×1: 28 -> 14 -> 7 -> 4 -> 2 -> 1 and
    32 -> 16 -> 8 -> 4 -> 2 -> 1; fc6 then sees 128×1×1. Kaiming init by default: the paper's
    N(0, 0.01²) does not train the deeper configurations from scratch.
    10 classes: A 910,666 parameters, 8.8M MACs at 28×28; D 1,254,618 and 20.2M at 32×32.
    """
    if input_size < 17:
        raise ValueError(f"vgg_small: input_size {input_size} is too small for five pools")
    return VGG(config, num_classes, in_channels, width, hidden, pool_size=1, ceil_mode=True,
               dropout=dropout, init=init)


def _alias(name, config):
    def build(num_classes=1000, in_channels=3, width=1.0, init="paper", dropout=0.5, *,
              weights=None, progress=True, pretrained=False):
        check_weights(name, weights, pretrained)
        net = vgg(config, num_classes, in_channels, width, None if weights else init, dropout)
        return load_weights(net, weights, name)
    build.__name__ = build.__qualname__ = name
    build.__doc__ = f"VGG configuration {config} (``vgg({config!r}, ...)``)."
    return build


vgg11 = _alias("vgg11", "A")
vgg11_lrn = _alias("vgg11_lrn", "A-LRN")
vgg13 = _alias("vgg13", "B")
vgg16c = _alias("vgg16c", "C")
vgg16 = _alias("vgg16", "D")
vgg19 = _alias("vgg19", "E")
