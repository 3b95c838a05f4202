"""AlexNet's two towers (the paper's section 3.2): the net split over two ranks, one per GPU.

    rank r of 2 holds                              exchange (all_gather_cat)
    conv1  half of the kernels (all input maps)
    conv2  its group of the grouped conv2
           ------------------------------------->  pool2 maps of both towers, into conv3
    conv3  half of the kernels, over all maps
    conv4  its group;  conv5  its group
           ------------------------------------->  pool5 maps of both towers, into fc6
    fc6    half of the units, over all features
           ------------------------------------->  fc6 units of both towers, into fc7
    fc7    half of the units, over all units
           ------------------------------------->  fc7 units of both towers, into fc8
    fc8    whole, the same on both ranks

The towers talk only where the paper's GPUs did: conv2->conv3, conv5->fc6, fc6->fc7 (and
fc7->fc8, which the paper's figure also draws across both GPUs). Each exchange is an all-gather
forward and, since each rank feeds the gathered maps into its *own* half of the next layer, a
reduce-scatter of their gradients backward (``minidl.distributed.functional``). fc8 is held
whole on both ranks, so its input's gather is ``consumer="replicated"``: backward just keeps the
rank's own block, and both ranks compute the same logits, loss and fc8 update.

LRN: each tower normalises over its own maps, as the paper's GPUs did (48 of conv1's 96); the
single-process net that matches it exactly is ``AlexNet(..., lrn_groups=2)``. Against minidl's
default LRN over all 96 maps the difference is confined to the maps within two of the split
(``tests/models/test_alexnet_lrn_groups.py`` shows both).

Both ranks must feed the same images (model parallelism: one batch, two halves of the net).
"""
from .. import nn
from ..distributed.functional import all_gather_cat
from ..ops import flatten
from .alexnet import AlexNet

# tower attribute -> the grouped AlexNet's state-dict prefix; all but fc8 are the rank's half
# of the output channels (units), which is what the grouped convs' group r holds too
LAYERS = {"conv1": "features.0", "conv2": "features.4", "conv3": "features.8",
          "conv4": "features.10", "conv5": "features.12", "fc6": "classifier.0",
          "fc7": "classifier.3", "fc8": "classifier.6"}


def _half(n, what):
    if n % 2:
        raise ValueError(f"AlexNetTower: {what} has {n} channels; two towers need an even count")
    return n // 2


class AlexNetTower(nn.Module):
    """Rank `rank`'s tower of a two-rank AlexNet with the sizes of `template` (an ``AlexNet``).

    (N, C, S, S) -> (N, num_classes) on both ranks (the same logits). Build it with
    ``from_alexnet(net, rank)`` to take its weights from a single-process ``AlexNet``.
    """

    def __init__(self, template, rank):
        super().__init__()
        if not isinstance(template, AlexNet):
            raise TypeError(f"AlexNetTower: expected an AlexNet, got {type(template).__name__}")
        self.rank = rank
        c1, c2, c3, c4, c5 = template.conv_layers()
        f6, f7, f8 = template.fc_layers()

        def conv(src, in_channels):
            return nn.Conv2d(in_channels, _half(src.out_channels, "a conv layer"),
                             src.kernel_size, stride=src.stride, padding=src.padding)

        self.conv1 = conv(c1, c1.in_channels)
        self.conv2 = conv(c2, c1.out_channels // 2)
        self.conv3 = conv(c3, c2.out_channels)
        self.conv4 = conv(c4, c3.out_channels // 2)
        self.conv5 = conv(c5, c4.out_channels // 2)
        self.fc6 = nn.Linear(f6.in_features, _half(f6.out_features, "fc6"))
        self.fc7 = nn.Linear(f7.in_features, _half(f7.out_features, "fc7"))
        self.fc8 = nn.Linear(f8.in_features, f8.out_features)
        lrn = template.features[2]
        lrn = getattr(lrn, "lrn", lrn)            # a GroupLocalResponseNorm's own LRN
        self.lrn = nn.LocalResponseNorm(lrn.size, lrn.alpha, lrn.beta, lrn.k) \
            if isinstance(lrn, nn.LocalResponseNorm) else nn.Identity()
        self.relu, self.pool = nn.ReLU(), nn.MaxPool2d(3, stride=2)
        self.dropout = nn.Dropout(template.classifier[2].p)

    @classmethod
    def from_alexnet(cls, net, rank):
        """Rank `rank`'s tower with the weights of `net` (an AlexNet with groups=2), sliced."""
        tower = cls(net, rank)
        full = net.state_dict()
        for name, p in tower.named_parameters():
            p.data[...] = tower.slice_of(full, name)
        return tower

    def slice_of(self, full, name):
        """The part of the single-process array ``full[key]`` (a state dict or a dict of its
        gradients) that this tower's parameter `name` (``"conv3.weight"``) holds."""
        layer, kind = name.split(".")
        array = getattr(full[f"{LAYERS[layer]}.{kind}"], "data", full[f"{LAYERS[layer]}.{kind}"])
        if layer == "fc8":
            return array
        n = array.shape[0] // 2
        return array[self.rank * n:(self.rank + 1) * n]

    def forward(self, x):
        x = self.pool(self.lrn(self.relu(self.conv1(x))))
        x = self.pool(self.lrn(self.relu(self.conv2(x))))
        x = all_gather_cat(x, dim=1)                                 # into conv3
        x = self.relu(self.conv3(x))
        x = self.relu(self.conv4(x))
        x = self.pool(self.relu(self.conv5(x)))
        x = flatten(all_gather_cat(x, dim=1), 1)                     # into fc6
        x = self.dropout(self.relu(self.fc6(x)))
        x = self.dropout(self.relu(self.fc7(all_gather_cat(x, dim=1))))     # into fc7
        return self.fc8(all_gather_cat(x, dim=1, consumer="replicated"))   # into fc8
