"""A Module's state: ``state_dict()`` (name -> tensor, PyTorch's keys and order) and
``load_state_dict()`` (everything checked before anything is copied), as a mixin of ``Module``.
"""
import itertools
from collections import OrderedDict, namedtuple

from ..autograd import no_grad
from ..backend import to_device
from ..tensor import Tensor


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: PyTorch's namedtuple, with PyTorch's repr."""
    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


IncompatibleKeys = _IncompatibleKeys


class StateDictError(RuntimeError):
    """A state dict does not fit the module; nothing was loaded. The full lists are in
    ``missing_keys`` and ``unexpected_keys`` (the message shows the first few)."""

    def __init__(self, message, missing_keys=(), unexpected_keys=()):
        super().__init__(message)
        self.missing_keys, self.unexpected_keys = list(missing_keys), list(unexpected_keys)


def _first(items, n=10):
    """repr of the first `n` items, and how many more there are: a GoogLeNet checkpoint
    offered to AlexNet would otherwise list some 400 keys."""
    items = list(items)
    return repr(items) if len(items) <= n else f"{items[:n]!r} and {len(items) - n} more"


class StateDictMixin:
    """``state_dict`` / ``load_state_dict`` for ``Module`` (which supplies ``named_modules``,
    ``_parameters``, ``_buffers`` and ``_non_persistent_buffers_set``)."""

    def _state(self):
        """Name -> Parameter or buffer, every name under which it is reachable: a module
        shared by two parents appears under both (PyTorch's keys), unlike ``parameters()``."""
        own = OrderedDict()
        for mname, m in self.named_modules(remove_duplicate=False):
            buffers = ((k, v) for k, v in m._buffers.items()
                       if k not in m._non_persistent_buffers_set)
            for k, v in itertools.chain(m._parameters.items(), buffers):
                if v is not None:
                    own[f"{mname}.{k}" if mname else k] = v
        return own

    def state_dict(self, *, destination=None, prefix="", keep_vars=False):
        """Name -> tensor for every parameter and persistent buffer (sharing memory with
        them), in PyTorch's order: each module's parameters, then its buffers, then its
        children's entries.

        ``keep_vars=True`` returns the Parameters and buffers themselves; `prefix` is put
        before every key; `destination` (a mapping) is filled and returned, as in PyTorch.
        """
        out = OrderedDict() if destination is None else destination
        for k, v in self._state().items():
            out[prefix + k] = v if keep_vars else Tensor._make(v.data)
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Copy tensors from `state_dict` into this module's parameters and buffers.

        Everything is checked before anything is copied: with ``strict=True`` a missing or
        unexpected key is an error, and a shape mismatch always is. On an error the module is
        left exactly as it was. Values are copied into the existing arrays (cast to their
        dtype), so tensors from an earlier ``state_dict()`` see them, as in PyTorch.
        Non-persistent buffers are not expected (a key for one is unexpected). Returns
        PyTorch's ``_IncompatibleKeys(missing_keys, unexpected_keys)``.
        """
        own = self._state()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {_first(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {_first(unexpected)}")
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
            shown = problems[:12] + ([f"and {len(problems) - 12} more problems"]
                                     if len(problems) > 12 else [])
            raise StateDictError(f"{type(self).__name__}.load_state_dict: " + "; ".join(shown)
                                 + " (nothing was loaded)", missing if strict else (),
                                 unexpected if strict else ())
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
        return _IncompatibleKeys(missing, unexpected)
