"""``minidl.cuda``: is a GPU usable here?"""
from .backend import cuda_available, cuda_device_count


def is_available():
    """True when CuPy is installed and finds a CUDA GPU."""
    return cuda_available()


def device_count():
    return cuda_device_count()
