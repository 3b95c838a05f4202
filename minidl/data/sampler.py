"""Samplers: which dataset indices an epoch visits, and in what order (``torch.utils.data``'s).

    SequentialSampler(ds)                  0, 1, ..., len(ds) - 1
    RandomSampler(ds, replacement=False,   a permutation (or ``num_samples`` draws with
                  num_samples=None,        replacement), a fresh one each ``iter()``
                  generator=None)
    SubsetRandomSampler(indices)           a permutation of ``indices``
    WeightedRandomSampler(weights, n)      n indices drawn with probability proportional to weights
    BatchSampler(sampler, size, drop_last) lists of ``size`` indices from ``sampler``

``generator``: a ``minidl.Generator`` or a ``numpy.random.Generator``; ``None`` draws from
minidl's default generator (so ``minidl.manual_seed`` fixes it), as PyTorch's samplers draw from
``torch``'s. The DataLoader's own ``shuffle=True`` does not use these: its order is a function of
``(seed, epoch)`` (``rng.py``).
"""
import itertools

import numpy as np


def numpy_rng(generator=None):
    """The ``numpy.random.Generator`` behind ``generator`` (see the module docstring)."""
    if generator is None:
        from ..random import default_generator   # at call time: see collate._tensor_type
        return default_generator.np
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(getattr(generator, "np", None), np.random.Generator):   # minidl.Generator
        return generator.np
    raise TypeError(f"generator should be a minidl.Generator or a numpy.random.Generator, "
                    f"got {type(generator).__name__}")


def _positive_int(value, name, who):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{who}: {name} should be a positive integer value, but got {name}={value!r}")
    return int(value)


class Sampler:
    """Base class: ``__iter__`` yields dataset indices (``__len__`` if the count is known)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random order of ``data_source``'s indices, drawn anew at each ``iter()``.

    Without replacement: permutations, concatenated when ``num_samples > len(data_source)``;
    with it: ``num_samples`` independent uniform draws.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement should be a boolean value, but got "
                            f"replacement={replacement!r}")
        self.data_source, self.replacement = data_source, replacement
        self._num_samples, self.generator = num_samples, generator
        _positive_int(self.num_samples, "num_samples", "RandomSampler")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, k, rng = len(self.data_source), self.num_samples, numpy_rng(self.generator)
        if self.replacement:
            yield from rng.integers(0, n, size=k).tolist()
            return
        for _ in range(k // n):
            yield from rng.permutation(n).tolist()
        yield from rng.permutation(n)[:k % n].tolist()

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices``, in a random order drawn anew at each ``iter()``."""

    def __init__(self, indices, generator=None):
        self.indices, self.generator = indices, generator

    def __iter__(self):
        for i in numpy_rng(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices ``i`` drawn with probability ``weights[i] / sum(weights)``."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        self.num_samples = _positive_int(num_samples, "num_samples", "WeightedRandomSampler")
        if not isinstance(replacement, bool):
            raise ValueError(f"WeightedRandomSampler: replacement should be a boolean value, but "
                             f"got replacement={replacement!r}")
        self.weights = np.asarray(weights, dtype=np.float64)
        if self.weights.ndim != 1:
            raise ValueError(f"WeightedRandomSampler: weights should be a 1d sequence but given "
                             f"weights have shape {self.weights.shape}")
        if not replacement and num_samples > np.count_nonzero(self.weights):
            raise ValueError(f"WeightedRandomSampler: cannot draw {num_samples} samples without "
                             f"replacement from {np.count_nonzero(self.weights)} non-zero weights")
        self.replacement, self.generator = replacement, generator

    def __iter__(self):
        p = self.weights / self.weights.sum()
        draws = numpy_rng(self.generator).choice(len(p), self.num_samples, self.replacement, p)
        yield from draws.tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of ``batch_size`` indices from ``sampler`` (any iterable of indices); the last may
    be shorter, unless ``drop_last``."""

    def __init__(self, sampler, batch_size, drop_last):
        self.batch_size = _positive_int(batch_size, "batch_size", "BatchSampler")
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last should be a boolean value, but got "
                             f"drop_last={drop_last!r}")
        self.sampler, self.drop_last = sampler, drop_last

    def __iter__(self):
        it = iter(self.sampler)
        while True:
            batch = list(itertools.islice(it, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def __len__(self):
        n, b = len(self.sampler), self.batch_size
        return n // b if self.drop_last else -(-n // b)
