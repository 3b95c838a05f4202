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
  the shell, or in a script before the first ``import numpy``; measured on 2 cores, it took
  AlexNet's training step from 763 ms to 693 ms.
"""
import os

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
