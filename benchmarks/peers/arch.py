"""The benchmark's nets as a list of layers, read by each peer (`jax_nets.py`, `tinygrad_nets.py`).

Each entry is what minidl's ``nn.Sequential`` holds at that place, with the state-dict key of
its weights (``features.N``, ``classifier.N``, as minidl and `torch_nets.py` name them):

    ("conv", key, stride, padding, groups)   weight (OC, C/groups, kh, kw), bias (OC,)
    ("relu",)
    ("lrn", size, alpha, beta, k)            minidl's convention: alpha multiplies the plain sum
    ("maxpool", kernel, stride)
    ("avgpool_to", side)                     adaptive average pooling to side×side
    ("flatten",)                             of NCHW maps: (N, C*H*W), channel-major
    ("linear", key)                          weight (out, in), bias (out,)
    ("dropout", p)

So the peers compute the same function as minidl's ``alexnet(input_size=224)`` and ``vgg16()``
from the same weights; `alexnet(...)` takes the widths so a test can build a tiny one.
"""

LRN = ("lrn", 5, 1e-4, 0.75, 2.0)   # the paper's constants, minidl's alpha convention
VGG16 = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def _classifier(dropout):
    return [("linear", "classifier.0"), ("relu",), ("dropout", dropout),
            ("linear", "classifier.3"), ("relu",), ("dropout", dropout),
            ("linear", "classifier.6")]


def alexnet(conv1_padding=2, groups=2, dropout=0.5):
    """minidl.models.AlexNet's layers (conv1 11×11/4, padded by 2 at 224; LRN after conv1 and
    conv2; groups in conv2, conv4, conv5)."""
    return [("conv", "features.0", 4, conv1_padding, 1), ("relu",), LRN, ("maxpool", 3, 2),
            ("conv", "features.4", 1, 2, groups), ("relu",), LRN, ("maxpool", 3, 2),
            ("conv", "features.8", 1, 1, 1), ("relu",),
            ("conv", "features.10", 1, 1, groups), ("relu",),
            ("conv", "features.12", 1, 1, groups), ("relu",), ("maxpool", 3, 2),
            ("flatten",)] + _classifier(dropout)


def vgg16(config=VGG16, pool_size=7, dropout=0.5):
    """minidl.models.VGG's configuration D: 3×3 convs padded by 1, 2×2 max pools, the adaptive
    average pool to 7×7 (the identity at 224) and the classifier."""
    layers, i = [], 0
    for item in config:
        if item == "M":
            layers.append(("maxpool", 2, 2))
            i += 1
        else:
            layers += [("conv", f"features.{i}", 1, 1, 1), ("relu",)]
            i += 2
    return layers + [("avgpool_to", pool_size), ("flatten",)] + _classifier(dropout)


def layers(arch):
    """The layer list of a suite's net by name: "alexnet" (224×224 input) or "vgg16"."""
    return {"alexnet": alexnet, "vgg16": vgg16}[arch]()
