"""Tiny models and data for the training-loop tests: a run takes a fraction of a second."""
import numpy as np

from minidl import nn
from minidl.data import ArrayDataset
from minidl.data.transforms import Lambda


def jitter(img, rng):
    """A random augmentation: noise drawn from the generator the DataLoader installs."""
    return img + rng.normal(0, 0.1, img.shape).astype(np.float32)


def blobs(n=96, seed=0, augment=False):
    """n 1x4x4 "images" in 3 classes: class c has its mean raised in row c (learnable at once)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.standard_normal((n, 1, 4, 4)).astype(np.float32) * 0.5
    x[np.arange(n), 0, y, :] += 1.5
    transform = Lambda(jitter, random=True) if augment else None
    return ArrayDataset(x, y.astype(np.int64), transform=transform)


def mlp(dropout=0.0):
    layers = [nn.Flatten(), nn.Linear(16, 32), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers, nn.Linear(32, 3))


def tiny_convnet(dropout=0.5):
    """(N, 1, 4, 4) -> conv 3×3 -> ReLU -> max-pool -> FC -> dropout -> FC -> (N, 3)."""
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 4×2×2
                         nn.Flatten(), nn.Linear(16, 32), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(32, 3))
