"""``ImageFolder``: one sub-folder per class of JPEG/PNG files, decoded by Pillow.

    root/cat/001.jpg, root/cat/xyz.png, root/dog/a.jpeg, ...

``classes`` are the sub-folder names sorted; ``class_to_idx`` maps each to its index;
``samples`` lists ``(path, class_index)`` sorted by class then path. Files are decoded when
indexed (not up front), converted to RGB (or ``mode="L"`` grayscale).
Samples: ``(image, label)``, the image (H, W, 3) or (H, W, 1) uint8 HWC.
"""
import os

import numpy as np

from ..dataset import Dataset, check_index
from .errors import CorruptFileError

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".gif", ".tif", ".tiff", ".webp")


def pil_loader(path, mode="RGB"):
    """Decode an image file into an (H, W, C) uint8 array; CorruptFileError names a bad file."""
    from PIL import Image, UnidentifiedImageError   # Pillow: the `examples`/`test` extras
    try:
        with Image.open(path) as im:
            arr = np.asarray(im.convert(mode))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise CorruptFileError(path, f"cannot decode image ({e})") from None
    return arr[:, :, None] if arr.ndim == 2 else arr


class ImageFolder(Dataset):
    """``ImageFolder(root, transform=None, target_transform=None, mode="RGB", extensions=...)``."""

    def __init__(self, root, transform=None, target_transform=None, mode="RGB",
                 extensions=IMG_EXTENSIONS):
        self.root, self.mode = os.fspath(root), mode
        self.transform, self.target_transform = transform, target_transform
        if not os.path.isdir(self.root):
            raise FileNotFoundError(f"ImageFolder: {self.root} is not a folder")
        self.classes = sorted(e.name for e in os.scandir(self.root) if e.is_dir())
        if not self.classes:
            raise FileNotFoundError(f"ImageFolder: {self.root} has no class sub-folders")
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        exts = tuple(e.lower() for e in extensions)
        self.samples = []
        for c in self.classes:
            for dirpath, _, files in sorted(os.walk(os.path.join(self.root, c), followlinks=True)):
                self.samples += [(os.path.join(dirpath, f), self.class_to_idx[c])
                                 for f in sorted(files) if f.lower().endswith(exts)]
        if not self.samples:
            raise FileNotFoundError(f"ImageFolder: no files ending in {', '.join(exts)} under {self.root}")
        self.targets = [t for _, t in self.samples]

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, index):
        path, target = self.samples[check_index(index, len(self), "ImageFolder")]
        img = pil_loader(path, self.mode)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __repr__(self):
        return (f"ImageFolder({len(self)} images, {len(self.classes)} classes, root={self.root!r}, "
                f"transform={self.transform!r})")
