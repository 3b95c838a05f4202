"""``minidl.utils``: the paths a PyTorch user types (``minidl.utils.data``,
``minidl.utils.tensorboard``), each a thin module over the part of minidl that does the work."""
from . import data  # noqa: E402,F401  (minidl.utils.data, as torch.utils.data after import torch)
