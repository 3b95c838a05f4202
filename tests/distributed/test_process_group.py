"""What minidl.distributed says without mpiexec: clear errors before any MPI is touched."""
import pytest

import minidl
import minidl.distributed as dist
from minidl import nn
from minidl.nn.parallel import DistributedDataParallel


def test_nothing_works_before_init_process_group():
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.get_rank()
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.all_reduce(minidl.ones(2))
    with pytest.raises(RuntimeError, match="call minidl.distributed.init_process_group"):
        DistributedDataParallel(nn.Linear(2, 2))


@pytest.mark.skipif(minidl.cuda.is_available(), reason="a GPU is present: nccl may work")
def test_nccl_without_a_gpu_is_a_clear_error():
    with pytest.raises(RuntimeError, match="needs a CUDA GPU on every rank.*use backend='mpi'"):
        dist.init_process_group("nccl")
    assert not dist.is_initialized()


def test_unknown_backend_and_init_method():
    with pytest.raises(ValueError, match="backend must be 'mpi' or 'nccl', got 'gloo'"):
        dist.init_process_group("gloo")
    with pytest.raises(ValueError, match="init_method 'tcp://10.0.0.1:23456' is not supported"):
        dist.init_process_group("mpi", init_method="tcp://10.0.0.1:23456")
    assert not dist.is_initialized()


def test_rank_seeds():
    assert dist.rank_seed(7, 0) == 7                         # rank 0 = a one-process run
    seeds = {dist.rank_seed(7, r) for r in range(1, 64)}
    assert len(seeds) == 63 and 7 not in seeds
    assert dist.rank_seed(7, 3) == dist.rank_seed(7, 3)      # a function of (seed, rank)
    assert dist.rank_seed(7, 3) != dist.rank_seed(8, 3)
    assert all(0 <= s < 2**31 for s in seeds)
