"""ImageNet's 1000 class names and torchvision's preprocessing: what a pretrained net expects.

    from minidl.data.imagenet import IMAGENET_CLASSES, imagenet_transform
    x = imagenet_transform()(pil_loader("cat.jpg"))[None]     # (1, 3, 224, 224) float32
    probs = F.softmax(net(minidl.tensor(x)), dim=1)           # index i is IMAGENET_CLASSES[i]

Class names in the order of the ILSVRC-2012 class indices (``n01440764`` "tench" = 0, ...,
"toilet tissue" = 999), as torchvision names them: its list gives the two names WordNet
repeats distinct spellings (134 "crane bird" beside 517 "crane" the machine, 639 "maillot tank
suit" beside 638 "maillot"). Stored in ``imagenet_classes.txt`` beside this file, one a line.

Preprocessing of torchvision's (and timm's ``tv_in1k``) ImageNet weights: shorter side resized
to 256, centre crop 224, RGB scaled to 0..1, then per channel minus ``IMAGENET_MEAN`` and
divided by ``IMAGENET_STD``.
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


def imagenet_transform(resize=RESIZE, crop=CROP):
    """HWC uint8 RGB image -> (3, crop, crop) float32, torchvision's evaluation pipeline."""
    return Compose([Resize(resize), CenterCrop(crop), Normalize(IMAGENET_MEAN, IMAGENET_STD),
                    ToTensor()])
