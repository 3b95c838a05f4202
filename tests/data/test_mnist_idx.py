"""IDX files and MNIST/FashionMNIST: hand-written files, gz and raw, and every kind of damage."""
import gzip
import os

import numpy as np
import pytest
from hypothesis import given, strategies as st

from data_files import MNIST_NAMES, idx_bytes, write_bytes, write_mnist
from minidl.data import MNIST, CorruptFileError, FashionMNIST, read_idx, write_idx


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_reads_hand_written_files(tmp_path, gz):
    images, labels, _ = write_mnist(tmp_path, n=7, train=True, gz=gz)
    test_images, test_labels, _ = write_mnist(tmp_path, n=3, train=False, gz=gz, seed=1)
    ds = MNIST(tmp_path)
    assert len(ds) == 7 and ds.classes == [str(d) for d in range(10)]
    img, label = ds[4]
    assert img.shape == (28, 28, 1) and img.dtype == np.uint8
    assert np.array_equal(img[:, :, 0], images[4]) and label == labels[4] and isinstance(label, int)
    test = MNIST(tmp_path, train=False)
    assert len(test) == 3 and np.array_equal(test[2][0][:, :, 0], test_images[2])


def test_fashion_mnist_torchvision_layout_and_transform(tmp_path):
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    images, labels, _ = write_mnist(raw, n=5)
    ds = FashionMNIST(tmp_path, transform=lambda im: im[:2, :2], target_transform=lambda t: t + 100)
    img, label = ds[0]
    assert img.shape == (2, 2, 1) and label == labels[0] + 100
    assert ds.classes[9] == "Ankle boot"


@given(shape=st.lists(st.integers(0, 5), min_size=1, max_size=4),
       dtype=st.sampled_from(["u1", "i1", "i2", "i4", "f4", "f8"]), gz=st.booleans())
def test_write_read_idx_round_trip(tmp_path_factory, shape, dtype, gz):
    path = tmp_path_factory.mktemp("idx") / ("a.idx" + (".gz" if gz else ""))
    a = (np.random.default_rng(0).normal(size=shape) * 100).astype(dtype)
    write_idx(path, a)
    b = read_idx(path)
    assert b.dtype == np.dtype(dtype) and b.shape == a.shape and np.array_equal(a, b)


def test_write_idx_matches_hand_written_bytes(tmp_path):
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "x", a)
    assert (tmp_path / "x").read_bytes() == idx_bytes(a)


@given(cut=st.integers(0, 28 * 28 * 2 + 15))
def test_any_truncation_is_an_error_naming_the_file(tmp_path_factory, cut):
    root = tmp_path_factory.mktemp("cut")
    _, _, (image_path, _) = write_mnist(root, n=2, gz=False)
    raw = open(image_path, "rb").read()
    write_bytes(image_path, raw[:cut])
    with pytest.raises(CorruptFileError) as e:
        MNIST(root)
    assert str(image_path) in str(e.value)


def test_truncated_gzip_names_the_file(tmp_path):
    _, _, (image_path, _) = write_mnist(tmp_path, n=3, gz=True)
    raw = open(image_path, "rb").read()
    write_bytes(image_path, raw[: len(raw) // 2])
    with pytest.raises(CorruptFileError, match="gzip") as e:
        MNIST(tmp_path)
    assert e.value.path == str(image_path)


def test_bad_magic(tmp_path):
    _, _, (image_path, _) = write_mnist(tmp_path, n=2, gz=False)
    raw = bytearray(open(image_path, "rb").read())
    raw[2] = 0x42                                          # no such element type
    write_bytes(image_path, bytes(raw))
    with pytest.raises(CorruptFileError, match="magic") as e:
        MNIST(tmp_path)
    assert str(image_path) in str(e.value)


def test_wrong_rank_of_images_or_labels(tmp_path):
    _, _, (image_path, label_path) = write_mnist(tmp_path, n=2, gz=False)
    write_bytes(image_path, idx_bytes(np.zeros((2, 784), np.uint8)))
    with pytest.raises(CorruptFileError, match=r"\(N, H, W\)") as e:
        MNIST(tmp_path)
    assert str(image_path) in str(e.value)
    write_mnist(tmp_path, n=2, gz=False)
    write_bytes(label_path, idx_bytes(np.zeros((2, 1), np.uint8)))
    with pytest.raises(CorruptFileError, match=str(label_path)):
        MNIST(tmp_path)


def test_count_mismatch_names_both_files(tmp_path):
    _, _, (image_path, label_path) = write_mnist(tmp_path, n=4, gz=False)
    write_bytes(label_path, idx_bytes(np.zeros(3, np.uint8)))
    with pytest.raises(CorruptFileError, match="3 labels for the 4 images") as e:
        MNIST(tmp_path)
    assert str(label_path) in str(e.value) and str(image_path) in str(e.value)


def test_label_out_of_range(tmp_path):
    _, _, (_, label_path) = write_mnist(tmp_path, n=3, gz=True, labels=[1, 10, 2])
    with pytest.raises(CorruptFileError, match="label 10 at index 1") as e:
        MNIST(tmp_path)
    assert str(label_path) in str(e.value)


def test_missing_files_say_where_and_that_nothing_is_downloaded(tmp_path):
    with pytest.raises(FileNotFoundError, match="never downloads") as e:
        MNIST(tmp_path)
    assert MNIST_NAMES[True][0] in str(e.value)


def test_gzip_is_detected_by_content_not_name(tmp_path):
    path = tmp_path / "plain-name"
    path.write_bytes(gzip.compress(idx_bytes(np.arange(5, dtype=np.uint8))))
    assert np.array_equal(read_idx(path), np.arange(5))
    assert not os.path.exists(str(path) + ".gz")
