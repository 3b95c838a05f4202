"""Image transforms on NumPy arrays, composable, with the AlexNet and VGG augmentations.

Images are HWC (uint8 0..255 or float 0..1) until ``ToTensor`` makes them CHW float32; every
random transform is ``t(img, rng=None)`` and draws from a NumPy Generator. The full conventions are
in ``base.py``. A typical training pipeline (AlexNet, with VGG's scale jittering)::

    eigvals, eigvecs = compute_pca(train_set_without_transform)
    train_tf = Compose([RandomScale(256, 512), RandomCrop(224), RandomHorizontalFlip(),
                        PCAColorAugmentation(eigvals, eigvecs), Normalize(mean), ToTensor()])
    test_tf = Compose([Resize(256), CenterCrop(256), TenCrop(224), Normalize(mean), ToTensor()])
"""
from .antialias import resize_antialias
from .base import Compose, Lambda, Transform
from .color import PCAColorAugmentation, compute_pca
from .convert import Normalize, ToTensor
from .crop import CenterCrop, RandomCrop, RandomHorizontalFlip, TenCrop
from .resize import RandomScale, Resize, resize_bilinear, resize_bilinear_naive

__all__ = [
    "Transform", "Compose", "Lambda",
    "Resize", "RandomScale", "resize_bilinear", "resize_bilinear_naive", "resize_antialias",
    "RandomCrop", "CenterCrop", "RandomHorizontalFlip", "TenCrop",
    "PCAColorAugmentation", "compute_pca",
    "Normalize", "ToTensor",
]
