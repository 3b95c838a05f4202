"""IDX files and MNIST/FashionMNIST: hand-written files, gz and raw, and every kind of damage."""
import gzip
import os
import struct
import subprocess
import sys

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


def write_gzip_bomb(path, declared, held_mb):
    """A gzipped IDX file whose header declares ``declared`` (uint8 dims) but whose data runs on
    for ``held_mb`` MiB of zeros: under 1 MB on disk, written in pieces."""
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(bytes([0, 0, 0x08, len(declared)]) + b"".join(struct.pack(">I", d) for d in declared))
        zeros = bytes(1 << 20)
        for _ in range(held_mb):
            f.write(zeros)
    return path


def test_gzip_bomb_is_refused_without_decompressing_it(tmp_path):
    """4 images declared, 200 MiB held: reading stops one byte after the declared 3,136. Peak
    memory is measured in a fresh Python (ru_maxrss only grows), before and after the read."""
    path = write_gzip_bomb(tmp_path / "train-images-idx3-ubyte.gz", (4, 28, 28), held_mb=200)
    code = f"""
import resource
from minidl.data import CorruptFileError, read_idx
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    read_idx({str(path)!r})
    print("READ")
except CorruptFileError as e:
    print("REFUSED", e)
print("GREW_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "REFUSED" in result.stdout and str(path) in result.stdout, result.stdout + result.stderr
    assert "file has more" in result.stdout
    grew_mb = int(result.stdout.split("GREW_KB")[1]) / 1024
    assert grew_mb < 32, f"reading the bomb raised peak memory by {grew_mb:.0f} MiB"


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("dims", [(65536,) * 4, (2**32 - 1,) * 3, (2**31, 2**31)])
def test_absurd_header_sizes_are_refused_before_allocating(tmp_path, gz, dims):
    """(65536,)*4 is 2**64 elements: an int64 product wraps to 0 and used to pass as 'no data'.
    (2**31, 2**31) fits an int64 but no file of a few bytes can hold it."""
    path = write_bytes(tmp_path / "x.idx", bytes([0, 0, 0x08, len(dims)]) +
                       b"".join(struct.pack(">I", d) for d in dims), gz)   # no data at all
    with pytest.raises(CorruptFileError) as e:
        read_idx(path)
    assert e.value.path == str(path) and str(dims) in str(e.value)
