"""The Fashion-MNIST subset shipped in the package: shapes, labels, balance, provenance."""
import hashlib
import os

import numpy as np
import pytest

from minidl.data import (FashionMNIST, default_fashion_mnist_root, embedded_fashion_mnist,
                         embedded_info, embedded_root, read_idx)
from minidl.data.datasets import embedded as embedded_module


@pytest.mark.parametrize("train, count", [(True, 8000), (False, 2000)])
def test_embedded_shapes_labels_and_balance(train, count):
    ds = embedded_fashion_mnist(train=train)
    assert len(ds) == count and ds.data.shape == (count, 28, 28, 1) and ds.data.dtype == np.uint8
    img, label = ds[0]
    assert img.shape == (28, 28, 1) and 0 <= label <= 9
    assert ds.targets.dtype == np.int64 and ds.targets.min() == 0 and ds.targets.max() == 9
    assert np.array_equal(np.bincount(ds.targets), [count // 10] * 10)
    assert ds.classes == FashionMNIST.classes == embedded_info()["classes"]
    assert ds.data.std() > 50          # real pictures, not blanks


def test_root_none_means_embedded():
    assert np.array_equal(FashionMNIST(train=False).data, embedded_fashion_mnist(train=False).data)


def test_files_match_their_recorded_checksums():
    info = embedded_info()
    for split in ("train", "test"):
        assert info[split]["count"] == len(info[split]["source_indices"])
        for name, digest in info[split]["files"].items():
            with open(os.path.join(embedded_root(), name), "rb") as f:
                assert hashlib.sha256(f.read()).hexdigest() == digest, name


def test_subset_is_the_recorded_slice_of_the_full_set():
    root = default_fashion_mnist_root()
    if root is None:
        pytest.skip("full Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
    info = embedded_info()
    full_labels = read_idx(os.path.join(root, "t10k-labels-idx1-ubyte.gz"))
    full_images = read_idx(os.path.join(root, "t10k-images-idx3-ubyte.gz"))
    idx = np.array(info["test"]["source_indices"])
    test = embedded_fashion_mnist(train=False)
    assert np.array_equal(test.data[..., 0], full_images[idx])
    assert np.array_equal(test.targets, full_labels[idx])
    # the selection rule: the first 200 of each class
    for c in range(10):
        assert np.array_equal(idx[full_labels[idx] == c], np.flatnonzero(full_labels == c)[:200])


def test_default_root_only_when_all_four_files_exist(tmp_path, monkeypatch):
    monkeypatch.setattr(embedded_module, "FULL_ROOT", str(tmp_path))
    assert default_fashion_mnist_root() is None
    for name in ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte"]:
        (tmp_path / (name + ".gz")).write_bytes(b"")
    assert default_fashion_mnist_root() is None
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"")
    assert default_fashion_mnist_root() == str(tmp_path)
