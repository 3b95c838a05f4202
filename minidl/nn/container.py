"""Containers with PyTorch's indexing, naming and state-dict keys: ``Sequential`` (run children
in order), ``ModuleList``, ``ModuleDict``, ``ParameterList`` and ``ParameterDict``.

Slicing a ``Sequential`` keeps the children's names (``seq[2:]`` has children "2", "3", ...,
so its state-dict keys still match the full model's), as PyTorch does; slicing a
``ModuleList`` gives a new ModuleList numbered from 0. Deleting from a ``Sequential`` or a
``ModuleList`` renumbers the children "0", "1", ... (a named Sequential too), as PyTorch does.
"""
import operator
from collections import OrderedDict, abc
from itertools import chain

from ..ops._util import ShapeError
from ..tensor import Tensor
from .module import Module, _addindent
from .parameter import Parameter


class _NotAModule(TypeError, AssertionError):
    """A TypeError; also an AssertionError, which is what PyTorch's ``Sequential.insert``
    raises for a non-Module."""


def _index(container, i):
    """`i` as a non-negative position, IndexError if out of range (as a list would)."""
    i = operator.index(i)
    n = len(container)
    if not -n <= i < n:
        raise IndexError(f"{type(container).__name__}: index {i} is out of range "
                         f"({n} entries)")
    return i % n


def _renumber(container):
    """Name the children "0", "1", ... in their order (PyTorch does this after a delete)."""
    mods = list(container._modules.values())
    container._modules.clear()
    container._modules.update((str(i), m) for i, m in enumerate(mods))


class Sequential(Module):
    """Children named "0", "1", ... (or an OrderedDict's keys); ``forward`` feeds each one's
    output to the next."""

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
            return type(self)(OrderedDict(list(self._modules.items())[i]))
        return list(self._modules.values())[_index(self, i)]

    def __setitem__(self, i, module):
        """Replace the child at position `i`; it keeps that child's name."""
        setattr(self, list(self._modules)[_index(self, i)], module)

    def __delitem__(self, i):
        keys = list(self._modules)
        for k in (keys[i] if isinstance(i, slice) else [keys[_index(self, i)]]):
            delattr(self, k)
        _renumber(self)

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

    def insert(self, index, module):
        """Insert `module` at position `index` (-len..len), moving the later children up one
        number, PyTorch's way: the children must be numbered "0", "1", ... from `index` on."""
        if not isinstance(module, Module):
            raise _NotAModule(f"Sequential.insert: module should be a Module, "
                              f"got {type(module).__name__}")
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"Sequential.insert: index {index} is out of range ({n} modules)")
        index = index + n if index < 0 else index
        missing = [str(i) for i in range(index, n) if str(i) not in self._modules]
        if missing:
            raise KeyError(f"Sequential.insert: needs children numbered from {index} on, but "
                           f"has no child named {missing[0]!r} (children: {list(self._modules)})")
        for i in range(n, index, -1):
            self._modules[str(i)] = self._modules[str(i - 1)]
        self._modules[str(index)] = module
        return self

    def pop(self, i):
        """Remove and return the child (or Sequential of children, for a slice) at `i`."""
        v = self[i]
        del self[i]
        return v

    def _check_sequential(self, other, op):
        if not isinstance(other, Sequential):
            raise ShapeError(f"Sequential {op}: only a Sequential can be added, "
                             f"got {type(other).__name__}")

    def __add__(self, other):
        """A new Sequential of self's children then other's, numbered from 0."""
        self._check_sequential(other, "+")
        return Sequential().extend(chain(self, other))

    def __iadd__(self, other):
        self._check_sequential(other, "+=")
        offset = len(self)
        for i, m in enumerate(other):
            self.add_module(str(offset + i), m)
        return self

    def _check_factor(self, k):
        if not isinstance(k, int):
            raise TypeError(f"unsupported operand type(s) for *: Sequential and "
                            f"{type(k).__name__}")
        if k <= 0:
            raise ShapeError(f"Sequential *: non-positive multiplication factor {k}")

    def __mul__(self, k):
        """The children repeated `k` times (the same module objects), numbered from 0."""
        self._check_factor(k)
        return Sequential(*(list(self) * k))

    __rmul__ = __mul__

    def __imul__(self, k):
        self._check_factor(k)
        n = len(self)
        for i in range(n, n * k):
            self.add_module(str(i), self._modules[str(i % n)])
        return self


class ModuleList(Module):
    """A list of sub-modules, registered as children "0", "1", ... (no ``forward``)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def append(self, module):
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules):
        if not isinstance(modules, abc.Iterable):
            raise TypeError(f"ModuleList.extend should be called with an iterable, "
                            f"but got {type(modules).__name__}")
        for m in modules:
            self.append(m)
        return self

    def insert(self, index, module):
        """Insert `module` before position `index`, as ``list.insert`` does (a negative index
        counts from the end); the later children are renumbered."""
        n = len(self._modules)
        index = max(0, min(n, index + n if index < 0 else index))
        mods = list(self._modules.values())
        mods.insert(index, module)
        self._modules.clear()
        for m in mods:
            self.append(m)

    def pop(self, i):
        v = self[i]
        del self[i]
        return v

    def __getitem__(self, i):
        if isinstance(i, slice):
            return type(self)(list(self._modules.values())[i])
        return self._modules[str(_index(self, i))]

    def __setitem__(self, i, module):
        setattr(self, str(_index(self, i)), module)

    def __delitem__(self, i):
        if isinstance(i, slice):
            for k in range(len(self._modules))[i]:
                delattr(self, str(k))
        else:
            delattr(self, str(_index(self, i)))
        _renumber(self)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return ModuleList().extend(chain(self, other))

    def __repr__(self):
        """PyTorch's: runs of equal reprs print once, as ``(2-4): 3 x Linear(...)``."""
        reprs = [repr(m) for m in self]
        if not reprs:
            return self._get_name() + "()"
        runs = []                              # [first, last, repr]
        for i, r in enumerate(reprs):
            if runs and runs[-1][2] == r:
                runs[-1][1] = i
            else:
                runs.append([i, i, r])
        lines = [_addindent(f"({a}): {r}" if a == b else f"({a}-{b}): {b - a + 1} x {r}", 2)
                 for a, b, r in runs]
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """An ordered dict of sub-modules, registered under their keys (no ``forward``)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def clear(self):
        self._modules.clear()

    def pop(self, key):
        v = self[key]
        del self[key]
        return v

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules):
        """Add or replace entries from a mapping (in its order) or from (key, module) pairs."""
        for key, m in _pairs("ModuleDict", modules):
            self[key] = m


def _pairs(owner, entries, sort_plain_mappings=False):
    """(key, value) pairs from a mapping or an iterable of pairs, with PyTorch's errors."""
    if not isinstance(entries, abc.Iterable):
        raise TypeError(f"{owner}.update should be called with an iterable of key/value "
                        f"pairs, but got {type(entries).__name__}")
    if isinstance(entries, (OrderedDict, ModuleDict, ParameterDict)):
        return list(entries.items())
    if isinstance(entries, abc.Mapping):
        return sorted(entries.items()) if sort_plain_mappings else list(entries.items())
    pairs = []
    for j, p in enumerate(entries):
        if not isinstance(p, abc.Iterable):
            raise TypeError(f"{owner} update sequence element #{j} should be Iterable; "
                            f"is {type(p).__name__}")
        if len(p) != 2:
            raise ShapeError(f"{owner} update sequence element #{j} has length {len(p)}; "
                             f"2 is required")
        pairs.append((p[0], p[1]))
    return pairs


def _as_parameter(value):
    """PyTorch's containers turn a plain Tensor into a Parameter (other objects stay)."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


def _describe(name, p):
    """One line of a ParameterList's/ParameterDict's repr."""
    if isinstance(p, Tensor):
        kind = "Parameter" if isinstance(p, Parameter) else "Tensor"
        size = "x".join(str(s) for s in p.shape)
        device = "" if p.device.type == "cpu" else f" ({p.device})"
        return f"  ({name}): {kind} containing: [{p.dtype} of size {size}{device}]"
    return f"  ({name}): Object of type: {type(p).__name__}"


class ParameterList(Module):
    """A list of Parameters registered as "0", "1", ... (state-dict keys such as
    ``params.0``); a plain Tensor put in becomes a Parameter."""

    def __init__(self, values=None):
        super().__init__()
        object.__setattr__(self, "_size", 0)
        if values is not None:
            self.extend(values)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return type(self)([self[j] for j in range(*i.indices(len(self)))])
        return getattr(self, str(_index(self, i)))

    def __setitem__(self, i, value):
        setattr(self, str(_index(self, i)), _as_parameter(value))

    def __len__(self):
        return self._size

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __iadd__(self, values):
        return self.extend(values)

    def append(self, value):
        object.__setattr__(self, "_size", self._size + 1)
        self[self._size - 1] = value
        return self

    def extend(self, values):
        if not isinstance(values, abc.Iterable) or isinstance(values, Tensor):
            raise TypeError(f"ParameterList.extend should be called with an iterable, "
                            f"but got {type(values).__name__}")
        for v in values:
            self.append(v)
        return self

    def extra_repr(self):
        return "\n".join(_describe(i, p) for i, p in enumerate(self))

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """An ordered dict of Parameters registered under their keys (state-dict keys such as
    ``params.left``); a plain Tensor put in becomes a Parameter."""

    def __init__(self, parameters=None):
        super().__init__()
        object.__setattr__(self, "_keys", {})
        if parameters is not None:
            self.update(parameters)

    def _key(self, key):
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict: keys must be strings, got "
                            f"{type(key).__name__}")
        return key

    def __getitem__(self, key):
        return getattr(self, self._key(key))

    def __setitem__(self, key, value):
        self._keys[self._key(key)] = None
        setattr(self, key, _as_parameter(value))

    def __delitem__(self, key):
        del self._keys[key]
        delattr(self, key)

    def __len__(self):
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __reversed__(self):
        return reversed(list(self._keys))

    def __contains__(self, key):
        return key in self._keys

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((k, self[k]) for k in self._keys)

    def values(self):
        return (self[k] for k in self._keys)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key):
        v = self[key]
        del self[key]
        return v

    def popitem(self):
        k = list(self._keys)[-1]
        return k, self.pop(k)

    def clear(self):
        for k in list(self._keys):
            del self[k]

    def copy(self):
        return ParameterDict(OrderedDict(self.items()))

    def update(self, parameters):
        """Add or replace entries; a plain (unordered) mapping is added in sorted key order,
        as PyTorch does; an OrderedDict, a ParameterDict or pairs keep their order."""
        for key, p in _pairs("ParameterDict", parameters, sort_plain_mappings=True):
            self[key] = p

    def extra_repr(self):
        return "\n".join(_describe(k, p) for k, p in self.items())

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterDict should not be called.")
