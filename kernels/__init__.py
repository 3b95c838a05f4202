"""``minidl.kernels``: the hand-written kernels, each family three times with one signature.

    kernels/<family>/reference.py   readable NumPy loops: the teaching version and the test oracle
    kernels/<family>/cpu.py         the same functions as Numba ``njit`` kernels (CPU)
    kernels/<family>/cuda.py        the same functions as ``numba.cuda`` kernels (CuPy arrays)

Families: ``conv`` (im2col/col2im convolution), ``relu``, ``lrn``, ``pool`` (max, average,
adaptive average) and ``dropout``. The functions take and return raw arrays (NumPy or CuPy);
autograd lives in ``minidl.ops``, which calls ``select(family, array)``. Beside the families:
``shapes.py`` (output-size arithmetic), ``threads.py`` (Numba's threads and OpenBLAS's sharing
the cores) and ``launch.py`` (how the CUDA kernels are launched).

Numba kernels compile on first use and are cached on disk next to their source (``cache=True``),
so later processes load them instead of compiling again.

The switch: set the environment variable ``MINIDL_KERNELS=reference`` (or call
``set_mode("reference")``) to run the NumPy reference loops instead of the compiled kernels,
for teaching and debugging. ``MINIDL_KERNELS=auto`` (the default) picks by device.
"""
import importlib
import os

FAMILIES = ("conv", "relu", "lrn", "pool", "dropout")
MODES = ("auto", "reference")

_mode = os.environ.get("MINIDL_KERNELS", "auto")
if _mode not in MODES:
    raise ValueError(f"MINIDL_KERNELS={_mode!r}: expected one of {MODES}")


def set_mode(mode):
    """Choose ``"auto"`` (compiled kernel for the array's device) or ``"reference"``."""
    global _mode
    if mode not in MODES:
        raise ValueError(f"kernel mode {mode!r}: expected one of {MODES}")
    _mode = mode


def get_mode():
    return _mode


def select(family, array):
    """The module implementing `family` for `array`'s device under the current mode."""
    if family not in FAMILIES:
        raise ValueError(f"unknown kernel family {family!r}: expected one of {FAMILIES}")
    if _mode == "reference":
        target = "reference"
    else:
        from minidl.backend import is_cupy_array
        target = "cuda" if is_cupy_array(array) else "cpu"
    return importlib.import_module(f"{__name__}.{family}.{target}")
