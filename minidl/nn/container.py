"""Containers: ``Sequential`` (run children in order) and ``ModuleList``, with PyTorch's indexing.

Slicing a ``Sequential`` keeps the children's names (``seq[2:]`` has children "2", "3", ...,
so its state-dict keys still match the full model's), as PyTorch does; slicing a
``ModuleList`` gives a new ModuleList numbered from 0.
"""
from collections import OrderedDict

from .module import Module


def _index(container, i):
    """`i` as a non-negative position, IndexError if out of range (as a list would)."""
    n = len(container)
    if not -n <= i < n:
        raise IndexError(f"{type(container).__name__}: index {i} is out of range "
                         f"({n} modules)")
    return i % n


class Sequential(Module):
    """Children named "0", "1", ... (or a dict's keys); ``forward`` feeds each one's output
    to the next."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], dict):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i):
        if isinstance(i, slice):
            return Sequential(OrderedDict(list(self._modules.items())[i]))
        return list(self._modules.values())[_index(self, i)]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        """Add `module` at the end (named by the current length, as PyTorch does)."""
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self


class ModuleList(Module):
    """A list of sub-modules, registered as children "0", "1", ... (no ``forward``)."""

    def __init__(self, modules=()):
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, module):
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def insert(self, index, module):
        """Insert `module` before position `index`; the later children are renumbered."""
        n = len(self._modules)
        index = max(0, min(n, index + n if index < 0 else index))
        mods = list(self._modules.values())
        mods.insert(index, module)
        self._modules.clear()
        for m in mods:
            self.append(m)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return ModuleList(list(self._modules.values())[i])
        return list(self._modules.values())[_index(self, i)]

    def __setitem__(self, i, module):
        self.add_module(str(_index(self, i)), module)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())
