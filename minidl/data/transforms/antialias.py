"""Antialiased bilinear resizing, as Pillow's ``Image.resize(size, Image.BILINEAR)`` computes it.

Shapes: ``(H, W, C) -> (OH, OW, C)``, dtype kept.

Plain bilinear (``resize_bilinear``) looks at 2 source pixels per output pixel: shrinking a
photo 4x skips 3 of every 4 rows and columns, and fine texture turns into false patterns
(aliasing). Pillow (and torchvision's ``antialias=True``) stretch the triangle filter by the
shrink factor instead, so every source pixel contributes. Along one axis, ``scale = in / out``::

    support = max(scale, 1)                     # the triangle's half-width, in source pixels
    center  = (o + 0.5) * scale                 # output pixel o's centre, in source units
    w(x)    = max(0, 1 - |x + 0.5 - center| / max(scale, 1))   for the x within the support,
    out[o]  = sum_x w(x) * in[x] / sum_x w(x)   # normalised (the edges lose part of the kernel)

Worked example: 800 -> 200 columns (scale 4): each output column mixes 8 source columns with
weights 1/16, 3/16, 5/16, 7/16, 7/16, ... (normalised), where plain bilinear takes 2. With
``scale <= 1`` (enlarging) this is ordinary bilinear interpolation.

uint8 images follow Pillow's arithmetic: weights in 22-bit fixed point, each pass rounded to
uint8. The result equals Pillow 13's for most sizes and is within one grey level always: Pillow
picks which pass runs first by a rule of its own, and the rounding between the passes then
differs (here: the horizontal pass first, the vertical first when the width grows -- Pillow's
choice in most cases measured). Other dtypes are computed in float64.
"""
import math

import numpy as np

from .base import as_hwc

_BITS = 22   # Pillow's PRECISION_BITS for 8-bit images: 32 - 8 - 2


def filter_taps(in_size, out_size):
    """(index (out, k) ints, weight (out, k) float64): output o = sum_j weight[o, j] *
    input[index[o, j]]. Pillow's ``precompute_coeffs`` with the bilinear (triangle) filter."""
    scale = in_size / out_size
    filterscale = max(scale, 1.0)
    support = filterscale                       # the triangle's support is 1, stretched
    ksize = math.ceil(support) * 2 + 1
    center = (np.arange(out_size) + 0.5) * scale
    xmin = np.maximum(np.trunc(center - support + 0.5), 0).astype(np.intp)
    count = np.minimum(np.trunc(center + support + 0.5), in_size).astype(np.intp) - xmin
    x = xmin[:, None] + np.arange(ksize)[None, :]
    w = np.maximum(0.0, 1.0 - np.abs((x - center[:, None] + 0.5) / filterscale))
    w[np.arange(ksize)[None, :] >= count[:, None]] = 0.0
    total = w.sum(axis=1, keepdims=True)
    w = np.divide(w, total, out=np.zeros_like(w), where=total != 0)
    return np.minimum(x, in_size - 1), w


def _resample_rows(img, out_w, fixed, chunk=64):
    """Resize axis 1 of (H, W, C) `img` to `out_w`, a few rows at a time (bounded memory)."""
    index, weight = filter_taps(img.shape[1], out_w)
    if fixed:
        weight = np.floor(0.5 + weight * (1 << _BITS)).astype(np.int64)
    out = np.empty((img.shape[0], out_w, img.shape[2]), img.dtype if fixed else np.float64)
    for r in range(0, img.shape[0], chunk):
        rows = img[r:r + chunk]
        acc = np.full((rows.shape[0], out_w, rows.shape[2]), 1 << (_BITS - 1) if fixed else 0,
                      np.int64 if fixed else np.float64)
        for j in range(index.shape[1]):
            acc += rows[:, index[:, j]] * weight[None, :, j, None]
        out[r:r + chunk] = np.clip(acc >> _BITS, 0, 255) if fixed else acc
    return out


def resize_antialias(img, out_h, out_w):
    """(H, W, C) -> (out_h, out_w, C), antialiased when shrinking: Pillow's BILINEAR resize
    (within one grey level) for uint8, the same filter in float64 for floating-point images."""
    img = as_hwc(img, "resize_antialias")
    fixed = img.dtype == np.uint8
    out = img if fixed else img.astype(np.float64)
    # the order matters to the rounding between passes (see the module docstring)
    passes = ["w", "h"] if out_w <= img.shape[1] else ["h", "w"]
    for axis in passes:
        if axis == "w" and out.shape[1] != out_w:
            out = _resample_rows(out, out_w, fixed)
        elif axis == "h" and out.shape[0] != out_h:
            out = _resample_rows(out.transpose(1, 0, 2), out_h, fixed).transpose(1, 0, 2)
    return np.ascontiguousarray(out if fixed else out.astype(img.dtype, copy=False))
