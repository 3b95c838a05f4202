"""``--data``: the scripts tell a Fashion-MNIST IDX folder, a CIFAR-10 binary folder and an
ImageFolder apart by their files (small fake datasets in each real format, written here)."""
import os
import sys

import numpy as np
import pytest

from minidl.data import write_idx

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "examples"))
import common  # noqa: E402  (examples/common.py)
from script_helpers import run_script  # noqa: E402

rng = np.random.default_rng(0)


def make_idx(root, n=40):
    for prefix, count in (("train", n), ("t10k", n // 2)):
        images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
        write_idx(root / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(root / f"{prefix}-labels-idx1-ubyte.gz", rng.integers(0, 10, count).astype(np.uint8))


def make_cifar(root, per_file=8):
    folder = root / "cifar-10-batches-bin"
    folder.mkdir()
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        labels = rng.integers(0, 10, (per_file, 1), dtype=np.uint8)
        pixels = rng.integers(0, 256, (per_file, 3072), dtype=np.uint8)
        (folder / name).write_bytes(np.hstack([labels, pixels]).tobytes())


def make_image_folder(root, per_class=3):
    from PIL import Image
    for split in ("train", "val"):
        for c in ("cat", "dog"):
            (root / split / c).mkdir(parents=True)
            for i in range(per_class):
                size = (40 + 3 * i, 36)               # photos come in different sizes
                Image.fromarray(rng.integers(0, 256, size[::-1] + (3,), dtype=np.uint8)).save(
                    root / split / c / f"{i}.png")


def test_embedded_by_default():
    data = common.find_data(None)
    assert "embedded" in data.name and (data.num_classes, data.channels, data.image_size) == (10, 1, 28)
    assert 0.2 < data.mean[0] < 0.4 and 0.3 < data.std[0] < 0.4      # Fashion-MNIST's statistics


def test_idx_folder(tmp_path):
    make_idx(tmp_path)
    data = common.find_data(str(tmp_path))
    assert data.name.startswith("Fashion-MNIST/MNIST") and data.channels == 1
    assert len(data.open(True, None)) == 40 and len(data.open(False, None)) == 20


def test_cifar_folder(tmp_path):
    make_cifar(tmp_path)
    data = common.find_data(str(tmp_path))
    assert data.name.startswith("CIFAR-10") and (data.channels, data.image_size) == (3, 32)
    assert len(data.open(True, None)) == 40 and len(data.open(False, None)) == 8


def test_image_folder(tmp_path):
    pytest.importorskip("PIL")
    make_image_folder(tmp_path)
    data = common.find_data(str(tmp_path))
    assert data.name.startswith("ImageFolder") and (data.num_classes, data.channels) == (2, 3)
    img, label = data.open(False, common.small_steps(data, train=False)[0])[0]   # Resize(32)
    assert min(img.shape[:2]) == 32


def test_unknown_folder_says_what_it_looked_for(tmp_path):
    with pytest.raises(SystemExit, match="IDX files.*CIFAR-10.*train/ and val/"):
        common.find_data(str(tmp_path))


def test_alexnet_on_cifar_rgb_with_pca(tmp_path):
    """RGB at 32×32: the small AlexNet for CIFAR and the PCA colour augmentation."""
    make_cifar(tmp_path)
    text = run_script("train_alexnet.py", "--data", tmp_path, "--epochs", 1, "-b", 8,
                      "--out", tmp_path / "run")
    assert "alexnet at 32×32 on CIFAR-10" in text and "epoch 1 |" in text


def test_vgg_on_image_folder(tmp_path):
    pytest.importorskip("PIL")
    make_image_folder(tmp_path)
    text = run_script("train_vgg.py", "--data", tmp_path, "--epochs", 1, "-b", 4,
                      "--out", tmp_path / "run")
    assert "vgg11 at 32×32 on ImageFolder" in text and "epoch 1 |" in text
