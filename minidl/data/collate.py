"""``default_collate`` / ``default_convert``: samples -> a batch, by ``torch.utils.data``'s rules.

    [(image (C, H, W) float32, label int), ...]  ->  [images (N, C, H, W) float32, labels (N,) int64]

The rule is picked by the type of the first sample, and applied again inside containers:

    NumPy array / minidl Tensor, any rank   stacked on a new dim 0, dtype kept (shapes must match)
    NumPy scalar (np.float32(1.5), ...)     an (N,) array of its dtype
    Python int / float / bool               (N,) int64 / float64 / bool
    str / bytes                             the batch of them as given (a tuple inside a sample)
    dict (any Mapping)                      the same keys, each value collated
    namedtuple                              the same type, each field collated
    tuple / list (all of one length)        a *list* with one collated batch per field

So a ``TenCrop`` sample, image (10, C, h, w), gives images (N, 10, C, h, w); an HWC uint8 image
(no ``ToTensor``) gives (N, H, W, C) uint8, as PyTorch does.

One difference from PyTorch: the leaves are NumPy arrays, not tensors. Batches are built in
NumPy (in worker processes, handed back through shared memory), and the DataLoader turns every
numeric array into a ``minidl.Tensor`` at the end (``as_numpy=True`` keeps the arrays).

(Before PyTorch parity, this module cast float arrays and Python floats to float32, integer
arrays to int64, and returned a tuple; it now keeps array dtypes, makes Python floats float64
and returns a list, as ``torch.utils.data.default_collate`` does.)
"""
import collections.abc
import copy

import numpy as np

from ..quoting import quote


class CollateError(RuntimeError, ValueError):
    """Samples that cannot be stacked (shapes or lengths differ). PyTorch raises RuntimeError
    here; minidl used to raise ValueError, so this is both."""


def _tensor_type():
    from ..tensor import Tensor   # at call time: minidl.data must not depend on the core's import order
    return Tensor


def _is_namedtuple(obj):
    return isinstance(obj, tuple) and hasattr(obj, "_fields")


def _same_mapping(like, values):
    """A mapping of ``like``'s type holding ``values`` (a plain dict if the type refuses)."""
    try:
        if isinstance(like, collections.abc.MutableMapping):
            out = copy.copy(like)
            out.update(values)
            return out
        return type(like)(values)
    except TypeError:
        return dict(values)


def _is_text_array(a):
    return a.dtype.kind in "SUO"   # bytes, str, object: nothing to stack into a numeric batch


def _stack(values, where):
    """Arrays (or Tensors) of one shape -> one array with a new leading dim."""
    Tensor = _tensor_type()
    _same_kind(values, (np.ndarray, Tensor), "arrays or tensors", where)
    arrays = [v.data if isinstance(v, Tensor) else v for v in values]
    first = arrays[0]
    if _is_text_array(first):
        raise TypeError(f"default_collate: {where} is an array of dtype {first.dtype}; only numeric "
                        "arrays can be stacked -- pass collate_fn=")
    if any(a.shape != first.shape for a in arrays):
        shapes = sorted({tuple(a.shape) for a in arrays})
        raise CollateError(f"default_collate: {where} has different shapes in one batch: {shapes}; "
                           "stacking needs one shape (resize or crop to one size, or pass collate_fn=)")
    if type(first) is np.ndarray:
        return np.stack(arrays)
    from ..backend import get_array_module   # a CuPy array (a Tensor on the GPU)
    return get_array_module(first).stack(arrays)


def _same_kind(values, kinds, what, where):
    """TypeError naming the field and the first odd one out unless every value is a `kinds`."""
    for i, v in enumerate(values):
        if not isinstance(v, kinds):
            raise TypeError(f"default_collate: {where} holds {what} in sample 0 but a "
                            f"{type(v).__name__} in sample {i}; every sample must hold the "
                            "same types -- pass collate_fn= for anything else")


def _numbers(values, where):
    """Python numbers -> (N,) int64 / float64 / bool, as ``torch.tensor(values)`` would."""
    _same_kind(values, (int, float, np.number, np.bool_), "numbers", where)
    first = values[0]
    if isinstance(first, bool):
        out = np.asarray(values)
    elif isinstance(first, int):
        out = np.asarray(values)
        if out.dtype.kind in "iu":
            out = out.astype(np.int64, copy=False)
        elif out.dtype.kind == "f":   # ints mixed with floats: torch gives its default float32
            out = out.astype(np.float32, copy=False)
    else:
        out = np.asarray(values, dtype=np.float64)
    if out.dtype == object:
        raise TypeError(f"default_collate: {where} mixes numbers with other types")
    return out


def collate(batch, where="batch"):
    """``default_collate``'s recursion; ``where`` names the field in error messages."""
    elem = batch[0]
    if isinstance(elem, (np.ndarray, _tensor_type())):
        return _stack(batch, where)
    if isinstance(elem, (np.number, np.bool_)):
        _same_kind(batch, (np.number, np.bool_, int, float), "NumPy scalars", where)
        return np.asarray(batch)
    if isinstance(elem, (int, float)):   # bool is an int
        return _numbers(batch, where)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _same_mapping(elem, {k: collate([d[k] for d in batch], f"{where}[{quote(k)}]")
                                    for k in elem})
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(s) != size for s in batch):
            raise CollateError(f"default_collate: each element in list of batch should be of equal "
                               f"size; {where} has lengths {sorted({len(s) for s in batch})}")
        fields = [collate(f, f"{where}[{i}]") for i, f in enumerate(zip(*batch))]
        return type(elem)(*fields) if _is_namedtuple(elem) else fields
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                    f"lists; {where} is {type(elem).__name__} -- pass collate_fn=")


def default_collate(batch):
    """Stack a list of samples into a batch (the rules are in the module docstring).

    ``[(img (C, H, W), label), ...] -> [imgs (N, C, H, W), labels (N,) int64]``.
    """
    if not len(batch):
        raise ValueError("default_collate: got an empty batch")
    elem = batch[0]
    # The training scripts' case, (array, int) pairs, without the general recursion's checks.
    if (type(elem) is tuple and len(elem) == 2 and type(elem[0]) is np.ndarray
            and type(elem[1]) is int and all(type(s) is tuple and len(s) == 2 for s in batch)):
        images, labels = zip(*batch)
        return [_stack(images, "batch[0]"), _numbers(labels, "batch[1]")]
    return collate(batch)


def default_convert(data):
    """One sample as ``batch_size=None`` hands it on: NumPy scalars become 0-d arrays, tuples
    become lists, containers are converted inside; everything else is returned as it is.

    As in PyTorch's ``default_convert``, with the DataLoader turning the arrays into Tensors.
    """
    if isinstance(data, (np.number, np.bool_)):
        return np.asarray(data)
    if isinstance(data, collections.abc.Mapping):
        return _same_mapping(data, {k: default_convert(v) for k, v in data.items()})
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, (tuple, list)):
        return [default_convert(d) for d in data]
    return data


def map_leaves(fn, obj):
    """``obj`` with every leaf (anything but a dict, list or tuple) replaced by ``fn(leaf)``."""
    if isinstance(obj, collections.abc.Mapping):
        return _same_mapping(obj, {k: map_leaves(fn, v) for k, v in obj.items()})
    if _is_namedtuple(obj):
        return type(obj)(*(map_leaves(fn, v) for v in obj))
    if isinstance(obj, (tuple, list)):
        return type(obj)(map_leaves(fn, v) for v in obj)
    return fn(obj)
