"""``Normalize`` (per-channel mean/std, or VGG's plain mean subtraction) and ``ToTensor`` (HWC -> CHW).

``Normalize``: ``(..., C) -> (..., C)`` float32, ``out = (img - mean) / std`` per channel.
``ToTensor``: ``(..., H, W, C) -> (..., C, H, W)`` float32, contiguous; uint8 scaled to 0..1.

Order: ``Normalize`` works on HWC images, so it comes *before* ``ToTensor`` (which is the last
step). Put after it on a CHW RGB image, it raises rather than normalising the wrong axis.
"""
import numpy as np

from .base import Transform, to_float


class Normalize(Transform):
    """``(img - mean) / std`` per channel; ``std=None`` is mean subtraction only (VGG, AlexNet).

    ``mean`` and ``std`` are in 0..1 units (uint8 images are scaled to 0..1 first): e.g. the
    ImageNet mean RGB is (0.485, 0.456, 0.406). A single number applies to all channels.
    """

    def __init__(self, mean, std=None):
        self.mean = np.asarray(mean, dtype=np.float32).reshape(-1)
        self.std = None if std is None else np.asarray(std, dtype=np.float32).reshape(-1)
        if self.std is not None and np.any(self.std <= 0):
            raise ValueError(f"Normalize: std must be positive, got {self.std}")

    def __call__(self, img, rng=None):
        img = to_float(np.asarray(img))
        for name, v in (("mean", self.mean), ("std", self.std)):
            if v is not None and v.size != 1 and v.size != img.shape[-1]:
                raise ValueError(
                    f"Normalize: {name} has {v.size} values but the image's last axis has "
                    f"{img.shape[-1]} (shape {img.shape}); images are HWC here, so put Normalize "
                    "before ToTensor")
        out = img - self.mean
        if self.std is not None:
            out = out / self.std
        return out.astype(np.float32, copy=False)


class ToTensor(Transform):
    """HWC -> CHW float32, uint8 divided by 255. The last step of a pipeline.

    Despite the PyTorch name it returns a NumPy array: the DataLoader stacks a batch of them and
    makes the ``minidl.Tensor`` once per batch. A ``(10, h, w, C)`` stack from ``TenCrop`` becomes
    ``(10, C, h, w)``.
    """

    def __call__(self, img, rng=None):
        img = np.asarray(img)
        if img.ndim == 2:
            img = img[:, :, None]
        if img.ndim < 3:
            raise ValueError(f"ToTensor: expected (..., H, W, C), got shape {img.shape}")
        out = np.moveaxis(to_float(img), -1, -3)
        return np.ascontiguousarray(out, dtype=np.float32)
