"""The transform protocol, ``Compose`` and ``Lambda``; helpers shared by every transform.

Conventions every transform in ``minidl.data.transforms`` follows:

* **Layout.** An image is a NumPy array of shape ``(H, W, C)`` -- HWC, as NumPy, Pillow and
  matplotlib store pictures -- with ``C = 3`` for RGB and ``C = 1`` for grayscale (a 2-D
  ``(H, W)`` array is read as ``(H, W, 1)``). It stays HWC through every step until
  ``ToTensor``, the last step, turns it into CHW float32, the layout convolutions want.
* **Values.** ``uint8`` means 0..255; floating point means 0..1 (PyTorch's and scikit-image's
  convention). Geometric transforms keep the dtype; a transform that must produce fractions
  (``Normalize``, ``PCAColorAugmentation``) first turns uint8 into float32 / 255.
* **Randomness.** ``t(img, rng=None)``: a random transform draws only from ``rng``, or when it is
  None from ``minidl.data.rng.current_rng()`` -- the per-batch generator the DataLoader installs.
  See ``minidl/data/rng.py`` for why that makes epochs reproducible.
"""
import numpy as np

from ..rng import resolve_rng


def as_hwc(img, who):
    """Return ``img`` as an (H, W, C) array; a 2-D (H, W) image becomes (H, W, 1)."""
    img = np.asarray(img)
    if img.ndim == 2:
        return img[:, :, None]
    if img.ndim != 3:
        raise ValueError(f"{who}: expected an image of shape (H, W, C) or (H, W), got shape {img.shape}")
    return img


def to_float(img):
    """uint8 0..255 -> float32 0..1; float images pass through (as float32 unless float64)."""
    if img.dtype == np.uint8:
        return img.astype(np.float32) * np.float32(1 / 255)
    if np.issubdtype(img.dtype, np.floating):
        return img
    raise TypeError(f"expected a uint8 or floating-point image, got dtype {img.dtype}")


def pair(size, who):
    """``size`` as ``(h, w)``: an int means a square."""
    if isinstance(size, (int, np.integer)):
        size = (int(size), int(size))
    h, w = (int(s) for s in size)
    if h <= 0 or w <= 0:
        raise ValueError(f"{who}: size must be positive, got {size}")
    return h, w


class Transform:
    """Base class: subclasses implement ``__call__(img, rng=None)`` and a readable ``__repr__``."""

    def __call__(self, img, rng=None):
        raise NotImplementedError

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


def _call(t, img, rng):
    # Plain functions (``lambda img: ...``) take no generator; Transforms do.
    return t(img, rng) if isinstance(t, Transform) else t(img)


class Compose(Transform):
    """Apply transforms in order, handing all of them the same generator."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img, rng=None):
        rng = resolve_rng(rng)
        for t in self.transforms:
            img = _call(t, img, rng)
        return img

    def __repr__(self):
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{inner}\n])"


class Lambda(Transform):
    """Wrap ``fn(img)`` or, with ``random=True``, ``fn(img, rng)`` as a transform."""

    def __init__(self, fn, random=False):
        self.fn, self.random = fn, random

    def __call__(self, img, rng=None):
        return self.fn(img, resolve_rng(rng)) if self.random else self.fn(img)
