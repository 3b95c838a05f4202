"""Dataset, ArrayDataset, Subset, random_split."""
import numpy as np
import pytest

from minidl.data import ArrayDataset, Dataset, Subset, random_split


def test_dataset_is_abstract():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
    with pytest.raises(NotImplementedError):
        len(Dataset())


def test_array_dataset_items_and_transform():
    x, y = np.arange(12).reshape(6, 2), np.arange(6) * 10
    ds = ArrayDataset(x, y, transform=lambda v: v + 1)
    img, label = ds[2]
    assert len(ds) == 6 and np.array_equal(img, [5, 6]) and label == 20 and isinstance(label, int)
    assert ds[-1][1] == 50
    with pytest.raises(IndexError):
        ds[6]
    with pytest.raises(ValueError, match="length"):
        ArrayDataset(x, y[:3])


def test_subset_and_random_split():
    ds = ArrayDataset(np.arange(10), np.arange(10))
    sub = Subset(ds, [3, 1, 4])
    assert [sub[i][1] for i in range(3)] == [3, 1, 4]
    a, b = random_split(ds, [7, 3], seed=1)
    seen = sorted([a[i][1] for i in range(7)] + [b[i][1] for i in range(3)])
    assert seen == list(range(10))
    a2, _ = random_split(ds, [7, 3], seed=1)
    assert np.array_equal(a.indices, a2.indices)
    with pytest.raises(ValueError, match="sum"):
        random_split(ds, [5, 4])
