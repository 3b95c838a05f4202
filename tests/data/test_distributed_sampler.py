"""DistributedSampler: PyTorch's padding and shards, index for index (num_replicas and rank
given, so no process group is needed), and the shards' disjointness and coverage."""
import subprocess
import sys

import pytest

from minidl.data import DistributedSampler
from minidl.data.rng import epoch_permutation

CASES = [(n, p, drop_last) for n in (1, 2, 5, 10, 11, 16, 17) for p in (1, 2, 3, 4, 7)
         for drop_last in (False, True)]


def shards(n, p, **kw):
    return [list(DistributedSampler(range(n), num_replicas=p, rank=r, **kw)) for r in range(p)]


@pytest.mark.parametrize("n, p, drop_last", CASES)
def test_unshuffled_shards_equal_pytorchs(n, p, drop_last):
    torch_data = pytest.importorskip("torch.utils.data")
    for r in range(p):
        ours = DistributedSampler(range(n), p, r, shuffle=False, drop_last=drop_last)
        theirs = torch_data.DistributedSampler(range(n), p, r, shuffle=False, drop_last=drop_last)
        assert len(ours) == len(theirs)
        assert list(ours) == list(theirs)


@pytest.mark.parametrize("n, p, drop_last", CASES)
def test_shuffled_shards_are_pytorchs_rule_applied_to_our_permutation(n, p, drop_last):
    """PyTorch's rule on a known order: its sampler given that order's indices as the dataset
    positions (the shards hold positions in the permutation)."""
    torch_data = pytest.importorskip("torch.utils.data")
    order = epoch_permutation(5, 3, n).tolist()
    for r in range(p):
        ours = DistributedSampler(range(n), p, r, shuffle=True, seed=5, drop_last=drop_last)
        ours.set_epoch(3)
        positions = torch_data.DistributedSampler(range(n), p, r, shuffle=False,
                                                  drop_last=drop_last)
        assert list(ours) == [order[i] for i in positions]


@pytest.mark.parametrize("n, p", [(10, 2), (11, 2), (17, 4), (3, 7)])
def test_shards_are_disjoint_and_cover_the_data(n, p):
    parts = shards(n, p, seed=1)
    assert len({len(s) for s in parts}) == 1                   # every rank: the same steps
    flat = [i for s in parts for i in s]
    assert set(flat) == set(range(n))                          # cover
    assert len(flat) - n == (-n) % p                           # only the padding repeats
    kept = shards(n, p, seed=1, drop_last=True)
    flat = [i for s in kept for i in s]
    assert len(flat) == len(set(flat)) == (n // p) * p         # drop_last: disjoint, no padding


def test_set_epoch_reshuffles_reproducibly():
    a = DistributedSampler(range(50), 2, 0, seed=3)
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first
    a.set_epoch(0)
    assert list(a) == first
    assert list(DistributedSampler(range(50), 2, 0, seed=4)) != first


def test_bad_arguments_are_clear():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedSampler(range(4))


def test_import_minidl_does_not_import_mpi4py():
    code = ("import sys, minidl, minidl.distributed, minidl.nn.parallel, minidl.data; "
            "print('mpi4py' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
