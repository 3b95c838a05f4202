"""Datasets read from local files in their published formats (never from the network)."""
from .cifar import CIFAR10, read_cifar_bin
from .embedded import default_fashion_mnist_root, embedded_fashion_mnist, embedded_info, embedded_root
from .errors import CorruptFileError
from .folder import ImageFolder, pil_loader
from .idx import read_idx, write_idx
from .mnist import MNIST, FashionMNIST

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "ImageFolder", "CorruptFileError",
           "read_idx", "write_idx", "read_cifar_bin", "pil_loader",
           "embedded_fashion_mnist", "embedded_root", "embedded_info", "default_fashion_mnist_root"]
