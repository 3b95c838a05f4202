"""Writers for tiny dataset files in the published formats, built byte by byte (not with
minidl's own writer where it matters), so a loader test checks minidl against the format."""
import gzip
import os
import struct

import numpy as np

MNIST_NAMES = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
               False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def idx_bytes(array):
    """IDX bytes of a uint8 array, header written by hand: 00 00 08 ndim, dims as big-endian u32."""
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.tobytes()


def write_bytes(path, raw, gz=False):
    with open(path, "wb") as f:
        f.write(gzip.compress(raw) if gz else raw)
    return path


def write_mnist(root, n=12, train=True, gz=True, seed=0, labels=None):
    """Write one split of random 28x28 images; returns (images (n, 28, 28), labels (n,), paths)."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n).astype(np.uint8) if labels is None else np.asarray(labels, np.uint8)
    suffix = ".gz" if gz else ""
    paths = [os.path.join(root, name + suffix) for name in MNIST_NAMES[train]]
    write_bytes(paths[0], idx_bytes(images), gz)
    write_bytes(paths[1], idx_bytes(labels), gz)
    return images, labels, paths


def cifar_bytes(images_chw, labels):
    """CIFAR-10 binary records: per image, 1 label byte then 3072 channel-major pixel bytes."""
    out = bytearray()
    for img, label in zip(images_chw, labels):
        out.append(int(label))
        out += np.asarray(img, dtype=np.uint8).tobytes()
    return bytes(out)


def write_cifar(folder, n_per_file=4, seed=0):
    """Write data_batch_1..5.bin and test_batch.bin; returns {file name: (images CHW, labels)}."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    written = {}
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        images = rng.integers(0, 256, size=(n_per_file, 3, 32, 32), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n_per_file)
        write_bytes(os.path.join(folder, name), cifar_bytes(images, labels))
        written[name] = (images, labels)
    return written
