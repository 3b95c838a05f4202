"""``Module``: the base of every layer and model.

A Module owns Parameters and sub-Modules, registered just by assigning them as attributes
(``self.conv1 = Conv2d(...)``). From that registry it derives everything else: the
``parameters()`` an optimizer updates, the ``state_dict()`` a checkpoint stores (keys such as
``features.0.weight``, exactly PyTorch's naming), ``train()``/``eval()`` and ``to(device)``.
"""
from collections import OrderedDict, namedtuple

import numpy as np

from ..autograd import no_grad
from ..backend import Device, to_device
from ..tensor import Tensor
from .parameter import Parameter

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class StateDictError(RuntimeError):
    """A state dict does not fit the module; nothing was loaded."""


class Module:
    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # -- registration by assignment --------------------------------------------------------
    def __setattr__(self, name, value):
        """PyTorch's rules: a Parameter or Module is registered under `name`; a name already
        registered as a parameter (module, buffer) takes only a Parameter (Module, Tensor) or
        None, and stays in its registry; anything else is a plain attribute."""
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before "
                                 "assigning attributes")
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            self._unregister(name, params)
            params[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(f"{type(self).__name__}: cannot assign '{type(value).__name__}' "
                                f"as parameter '{name}' (nn.Parameter or None expected)")
            params[name] = None
        elif isinstance(value, Module):
            self._unregister(name, modules)
            modules[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(f"{type(self).__name__}: cannot assign '{type(value).__name__}' "
                                f"as child module '{name}' (nn.Module or None expected)")
            modules[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"{type(self).__name__}: cannot assign '{type(value).__name__}' "
                                f"as buffer '{name}' (Tensor or None expected)")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _unregister(self, name, keep):
        """Forget `name` as a plain attribute and in every registry but `keep` (so that
        re-assigning a registered name keeps its place in the registry's order)."""
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self.__dict__.pop(name, None)

    def __getattr__(self, name):
        # only called when normal lookup fails: look in the registries
        for registry in ("_parameters", "_buffers", "_modules"):
            d = self.__dict__.get(registry)
            if d is not None and name in d:
                return d[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                return
        object.__delattr__(self, name)

    def _check_name(self, what, name):
        if not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: {what} name must be a str, "
                            f"got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"{type(self).__name__}: {what} name must be non-empty and contain "
                           f"no '.', got {name!r}")

    def register_parameter(self, name, param):
        """Register `param` (a Parameter, or None for an absent one such as bias=False)."""
        self._check_name("parameter", name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"{type(self).__name__}: cannot assign '{type(param).__name__}' "
                            f"as parameter '{name}' (nn.Parameter or None expected)")
        self._unregister(name, self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name, tensor):
        """A non-learnable tensor that is part of the state (saved, moved with ``to``)."""
        self._check_name("buffer", name)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"{type(self).__name__}: cannot assign '{type(tensor).__name__}' "
                            f"as buffer '{name}' (Tensor or None expected)")
        self._unregister(name, self._buffers)
        self._buffers[name] = tensor

    def add_module(self, name, module):
        """Register `module` (a Module, or None) as the child `name`."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}.add_module: {type(module).__name__} is not "
                            f"a Module subclass (child {name!r})")
        self._check_name("module", name)
        self._unregister(name, self._modules)
        self._modules[name] = module

    # -- running -----------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # -- walking the tree --------------------------------------------------------------------
    def named_children(self):
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix="", remove_duplicate=True):
        """(name, module) for self and every descendant, depth first in registration order.

        A module reachable under several names is yielded once (first name) unless
        ``remove_duplicate=False``, which ``state_dict`` uses, as PyTorch does.
        """
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, m = stack.pop()
            if remove_duplicate:
                if id(m) in seen:
                    continue
                seen.add(id(m))
            yield name, m
            kids = [(f"{name}.{k}" if name else k, c) for k, c in m.named_children()]
            stack.extend(reversed(kids))

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def _named(self, registry, prefix, recurse, remove_duplicate=True):
        seen = set()
        mods = (self.named_modules(prefix, remove_duplicate) if recurse else [(prefix, self)])
        for mname, m in mods:
            for k, v in getattr(m, registry).items():
                if v is None:
                    continue
                if remove_duplicate:
                    if id(v) in seen:
                        continue
                    seen.add(id(v))
                yield (f"{mname}.{k}" if mname else k), v

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(name, parameter) pairs; a parameter shared by several modules comes once."""
        yield from self._named("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        yield from self._named("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn):
        """Call ``fn(module)`` on every sub-module (children first), then on self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # -- modes, devices, gradients -----------------------------------------------------------
    def train(self, mode=True):
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad.data[...] = 0

    def to(self, device=None, dtype=None):
        """Move (and/or cast) every parameter and buffer in place; returns self."""
        device = None if device is None else Device(device)
        for m in self.modules():
            for registry in (m._parameters, m._buffers):
                for t in registry.values():
                    if t is None:
                        continue
                    if dtype is not None and t.dtype.kind == "f":
                        t.data = t.data.astype(dtype)
                    if device is not None:
                        t.data = to_device(t.data, device)
                    if t.grad is not None and device is not None:
                        t.grad = Tensor._make(to_device(t.grad.data, device))
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self, index=0):
        return self.to(f"cuda:{index}")

    def float(self):
        return self.to(dtype=np.float32)

    def double(self):
        return self.to(dtype=np.float64)

    # -- state -------------------------------------------------------------------------------
    def _state(self):
        """Name -> Parameter or buffer, every name under which it is reachable: a module
        shared by two parents appears under both (PyTorch's keys), unlike ``parameters()``."""
        own = OrderedDict()
        for mname, m in self.named_modules(remove_duplicate=False):
            for registry in (m._parameters, m._buffers):
                for k, v in registry.items():
                    if v is not None:
                        own[f"{mname}.{k}" if mname else k] = v
        return own

    def state_dict(self, *, prefix="", keep_vars=False):
        """Name -> tensor for every parameter and buffer (sharing memory with them).

        ``keep_vars=True`` returns the Parameters and buffers themselves; `prefix` is put
        before every key, as in PyTorch.
        """
        return OrderedDict((prefix + k, v if keep_vars else Tensor._make(v.data))
                           for k, v in self._state().items())

    def load_state_dict(self, state_dict, strict=True):
        """Copy tensors from `state_dict` into this module's parameters and buffers.

        Everything is checked before anything is copied: with ``strict=True`` a missing or
        unexpected key is an error, and a shape mismatch always is. On an error the module is
        left exactly as it was. Values are copied into the existing arrays (cast to their
        dtype), so tensors from an earlier ``state_dict()`` see them, as in PyTorch. Returns
        ``(missing_keys, unexpected_keys)``.
        """
        own = self._state()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {unexpected}")
        values = {}
        for k, target in own.items():
            if k not in state_dict:
                continue
            v = state_dict[k]
            array = v.data if isinstance(v, Tensor) else v
            if not hasattr(array, "shape") or getattr(array, "dtype", None) is None:
                problems.append(f"{k}: expected an array or Tensor, got {type(v).__name__}")
                continue
            if tuple(array.shape) != target.shape:
                problems.append(f"{k}: checkpoint shape {tuple(array.shape)}, "
                                f"model shape {target.shape}")
                continue
            if array.dtype.kind not in "biuf":
                problems.append(f"{k}: checkpoint dtype {array.dtype} is not numeric "
                                f"(model dtype {target.dtype})")
                continue
            values[k] = array
        if problems:
            raise StateDictError(f"{type(self).__name__}.load_state_dict: " + "; ".join(problems)
                                 + " (nothing was loaded)")
        with no_grad():
            for k, array in values.items():
                target = own[k]
                src = to_device(array, target.device)
                dst = target.data
                if src is dst:
                    continue
                if getattr(dst.flags, "writeable", True):   # CuPy arrays are always writable
                    dst[...] = src                   # in place, cast to the model's dtype
                else:                                # a read-only array: replace it
                    target.data = src.astype(target.dtype, copy=True)
        return IncompatibleKeys(missing, unexpected)

    # -- printing ----------------------------------------------------------------------------
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"({name}): " + repr(m).replace("\n", "\n  ")
                 for name, m in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"
