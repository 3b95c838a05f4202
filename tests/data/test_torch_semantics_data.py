"""minidl.data against torch.utils.data: collate rules, DataLoader options, samplers, datasets."""
import collections
import multiprocessing as mp

import numpy as np
import pytest

import minidl
from minidl.data import (ArrayDataset, BatchSampler, ConcatDataset, DataLoader, Dataset,
                         RandomSampler, SequentialSampler, Subset, SubsetRandomSampler,
                         TensorDataset, WeightedRandomSampler, default_collate, default_convert,
                         get_worker_info, random_split)
from minidl.data.collate import CollateError

torch = pytest.importorskip("torch")
tud = torch.utils.data

Point = collections.namedtuple("Point", "x y")


def as_numpy(obj):
    """torch's collate output with every tensor as a NumPy array (structure kept)."""
    if isinstance(obj, torch.Tensor):
        return obj.numpy()
    if isinstance(obj, dict):
        return {k: as_numpy(v) for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(as_numpy(v) for v in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(as_numpy(v) for v in obj)
    return obj


def assert_same(ours, theirs):
    """Same container types, keys, shapes, dtypes and values."""
    assert type(ours) is type(theirs), (type(ours), type(theirs))
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs)
        for k in theirs:
            assert_same(ours[k], theirs[k])
    elif isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b)
    elif isinstance(theirs, np.ndarray):
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        assert np.array_equal(ours, theirs)
    else:
        assert ours == theirs


BATCHES = {
    "image_label": [(np.full((1, 2, 2), i, np.float32), i) for i in range(3)],
    "hwc_uint8": [(np.full((2, 2, 3), i, np.uint8), i) for i in range(3)],
    "vector_float64": [(np.arange(3.0) + i, i) for i in range(4)],
    "python_floats": [(float(i) / 2, True if i % 2 else False) for i in range(4)],
    "numpy_scalars": [(np.float32(i), np.int32(i)) for i in range(3)],
    "strings": [("a", 1), ("b", 2)],
    "dicts": [{"x": np.ones(2) * i, "label": i, "name": f"n{i}"} for i in range(3)],
    "lists": [[np.zeros(2), 1, 2.5], [np.ones(2), 3, 4.5]],
    "nested": [(np.zeros(2), {"a": (1, 2.0)}) for _ in range(2)],
    "namedtuple": [Point(np.zeros(2), 1), Point(np.ones(2), 2)],
    "ints": [1, 2, 3],
    "arrays_alone": [np.arange(4).reshape(2, 2) for _ in range(3)],
}


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_default_collate_matches_torch(name):
    batch = BATCHES[name]
    assert_same(default_collate(batch), as_numpy(tud.default_collate(batch)))


@pytest.mark.parametrize("sample", [(np.float64(1.5), (1, "a")), {"k": (np.int16(3), [2])}, 7, "s"])
def test_default_convert_matches_torch(sample):
    assert_same(default_convert(sample), as_numpy(tud.default_convert(sample)))


def test_collate_accepts_minidl_tensors():
    out = default_collate([(minidl.tensor([1.0, 2.0]), 0), (minidl.tensor([3.0, 4.0]), 1)])
    assert isinstance(out, list) and out[0].shape == (2, 2) and out[1].dtype == np.int64


def test_collate_errors_are_clear():
    with pytest.raises(CollateError, match=r"different shapes.*\(2,\).*\(3,\)"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([(1, 2), (1,)])
    with pytest.raises(TypeError, match="object"):
        default_collate([object(), object()])


def test_loader_on_feature_vectors_of_an_array_dataset():
    x, y = np.arange(30, dtype=np.float32).reshape(10, 3), np.arange(10)
    batches = list(DataLoader(ArrayDataset(x, y), batch_size=4))
    assert [b[0].shape for b in batches] == [(4, 3), (4, 3), (2, 3)]
    assert isinstance(batches[0], list) and np.array_equal(batches[2][1].numpy(), [8, 9])


class DictData(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        return {"x": np.full(2, i, np.float32), "id": i, "name": f"s{i}"}


@pytest.mark.parametrize("workers", [0, 2])
def test_dict_samples_through_workers(workers):
    loader = DataLoader(DictData(), batch_size=4, num_workers=workers)
    batches = list(loader)
    assert batches[1]["name"] == ["s4", "s5"]
    assert isinstance(batches[0]["x"], minidl.Tensor) and batches[0]["x"].shape == (4, 2)
    assert np.array_equal(batches[0]["id"].numpy(), [0, 1, 2, 3])


def test_samplers_and_batch_sampler_match_torch():
    assert list(SequentialSampler(range(5))) == list(tud.SequentialSampler(range(5)))
    for drop_last in (False, True):
        ours, theirs = BatchSampler(range(10), 3, drop_last), tud.BatchSampler(range(10), 3, drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="batch_size"):
            BatchSampler(range(3), bad, False)
    with pytest.raises(ValueError, match="drop_last"):
        BatchSampler(range(3), 2, 1)


def test_random_samplers():
    g = minidl.Generator(0)
    order = list(RandomSampler(range(7), generator=g))
    assert sorted(order) == list(range(7))
    more = list(RandomSampler(range(4), num_samples=10, generator=g))    # 2 permutations + 2
    assert len(more) == 10 and sorted(more[:4]) == sorted(more[4:8]) == [0, 1, 2, 3]
    draws = list(RandomSampler(range(3), replacement=True, num_samples=50, generator=g))
    assert len(draws) == 50 and set(draws) <= {0, 1, 2}
    a = list(RandomSampler(range(20), generator=minidl.Generator(5)))
    assert a == list(RandomSampler(range(20), generator=np.random.default_rng(5)))
    with pytest.raises(ValueError, match="num_samples"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(TypeError, match="replacement"):
        RandomSampler(range(3), replacement=1)
    assert sorted(SubsetRandomSampler([5, 7, 9], generator=g)) == [5, 7, 9]
    weighted = list(WeightedRandomSampler([0.0, 1.0, 0.0], 5, generator=g))
    assert weighted == [1] * 5


def test_loader_with_sampler_batch_sampler_and_no_batching():
    ds = ArrayDataset(np.arange(10, dtype=np.float32).reshape(10, 1), np.arange(10))
    labels = [b[1].numpy().tolist() for b in DataLoader(ds, batch_size=3, sampler=[9, 8, 7, 6])]
    assert labels == [[9, 8, 7], [6]]
    loader = DataLoader(ds, batch_sampler=[[0, 1], [5, 6, 7]])
    assert len(loader) == 2 and [b[1].numpy().tolist() for b in loader] == [[0, 1], [5, 6, 7]]
    single = list(DataLoader(ds, batch_size=None, sampler=[3, 4]))
    assert len(single) == 2 and isinstance(single[0], list)      # default_convert: tuple -> list
    assert single[0][0].shape == (1,) and single[0][1] == 3       # ints stay Python ints
    shuffled = DataLoader(ds, batch_size=4, shuffle=True, seed=0)
    assert isinstance(shuffled.sampler, RandomSampler) and isinstance(shuffled.batch_sampler, BatchSampler)
    assert isinstance(DataLoader(ds).sampler, SequentialSampler)


@pytest.mark.parametrize("kwargs", [
    dict(batch_sampler=[[0]], batch_size=2), dict(batch_sampler=[[0]], shuffle=True),
    dict(batch_sampler=[[0]], sampler=[0]), dict(batch_sampler=[[0]], drop_last=True),
    dict(sampler=[0], shuffle=True), dict(batch_size=None, drop_last=True),
    dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2),
    dict(persistent_workers=True), dict(batch_size=0),
])
def test_conflicting_options_raise_value_error_as_in_torch(kwargs):
    ds = ArrayDataset(np.zeros((4, 1)), np.zeros(4))
    with pytest.raises(ValueError):
        tud.DataLoader(torch.zeros(4), **kwargs)
    with pytest.raises(ValueError):
        DataLoader(ds, **kwargs)


def test_accepted_no_op_options():
    ds = ArrayDataset(np.zeros((4, 1), np.float32), np.zeros(4, np.int64))
    loader = DataLoader(ds, batch_size=2, pin_memory=True, pin_memory_device="", in_order=False,
                        generator=minidl.Generator(3), shuffle=True)
    assert len(list(loader)) == 2 and loader.pin_memory
    assert DataLoader(ds, generator=minidl.Generator(3)).seed == DataLoader(ds, generator=minidl.Generator(3)).seed


def _init_fn(worker_id):
    info = get_worker_info()
    info.dataset.tag = f"worker {worker_id} of {info.num_workers}"


class Tagged(Dataset):
    tag = "main"

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return self.tag


@pytest.mark.parametrize("worker_type", ["thread", "process"])
def test_worker_init_fn_and_persistent_workers(worker_type):
    assert get_worker_info() is None
    loader = DataLoader(Tagged(), batch_size=4, num_workers=2, worker_init_fn=_init_fn,
                        persistent_workers=True, worker_type=worker_type)
    tags = sum(list(loader), [])
    assert len(tags) == 8 and set(tags) <= {"worker 0 of 2", "worker 1 of 2"}
    pool = loader._pool
    assert pool is not None and len(list(loader)) == 2 and loader._pool is pool  # same workers
    loader.__del__()
    if worker_type == "process":
        assert mp.active_children() == []


def test_tensor_dataset():
    x, y = minidl.tensor(np.arange(6.0).reshape(3, 2)), np.array([0, 1, 2])
    ds = TensorDataset(x, y)
    assert len(ds) == 3 and isinstance(ds[1], tuple) and ds[1][0].shape == (2,) and ds[1][1] == 1
    xs, ys = next(iter(DataLoader(ds, batch_size=3)))
    assert xs.shape == (3, 2) and np.array_equal(ys.numpy(), [0, 1, 2])
    assert len(TensorDataset(np.zeros(4))[0]) == 1
    with pytest.raises(ValueError, match=r"dim 0.*\(3, 2\).*\(2,\)"):
        TensorDataset(x, np.zeros(2))
    with pytest.raises(AssertionError):   # what torch raises
        TensorDataset(x, np.zeros(2))


def test_concat_dataset_and_add_match_torch():
    a, b = ArrayDataset(np.arange(3), np.arange(3)), ArrayDataset(np.arange(10, 15), np.arange(5))
    ours, theirs = a + b, tud.ConcatDataset([list(range(3)), list(range(10, 15))])
    assert isinstance(ours, ConcatDataset) and len(ours) == len(theirs) == 8
    assert ours.cumulative_sizes == theirs.cumulative_sizes
    assert [int(ours[i][0]) for i in range(-8, 8)] == [theirs[i] for i in range(-8, 8)]
    with pytest.raises(ValueError):
        ours[-9]
    with pytest.raises(IndexError):
        ours[8]
    with pytest.raises(ValueError, match="empty"):
        ConcatDataset([])


@pytest.mark.parametrize("n, fractions", [(10, [0.3, 0.3, 0.4]), (11, [0.5, 0.5]),
                                          (7, [0.1, 0.2, 0.3, 0.4]), (5, [1.0])])
def test_random_split_fractions_match_torch(n, fractions):
    ours = random_split(list(range(n)), fractions, generator=minidl.Generator(0))
    theirs = tud.random_split(list(range(n)), fractions)
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert sorted(sum((list(s) for s in ours), [])) == list(range(n))
    assert all(isinstance(s, Subset) for s in ours) and len(theirs) == len(ours)


def test_random_split_generator_reproduces_and_checks_lengths():
    a = random_split(range(20), [5, 15], generator=minidl.Generator(1))
    b = random_split(range(20), [5, 15], generator=minidl.Generator(1))
    assert list(a[0].indices) == list(b[0].indices)
    with pytest.raises(ValueError, match="sum"):
        random_split(range(20), [5, 5])
    with pytest.raises(ValueError, match="between 0 and 1"):
        random_split(range(20), [1.5, -0.5])


def _failing_init(worker_id):
    raise RuntimeError(f"init failed in {worker_id}")


def test_worker_init_fn_error_reaches_the_caller():
    loader = DataLoader(Tagged(), batch_size=4, num_workers=1, worker_init_fn=_failing_init,
                        worker_type="thread")
    with pytest.raises(RuntimeError, match="init failed in 0"):
        list(loader)
