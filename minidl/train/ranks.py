"""What the Trainer does differently when it is one of several data-parallel ranks.

With ``minidl.distributed`` initialised and more than one rank (``mpiexec -n P``):

- metrics are sums over the ranks (loss × images, correct counts, images) turned into means,
  so every rank reports -- and the scheduler sees -- the same numbers, those of the whole data;
- each step's loss is averaged over the ranks before the NaN check, so a diverging rank stops
  every rank at the same step, cleanly, instead of leaving the others waiting;
- only rank 0 shows progress, prints, and writes the log, plots and checkpoints;
- a checkpoint holds the wrapped net (``model.module``), with its plain keys, so it resumes on
  any number of ranks, or in one process without DistributedDataParallel. Every rank reads it
  (the file must be visible to all of them, as on a cluster's shared filesystem); ranks > 0
  then reseed their dropout generator from the seed, rank and epoch, since the checkpoint holds
  rank 0's.
"""
import numpy as np

from .. import distributed as dist
from ..random import default_generator


def rank_and_world():
    """(rank, world size): (0, 1) outside a process group."""
    if not dist.is_initialized():
        return 0, 1
    return dist.get_rank(), dist.get_world_size()


def sum_over_ranks(numbers):
    """The element-wise sum of a list of floats over all ranks (itself with one rank)."""
    if rank_and_world()[1] == 1:
        return list(numbers)
    t = np.array(numbers, np.float64)
    dist.all_reduce(t)
    return t.tolist()


def unwrap(model):
    """The net inside a DistributedDataParallel (``model.module``), else `model`."""
    from ..nn.parallel import DistributedDataParallel
    return model.module if isinstance(model, DistributedDataParallel) else model


def reseed_after_resume(seed, epoch):
    """Ranks > 0: a dropout stream of their own again after loading rank 0's generator state."""
    rank, world = rank_and_world()
    if rank > 0:
        default_generator.manual_seed(dist.rank_seed(seed or 0, rank, epoch))
