"""minidl.data: datasets read from local files, NumPy image transforms, and the DataLoader.

Rooms, in the order they import each other::

    rng.py          which NumPy Generator a random transform draws from (per batch, seeded)
    transforms/     HWC NumPy images -> augmented -> CHW float32 (``ToTensor``)
    sampler.py      Sampler, SequentialSampler, RandomSampler, BatchSampler, ...
    distributed.py  DistributedSampler: one shard of the data per rank (minidl.distributed)
    dataset.py      Dataset, ArrayDataset, TensorDataset, ConcatDataset, Subset, random_split
    datasets/       MNIST, FashionMNIST (+ the embedded subset), CIFAR10, ImageFolder
    collate.py      samples -> stacked NumPy batch (default_collate, default_convert)
    workers.py      thread / process pools that build batches in the background
    dataloader.py   DataLoader: order, batching, workers, NumPy -> minidl.Tensor

Quick start, no download needed::

    from minidl.data import DataLoader, FashionMNIST, default_fashion_mnist_root
    from minidl.data.transforms import Compose, RandomCrop, RandomHorizontalFlip, Normalize, ToTensor

    tf = Compose([RandomCrop(28, padding=2), RandomHorizontalFlip(), Normalize(0.286, 0.353), ToTensor()])
    train = FashionMNIST(default_fashion_mnist_root(), train=True, transform=tf)  # None -> embedded
    for images, labels in DataLoader(train, batch_size=128, shuffle=True, num_workers=2, seed=0):
        ...   # images (128, 1, 28, 28) float32, labels (128,) int64
"""
from . import transforms
from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .distributed import DistributedSampler
from .dataset import (ArrayDataset, ConcatDataset, Dataset, Subset, TensorDataset,
                      random_split)
from .datasets import (CIFAR10, MNIST, CorruptFileError, FashionMNIST, ImageFolder,
                       default_fashion_mnist_root, embedded_fashion_mnist, embedded_info,
                       embedded_root, read_idx, write_idx)
from .rng import batch_rng, current_rng, using_rng
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                      SubsetRandomSampler, WeightedRandomSampler)
from .workers import DataLoaderTimeoutError, DataLoaderWorkerError, get_worker_info
from .transforms import (CenterCrop, Compose, Lambda, Normalize, PCAColorAugmentation,
                         RandomCrop, RandomHorizontalFlip, RandomScale, Resize, TenCrop,
                         ToTensor, Transform, compute_pca)

__all__ = [
    "Dataset", "ArrayDataset", "TensorDataset", "ConcatDataset", "Subset", "random_split",
    "DataLoader", "default_collate", "default_convert", "get_worker_info",
    "DataLoaderWorkerError", "DataLoaderTimeoutError",
    "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
    "WeightedRandomSampler", "BatchSampler", "DistributedSampler",
    "MNIST", "FashionMNIST", "CIFAR10", "ImageFolder", "CorruptFileError", "read_idx", "write_idx",
    "embedded_fashion_mnist", "embedded_root", "embedded_info", "default_fashion_mnist_root",
    "current_rng", "using_rng", "batch_rng",
    "transforms", "Transform", "Compose", "Lambda", "Resize", "RandomScale", "RandomCrop",
    "CenterCrop", "RandomHorizontalFlip", "TenCrop", "PCAColorAugmentation", "compute_pca",
    "Normalize", "ToTensor",
]
