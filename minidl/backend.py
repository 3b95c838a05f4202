"""Array backends and devices: NumPy on "cpu", CuPy on "cuda" / "cuda:N".

Every op in minidl is written against the *array module* of its data (``xp``): NumPy for a
CPU tensor, CuPy for a GPU tensor. ``get_array_module(a)`` tells which one a given array
belongs to, so one code path serves both devices.

CuPy is optional. When it is not installed, or installed but finds no GPU (as on a CPU-only
machine), ``import minidl`` still works and only asking for a CUDA device raises an error.
"""
import ctypes
import os
import platform

import numpy as np

try:  # CuPy is an optional extra: `pip install minidl[cuda]`.
    import cupy as _cupy
except Exception:  # ImportError, or a broken CUDA install raising something else
    _cupy = None


def cuda_available():
    """True when CuPy is importable and sees at least one GPU."""
    if _cupy is None:
        return False
    try:
        return bool(_cupy.is_available())
    except Exception:
        return False


def cuda_device_count():
    if not cuda_available():
        return 0
    return _cupy.cuda.runtime.getDeviceCount()


class Device:
    """A device, written ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.

    Compares equal to its string form, so ``t.device == "cpu"`` works.
    """

    __slots__ = ("type", "index")

    def __init__(self, spec="cpu"):
        if isinstance(spec, Device):
            self.type, self.index = spec.type, spec.index
            return
        if not isinstance(spec, str):
            raise TypeError(f"device must be a string like 'cpu' or 'cuda:0', got {type(spec).__name__}")
        kind, _, index = spec.partition(":")
        if kind == "cpu" and not index:
            self.type, self.index = "cpu", None
        elif kind == "cuda" and (not index or index.isdigit()):
            self.type, self.index = "cuda", int(index) if index else 0
        else:
            raise ValueError(f"unknown device {spec!r}: expected 'cpu', 'cuda' or 'cuda:N'")

    def __str__(self):
        return "cpu" if self.type == "cpu" else f"cuda:{self.index}"

    def __repr__(self):
        return f"device('{self}')"

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = Device(other)
            except (ValueError, TypeError):
                return False
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))


CPU = Device("cpu")


def require_cuda(device):
    """Raise a clear error unless `device` (a CUDA Device) can be used here."""
    if _cupy is None:
        raise RuntimeError(f"device {device} requested but CuPy is not installed "
                           "(pip install 'minidl[cuda]')")
    if not cuda_available():
        raise RuntimeError(f"device {device} requested but CuPy finds no CUDA GPU on this machine")
    if device.index >= cuda_device_count():
        raise RuntimeError(f"device {device} requested but only {cuda_device_count()} GPU(s) exist")


def is_cupy_array(a):
    return _cupy is not None and isinstance(a, _cupy.ndarray)


def get_array_module(a):
    """NumPy for a NumPy array (or scalar), CuPy for a CuPy array."""
    return _cupy if is_cupy_array(a) else np


def device_of(a):
    """The Device holding array `a`."""
    if is_cupy_array(a):
        return Device(f"cuda:{a.device.id}")
    return CPU


def to_device(a, device):
    """Copy array `a` to `device` (a Device); no copy when it is already there."""
    if device.type == "cpu":
        return _cupy.asnumpy(a) if is_cupy_array(a) else np.asarray(a)
    require_cuda(device)
    with _cupy.cuda.Device(device.index):
        return _cupy.asarray(a)


def xp_for(device):
    """The array module serving `device`."""
    if device.type == "cpu":
        return np
    require_cuda(device)
    return _cupy


# ---------------------------------------------------------------------------------------------
# CPU memory


def keep_freed_memory(limit=1 << 30):
    """Ask glibc's malloc to keep freed blocks up to `limit` bytes for reuse. True if it did.

    By default glibc gives every allocation above 32 MB its own mmap and unmaps it on free.
    A training step allocates the same activations and gradients every time (AlexNet's conv1
    output at batch 32 is 37 MB), so each comes back as fresh pages that the kernel faults in
    and zeroes, about 1.5 ms per 37 MB. Kept in the heap, they are reused as they are: the
    AlexNet training step ran 10-17% faster on 2 cores (VGG-16 14%), peak memory +3%.
    minidl calls this once, when its first CPU kernel is chosen (``minidl.kernels.module``), on
    Linux with glibc; MINIDL_KEEP_FREED_MEMORY=0 turns it off.
    """
    if os.environ.get("MINIDL_KEEP_FREED_MEMORY", "1") == "0" or \
            platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3   # from <malloc.h>
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, limit) and libc.mallopt(M_TRIM_THRESHOLD, limit))
    except (OSError, AttributeError):
        return False
