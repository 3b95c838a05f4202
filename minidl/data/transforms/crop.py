"""Crops and flips: ``RandomCrop``, ``CenterCrop``, ``RandomHorizontalFlip``, ``TenCrop``.

Shapes: ``(H, W, C) -> (h, w, C)``; ``TenCrop``: ``(H, W, C) -> (10, h, w, C)``. Dtype is kept.

AlexNet trains on random 224 x 224 patches of 256 x 256 images and their horizontal reflections
(``RandomCrop(224)``, ``RandomHorizontalFlip()``), and tests on ten patches: the four corners, the
centre, and the reflections of all five (``TenCrop(224)``), averaging the ten softmax outputs.
"""
import numpy as np

from ..rng import resolve_rng
from .base import Transform, as_hwc, pair


def crop(img, top, left, h, w):
    """The (h, w, C) window of ``img`` whose top-left pixel is (top, left)."""
    return img[top:top + h, left:left + w]


def _check_fits(who, img, h, w):
    if h > img.shape[0] or w > img.shape[1]:
        raise ValueError(f"{who}: crop {h}x{w} is larger than the image {img.shape[0]}x{img.shape[1]}")


def center_offsets(H, W, h, w):
    """Top-left corner of the centred h x w window (rounded as torchvision does)."""
    return int(round((H - h) / 2.0)), int(round((W - w) / 2.0))


class RandomCrop(Transform):
    """A uniformly random h x w window. With ``padding=p`` the image is first padded by p pixels
    of ``fill`` on every side (the usual CIFAR / Fashion-MNIST recipe: 28 x 28, padding 2)."""

    def __init__(self, size, padding=0, fill=0):
        self.size, self.padding, self.fill = pair(size, "RandomCrop"), int(padding), fill

    def __call__(self, img, rng=None):
        img = as_hwc(img, "RandomCrop")
        if self.padding:
            p = self.padding
            img = np.pad(img, ((p, p), (p, p), (0, 0)), constant_values=self.fill)
        h, w = self.size
        _check_fits("RandomCrop", img, h, w)
        rng = resolve_rng(rng)
        top = int(rng.integers(0, img.shape[0] - h + 1))
        left = int(rng.integers(0, img.shape[1] - w + 1))
        return crop(img, top, left, h, w)


class CenterCrop(Transform):
    """The centred h x w window (AlexNet: a 256 x 256 centre after resizing the short side).

    A crop larger than the image first pads it with zeros, as torchvision does: a side short by
    ``d`` pixels gets ``d // 2`` before and ``(d + 1) // 2`` after.
    """

    def __init__(self, size):
        self.size = pair(size, "CenterCrop")

    def __call__(self, img, rng=None):
        img = as_hwc(img, "CenterCrop")
        h, w = self.size
        dh, dw = max(h - img.shape[0], 0), max(w - img.shape[1], 0)
        if dh or dw:
            img = np.pad(img, ((dh // 2, (dh + 1) // 2), (dw // 2, (dw + 1) // 2), (0, 0)))
        return crop(img, *center_offsets(img.shape[0], img.shape[1], h, w), h, w)


def hflip(img):
    """Mirror left-right: column x becomes column W - 1 - x."""
    return img[:, ::-1]


class RandomHorizontalFlip(Transform):
    """Mirror the image left-right with probability ``p``."""

    def __init__(self, p=0.5):
        self.p = float(p)

    def __call__(self, img, rng=None):
        img = as_hwc(img, "RandomHorizontalFlip")
        return hflip(img) if resolve_rng(rng).random() < self.p else img


class TenCrop(Transform):
    """Ten h x w crops stacked into shape ``(10, h, w, C)``, in this order:

    ``0`` top-left, ``1`` top-right, ``2`` bottom-left, ``3`` bottom-right, ``4`` centre,
    ``5..9`` the horizontal reflections of crops ``0..4`` (``out[5 + i] == out[i][:, ::-1]``).

    (torchvision instead crops the reflected image, which swaps its corners' order.) Follow it with
    ``ToTensor()`` (``(10, C, h, w)``); a batch is then ``(N, 10, C, h, w)``: reshape to
    ``(N * 10, C, h, w)``, run the net, and average the outputs over the 10.
    """

    def __init__(self, size):
        self.size = pair(size, "TenCrop")

    def __call__(self, img, rng=None):
        img = as_hwc(img, "TenCrop")
        h, w = self.size
        _check_fits("TenCrop", img, h, w)
        H, W = img.shape[:2]
        corners = [(0, 0), (0, W - w), (H - h, 0), (H - h, W - w), center_offsets(H, W, h, w)]
        five = [crop(img, t, l, h, w) for t, l in corners]
        return np.stack(five + [hflip(c) for c in five])
