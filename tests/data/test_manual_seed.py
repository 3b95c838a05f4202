"""``minidl.manual_seed`` governs everything random not given its own generator or seed, as
PyTorch's global generator does: loader order and augmentations (with any worker count),
samplers, transforms called directly, initialisation, dropout. An explicit seed still wins."""
import numpy as np
import pytest

import minidl
from minidl import nn
from minidl.data import ArrayDataset, DataLoader, RandomSampler
from minidl.data.transforms import Compose, RandomCrop, RandomHorizontalFlip, ToTensor


def dataset(n=40):
    imgs = np.random.default_rng(0).integers(0, 256, size=(n, 8, 8, 3), dtype=np.uint8)
    tf = Compose([RandomCrop(6, padding=1), RandomHorizontalFlip(), ToTensor()])
    return ArrayDataset(imgs, np.arange(n), transform=tf)


def two_epochs(seed, **kwargs):
    minidl.manual_seed(seed)
    loader = DataLoader(dataset(), batch_size=8, shuffle=True, as_numpy=True, **kwargs)
    return [[a.copy() for a in batch] for _ in range(2) for batch in loader]


def same(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for p, q in zip(a, b)
                                    for x, y in zip(p, q))


@pytest.mark.parametrize("workers", [dict(num_workers=2),
                                     dict(num_workers=2, worker_type="thread")])
def test_same_manual_seed_same_batches_with_0_or_2_workers(workers):
    serial = two_epochs(3)
    assert same(serial, two_epochs(3))
    assert same(serial, two_epochs(3, **workers))
    assert not same(serial, two_epochs(4))                     # the seed matters
    assert not same(serial[:5], serial[5:])                    # epochs differ


def test_explicit_seed_or_generator_wins():
    minidl.manual_seed(1)
    a = DataLoader(dataset(), batch_size=8, shuffle=True, seed=9)
    minidl.manual_seed(2)
    b = DataLoader(dataset(), batch_size=8, shuffle=True, seed=9)
    assert a.seed == b.seed == 9
    minidl.manual_seed(1)
    c = DataLoader(dataset(), batch_size=8, shuffle=True, generator=minidl.Generator(5))
    minidl.manual_seed(2)
    d = DataLoader(dataset(), batch_size=8, shuffle=True, generator=minidl.Generator(5))
    assert c.seed == d.seed


def test_worker_seeds_follow_manual_seed():
    def seeds(s):
        minidl.manual_seed(s)
        return DataLoader(dataset(), batch_size=8, num_workers=2).seed
    assert seeds(0) == seeds(0) != seeds(1)


def test_random_transform_called_directly_and_random_sampler():
    img = np.random.default_rng(0).integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    tf = Compose([RandomCrop(4), RandomHorizontalFlip()])

    def draws(s):
        minidl.manual_seed(s)
        return [tf(img) for _ in range(4)], list(RandomSampler(range(10)))
    (t1, o1), (t2, o2) = draws(5), draws(5)
    assert all(np.array_equal(a, b) for a, b in zip(t1, t2)) and o1 == o2
    t3, o3 = draws(6)
    assert o3 != o1 or not all(np.array_equal(a, b) for a, b in zip(t1, t3))


def test_init_and_dropout_masks_follow_manual_seed():
    def run(s):
        minidl.manual_seed(s)
        net = nn.Sequential(nn.Linear(6, 5), nn.Dropout(0.5), nn.Linear(5, 3))
        y = net(minidl.ones(4, 6))
        return [p.data.copy() for p in net.parameters()] + [y.detach().numpy()]
    a, b, c = run(0), run(0), run(1)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0]) and not np.array_equal(a[-1], c[-1])
