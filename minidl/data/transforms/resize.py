"""Bilinear resizing: ``Resize`` (short side to S) and ``RandomScale`` (VGG's scale jittering).

Shapes: ``(H, W, C) -> (OH, OW, C)``, dtype kept (uint8 results are rounded).

Sampling convention ("half-pixel centres", as OpenCV's INTER_LINEAR and PyTorch's
``interpolate(mode="bilinear", align_corners=False, antialias=False)``): output pixel ``oy``
looks at source row ``y = (oy + 0.5) * H / OH - 0.5``, clamped to ``[0, H - 1]``, and mixes rows
``floor(y)`` and ``floor(y) + 1`` with weights ``1 - frac`` and ``frac``; columns likewise::

    for oy, ox:                                  # resize_bilinear_naive, the loop
        y, x = src(oy), src(ox)
        y0, x0 = floor(y), floor(x);  dy, dx = y - y0, x - x0
        out[oy, ox] = (1-dy)(1-dx) img[y0, x0] + (1-dy) dx img[y0, x0+1]
                    + dy (1-dx) img[y0+1, x0]  + dy dx img[y0+1, x0+1]

The fast version uses that bilinear weights factorise: interpolate all rows at once, then all
columns (two gathers and two weighted sums, no Python loop). Shrinking by more than 2x with no
antialiasing skips pixels; the papers only ever shrink ImageNet photos a little, so training
keeps the simple filter. ``Resize(S, antialias=True)`` uses Pillow's antialiased filter instead
(``antialias.py``): what torchvision's pretrained weights were evaluated with (their photos
went through Pillow), so ``minidl.data.imagenet`` uses it. (torchvision's own default is
``antialias=True``; minidl keeps False, the papers' filter, for training.)
"""
import numpy as np

from ..rng import resolve_rng
from .antialias import resize_antialias
from .base import Transform, as_hwc, pair


def _source_index(out_size, in_size):
    """For each output position: lower neighbour (int), upper neighbour (int), weight of upper."""
    x = (np.arange(out_size, dtype=np.float64) + 0.5) * (in_size / out_size) - 0.5
    x = np.clip(x, 0, in_size - 1)
    lo = np.floor(x).astype(np.intp)
    hi = np.minimum(lo + 1, in_size - 1)
    return lo, hi, (x - lo).astype(np.float32)


def _restore_dtype(out, dtype):
    if dtype == np.uint8:
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return out.astype(dtype, copy=False)


def resize_bilinear(img, out_h, out_w):
    """(H, W, C) -> (out_h, out_w, C), separable and vectorised."""
    img = as_hwc(img, "resize_bilinear")
    y0, y1, wy = _source_index(out_h, img.shape[0])
    x0, x1, wx = _source_index(out_w, img.shape[1])
    src = img.astype(np.float32, copy=False)
    rows = src[y0] * (1 - wy)[:, None, None] + src[y1] * wy[:, None, None]
    out = rows[:, x0] * (1 - wx)[None, :, None] + rows[:, x1] * wx[None, :, None]
    return _restore_dtype(out, img.dtype)


def resize_bilinear_naive(img, out_h, out_w):
    """The same result as ``resize_bilinear``, one output pixel at a time (test oracle)."""
    img = as_hwc(img, "resize_bilinear_naive")
    H, W, C = img.shape
    out = np.empty((out_h, out_w, C), dtype=np.float32)
    for oy in range(out_h):
        y = min(max((oy + 0.5) * H / out_h - 0.5, 0.0), H - 1)
        y0 = int(np.floor(y)); y1 = min(y0 + 1, H - 1); dy = y - y0
        for ox in range(out_w):
            x = min(max((ox + 0.5) * W / out_w - 0.5, 0.0), W - 1)
            x0 = int(np.floor(x)); x1 = min(x0 + 1, W - 1); dx = x - x0
            out[oy, ox] = ((1 - dy) * (1 - dx) * img[y0, x0].astype(np.float64)
                           + (1 - dy) * dx * img[y0, x1] + dy * (1 - dx) * img[y1, x0]
                           + dy * dx * img[y1, x1])
    return _restore_dtype(out, img.dtype)


def short_side_size(h, w, s):
    """(h, w) scaled so the shorter side is ``s``; the long side truncated as torchvision does."""
    if h <= w:
        return s, max(1, int(s * w / h))
    return max(1, int(s * h / w)), s


class Resize(Transform):
    """``Resize(S)``: rescale so the short side is S, keeping the aspect ratio (AlexNet: S = 256).
    ``Resize((h, w))``: rescale to exactly h x w. Bilinear, see the module docstring;
    ``antialias=True``: Pillow's antialiased bilinear filter (``resize_antialias``)."""

    def __init__(self, size, antialias=False):
        self.size = size if isinstance(size, (int, np.integer)) else pair(size, "Resize")
        self.antialias = bool(antialias)

    def __call__(self, img, rng=None):
        img = as_hwc(img, "Resize")
        if isinstance(self.size, tuple):
            oh, ow = self.size
        else:
            oh, ow = short_side_size(img.shape[0], img.shape[1], int(self.size))
        if (oh, ow) == img.shape[:2]:
            return img
        return (resize_antialias if self.antialias else resize_bilinear)(img, oh, ow)


class RandomScale(Transform):
    """VGG's scale jittering: draw S uniformly from the integers ``smin..smax`` (both included)
    per image, then ``Resize(S)``. VGG trains with S in [256, 512] and crops 224 x 224."""

    def __init__(self, smin, smax):
        if not 0 < smin <= smax:
            raise ValueError(f"RandomScale: need 0 < smin <= smax, got smin={smin}, smax={smax}")
        self.smin, self.smax = int(smin), int(smax)

    def __call__(self, img, rng=None):
        s = int(resolve_rng(rng).integers(self.smin, self.smax + 1))
        return Resize(s)(img)
