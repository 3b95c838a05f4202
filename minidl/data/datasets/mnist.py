"""``MNIST`` and ``FashionMNIST`` from their IDX files in a local folder (never downloaded).

Files, gzipped (``.gz``) or not, directly in ``root`` (or in ``root/<Name>/raw``, torchvision's
layout)::

    train-images-idx3-ubyte  (60000, 28, 28) uint8     t10k-images-idx3-ubyte  (10000, 28, 28)
    train-labels-idx1-ubyte  (60000,) uint8 in 0..9    t10k-labels-idx1-ubyte  (10000,)

Samples: ``(image, label)``, the image (28, 28, 1) uint8 HWC -- grayscale keeps its channel axis
so it flows through the same transforms as RGB.
"""
import os

from .base import LabeledImages, check_labels
from .errors import CorruptFileError, refuse_download
from .idx import read_idx

SPLITS = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
          False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def find_file(folders, name):
    """The first of ``folder/name``, ``folder/name.gz`` that exists, else FileNotFoundError."""
    for folder in folders:
        for candidate in (name, name + ".gz"):
            path = os.path.join(folder, candidate)
            if os.path.isfile(path):
                return path
    raise FileNotFoundError(f"{name}[.gz] not found in {' or '.join(map(str, folders))} "
                            "(minidl never downloads: put the files there)")


def read_idx_pair(folders, train):
    """(images (N, H, W, 1) uint8, labels (N,) uint8, paths) of one split, validated."""
    image_path, label_path = (find_file(folders, n) for n in SPLITS[train])
    images, labels = read_idx(image_path), read_idx(label_path)
    if images.ndim != 3 or images.dtype.itemsize != 1:
        raise CorruptFileError(image_path, f"expected (N, H, W) bytes, got shape {images.shape} "
                               f"of {images.dtype}")
    if labels.ndim != 1 or labels.dtype.itemsize != 1:
        raise CorruptFileError(label_path, f"expected (N,) bytes, got shape {labels.shape} "
                               f"of {labels.dtype}")
    if len(images) != len(labels):
        raise CorruptFileError(label_path, f"{len(labels)} labels for the {len(images)} images "
                               f"in {image_path}")
    check_labels(label_path, labels, 10)
    return images.view("u1")[..., None], labels, (image_path, label_path)


class MNIST(LabeledImages):
    """Handwritten digits: ``MNIST(root, train=True, transform=None, target_transform=None,
    download=False)``. ``download=True`` (torchvision's keyword) changes nothing when the files
    are in `root`; when they are not, the error says where to fetch them."""

    classes = [str(d) for d in range(10)]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        if root is None:
            raise ValueError(f"{type(self).__name__}: root is required (the folder with the IDX files)")
        self.root, self.train = os.fspath(root), train
        folders = [self.root, os.path.join(self.root, type(self).__name__, "raw")]
        try:
            images, labels, self.files = read_idx_pair(folders, train)
        except FileNotFoundError:
            if download:    # torchvision's keyword: the files would be fetched; say where from
                refuse_download(type(self).__name__, self.root)
            raise
        super().__init__(images, labels, type(self).classes, transform, target_transform)


class FashionMNIST(MNIST):
    """Zalando's clothing images, same format as MNIST.

    ``root=None`` reads the subset embedded in minidl (8,000 train / 2,000 test images, see
    ``minidl/data/embedded/README.md``); ``default_fashion_mnist_root()`` gives the full set's
    folder when it is installed.
    """

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    def __init__(self, root=None, train=True, transform=None, target_transform=None,
                 download=False):
        if root is None:
            from .embedded import embedded_root
            root = embedded_root()
        super().__init__(root, train, transform, target_transform, download)
