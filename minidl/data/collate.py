"""``default_collate``: a list of samples -> a tuple of stacked NumPy arrays (one per field).

    [(image (C, H, W) float32, label int), ...]  ->  (images (N, C, H, W) float32, labels (N,) int64)

A ``TenCrop`` sample, image (10, C, h, w), gives images (N, 10, C, h, w). Other fields are stacked
too: ints become int64, floats float32. The DataLoader turns each array into a ``minidl.Tensor``.
"""
import numbers

import numpy as np


def _check_image(img, k):
    if not isinstance(img, np.ndarray) or not np.issubdtype(img.dtype, np.floating) or img.ndim not in (3, 4):
        got = (f"shape {img.shape} {img.dtype}" if isinstance(img, np.ndarray) else type(img).__name__)
        raise TypeError(f"DataLoader: sample {k}'s image is {got}; batches are float32 NCHW, so each "
                        "image must be a float (C, H, W) array -- end the dataset's transform with "
                        "transforms.ToTensor()")


def _stack(values, field):
    first = values[0]
    if isinstance(first, np.ndarray):
        shapes = {v.shape for v in values}
        if len(shapes) > 1:
            raise ValueError(f"DataLoader: field {field} has different shapes in one batch: "
                             f"{sorted(shapes)}; resize or crop to one size")
        out = np.stack(values)
    elif isinstance(first, numbers.Number):
        out = np.asarray(values)
    else:
        raise TypeError(f"DataLoader: cannot collate field {field} of type {type(first).__name__}; "
                        "pass collate_fn=")
    if np.issubdtype(out.dtype, np.integer) or out.dtype == np.bool_:
        return out.astype(np.int64, copy=False)
    if np.issubdtype(out.dtype, np.floating):
        return out.astype(np.float32, copy=False)
    return out


def default_collate(samples):
    """Stack ``(image, label, ...)`` samples field by field; the image must be float CHW."""
    if not isinstance(samples[0], tuple):
        samples = [(s,) for s in samples]
    for k, s in enumerate(samples):
        _check_image(s[0], k)
    return tuple(_stack([s[f] for s in samples], f) for f in range(len(samples[0])))
