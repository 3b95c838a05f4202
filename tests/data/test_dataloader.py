"""DataLoader: batching, order, seeded augmentations equal across worker counts, errors."""
import multiprocessing as mp

import numpy as np
import pytest

import minidl
from minidl.data import (ArrayDataset, CorruptFileError, DataLoader, ImageFolder, Dataset,
                         embedded_fashion_mnist)
from minidl.data.transforms import (Compose, Normalize, PCAColorAugmentation, RandomCrop,
                                    RandomHorizontalFlip, ToTensor)


class Numbered(Dataset):
    """Sample i is (a 1x2x2 image holding i, label i): batches show the order."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full((1, 2, 2), i, np.float32), i


def augmented_dataset(n=40):
    imgs = np.random.default_rng(0).integers(0, 256, size=(n, 8, 8, 3), dtype=np.uint8)
    tf = Compose([RandomCrop(6, padding=1), RandomHorizontalFlip(),
                  PCAColorAugmentation([0.2, 0.02, 0.005], np.eye(3)), ToTensor()])
    return ArrayDataset(imgs, np.arange(n) % 10, transform=tf)


def epoch(loader):
    return [tuple(a.copy() for a in batch) for batch in loader]


def labels_of(loader):
    return [b[1].tolist() for b in loader]


@pytest.mark.parametrize("drop_last, sizes", [(False, [3, 3, 3, 1]), (True, [3, 3, 3])])
def test_len_and_drop_last(drop_last, sizes):
    loader = DataLoader(Numbered(10), batch_size=3, drop_last=drop_last, as_numpy=True)
    assert len(loader) == len(sizes)
    assert [len(b[1]) for b in loader] == sizes


def test_unshuffled_order_and_shuffled_permutation():
    assert sum(labels_of(DataLoader(Numbered(7), batch_size=2, as_numpy=True)), []) == list(range(7))
    loader = DataLoader(Numbered(50), batch_size=8, shuffle=True, seed=3, as_numpy=True)
    first, second = sum(labels_of(loader), []), sum(labels_of(loader), [])
    assert sorted(first) == sorted(second) == list(range(50))
    assert first != second and first != list(range(50))       # each epoch reshuffles


def test_yields_minidl_tensors_float32_nchw_and_int64():
    images, labels = next(iter(DataLoader(augmented_dataset(), batch_size=4)))
    assert isinstance(images, minidl.Tensor) and isinstance(labels, minidl.Tensor)
    assert images.shape == (4, 3, 6, 6) and images.numpy().dtype == np.float32
    assert labels.shape == (4,) and labels.numpy().dtype == np.int64


@pytest.mark.parametrize("worker_type", ["thread", "process"])
def test_epoch_reproduces_from_seed_with_any_number_of_workers(worker_type):
    ds = augmented_dataset()
    reference = epoch(DataLoader(ds, batch_size=6, shuffle=True, seed=11, as_numpy=True))
    loader = DataLoader(ds, batch_size=6, shuffle=True, seed=11, num_workers=2,
                        worker_type=worker_type, as_numpy=True)
    got = epoch(loader)
    assert len(got) == len(reference) == 7
    for (a, la), (b, lb) in zip(got, reference):
        assert np.array_equal(la, lb) and np.array_equal(a, b)
    # the next epoch differs; set_epoch goes back to it exactly
    next_epoch = epoch(loader)
    assert not np.array_equal(next_epoch[0][0], got[0][0])
    loader.set_epoch(0)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(epoch(loader), reference))


def test_different_seeds_differ():
    ds = augmented_dataset()
    a = epoch(DataLoader(ds, batch_size=8, seed=1, as_numpy=True))
    b = epoch(DataLoader(ds, batch_size=8, seed=2, as_numpy=True))
    assert not np.array_equal(a[0][0], b[0][0])


def test_workers_do_not_repeat_augmentations():
    """Forty copies of one image: every augmented copy must be different."""
    same = np.repeat(np.random.default_rng(0).integers(0, 256, (1, 8, 8, 3), dtype=np.uint8), 40, axis=0)
    ds = ArrayDataset(same, np.zeros(40, np.int64),
                      transform=Compose([PCAColorAugmentation([0.2, 0.02, 0.005], np.eye(3)), ToTensor()]))
    images = np.concatenate([b[0] for b in DataLoader(ds, batch_size=5, num_workers=2, as_numpy=True)])
    assert len({img[:, 0, 0].tobytes() for img in images}) == 40


@pytest.mark.parametrize("worker_type", ["thread", "process"])
def test_worker_error_reaches_the_caller_naming_the_file(tmp_path, worker_type):
    Image = pytest.importorskip("PIL.Image")
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        for k in range(3):
            Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / cls / f"{k}.png")
    bad = tmp_path / "b" / "1.png"
    bad.write_bytes(b"\x89PNG broken")
    loader = DataLoader(ImageFolder(tmp_path, transform=ToTensor()), batch_size=2,
                        num_workers=2, worker_type=worker_type, as_numpy=True)
    with pytest.raises(CorruptFileError) as e:
        epoch(loader)
    assert str(bad) in str(e.value)


class TwoArgumentError(ValueError):
    """Unpickling calls cls(*args) with the one formatted message: it cannot come back as itself."""

    def __init__(self, name, value):
        super().__init__(f"{name} = {value}")


class RaisesAt(Numbered):
    def __getitem__(self, i):
        if i == 5:
            raise TwoArgumentError("x", i)
        return super().__getitem__(i)


def test_a_worker_exception_that_cannot_travel_arrives_as_its_builtin_base():
    loader = DataLoader(RaisesAt(8), batch_size=2, num_workers=2, as_numpy=True)
    with pytest.raises(ValueError, match="TwoArgumentError: x = 5") as e:
        epoch(loader)
    assert type(e.value) is ValueError


def test_leaving_an_epoch_early_stops_the_worker_processes():
    loader = DataLoader(augmented_dataset(200), batch_size=4, num_workers=2, seed=0, as_numpy=True)
    for k, _ in enumerate(loader):
        if k == 2:
            break
    assert mp.active_children() == []
    assert len(epoch(loader)) == 50          # the loader still works afterwards


def test_images_without_to_tensor_are_stacked_as_they_are():
    """As torch's default_collate: HWC uint8 images stack to (N, H, W, C) uint8."""
    ds = ArrayDataset(np.zeros((4, 5, 5, 1), np.uint8), np.zeros(4, np.int64))
    images, labels = next(iter(DataLoader(ds, batch_size=2)))
    assert images.shape == (2, 5, 5, 1) and images.numpy().dtype == np.uint8


def test_embedded_fashion_mnist_through_the_loader():
    tf = Compose([RandomCrop(28, padding=2), RandomHorizontalFlip(), Normalize(0.286, 0.353), ToTensor()])
    loader = DataLoader(embedded_fashion_mnist(train=False, transform=tf), batch_size=256,
                        shuffle=True, seed=0, num_workers=2, as_numpy=True)
    batches = epoch(loader)
    assert len(batches) == 8 and batches[0][0].shape == (256, 1, 28, 28)
    assert np.array_equal(np.bincount(np.concatenate([b[1] for b in batches])), [200] * 10)
