"""``DistributedSampler``: each of the ``num_replicas`` ranks reads its own shard of a dataset.

    sampler = DistributedSampler(train_set)            # rank and world size from the group
    loader = DataLoader(train_set, batch_size=b, sampler=sampler, seed=per_rank_seed)
    for epoch in range(epochs):
        sampler.set_epoch(epoch)                       # (the Trainer does it via the loader)

PyTorch's rules, index for index (``tests/data/test_distributed_sampler.py`` compares them):

    n = len(dataset), P = num_replicas
    num_samples = ceil(n / P)              or, with drop_last and P not dividing n,
                                              ceil((n - P) / P)
    total_size  = num_samples * P
    order       = a permutation of range(n) (shuffle) or range(n)
    padding     : without drop_last, order is extended with its own first total_size - n
                  entries (repeated as often as needed) so every rank gets num_samples
    drop_last   : order is cut to total_size
    shard       = order[rank : total_size : P]

So every rank runs the same number of steps (which data parallelism needs: each step is a
collective), the shards are disjoint apart from the few padded repeats, and together they
cover the dataset. The permutation is the one every rank draws from ``(seed, epoch)``
(``minidl.data.rng.epoch_permutation``), the same on every rank; PyTorch seeds its own generator
with ``seed + epoch`` instead, so with ``shuffle=True`` the orders differ from PyTorch's while
the padding and the sharding are the same.
"""
import math

from .rng import epoch_permutation
from .sampler import Sampler


class DistributedSampler(Sampler):
    """``DistributedSampler(dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
    drop_last=False)``; `num_replicas` and `rank` default to the process group's."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None or rank is None:
            from .. import distributed as dist
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if not isinstance(num_replicas, int) or num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be a positive int, got "
                             f"{num_replicas!r}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, int(seed), drop_last, 0
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def set_epoch(self, epoch):
        """Pick the epoch whose shuffle to use (call it before each epoch, on every rank)."""
        self.epoch = int(epoch)

    def __iter__(self):
        n = len(self.dataset)
        order = (epoch_permutation(self.seed, self.epoch, n).tolist() if self.shuffle
                 else list(range(n)))
        if not self.drop_last:
            padding = self.total_size - len(order)
            if padding <= len(order):
                order += order[:padding]
            else:
                order += (order * math.ceil(padding / len(order)))[:padding]
        else:
            order = order[:self.total_size]
        assert len(order) == self.total_size
        return iter(order[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples
