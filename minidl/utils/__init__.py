"""``minidl.utils``: the paths a PyTorch user types (``minidl.utils.data``,
``minidl.utils.tensorboard``), each a thin module over the part of minidl that does the work.

They load on first use (``minidl.utils.data`` after ``import minidl``, as ``torch.utils.data``
after ``import torch``): ``minidl.data`` brings multiprocessing (and with it pickle), which
``import minidl`` alone does not load.
"""
import importlib

_LAZY = ("data", "tensorboard")


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
