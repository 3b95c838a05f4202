"""Jobs in which a rank leaves early; ``test_mpi_departures.py`` runs each as
``mpiexec -n 2 python tests/distributed/leave_cases.py CASE`` (issue 24, item 8).

    exit0      rank 1 calls sys.exit(0) at step 3 while rank 0 goes on calling all_reduce
    osexit0    rank 1 calls os._exit(0) at step 3 (no atexit, no finalize)
    raise      rank 1 raises at step 3
    kill9      rank 1 is killed by SIGKILL at step 3
    late0      rank 1 calls os._exit(0) after the last collective: it never finished properly
    finish     both ranks finish (rank 0 two seconds later, computing alone): status 0

Each rank prints the MPICH shared-memory segments it maps (``shm: PATH``) and the launcher's
topology files it sees (``hydra: PATH``), so the test can check they are gone when the job
has ended.
"""
import glob
import os
import signal
import sys
import time

import numpy as np

import minidl.distributed as dist


def main(case):
    dist.init_process_group("mpi")
    rank = dist.get_rank()
    shm = sorted({line.split()[-1] for line in open("/proc/self/maps")
                  if "/dev/shm/mpich_shm_" in line})
    hydra = sorted(glob.glob("/tmp/hydra_hwloc_xmlfile_*"))
    print(f"rank {rank} ready; shm: {' '.join(shm)}; hydra: {' '.join(hydra)}", flush=True)
    for step in range(8):
        if rank == 1 and step == 3:
            if case == "exit0":
                sys.exit(0)
            if case == "osexit0":
                os._exit(0)
            if case == "raise":
                raise ValueError("rank 1 broke on purpose")
            if case == "kill9":   # as the kernel's OOM killer does
                os.kill(os.getpid(), signal.SIGKILL)
        dist.all_reduce(np.ones(3))
        time.sleep(0.02)
    if case == "late0" and rank == 1:
        os._exit(0)
    if case == "finish" and rank == 0:
        time.sleep(2)
    print(f"rank {rank} finished", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
