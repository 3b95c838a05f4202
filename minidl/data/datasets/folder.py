"""``ImageFolder``: one sub-folder per class of JPEG/PNG files, decoded by Pillow.

    root/cat/001.jpg, root/cat/xyz.png, root/dog/a.jpeg, ...

``classes`` are the sub-folder names sorted; ``class_to_idx`` maps each to its index;
``samples`` lists ``(path, class_index)`` sorted by class then path. Files are decoded when
indexed (not up front), converted to RGB (or ``mode="L"`` grayscale).
Samples: ``(image, label)``, the image (H, W, 3) or (H, W, 1) uint8 HWC.

Choices where a folder of files can surprise:

* only regular files are samples (symlinks to them too): a FIFO, socket or device named like
  an image is skipped with a warning (reading a FIFO would block forever).
* symlinks are followed, but each real folder (its device and inode) is listed once per class,
  by its path through the fewest links: a link back to a folder above it (a loop) or a second
  link to one already listed is skipped with a warning. (``os.walk(followlinks=True)`` never
  returns on a loop.)
* an empty class folder is an error, as in torchvision (``FileNotFoundError``, naming the
  empty classes), unless ``allow_empty=True`` keeps it as a class with no samples.
* 16-bit grayscale images are scaled to 8 bits (the high byte, ``v >> 8``: what Pillow itself does
  with 16-bit RGB) instead of being clipped to 0..255 by Pillow's ``convert``. 32-bit integer and
  float images are refused (their range is unknown). Both errors are ``CorruptFileError``, as are
  undecodable files and images Pillow refuses as decompression bombs.
"""
import heapq
import os
import warnings

import numpy as np

from ..dataset import Dataset, check_index
from .errors import CorruptFileError

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".gif", ".tif", ".tiff", ".webp")


def pil_loader(path, mode="RGB"):
    """Decode an image file into an (H, W, C) uint8 array; CorruptFileError names a bad file."""
    from PIL import Image, UnidentifiedImageError   # Pillow: the `examples`/`test` extras
    try:
        with Image.open(path) as im:
            arr = np.asarray(_eight_bit(im, path).convert(mode))
    except Image.DecompressionBombError as e:
        raise CorruptFileError(path, f"{e} Pillow refuses it; if the image is genuine, raise "
                               "PIL.Image.MAX_IMAGE_PIXELS") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        if isinstance(e, CorruptFileError):
            raise
        raise CorruptFileError(path, f"cannot decode image ({e})") from None
    return arr[:, :, None] if arr.ndim == 2 else arr


def _eight_bit(im, path):
    """``im`` with 8-bit channels, ready for ``convert``: 16-bit gray scaled by ``v >> 8``."""
    from PIL import Image
    if im.mode.startswith("I;16") or (im.mode == "I" and im.format == "PNG"):   # 16-bit gray
        return Image.fromarray((np.asarray(im).astype(np.uint32) >> 8).astype(np.uint8))
    if im.mode in ("I", "F") or im.mode.startswith(("I;", "F;")):
        kind = "float" if im.mode.startswith("F") else "integer"
        raise CorruptFileError(path, f"mode {im.mode} image (32-bit {kind} pixels): its range is "
                               "unknown, so it cannot become 8-bit without guessing; convert it "
                               "to an 8- or 16-bit image first")
    return im


def _list_files(top, exts, visited):
    """``[(folder, sorted image file names)]`` under ``top``, links followed, each real folder
    (its ``(st_dev, st_ino)``, recorded in ``visited``) once. Of several paths to one folder the
    one through the fewest symlinks (then the shortest) is kept: the real path, for a loop."""
    found, todo = [], [(0, 0, top)]   # (symlinks on the path, depth, folder), fewest first
    while todo:
        links, depth, folder = heapq.heappop(todo)
        try:
            st = os.stat(folder)
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:   # unreadable or vanished: skipped, as os.walk does
            continue
        if (st.st_dev, st.st_ino) in visited:
            warnings.warn(f"ImageFolder: skipped {folder}: it is {visited[st.st_dev, st.st_ino]}, "
                          "already listed (a symlink loop, or a second link to it)", stacklevel=3)
            continue
        visited[st.st_dev, st.st_ino] = folder
        files = []
        for e in entries:
            try:
                if e.is_dir():
                    heapq.heappush(todo, (links + e.is_symlink(), depth + 1, e.path))
                    continue
                regular = e.is_file()   # follows links; False for a FIFO, socket or device
            except OSError:
                regular = False
            if not e.name.lower().endswith(exts):
                continue
            if regular:
                files.append(e.name)
            else:   # a FIFO named x.jpg would block the reader forever; a dangling link fails
                warnings.warn(f"ImageFolder: skipped {e.path}: not a regular file (a FIFO, "
                              "socket, device or broken link)", stacklevel=3)
        found.append((folder, files))
    return sorted(found)


class ImageFolder(Dataset):
    """``ImageFolder(root, transform=None, target_transform=None, mode="RGB", extensions=...,
    allow_empty=False)``: an empty class folder raises FileNotFoundError unless ``allow_empty``."""

    def __init__(self, root, transform=None, target_transform=None, mode="RGB",
                 extensions=IMG_EXTENSIONS, allow_empty=False):
        self.root, self.mode = os.fspath(root), mode
        self.transform, self.target_transform = transform, target_transform
        if not os.path.isdir(self.root):
            raise FileNotFoundError(f"ImageFolder: {self.root} is not a folder")
        self.classes = sorted(e.name for e in os.scandir(self.root) if e.is_dir())
        if not self.classes:
            raise FileNotFoundError(f"ImageFolder: {self.root} has no class sub-folders")
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        exts = tuple(e.lower() for e in extensions)
        self.samples, empty = [], []
        for c in self.classes:
            listed = _list_files(os.path.join(self.root, c), exts, visited={})
            found = [(os.path.join(folder, f), self.class_to_idx[c])
                     for folder, files in listed for f in files]
            if not found:
                empty.append(c)
            self.samples += found
        if empty and not allow_empty:
            raise FileNotFoundError(f"ImageFolder: no files ending in {', '.join(exts)} in the "
                                    f"class folder(s) {', '.join(empty)} of {self.root} (pass "
                                    "allow_empty=True to keep empty classes)")
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
