"""Make Numba's parallel loops and OpenBLAS share the CPU cores politely.

A convolution alternates Numba `prange` loops (im2col, col2im) with OpenBLAS GEMMs, each with
its own pool of one thread per core. By default GNU OpenMP (Numba's threading layer here) keeps
its threads spinning for a while after each loop, so the GEMM that follows finds every core
busy and its threads wait for time slices: on 2 cores a conv layer ran 2.5x slower than its
parts timed alone. OMP_WAIT_POLICY=PASSIVE makes idle OpenMP threads sleep at once.

OpenMP reads the variable once, when its runtime loads, which Numba does when it starts its
thread pool. So `configure()` sets it (unless the user already chose a policy), starts the
pool, and restores the environment, leaving other OpenMP libraries loaded later unaffected.
"""
import os

_done = False


def configure():
    global _done
    if _done:
        return
    _done = True
    if "OMP_WAIT_POLICY" in os.environ:
        return
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    try:
        from numba.np.ufunc.parallel import _launch_threads
        _launch_threads()
    finally:
        del os.environ["OMP_WAIT_POLICY"]
