"""``to_args``: how ``Tensor.to`` and ``Module.to`` read their PyTorch-style arguments (one
parser for both)."""
import numpy as np

from .backend import Device
from .tensor import Tensor


def to_args(args, kwargs):
    """(device, dtype, copy) from the arguments of ``Tensor.to`` and ``Module.to``: PyTorch's
    forms ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)`` and the keywords
    ``device=``, ``dtype=``, ``copy=``, ``non_blocking=`` (ignored). `kwargs` is consumed.

    device: a ``Device`` or None; dtype: a NumPy dtype or None; copy: a bool.
    """
    device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
    copy = bool(kwargs.pop("copy", False))
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to(): unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif isinstance(a, bool):
            pass  # non_blocking, given positionally
        elif isinstance(a, Device) or (isinstance(a, str) and a.split(":")[0] in ("cpu", "cuda")):
            device = a
        else:
            try:
                dtype = np.dtype(a)
            except TypeError:
                device = a  # not a dtype: let Device say what is wrong with it
    return (None if device is None else Device(device),
            None if dtype is None else np.dtype(dtype), copy)
