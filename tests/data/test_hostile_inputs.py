"""Dataset inputs that are not what they claim (issue 24, items 9, 10 and 11): a FIFO named like
an image, IDX headers NumPy cannot hold, batches that mix types. Each ends in an error that
names the file or field, never a hang or an AttributeError from deep inside."""
import os
import struct

import numpy as np
import pytest
from PIL import Image

from minidl.data import CorruptFileError, ImageFolder, default_collate, read_idx


def test_a_fifo_named_like_an_image_is_not_a_sample(tmp_path):
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / cls / "ok.png")
    os.mkfifo(tmp_path / "a" / "x.jpg")   # reading it would block forever
    with pytest.warns(UserWarning, match="x.jpg"):
        ds = ImageFolder(tmp_path)
    assert [os.path.basename(p) for p, _ in ds.samples] == ["ok.png", "ok.png"]
    for i in range(len(ds)):
        ds[i]


def test_a_class_of_only_fifos_is_an_empty_class(tmp_path):
    (tmp_path / "a").mkdir()
    os.mkfifo(tmp_path / "a" / "x.png")
    with pytest.warns(UserWarning), pytest.raises(FileNotFoundError, match="a"):
        ImageFolder(tmp_path)


def idx_header(shape, code=0x08):
    return struct.pack(f">HBB{len(shape)}I", 0, code, len(shape), *shape)


@pytest.mark.parametrize("shape", [(1,) * 65, (0,) + (2 ** 32 - 1,) * 4, (0, 2 ** 32 - 1, 2 ** 32 - 1)])
def test_idx_headers_numpy_cannot_hold_name_the_file(tmp_path, shape):
    path = tmp_path / "odd-idx3-ubyte"
    path.write_bytes(idx_header(shape) + (b"\0" if 0 not in shape else b""))
    with pytest.raises(CorruptFileError) as e:
        read_idx(path)
    assert str(path) in str(e.value)


def test_idx_with_64_dimensions_or_a_large_empty_shape_still_reads(tmp_path):
    path = tmp_path / "empty-idx"
    path.write_bytes(idx_header((0, 2 ** 31, 2 ** 31)))
    assert read_idx(path).shape == (0, 2 ** 31, 2 ** 31)
    path = tmp_path / "deep-idx"
    path.write_bytes(idx_header((1,) * 64) + b"\x05")
    assert read_idx(path).shape == (1,) * 64


def f():
    return 0


@pytest.mark.parametrize("batch, where", [
    ([np.zeros(2), f], "batch"),
    ([(np.zeros(2), 1), (f, 2)], "batch[0]"),
    ([{"a": np.zeros(1)}, {"a": f}], "batch['a']"),
    ([np.float32(1), f], "batch"),
    ([(np.zeros(2), 1), (np.zeros(2), f)], "batch[1]"),
])
def test_collating_a_function_names_the_field_and_the_type(batch, where):
    with pytest.raises(TypeError) as e:
        default_collate(batch)
    assert "function" in str(e.value) and "default_collate" in str(e.value)
    assert where in str(e.value), str(e.value)
