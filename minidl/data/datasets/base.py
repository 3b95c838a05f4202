"""``LabeledImages``: an in-memory image-classification dataset, the base of MNIST and CIFAR10.

``images``: (N, H, W, C) uint8; ``targets``: (N,) int64 class indices; ``classes``: names.
``ds[i]`` is ``(transform(images[i]), target_transform(int(targets[i])))``; with no transform the
image is the raw HWC uint8 array (a view: do not write into it).
"""
import numpy as np

from ..dataset import Dataset, check_index
from .errors import CorruptFileError


class LabeledImages(Dataset):
    def __init__(self, images, targets, classes, transform=None, target_transform=None):
        self.data = images            # PyTorch's attribute names, so habits carry over
        self.targets = np.asarray(targets, dtype=np.int64)
        self.classes = list(classes)
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.transform, self.target_transform = transform, target_transform

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        i = check_index(index, len(self), type(self).__name__)
        img, target = self.data[i], int(self.targets[i])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __repr__(self):
        shape = "x".join(map(str, self.data.shape[1:]))
        return (f"{type(self).__name__}({len(self)} images {shape}, {len(self.classes)} classes, "
                f"root={getattr(self, 'root', None)!r}, transform={self.transform!r})")


def check_labels(path, labels, num_classes):
    """Raise CorruptFileError (naming ``path``) if a label is outside 0..num_classes-1."""
    bad = np.flatnonzero((labels < 0) | (labels >= num_classes))
    if bad.size:
        raise CorruptFileError(path, f"label {int(labels[bad[0]])} at index {int(bad[0])} is outside "
                               f"0..{num_classes - 1} ({bad.size} bad labels)")
