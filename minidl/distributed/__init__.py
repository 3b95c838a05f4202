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
    faults.py         one rank raising ends every rank, never a silent hang
    departures.py     a rank that leaves early (even sys.exit(0)) ends the job with an error;
                      an orderly end waits for every rank; nothing left in /dev/shm
    supervisor.py     a rank's process that ends without finishing (os._exit(0)) is reported
                      and ends the job with status 1
    functional.py     all_gather_cat: an all-gather whose backward is a reduce-scatter
                      (model parallelism: AlexNet's two towers)
    seeding.py        per-rank seeds derived from one seed

``import minidl`` does not import mpi4py: MPI is loaded by ``init_process_group``.

**DataLoader worker processes under MPI** (``num_workers > 0``, forked): they work, and are kept.
Forking after ``MPI_Init`` is unsafe when the *child* touches MPI or memory the network card has
pinned; these children never do -- they only index the dataset and hand batches back through
their own shared memory, and leave with ``os._exit`` (multiprocessing's way), so mpi4py's
``MPI_Finalize`` never runs in them. Measured with MPICH 5.0 (shared memory between ranks) on 2
cores: ``mpiexec -n 2 train_alexnet.py --distributed -j 2`` gives bit-identical losses to ``-j 0``,
no warnings, and is no faster there (the two ranks already hold both cores). On an InfiniBand
cluster whose MPI registers memory through libibverbs, set ``RDMAV_FORK_SAFE=1`` or pass
``worker_type="thread"`` to the DataLoader.
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
