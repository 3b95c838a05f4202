"""``CIFAR10`` from the *binary* version of the dataset (``cifar-10-binary.tar.gz``), no pickle.

Folder ``root/cifar-10-batches-bin/`` (or ``root`` itself) holds ``data_batch_1.bin`` ..
``data_batch_5.bin`` (training, 10000 images each) and ``test_batch.bin``. Each file is a run of
3073-byte records::

    byte 0        label, 0..9
    bytes 1-3072  the image, channel-major: 1024 red, then 1024 green, then 1024 blue bytes,
                  each 32 x 32 row-major  -> (3, 32, 32), which we turn into HWC (32, 32, 3)

``batches.meta.txt``, when present, names the classes one per line.
Samples: ``(image, label)`` with the image (32, 32, 3) uint8 HWC.
"""
import os

import numpy as np

from .base import LabeledImages, check_labels
from .errors import CorruptFileError, refuse_download

RECORD = 1 + 3 * 32 * 32
TRAIN_FILES = [f"data_batch_{i}.bin" for i in range(1, 6)]
TEST_FILES = ["test_batch.bin"]
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def read_cifar_bin(path):
    """(images (N, 32, 32, 3) uint8, labels (N,) uint8) from one binary batch file."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) == 0 or len(raw) % RECORD:
        raise CorruptFileError(path, f"size {len(raw)} bytes is not a positive multiple of the "
                               f"{RECORD}-byte CIFAR-10 record (truncated or not a CIFAR binary batch)")
    records = np.frombuffer(raw, dtype=np.uint8).reshape(-1, RECORD)
    labels = records[:, 0].copy()
    check_labels(path, labels, 10)
    images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def _folder(root):
    inner = os.path.join(root, "cifar-10-batches-bin")
    return inner if os.path.isdir(inner) else root


def _classes(folder):
    meta = os.path.join(folder, "batches.meta.txt")
    if not os.path.isfile(meta):
        return CLASSES
    try:
        with open(meta, encoding="utf-8") as f:
            names = [line.strip() for line in f if line.strip()]
    except UnicodeDecodeError as e:
        raise CorruptFileError(meta, f"not UTF-8 text (byte {e.start}: {e.reason}); it should "
                               "name the 10 classes, one per line") from None
    if len(names) != 10:
        raise CorruptFileError(meta, f"expected 10 class names, found {len(names)}")
    return names


class CIFAR10(LabeledImages):
    """``CIFAR10(root, train=True, transform=None, target_transform=None)``: 32 x 32 RGB, 10 classes."""

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        self.root, self.train = os.fspath(root), train
        folder = _folder(self.root)
        names = TRAIN_FILES if train else TEST_FILES
        self.files = [os.path.join(folder, n) for n in names]
        missing = [p for p in self.files if not os.path.isfile(p)]
        if missing and download:    # torchvision's keyword: say where the files come from
            refuse_download("CIFAR10", self.root)
        if missing:
            raise FileNotFoundError(f"CIFAR10: missing {', '.join(missing)} (the binary version, "
                                    "cifar-10-binary.tar.gz, unpacked; minidl never downloads)")
        parts = [read_cifar_bin(p) for p in self.files]
        images = np.concatenate([p[0] for p in parts])
        labels = np.concatenate([p[1] for p in parts])
        super().__init__(images, labels, _classes(folder), transform, target_transform)
