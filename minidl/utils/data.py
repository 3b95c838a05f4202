"""``minidl.utils.data``: PyTorch's path (``torch.utils.data``) to ``minidl.data``.

``import minidl.utils.data`` gives the very module ``minidl.data`` (``DataLoader``, ``Dataset``,
``TensorDataset``, ``random_split``, the samplers, ...): this file only makes the name point there.
Its submodules get the PyTorch-style names too (``from minidl.utils.data.dataloader import
default_collate``), as the same module objects: imported afresh under the new name, a
submodule's relative imports would miss and its classes would be second copies.
"""
import sys

from .. import data

sys.modules[__name__] = data
for _name, _module in list(sys.modules.items()):
    if _name.startswith(data.__name__ + ".") and _module is not None:
        sys.modules.setdefault(__name__ + _name[len(data.__name__):], _module)
