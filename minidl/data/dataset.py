"""``Dataset`` (indexable samples), ``ArrayDataset``, ``TensorDataset``, ``ConcatDataset``,
``Subset``, ``random_split`` -- ``torch.utils.data``'s names and rules.

A dataset maps an index ``0 <= i < len(ds)`` to a sample, for images ``(image, label)`` with the
image an HWC NumPy array (or whatever its ``transform`` returns, CHW float32 after ``ToTensor``)
and the label an int. The DataLoader only needs ``__getitem__`` and ``__len__``.
"""
import bisect
import itertools
import math
import warnings

import numpy as np

from .sampler import numpy_rng


class Dataset:
    """Abstract base: implement ``__getitem__(index)`` and ``__len__()``. ``a + b`` concatenates."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class SizeMismatchError(ValueError, AssertionError):
    """Inputs that should share their first dimension do not. PyTorch's ``TensorDataset`` raises
    AssertionError here, so this is both."""


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


class TensorDataset(Dataset):
    """Sample ``i`` is ``tuple(t[i] for t in tensors)``: minidl Tensors or NumPy arrays, all of
    the same length (dim 0). Like PyTorch's, a one-tensor dataset still yields 1-tuples."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        lengths = [t.shape[0] if len(t.shape) else None for t in tensors]
        if None in lengths or len(set(lengths)) > 1:
            shapes = [tuple(t.shape) for t in tensors]
            raise SizeMismatchError(f"TensorDataset: size mismatch between tensors: every tensor "
                                    f"needs the same size in dim 0, got shapes {shapes}")
        self.tensors = tensors

    def __len__(self):
        return self.tensors[0].shape[0]

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)


class ConcatDataset(Dataset):
    """The samples of ``datasets[0]``, then of ``datasets[1]``, ... (``cumulative_sizes`` are
    the running totals)."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        n = len(self)
        if index < 0:
            if -index > n:
                raise ValueError(f"ConcatDataset: absolute value of index {index} should not "
                                 f"exceed dataset length {n}")
            index += n
        d = bisect.bisect_right(self.cumulative_sizes, index)
        if d == len(self.datasets):
            raise IndexError(f"ConcatDataset: index {index} out of range for {n} samples")
        return self.datasets[d][index - (self.cumulative_sizes[d - 1] if d else 0)]


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


def random_split(dataset, lengths, generator=None, *, seed=None):
    """Split into non-overlapping ``Subset``s of the given ``lengths``, in a random order.

    ``lengths``: sizes summing to ``len(dataset)``, or fractions summing to 1 (each split gets
    ``floor(n * fraction)``, then the remainder is handed out one by one, round-robin from the
    first split -- PyTorch's rule). The permutation is drawn from ``generator`` (a
    ``minidl.Generator`` or ``numpy.random.Generator``; ``None``: minidl's default generator),
    or, with ``seed=``, from ``numpy.random.default_rng(seed)`` (minidl's older signature).
    """
    n, lengths = len(dataset), list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"random_split: fraction at index {i} is {frac}, not between 0 and 1")
        sizes = [math.floor(n * frac) for frac in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(f"random_split: length of split at index {i} is 0. This might "
                              "result in an empty dataset.", stacklevel=2)
        lengths = sizes
    if sum(lengths) != n:
        raise ValueError(f"random_split: lengths {lengths} sum to {sum(lengths)}, not the "
                         f"dataset's {n} (sum of input lengths does not equal the length of the "
                         "input dataset)")
    if seed is not None and generator is not None:
        raise ValueError("random_split: pass generator= or seed=, not both")
    rng = np.random.default_rng(seed) if seed is not None else numpy_rng(generator)
    order = rng.permutation(n).tolist()
    return [Subset(dataset, order[end - size:end])
            for end, size in zip(itertools.accumulate(lengths), lengths)]
