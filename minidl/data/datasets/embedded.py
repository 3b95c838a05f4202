"""The Fashion-MNIST subset shipped inside minidl, and where the full set lives when installed.

``minidl/data/embedded/`` holds standard-named gzipped IDX files -- 8,000 training images (800 per
class) and 2,000 test images (200 per class), the first of each class in the original files'
order -- so examples and CI train on real data with no download. ``subset.json`` beside them
records the source, the selection rule, the chosen indices and checksums;
``make_subset.py`` re-creates the files from the full set.

Idiom: ``FashionMNIST(default_fashion_mnist_root())`` reads the full set when it is installed and
the embedded subset otherwise (``root=None`` means embedded).
"""
import json
import os

from .mnist import SPLITS, FashionMNIST

FULL_ROOT = "/usr/share/datasets/fashion-mnist"   # Debian's `dataset-fashion-mnist` package


def embedded_root():
    """The folder of the embedded subset inside the installed package."""
    return os.path.normpath(os.path.join(os.path.dirname(__file__), os.pardir, "embedded"))


def embedded_info():
    """The subset's ``subset.json``: source, license, selection rule, counts, indices, checksums."""
    with open(os.path.join(embedded_root(), "subset.json"), encoding="utf-8") as f:
        return json.load(f)


def _has_split(folder, train):
    return all(os.path.isfile(os.path.join(folder, n)) or os.path.isfile(os.path.join(folder, n + ".gz"))
               for n in SPLITS[train])


def default_fashion_mnist_root():
    """``/usr/share/datasets/fashion-mnist`` when all four full-set files are there, else None."""
    return FULL_ROOT if _has_split(FULL_ROOT, True) and _has_split(FULL_ROOT, False) else None


def embedded_fashion_mnist(train=True, transform=None, target_transform=None):
    """The embedded subset as a ``FashionMNIST`` dataset (8,000 train or 2,000 test images)."""
    return FashionMNIST(embedded_root(), train, transform, target_transform)
