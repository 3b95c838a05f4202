"""Jobs that go wrong on purpose; ``test_mpi.py`` runs each as
``mpiexec -n 2 python tests/distributed/fault_cases.py CASE`` and times how soon it ends.

    raise    rank 1 raises an uncaught error while rank 0 waits in an all_reduce
    exit     rank 1 stops with a one-line SystemExit inside abort_on_error, rank 0 in a barrier
    sigint   both ranks wait in collectives until the test interrupts mpiexec (Ctrl-C)
"""
import sys
import time

import numpy as np

import minidl.distributed as dist


def main(case):
    dist.init_process_group("mpi")
    rank = dist.get_rank()
    print(f"rank {rank} ready", flush=True)
    if case == "raise":
        if rank == 1:
            time.sleep(0.5)
            raise ValueError("rank 1 broke on purpose")
        dist.all_reduce(np.ones(3))
    elif case == "exit":
        with dist.abort_on_error():
            if rank == 1:
                raise SystemExit("error: rank 1 stopped on purpose")
            dist.barrier()
    elif case == "sigint":
        with dist.abort_on_error():
            while True:
                dist.all_reduce(np.ones(3))
                time.sleep(0.05)
    print(f"rank {rank} finished (should not happen)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
