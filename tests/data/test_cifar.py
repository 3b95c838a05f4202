"""CIFAR-10 binary batches: pixel layout, folder layouts, class names, damaged files."""
import numpy as np
import pytest

from data_files import cifar_bytes, write_bytes, write_cifar
from minidl.data import CIFAR10, CorruptFileError


def test_reads_records_channel_major_into_hwc(tmp_path):
    written = write_cifar(tmp_path / "cifar-10-batches-bin", n_per_file=3)
    ds = CIFAR10(tmp_path)
    assert len(ds) == 15 and ds.classes[0] == "airplane"
    chw, labels = written["data_batch_2.bin"]
    img, label = ds[3 + 1]                          # second image of the second file
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8 and label == labels[1]
    # red byte of pixel (y=5, x=7) is record byte 1 + 5 * 32 + 7; blue is 2048 further on
    assert img[5, 7, 0] == chw[1, 0, 5, 7] and img[5, 7, 2] == chw[1, 2, 5, 7]
    test = CIFAR10(tmp_path / "cifar-10-batches-bin", train=False)
    assert len(test) == 3 and np.array_equal(test[0][0], written["test_batch.bin"][0][0].transpose(1, 2, 0))


def test_class_names_from_meta(tmp_path):
    write_cifar(tmp_path)
    (tmp_path / "batches.meta.txt").write_text("\n".join(f"c{i}" for i in range(10)) + "\n\n")
    assert CIFAR10(tmp_path).classes[3] == "c3"


def test_meta_that_is_not_utf8_names_the_file(tmp_path):
    write_cifar(tmp_path)
    meta = tmp_path / "batches.meta.txt"
    meta.write_bytes("\n".join(f"c{i}" for i in range(9)).encode() + b"\n\xff\xfe caf\xe9\n")
    with pytest.raises(CorruptFileError, match="not UTF-8") as e:
        CIFAR10(tmp_path)
    assert e.value.path == str(meta)


def test_truncated_file_names_it(tmp_path):
    write_cifar(tmp_path)
    path = tmp_path / "data_batch_3.bin"
    write_bytes(path, path.read_bytes()[:-1])
    with pytest.raises(CorruptFileError, match="3073") as e:
        CIFAR10(tmp_path)
    assert e.value.path == str(path)


def test_label_out_of_range_names_the_file(tmp_path):
    write_cifar(tmp_path)
    path = tmp_path / "test_batch.bin"
    write_bytes(path, cifar_bytes(np.zeros((2, 3, 32, 32)), [0, 11]))
    with pytest.raises(CorruptFileError, match="label 11") as e:
        CIFAR10(tmp_path, train=False)
    assert str(path) in str(e.value)


def test_missing_batch_is_listed(tmp_path):
    write_cifar(tmp_path)
    (tmp_path / "data_batch_5.bin").unlink()
    with pytest.raises(FileNotFoundError, match="data_batch_5.bin"):
        CIFAR10(tmp_path)
