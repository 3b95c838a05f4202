"""Make Numba's parallel loops and OpenBLAS share the CPU cores politely.

A convolution alternates Numba `prange` loops (im2col, col2im) with OpenBLAS GEMMs, each with
its own pool of one thread per core. Both pools, by default, keep their idle threads spinning
for a while, so each finds the cores busy with the other's idle threads:

* GNU OpenMP (Numba's threading layer here) spins after each loop, so the GEMM that follows
  waits for time slices: on 2 cores a conv layer ran 2.5x slower than its parts timed alone.
  OMP_WAIT_POLICY=PASSIVE makes idle OpenMP threads sleep at once. OpenMP reads the variable
  once, when its runtime loads, which Numba does when it starts its thread pool; so
  `configure()` sets it (unless the user already chose a policy), starts the pool, and
  restores the environment, leaving other OpenMP libraries loaded later unaffected.

  One case defeats this: a library that loaded GNU OpenMP earlier (PyTorch bundles its own,
  and Numba then runs its loops on that copy, whose threads spin): imported before minidl's
  kernels, it made a conv layer 6x slower. Then `configure()` picks Numba's own "workqueue"
  thread pool instead, whose idle threads sleep (its loops run up to 1.5x slower than under
  passive OpenMP, but nothing spins).

* OpenBLAS's idle workers spin for 2**28 cycles (~0.1 s) after each GEMM, which halves the
  speed of a Numba loop that runs right after one (an im2col: 5.2 ms instead of 2.7 ms). This
  can only be changed before NumPy loads OpenBLAS, with the environment variable
  OPENBLAS_THREAD_TIMEOUT=4 (2**4 cycles: sleep at once; GEMM speed is unchanged). Set it in
  the shell, or in a script before the first ``import numpy`` (as examples/train_*.py do);
  measured on 2 cores, it took AlexNet's training step from 763 ms to 693 ms.

`configure()` runs once, when the first CPU kernel module is chosen (``kernels.module``), or
when called; importing a kernel module starts no threads.

Beside that, what the two CPU convolutions (`conv/cpu.py`, `conv/winograd_cpu.py`) share:
`workspace` (scratch arrays reused from call to call, one set per thread) and, for the
Winograd kernel, which runs its GEMMs side by side on threads of its own, `run_chunks`
(a pool of one thread per core) inside `single_threaded_blas` (OpenBLAS on one thread, so
the two pools do not fight over the cores).
"""
import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

_done = False


def _openmp_already_loaded():
    """Has some library already loaded GNU OpenMP (and so fixed its wait policy)? Linux only."""
    try:
        with open("/proc/self/maps") as f:
            return "libgomp" in f.read()
    except OSError:
        return False


def configure():
    """Choose and start Numba's thread pool, once per process (see the module docstring)."""
    global _done
    if _done:
        return
    _done = True
    if "OMP_WAIT_POLICY" in os.environ or os.environ.get("NUMBA_THREADING_LAYER"):
        return                                  # the user chose
    import numba
    if _openmp_already_loaded():
        numba.config.THREADING_LAYER = "workqueue"
        return
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    try:
        from numba.np.ufunc.parallel import _launch_threads
        _launch_threads()
    finally:
        del os.environ["OMP_WAIT_POLICY"]


# -- scratch buffers ---------------------------------------------------------------------------

_local = threading.local()   # one set of buffers per thread: convolutions may run in several


def workspace(name, shape, dtype):
    """A reusable scratch array of `shape`; grows when needed, never shrinks."""
    buffers = _local.__dict__.setdefault("buffers", {})
    size = int(np.prod(shape))
    buf = buffers.get((name, np.dtype(dtype)))
    if buf is None or buf.size < size:
        buf = buffers[(name, np.dtype(dtype))] = np.empty(size, dtype=dtype)
    return buf[:size].reshape(shape)


# -- a pool of Python threads around single-threaded GEMMs -------------------------------------

_pool = None
_blas = None


def cpu_threads():
    return os.cpu_count() or 1


def _executor():
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(cpu_threads(), thread_name_prefix="minidl-winograd")
    return _pool


@contextlib.contextmanager
def single_threaded_blas():
    """OpenBLAS on one thread inside the block (our threads run GEMMs side by side instead),
    through threadpoolctl when it is installed; without it the GEMMs keep their threads."""
    global _blas
    if _blas is None:
        try:
            from threadpoolctl import ThreadpoolController
            _blas = ThreadpoolController().select(user_api="blas").lib_controllers
        except ImportError:
            _blas = []
    old = [lib.num_threads for lib in _blas]
    for lib in _blas:
        lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib, n in zip(_blas, old):
            lib.set_num_threads(n)


def run_chunks(work, chunks, dynamic=True):
    """work(t, r0, r1) for every chunk, on one thread per core; -> each thread's last result.

    dynamic: each thread takes the next chunk when it finishes one, so a thread whose core is
    busy with another process does fewer; the chunks' outputs are disjoint, so the result does
    not depend on who did what. Otherwise thread t takes chunks t, t + threads, ... (a fixed
    assignment: for sums, whose rounding must not change from run to run).
    """
    n = min(cpu_threads(), len(chunks))
    if n <= 1:
        return [[work(0, r0, r1) for r0, r1 in chunks][-1]]
    lock, it = threading.Lock(), iter(chunks)

    def worker(t):
        out = None
        mine = iter(chunks[t::n])
        while True:
            if dynamic:
                with lock:
                    c = next(it, None)
            else:
                c = next(mine, None)
            if c is None:
                return out
            out = work(t, *c)

    with single_threaded_blas():
        futures = [_executor().submit(worker, t) for t in range(n)]
        return [f.result() for f in futures]
