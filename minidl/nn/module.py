"""``Module``: the base of every layer and model.

A Module owns Parameters and sub-Modules, registered just by assigning them as attributes
(``self.conv1 = Conv2d(...)``). From that registry it derives everything else: the
``parameters()`` an optimizer updates, the ``state_dict()`` a checkpoint stores (keys such as
``features.0.weight``, exactly PyTorch's naming), ``train()``/``eval()`` and ``to(device)``.
Forward pre-hooks, forward hooks and full backward (pre-)hooks (``backward_hooks.py``) follow
PyTorch's signatures (registered and run by ``hooks.py``); a module without hooks costs a look
at its hook dicts more than calling ``forward``. ``state_dict`` and ``load_state_dict`` are in
`state.py`.
"""
from collections import OrderedDict

import numpy as np

from ..autograd import RemovableHandle  # noqa: F401  (re-exported: minidl.nn.RemovableHandle)
from ..backend import to_device
from ..tensor import Tensor
from ..to_args import to_args
from . import backward_hooks
from .hooks import HooksMixin
from .parameter import Parameter
from .state import IncompatibleKeys, StateDictError, StateDictMixin  # noqa: F401


def _refuse_float16(call):
    """float16 is refused where a model is cast, not deep inside the first conv of its forward:
    minidl's kernels (conv, pooling, LRN, dropout) and its matrix products run in float32 or
    float64 only (no float16 storage with float32 accumulation)."""
    raise TypeError(f"{call}: float16 is not supported by minidl (its conv, pooling, LRN and "
                    f"linear kernels compute in float32 or float64). Keep the model in float32 "
                    f"(the default; model.float()), or use model.double() for float64")


def _addindent(text, spaces):
    """Indent every line of `text` but the first (PyTorch's helper for nested reprs)."""
    return text.replace("\n", "\n" + " " * spaces)


def _is_floating(array):
    return array.dtype.kind in "fc"


class Module(StateDictMixin, HooksMixin):
    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "training", True)
        # hook id -> hook; the sets/dicts beside them mark PyTorch's per-hook options
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks_with_kwargs", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks_with_kwargs", OrderedDict())
        object.__setattr__(self, "_forward_hooks_always_called", OrderedDict())

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
        if keep is not self._buffers:
            self._non_persistent_buffers_set.discard(name)
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
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        """PyTorch's: the class's and instance's attributes plus the registered names, sorted,
        without names that are not identifiers (a Sequential's "0", "1", ...)."""
        keys = (dir(type(self)) + list(self.__dict__) + list(self._parameters)
                + list(self._modules) + list(self._buffers))
        return sorted(k for k in set(keys) if not k[0].isdigit())

    def _check_name(self, what, name):
        if not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: {what} name must be a str, "
                            f"got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"{type(self).__name__}: {what} name must be non-empty and contain "
                           f"no '.', got {name!r}")

    def _check_free(self, name, registry):
        """PyTorch's rule: registering may replace an entry of the same kind, not another
        attribute (a plain attribute, a method, a parameter registered as a buffer...)."""
        if hasattr(self, name) and name not in registry:
            raise KeyError(f"{type(self).__name__}: attribute '{name}' already exists")

    def register_parameter(self, name, param):
        """Register `param` (a Parameter, or None for an absent one such as bias=False)."""
        self._check_name("parameter", name)
        self._check_free(name, self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"{type(self).__name__}: cannot assign '{type(param).__name__}' "
                            f"as parameter '{name}' (nn.Parameter or None expected)")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """A non-learnable tensor that is part of the module (moved and cast with ``to``).

        A persistent buffer is in ``state_dict()``; ``persistent=False`` keeps it out of the
        state dict (and ``load_state_dict`` does not expect it), as in PyTorch.
        """
        self._check_name("buffer", name)
        self._check_free(name, self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"{type(self).__name__}: cannot assign '{type(tensor).__name__}' "
                            f"as buffer '{name}' (Tensor or None expected)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Register `module` (a Module, or None) as the child `name`."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}.add_module: {type(module).__name__} is not "
                            f"a Module subclass (child {name!r})")
        self._check_name("module", name)
        self._check_free(name, self._modules)
        self._modules[name] = module

    def register_module(self, name, module):
        """Alias of ``add_module``."""
        self.add_module(name, module)

    # -- looking things up by dotted name ----------------------------------------------------
    def _get_name(self):
        return type(self).__name__

    def get_submodule(self, target):
        """The sub-module at the dotted path `target` ("" is self); AttributeError otherwise."""
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(mod._get_name() + " has no attribute `" + item + "`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        return mod

    def _get_attribute(self, target):
        """(owning module, name, value) for the dotted path `target`; AttributeError if absent."""
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, name):
            raise AttributeError(mod._get_name() + " has no attribute `" + name + "`")
        return mod, name, getattr(mod, name)

    def get_parameter(self, target):
        """The Parameter at the dotted path `target` (e.g. "features.0.weight")."""
        _, name, param = self._get_attribute(target)
        if not isinstance(param, Parameter):
            raise AttributeError("`" + name + "` is not an nn.Parameter")
        return param

    def get_buffer(self, target):
        """The buffer at the dotted path `target`."""
        mod, name, buffer = self._get_attribute(target)
        if name not in mod._buffers:
            raise AttributeError("`" + name + "` is not a buffer")
        return buffer

    # -- running -----------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        # this runs for every layer of every step: the hook dicts are instance attributes (found
        # without __getattr__). Errors pass through untouched: each op names its layer.
        if self._forward_pre_hooks or self._forward_hooks or backward_hooks.has_hooks(self):
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    # -- walking the tree --------------------------------------------------------------------
    def named_children(self):
        """(name, child) in registration order; a child registered twice comes once (first
        name), as in PyTorch."""
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(name, module) for self and every descendant, depth first in registration order.

        A module reachable under several names is yielded once (first name) unless
        ``remove_duplicate=False``, which ``state_dict`` uses, as PyTorch does. `memo`
        (PyTorch's signature) is a set of modules to skip, updated with those yielded.
        """
        seen = set() if memo is None else {id(m) for m in memo}
        stack = [(prefix, self)]
        while stack:
            name, m = stack.pop()
            if remove_duplicate:
                if id(m) in seen:
                    continue
                seen.add(id(m))
                if memo is not None:
                    memo.add(m)
            yield name, m
            kids = [(f"{name}.{k}" if name else k, c) for k, c in m._modules.items()
                    if c is not None]
            stack.extend(reversed(kids))

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def _named(self, registry, prefix, recurse, remove_duplicate=True):
        seen = set()
        mods = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                if recurse else [(prefix, self)])
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
        """Set training mode (``mode=True``) or evaluation mode on self and, through their own
        ``train``, the children, as PyTorch does; returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"{self._get_name()}.train: training mode is expected to be "
                             f"boolean, got {type(mode).__name__}")
        object.__setattr__(self, "training", mode)
        for m in self.children():
            m.train(mode)
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

    def _apply_arrays(self, fn):
        """Replace the array of every parameter, buffer and gradient by ``fn(array)``, in
        place (the Parameter objects stay, so an optimizer built before still holds them)."""
        done = set()
        for m in self.modules():
            for registry in (m._parameters, m._buffers):
                for t in registry.values():
                    if t is None or id(t) in done:
                        continue
                    done.add(id(t))
                    t.data = fn(t.data)
                    if t.grad is not None:
                        t.grad = Tensor._make(fn(t.grad.data))
        return self

    def to(self, *args, **kwargs):
        """Move and/or cast every parameter and buffer (and gradient) in place; returns self.

        PyTorch's forms: ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)``
        and the keywords ``device=``, ``dtype=``, ``non_blocking=`` (ignored). A dtype must be
        floating, and only floating tensors are cast (integer buffers keep their dtype).
        """
        if "copy" in kwargs:
            raise TypeError(f"{self._get_name()}.to() got an unexpected keyword argument 'copy'")
        device, dtype, _ = to_args(args, dict(kwargs))
        if dtype == np.float16:
            _refuse_float16(f"{self._get_name()}.to(float16)")
        if dtype is not None and dtype.kind not in "fc":
            raise TypeError(f"{self._get_name()}.to only accepts floating point or complex "
                            f"dtypes, but got desired dtype={dtype}")

        def convert(a):
            if dtype is not None and _is_floating(a):
                a = a.astype(dtype, copy=False)
            return a if device is None else to_device(a, device)
        return self._apply_arrays(convert)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, index=0):
        return self.to(f"cuda:{index}")

    def _cast_floating(self, dtype):
        return self._apply_arrays(
            lambda a: a.astype(dtype, copy=False) if _is_floating(a) else a)

    def half(self):
        """Refused at once: minidl does not compute in float16 (see ``_refuse_float16``)."""
        _refuse_float16(f"{self._get_name()}.half()")

    def float(self):
        """Cast floating parameters and buffers to float32; returns self."""
        return self._cast_floating(np.float32)

    def double(self):
        """Cast floating parameters and buffers to float64; returns self."""
        return self._cast_floating(np.float64)

    def type(self, dst_type):
        """Cast *every* parameter and buffer (integer ones too, as PyTorch does) to
        `dst_type`; returns self."""
        dtype = np.dtype(dst_type)
        if dtype == np.float16:
            _refuse_float16(f"{self._get_name()}.type(float16)")
        return self._apply_arrays(lambda a: a.astype(dtype, copy=False))

    # -- printing ----------------------------------------------------------------------------
    def extra_repr(self):
        """The module's own settings for ``repr`` (override it in a subclass); may span
        several lines."""
        return ""

    def __repr__(self):
        """PyTorch's layout: ``Name(extra)`` on one line, or extra_repr's lines then one
        ``(name): child`` line per child, indented."""
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _addindent(repr(m), 2)
                       for name, m in self._modules.items()]
        lines = extra_lines + child_lines
        out = self._get_name() + "("
        if len(extra_lines) == 1 and not child_lines:
            out += extra_lines[0]
        elif lines:
            out += "\n  " + "\n  ".join(lines) + "\n"
        return out + ")"
