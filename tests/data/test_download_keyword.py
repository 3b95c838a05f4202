"""torchvision's ``download=True`` and ``pretrained=True``: files that are there load as without
it; otherwise one clear sentence says what to pass instead and where the files come from."""
import pytest

from minidl.data import CIFAR10, MNIST, FashionMNIST
from minidl.models import alexnet, alexnet_torchvision, googlenet, vgg, vgg16


def test_download_true_with_the_files_there_loads_them():
    assert len(FashionMNIST(download=True)) == len(FashionMNIST())          # embedded subset


@pytest.mark.parametrize("cls, where", [(FashionMNIST, "zalandoresearch"), (MNIST, "mnist"),
                                        (CIFAR10, "cifar-10-binary")])
def test_download_true_without_the_files_says_where_they_come_from(cls, where, tmp_path):
    with pytest.raises(FileNotFoundError, match=rf"{cls.__name__}\(.*download=True\): minidl "
                                                rf"downloads nothing.*{where}.*put them in that folder"):
        cls(str(tmp_path), download=True)


@pytest.mark.parametrize("make", [alexnet, alexnet_torchvision, googlenet, vgg16,
                                  lambda **k: vgg("A", **k)])
def test_pretrained_true_says_to_pass_weights(make):
    with pytest.raises(ValueError, match=r"pretrained=True\): minidl ships and downloads no "
                                         r"weights; pass the file instead, .*weights=PATH.*https://"):
        make(pretrained=True)
