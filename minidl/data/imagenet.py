"""ImageNet's 1000 class names and torchvision's preprocessing: what a pretrained net expects.

    from minidl.data.imagenet import IMAGENET_CLASSES, imagenet_transform
    x = imagenet_transform()(pil_loader("cat.jpg"))[None]     # (1, 3, 224, 224) float32
    probs = F.softmax(net(minidl.tensor(x)), dim=1)           # index i is IMAGENET_CLASSES[i]

Class names in the order of the ILSVRC-2012 class indices (``n01440764`` "tench" = 0, ...,
"toilet tissue" = 999), as torchvision names them: its list gives the two names WordNet
repeats distinct spellings (134 "crane bird" beside 517 "crane" the machine, 639 "maillot tank
suit" beside 638 "maillot"). Stored in ``imagenet_classes.txt`` beside this file, one a line.

Preprocessing of torchvision's (and timm's ``tv_in1k``) ImageNet weights: shorter side resized
to 256 with Pillow's antialiased bilinear filter (as torchvision's PIL pipeline did), centre
crop 224, RGB scaled to 0..1, then per channel minus ``IMAGENET_MEAN`` and divided by
``IMAGENET_STD``.

``check_photo_size(w, h)`` refuses, from the image header alone, a photo whose resize would
cost far more than its file: a 1x3000 PNG of 91 bytes would become 256x768000 floats (2 GiB).
"""
import os

from .transforms import CenterCrop, Compose, Normalize, Resize, ToTensor

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
RESIZE, CROP = 256, 224


def _read_classes():
    path = os.path.join(os.path.dirname(__file__), "imagenet_classes.txt")
    with open(path, encoding="utf-8") as f:
        names = [line.rstrip("\n") for line in f if line.strip()]
    if len(names) != 1000:
        raise RuntimeError(f"{path}: {len(names)} class names, expected 1000")
    return tuple(names)


IMAGENET_CLASSES = _read_classes()


MAX_ASPECT = 16              # long side / short side: panoramas pass, 1x3000 strips do not
MAX_PIXELS = 64_000_000      # a 64-megapixel photo decodes to 192 MB


def imagenet_transform(resize=RESIZE, crop=CROP):
    """HWC uint8 RGB image -> (3, crop, crop) float32, torchvision's evaluation pipeline."""
    return Compose([Resize(resize, antialias=True), CenterCrop(crop),
                    Normalize(IMAGENET_MEAN, IMAGENET_STD), ToTensor()])


def check_photo_size(width, height, name="the photo"):
    """ValueError (naming `name`) for a size ``imagenet_transform`` should not be given: an
    aspect ratio over ``MAX_ASPECT`` or more than ``MAX_PIXELS`` pixels."""
    if width < 1 or height < 1:
        raise ValueError(f"{name}: {width}x{height} pixels: an empty image")
    long, short = max(width, height), min(width, height)
    if long > MAX_ASPECT * short:
        raise ValueError(f"{name}: {width}x{height} pixels, an aspect ratio of {long / short:.0f}:1; "
                         f"photos up to {MAX_ASPECT}:1 are accepted (resizing its short side "
                         f"to {RESIZE} would make the long side {RESIZE * long // short} pixels)")
    if width * height > MAX_PIXELS:
        raise ValueError(f"{name}: {width}x{height} pixels ({width * height / 1e6:.0f} "
                         f"megapixels); photos up to {MAX_PIXELS // 1_000_000} megapixels are "
                         "accepted: shrink it first")
