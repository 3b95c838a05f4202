"""Assignment `cuda`: rebuild minidl's kernels/relu/cuda.py, ReLU as numba.cuda kernels.

Fill in the two kernels and the two host functions, then run
    python -m minidl.course check cuda relu_cuda.py
No GPU needed: the checker runs your kernels in Numba's CUDA simulator (it sets
NUMBA_ENABLE_CUDASIM=1 in a fresh process), where they take NumPy arrays; on a real GPU the
same file takes CuPy arrays. A finished file can replace kernels/relu/cuda.py.
Read docs/gpu.md first.

One thread per element, a 1-D grid: thread i = cuda.grid(1) handles element i of the flat
arrays. The grid is rounded up to whole blocks, so some threads have i >= size: they must do
nothing (no write past the end).
"""
from numba import cuda

from minidl.backend import get_array_module
from minidl.kernels.launch import launch        # launch(kernel, n, *args): n threads
from minidl.kernels.layout import c_contiguous  # noqa: F401


@cuda.jit
def _relu(x, y):
    """y[i] = x[i] if x[i] > 0 else 0, for the flat arrays x, y (thread i = cuda.grid(1)).

        i = cuda.grid(1)
        if i < x.size:
            ...
    """
    # TODO
    return


@cuda.jit
def _relu_grad(gy, y, gx):
    """gx[i] = gy[i] if y[i] > 0 else 0 (a NaN in gy passes where y > 0)."""
    # TODO
    return


def relu_forward(x):
    """y = max(x, 0), x's shape and dtype.

        x = c_contiguous(x); y = get_array_module(x).empty_like(x)
        launch(_relu, x.size, x.ravel(), y.ravel())     # ravel of a contiguous array: a view
        return y
    """
    # TODO
    raise NotImplementedError("relu_forward")


def relu_backward(gy, y):
    """gx = gy where y > 0, else 0; gy's shape and dtype."""
    # TODO
    raise NotImplementedError("relu_backward")


_ = get_array_module   # (used by your host functions)
