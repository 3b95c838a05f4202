"""How the numba.cuda kernels are launched: one thread per output element, 1-D grid.

`launch(kernel, n, *args)` runs `kernel` over n threads in blocks of THREADS. The kernels are
compiled lazily, on their first launch, so importing a `cuda.py` needs no GPU. They take CuPy
arrays (through ``__cuda_array_interface__``) or, under Numba's simulator
(``NUMBA_ENABLE_CUDASIM=1``), NumPy arrays, which is how CI tests them without a GPU.
"""
import os

THREADS = 32 if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1" else 256   # the simulator runs a
                                                                         # Python thread each


def launch(kernel, n, *args):
    if n > 0:
        kernel[(n + THREADS - 1) // THREADS, THREADS](*args)
