"""``minidl.utils.data``: PyTorch's path (``torch.utils.data``) to ``minidl.data``.

``import minidl.utils.data`` gives the very module ``minidl.data`` (``DataLoader``, ``Dataset``,
``TensorDataset``, ``random_split``, the samplers, ...): this file only makes the name point there.
"""
import sys

from .. import data

sys.modules[__name__] = data
