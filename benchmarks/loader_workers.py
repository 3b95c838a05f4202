"""Threads or processes for DataLoader workers? Measures images/s.

    python benchmarks/loader_workers.py [--epochs 5]

Part A, loading only (the main thread just takes the batches), three pipelines: the embedded
Fashion-MNIST with the light CI augmentation; 32x32 RGB with scale jittering and PCA colour;
AlexNet-sized 224 crops from 256x341 RGB (19 MB float32 batches to hand across processes).
Part B, the main job: the same Fashion-MNIST pipeline feeding a small minidl convnet's training
step (forward, backward, SGD), to see whether loading overlaps with training.
Settings are interleaved epoch by epoch and the median epoch is reported, so load from other
programs on the machine hits every setting alike. Numbers go into ``minidl/data/dataloader.py``.
"""
import argparse
import os
import resource
import time

import numpy as np

from minidl.data import ArrayDataset, DataLoader, Subset, embedded_fashion_mnist
from minidl.data.transforms import (Compose, Normalize, PCAColorAugmentation, RandomCrop,
                                    RandomHorizontalFlip, RandomScale, ToTensor)

PCA = PCAColorAugmentation([0.2175, 0.0188, 0.0045],
                           [[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]])
FM = Compose([RandomCrop(28, padding=2), RandomHorizontalFlip(), Normalize(0.286, 0.353), ToTensor()])
SETTINGS = [(0, "thread"), (1, "thread"), (2, "thread"), (1, "process"), (2, "process")]


def pipelines():
    rng = np.random.default_rng(0)
    rgb = Compose([RandomScale(32, 40), RandomCrop(32), RandomHorizontalFlip(), PCA,
                   Normalize([0.49, 0.48, 0.45], [0.25, 0.24, 0.26]), ToTensor()])
    big = Compose([RandomCrop(224), RandomHorizontalFlip(), PCA, Normalize([0.485, 0.456, 0.406]), ToTensor()])
    photos = ArrayDataset(rng.integers(0, 256, (64, 256, 341, 3), dtype=np.uint8), np.zeros(64, np.int64),
                          transform=big)
    return {
        "fashion-mnist 28x28, crop+flip": (embedded_fashion_mnist(transform=FM), 128),
        "rgb 32x32, scale+crop+flip+pca": (ArrayDataset(rng.integers(0, 256, (8000, 32, 32, 3), dtype=np.uint8),
                                                        np.zeros(8000, np.int64), transform=rgb), 128),
        # 64 distinct pictures shown 16 times each: epochs long enough to amortise worker start-up
        "rgb 256x341 -> 224, crop+flip+pca": (Subset(photos, np.arange(1024) % 64), 32),
    }


def training_step():
    """One SGD step of a small convnet on a (N, 1, 28, 28) batch -- what the main job does."""
    import minidl
    import minidl.nn as nn
    from minidl.optim import SGD
    net = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
    opt, loss_fn = SGD(net.parameters(), lr=0.01, momentum=0.9), nn.CrossEntropyLoss()

    def step(images, labels):
        opt.zero_grad()
        loss_fn(net(minidl.from_numpy(images)), minidl.from_numpy(labels)).backward()
        opt.step()
    return step


def _cpu_s():
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def images_per_s(ds, batch, workers, kind, step=None):
    """One epoch, worker start-up included (every epoch pays it): images per wall second, and
    CPU ms per 1000 images in the main process and in the worker processes (reaped at the end)."""
    loader = DataLoader(ds, batch_size=batch, shuffle=True, seed=0, num_workers=workers,
                        worker_type=kind, as_numpy=True)
    (m0, k0), t = _cpu_s(), time.perf_counter()
    for images, labels in loader:
        if step:
            step(images, labels)
    wall, (m1, k1) = time.perf_counter() - t, _cpu_s()
    return len(ds) / wall, 1e6 * (m1 - m0) / len(ds), 1e6 * (k1 - k0) / len(ds)


def median_rates(ds, batch, settings, epochs, step=None):
    """Per setting: median images/s, main CPU ms/1000 images, worker-process CPU ms/1000 images."""
    runs = [[] for _ in settings]
    for _ in range(epochs):
        for k, (w, kind) in enumerate(settings):
            runs[k].append(images_per_s(ds, batch, w, kind, step))
    return [tuple(float(np.median(col)) for col in zip(*r)) for r in runs]


def row(name, results):
    return f"{name:36s} " + " ".join(f"{r:7.0f} {m:4.0f}+{k:<4.0f}" for r, m, k in results)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=5)
    args = ap.parse_args()
    names = ["0 workers"] + [f"{w} {k}{'s' if w > 1 else ''}" for w, k in SETTINGS[1:]]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; per setting: images/s, "
          "CPU ms per 1000 images in the main process + in worker processes (median epoch)")
    print(f"{'':36s} " + " ".join(f"{n:>17s}" for n in names))
    for name, (ds, batch) in pipelines().items():
        print(row(name, median_rates(ds, batch, SETTINGS, args.epochs)), flush=True)
    step, ds = training_step(), Subset(embedded_fashion_mnist(transform=FM), range(2048))
    step(*next(iter(DataLoader(ds, batch_size=128, as_numpy=True))))   # compile the kernels first
    print(row("fashion-mnist + convnet training step", median_rates(ds, 128, SETTINGS, max(1, args.epochs // 2 + 1), step)))
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
