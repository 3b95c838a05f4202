"""``Dataset`` (indexable samples), ``ArrayDataset``, ``Subset``, ``random_split``.

A dataset maps an index ``0 <= i < len(ds)`` to a sample, for images ``(image, label)`` with the
image an HWC NumPy array (or whatever its ``transform`` returns, CHW float32 after ``ToTensor``)
and the label an int. The DataLoader only needs ``__getitem__`` and ``__len__``.
"""
import numpy as np


class Dataset:
    """Abstract base: implement ``__getitem__(index)`` and ``__len__()``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")


def check_index(index, n, who):
    """``index`` as a non-negative int below ``n`` (negative counts from the end), else IndexError."""
    i = int(index)
    if i < 0:
        i += n
    if not 0 <= i < n:
        raise IndexError(f"{who}: index {index} out of range for {n} samples")
    return i


class ArrayDataset(Dataset):
    """Samples ``(transform(arrays[0][i]), arrays[1][i], ...)`` from equal-length arrays.

    The NumPy version of PyTorch's ``TensorDataset``: e.g. ``ArrayDataset(images, labels)`` with
    images (N, H, W, C) uint8 and labels (N,) ints.
    """

    def __init__(self, *arrays, transform=None):
        if not arrays:
            raise ValueError("ArrayDataset needs at least one array")
        self.arrays = [np.asarray(a) for a in arrays]
        n = len(self.arrays[0])
        if any(len(a) != n for a in self.arrays):
            raise ValueError(f"ArrayDataset: arrays differ in length: {[len(a) for a in self.arrays]}")
        self.transform = transform

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, index):
        i = check_index(index, len(self), "ArrayDataset")
        first = self.arrays[0][i]
        if self.transform is not None:
            first = self.transform(first)
        rest = [a[i].item() if a[i].ndim == 0 else a[i] for a in self.arrays[1:]]
        return (first, *rest) if rest else first


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        n = len(dataset)
        if self.indices.size and (self.indices.min() < -n or self.indices.max() >= n):
            raise IndexError(f"Subset: indices outside 0..{n - 1}")

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[int(self.indices[check_index(index, len(self), "Subset")])]


def random_split(dataset, lengths, seed=0):
    """Split into ``Subset``s of the given lengths (summing to ``len(dataset)``), reproducibly."""
    if sum(lengths) != len(dataset):
        raise ValueError(f"random_split: lengths {list(lengths)} sum to {sum(lengths)}, "
                         f"not the dataset's {len(dataset)}")
    order = np.random.default_rng(seed).permutation(len(dataset))
    bounds = np.cumsum([0, *lengths])
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
