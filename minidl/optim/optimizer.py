"""``Optimizer``: the base class of every optimizer (parameter groups, state, state dicts).

An optimizer holds **parameter groups**: a list of dicts, each with a ``"params"`` list and its
own options (``lr``, ``momentum``, ...). A group's missing options come from the optimizer's
defaults, so transfer learning can give the pretrained layers a smaller rate::

    SGD([{"params": model.features.parameters(), "lr": 1e-3},
         {"params": model.classifier.parameters()}], lr=1e-2, momentum=0.9)

Per-parameter **state** (SGD's momentum buffer) lives in ``optimizer.state[param]``.

``state_dict()`` uses PyTorch's layout, in which parameters are numbered in group order::

    {"state": {0: {"momentum_buffer": Tensor}, 1: {...}},
     "param_groups": [{"lr": 0.01, "momentum": 0.9, ..., "params": [0, 1]}, ...]}

Parameters are Tensors, whose ``==`` is elementwise; that is why membership tests below go
through ``id(p)`` and never ``p in some_list``.
"""
import math
from collections import defaultdict

import numpy as np

from ..autograd import enable_grad
from ..backend import to_device
from ..tensor import Tensor


class _Required:
    """Marks an option (e.g. ``lr``) that every group must set, itself or through the default."""

    def __repr__(self):
        return "<required parameter>"


required = _Required()


def _as_index(k):
    """A parameter number from a state dict (an int, or a digit string after a JSON trip)."""
    if isinstance(k, (int, np.integer)) and not isinstance(k, bool):
        return int(k)
    if isinstance(k, str) and k.isdigit():
        return int(k)
    raise ValueError(f"load_state_dict: {k!r} is not a parameter number")


class Optimizer:
    # per-parameter state entries that are scalars, not arrays shaped like the parameter
    _scalar_state_keys = ("step",)
    # the per-parameter state entries a subclass keeps (None: any); a loaded state dict with
    # another entry (a misspelled ``momentum_buffer``) is refused rather than silently unused
    _state_keys = None
    # options that must be a finite number >= 0 in a loaded state dict (the learning rate...)
    _nonnegative_options = ("lr", "initial_lr")
    # options a loaded group may lack, with the value it then gets (like PyTorch's
    # ``__setstate__``: state dicts from before an option existed still load)
    _optional_options = {}

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params should be an iterable of Tensors "
                            "or dicts, got a single Tensor (wrap it in a list)")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a group (a dict with ``"params"`` and options); unset options take the defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"a parameter group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise ValueError("a parameter group needs a 'params' entry")
        params = [params] if isinstance(params, Tensor) else list(params)
        # model.named_parameters() (PyTorch >= 2.6): (name, tensor) pairs; the names are kept
        # as the group's "param_names" (in its state dict too)
        names = [p[0] for p in params if isinstance(p, tuple)]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            params = [p[1] for p in params]
            group["param_names"] = names
        if self.param_groups and ("param_names" in group) != ("param_names" in self.param_groups[0]):
            raise ValueError("all optimizer param groups should be with/without names.")
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__} can only optimize Tensors, "
                                f"got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{type(self).__name__} can't optimize a non-leaf Tensor "
                                 f"(shape {p.shape})")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("a parameter group contains the same parameter twice")
        group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group {len(self.param_groups)} didn't specify "
                                 f"a value of required option {name!r}")
            group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Forget the gradients: ``p.grad = None`` (default), or fill them with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.data[...] = 0

    def step(self, closure=None):
        raise NotImplementedError(f"{type(self).__name__} does not define step()")

    def _closure_loss(self, closure):
        """Re-evaluate the model through `closure` (gradients on), as PyTorch's optimizers do."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # -- state dicts ---------------------------------------------------------------------------
    def state_dict(self):
        """The state in PyTorch's layout (see the module docstring).

        Like PyTorch, the momentum buffers are the optimizer's own Tensors, not copies:
        save them (``minidl.save``) or copy them before the next ``step()`` changes them.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {}
        for group in self.param_groups:  # in parameter order, whatever order state filled in
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = dict(self.state[p])
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a ``state_dict()``; everything is checked first, and a mismatch changes nothing.

        Buffers are copied, cast to their parameter's dtype and moved to its device.
        """
        self.param_groups, self.state = self._prepare_load(state_dict)

    def _prepare_load(self, state_dict):
        """Check `state_dict` against this optimizer; return the new (groups, state) to install.

        Raises ValueError naming what does not fit. Nothing is mutated here, so a caller loading
        several objects (``minidl.checkpoint``) can check all of them before loading any.
        """
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"{name}: expected a dict with 'state' and 'param_groups', got {got}")
        saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(saved_groups, (list, tuple)) or not isinstance(saved_state, dict):
            raise ValueError(f"{name}: 'param_groups' should be a list and 'state' a dict, got "
                             f"{type(saved_groups).__name__} and {type(saved_state).__name__}")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}: the state dict has {len(saved_groups)} parameter groups, "
                             f"the optimizer has {len(self.param_groups)}")
        by_index = {}
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            ids = saved.get("params") if isinstance(saved, dict) else None
            if not isinstance(ids, (list, tuple)):
                raise ValueError(f"{name}: parameter group {i} has no 'params'")
            if len(ids) != len(group["params"]):
                raise ValueError(f"{name}: parameter group {i} has {len(ids)} parameters in the "
                                 f"state dict, {len(group['params'])} in the optimizer")
            missing = [k for k in self.defaults if k not in saved and k not in self._optional_options]
            if missing:
                raise ValueError(f"{name}: parameter group {i} lacks the options {missing}")
            for key, value in saved.items():
                if key != "params":
                    self._check_option(f"{name}: parameter group {i}", key, value)
            for k, p in zip(ids, group["params"]):
                if _as_index(k) in by_index:
                    raise ValueError(f"{name}: parameter {k} is listed twice")
                by_index[_as_index(k)] = p
        state = defaultdict(dict)
        for k, saved in saved_state.items():
            p = by_index.get(_as_index(k))
            if p is None:
                raise ValueError(f"{name}: state for parameter {k}, which no group lists")
            if not isinstance(saved, dict):
                raise ValueError(f"{name}: the state of parameter {k} should be a dict, "
                                 f"got {type(saved).__name__}")
            unknown = [key for key in saved if self._state_keys is not None
                       and key not in self._state_keys]
            if unknown:
                raise ValueError(f"{name}: the state of parameter {k} has entries {unknown}; "
                                 f"{type(self).__name__} keeps only {list(self._state_keys)}")
            state[p] = {key: self._load_value(p, k, key, v) for key, v in saved.items()}
        groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            new = {k: v for k, v in saved.items() if k != "params"}
            if "param_names" in group and "param_names" not in new:
                new["param_names"] = group["param_names"]
            for k, default in self._optional_options.items():
                new.setdefault(k, default)
            new["params"] = group["params"]
            groups.append(new)
        return groups, state

    def _check_option(self, where, key, value):
        """Raise ValueError unless a loaded group's option `key` has a sound value: of the
        kind of its default (a number, a bool, None or bool for the ``foreach``-like flags),
        and for ``lr`` and the like a finite number >= 0 (``lr="fast"`` or NaN is refused)."""
        if key not in self.defaults and key not in self._optional_options:
            if key not in self._nonnegative_options:
                return   # a key of the user's own (PyTorch keeps them, e.g. a group's name)
            default = 0.0
        else:
            default = self.defaults.get(key, self._optional_options.get(key))
        if default is required or isinstance(default, (int, float)) and not isinstance(default, bool):
            if not (isinstance(value, (int, float, np.integer, np.floating))
                    and not isinstance(value, (bool, np.bool_)) and math.isfinite(value)):
                raise ValueError(f"{where}: option {key!r} should be a finite number, got "
                                 f"{value!r}")
            if key in self._nonnegative_options and value < 0:
                raise ValueError(f"{where}: option {key!r} should be >= 0, got {value!r}")
        elif isinstance(default, bool) and not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{where}: option {key!r} should be True or False, got {value!r}")
        elif default is None and value is not None and not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{where}: option {key!r} should be None, True or False, got "
                             f"{value!r}")

    def _load_value(self, p, index, key, value):
        """A checked copy of state entry `key` of parameter `p`, on p's device, in p's dtype."""
        scalar = key in self._scalar_state_keys
        if not isinstance(value, (Tensor, np.ndarray)):
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if (scalar and number) or (not scalar and value is None):
                return value  # a step count as a plain number; a buffer not made yet
            raise ValueError(f"{type(self).__name__}.load_state_dict: {key} of parameter "
                             f"{index} should be {'a number' if scalar else 'a tensor'}, got "
                             f"{type(value).__name__} {value!r:.60}")
        original = value.data if isinstance(value, Tensor) else value
        if original.dtype.kind not in "biuf":
            raise ValueError(f"{type(self).__name__}.load_state_dict: {key} of parameter "
                             f"{index} has dtype {original.dtype}, not a number type")
        if not scalar and tuple(original.shape) != p.shape:
            raise ValueError(f"{type(self).__name__}.load_state_dict: {key} of parameter "
                             f"{index} has shape {tuple(original.shape)}, the parameter has "
                             f"shape {p.shape}")
        array = original
        if not scalar and array.dtype.kind == "f":
            array = array.astype(p.dtype, copy=False)
        array = to_device(array, p.device)
        # never alias the caller's arrays: the next step() updates the buffers in place
        return Tensor._make(array.copy() if array is original else array)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines) + "\n)"
