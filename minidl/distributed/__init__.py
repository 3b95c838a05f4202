"""``minidl.distributed``: several processes training one model, with torch.distributed's names.

    mpiexec -n 2 python train.py          # two ranks on this machine
    mpiexec -f hosts -n 8 python train.py # eight, on the machines listed in `hosts`
    srun --mpi=pmi2 -n 8 python train.py  # under Slurm

    import minidl.distributed as dist
    dist.init_process_group("mpi")
    model = minidl.nn.parallel.DistributedDataParallel(net)   # data parallelism
    sampler = minidl.data.DistributedSampler(train_set)       # a shard of the data per rank

Rooms::

    process_group.py  init_process_group, get_rank/get_world_size, all_reduce, broadcast,
                      all_gather, reduce_scatter, barrier: MPI buffers only (no pickle)
    faults.py         one rank raising ends every rank (MPI_Abort), never a silent hang
    functional.py     all_gather_cat: an all-gather whose backward is a reduce-scatter
                      (model parallelism: AlexNet's two towers)
    seeding.py        per-rank seeds derived from one seed

``import minidl`` does not import mpi4py: MPI is loaded by ``init_process_group``.
"""
from .faults import abort, abort_on_error
from .process_group import (DEFAULT_TIMEOUT, ReduceOp, Work, all_gather, all_gather_into_tensor,
                            all_reduce, barrier, broadcast, destroy_process_group, get_backend,
                            get_rank, get_world_size, init_process_group, is_available,
                            is_initialized, reduce_scatter, reduce_scatter_tensor)
from .seeding import rank_seed

__all__ = ["init_process_group", "destroy_process_group", "is_available", "is_initialized",
           "get_rank", "get_world_size", "get_backend", "ReduceOp", "Work", "all_reduce",
           "broadcast", "all_gather", "all_gather_into_tensor", "reduce_scatter",
           "reduce_scatter_tensor", "barrier", "abort", "abort_on_error", "rank_seed",
           "DEFAULT_TIMEOUT"]
