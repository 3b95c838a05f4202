"""``minidl.save``: the format follows the name, as a PyTorch user expects.

    minidl.save(sd, "net.pth")          PyTorch's zip format (``minidl.torch_writer``):
                                        PyTorch reads it with weights_only=True
    minidl.save(sd, "net.safetensors")  safetensors (``minidl.serialization``), as is any other
                                        name and any file object not opened under a .pt/.pth
                                        name (a BytesIO)

``minidl.load`` reads both, without pickle.
"""
from . import serialization
from .torch_writer import is_torch_name, save_torch


def save(obj, f, metadata=None):
    """Write `obj` (a state dict, or a checkpoint: nested dicts, lists, tuples, numbers,
    strings, None and tensors) to `f`, atomically when `f` is a file name.

    A name ending in ``.pt`` or ``.pth`` (or a file opened under one) gets PyTorch's zip
    format; anything else (another name, a BytesIO) gets safetensors, whose header may carry `metadata` (str ->
    str), which PyTorch's format has no place for.
    """
    if is_torch_name(f):
        if metadata:
            raise ValueError(f"minidl.save: {f} is a PyTorch file (.pt/.pth), which has no "
                             "place for metadata; use a .safetensors name to keep it")
        return save_torch(obj, f)
    return serialization.save(obj, f, metadata)
