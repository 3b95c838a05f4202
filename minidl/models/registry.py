"""``get_model(name, ...)``: a net by name, the paper's size or the small version by input size.

    name                  paper input    small version (input_size < 64: 28×28, 32×32)
    alexnet               227 (or 224)   alexnet_small
    alexnet_torchvision   224            -
    vgg11 vgg11_lrn vgg13 vgg16c vgg16 vgg19   224   vgg_small(config)
    googlenet             224            googlenet_small
"""
# names, not modules: the package's ``alexnet`` attribute is the function, not the file
from .alexnet import alexnet, alexnet_small, alexnet_torchvision
from .googlenet import googlenet, googlenet_small
from .vgg import ALIASES as VGG_ALIASES, vgg, vgg_small

PAPER_INPUT_SIZE = {"alexnet": 227, "alexnet_torchvision": 224, "googlenet": 224,
                    **{name: 224 for name in VGG_ALIASES}}
SMALL_LIMIT = 64  # below this side, the small version


def list_models():
    return sorted(PAPER_INPUT_SIZE)


def get_model(name, num_classes=1000, in_channels=3, input_size=None, **kwargs):
    """Build `name` for `input_size` × `input_size` images with `in_channels` channels.

    input_size None means the paper's. Extra keyword arguments (width, init, dropout,
    aux_logits, ...) go to the builder.
    """
    if name not in PAPER_INPUT_SIZE:
        raise ValueError(f"get_model: unknown model {name!r}; expected one of {list_models()}")
    size = PAPER_INPUT_SIZE[name] if input_size is None else input_size
    small = size < SMALL_LIMIT
    if name == "alexnet":
        if small:
            return alexnet_small(num_classes, in_channels, size, **kwargs)
        return alexnet(num_classes, in_channels, size, **kwargs)
    if name == "alexnet_torchvision":
        if small or in_channels != 3:
            raise ValueError("get_model: alexnet_torchvision takes 3-channel images of side "
                             f"≥ {SMALL_LIMIT}; use 'alexnet' for small ones")
        return alexnet_torchvision(num_classes, **kwargs)
    if name == "googlenet":
        build = googlenet_small if small else googlenet
        return build(num_classes, in_channels=in_channels, **kwargs)
    if small:
        return vgg_small(name, num_classes, in_channels, size, **kwargs)
    return vgg(name, num_classes, in_channels, **kwargs)
