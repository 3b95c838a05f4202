"""``minidl.utils``: the paths a PyTorch user types (``minidl.utils.data``,
``minidl.utils.tensorboard``), each a thin module over the part of minidl that does the work."""
