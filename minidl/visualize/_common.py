"""What every function of ``minidl.visualize`` shares.

``inspecting(model)`` is the promise each function keeps: for the length of the call the model
is in eval mode (dropout off) and its parameters do not require grad (a backward then computes
only the gradients a picture needs, and never touches a ``.grad``); afterwards every module's
mode, every parameter's ``requires_grad`` and the model's hooks are as they were, even when the
call raised. The rest turns what a user passes (Tensors or NumPy arrays, a layer's name, class
indices) into what the functions compute with, or into an error that says what was expected.
"""
from contextlib import contextmanager

import numpy as np

from ..backend import CPU, to_device
from ..nn.module import Module
from ..tensor import Tensor


class _Captured(Exception):
    """Raised by a hook to stop the forward pass once the layer's output is in hand."""

    def __init__(self, output):
        super().__init__()
        self.output = output


@contextmanager
def inspecting(model):
    """Eval mode and frozen parameters for the block; yields a list to put hook handles in,
    which are removed on the way out (then modes and ``requires_grad`` are restored)."""
    if not isinstance(model, Module):
        raise TypeError(f"minidl.visualize: expected an nn.Module, got {type(model).__name__}")
    modes = [(m, m.training) for m in model.modules()]
    flags = [(p, p.requires_grad) for p in model.parameters()]
    handles = []
    try:
        model.eval()
        for p, _ in flags:
            p.requires_grad = False
        yield handles
    finally:
        for h in handles:
            h.remove()
        for p, flag in flags:
            p.requires_grad = flag
        for m, mode in modes:
            object.__setattr__(m, "training", mode)


def device_and_dtype(model):
    """Where the model's parameters live and their dtype (CPU, float32 for a parameterless
    model)."""
    p = next(iter(model.parameters()), None)
    return (CPU, np.dtype(np.float32)) if p is None else (p.device, p.dtype)


def as_batch(x, model, what):
    """`x` (N, C, H, W), a Tensor or array, as a Tensor on the model's device, in its dtype,
    that does not require grad (the caller's tensor is never changed)."""
    data = x.data if isinstance(x, Tensor) else x
    if not hasattr(data, "shape"):
        data = np.asarray(data)
    if data.ndim != 4:
        raise ValueError(f"{what}: expected an input batch (N, C, H, W), got shape "
                         f"{tuple(data.shape)}")
    if data.shape[0] == 0:
        raise ValueError(f"{what}: the input batch is empty (shape {tuple(data.shape)})")
    if np.dtype(data.dtype).kind != "f":
        raise TypeError(f"{what}: expected floating-point images (normalised as the net was "
                        f"trained), got dtype {data.dtype}")
    device, dtype = device_and_dtype(model)
    data = to_device(data, device)
    return Tensor._make(data.astype(dtype, copy=False))


def to_numpy(a):
    """A Tensor or device array as a NumPy array (a copy, so no later write can reach it)."""
    a = a.data if isinstance(a, Tensor) else a
    return np.array(to_device(a, CPU))


def find_layer(model, layer, what):
    """The sub-module named `layer` (a ``named_modules()`` name, or the module itself)."""
    if isinstance(layer, Module):
        if not any(m is layer for m in model.modules()):
            raise ValueError(f"{what}: the layer {layer._get_name()} is not part of the model")
        return layer
    names = dict(model.named_modules())
    if not isinstance(layer, str) or layer not in names:
        shown = ", ".join(repr(n) for n in list(names)[1:25])
        raise ValueError(f"{what}: the model has no layer {layer!r}; its layers (named_modules) "
                         f"include {shown}")
    return names[layer]


def logits_of(out, what):
    """The model's output as (N, classes) logits, checked."""
    if isinstance(out, tuple):            # GoogLeNet's outputs with aux heads: the main one
        out = out[0]
    if not isinstance(out, Tensor) or out.ndim != 2:
        shape = getattr(out, "shape", type(out).__name__)
        raise ValueError(f"{what}: expected the model to return class scores (N, classes), got "
                         f"{shape}")
    return out


def targets_for(target, logits, what):
    """One class index per image: `target` an int, a sequence of N ints, or None (each image's
    top-1 class under the model). Returns an int64 NumPy array (N,)."""
    n, k = logits.shape
    if target is None:
        return to_numpy(logits.data).argmax(axis=1).astype(np.int64)
    t = np.asarray(to_numpy(target) if isinstance(target, Tensor) else target)
    if t.dtype.kind not in "iu" and not (t.dtype.kind == "f" and np.all(t == np.round(t))):
        raise TypeError(f"{what}: target must be class indices (int), got {t.dtype}")
    t = np.broadcast_to(t.astype(np.int64), (n,)) if t.ndim == 0 else t.astype(np.int64)
    if t.shape != (n,):
        raise ValueError(f"{what}: target must be one int or one per image ({n}), got shape "
                         f"{t.shape}")
    if t.min() < 0 or t.max() >= k:
        raise ValueError(f"{what}: target {t.min() if t.min() < 0 else t.max()} is not a class "
                         f"of the model's {k} outputs")
    return t.copy()


def one_hot(targets, logits):
    """(N, classes) array of the logits' dtype on their device: 1 at each image's target."""
    xp = logits.xp
    m = np.zeros(logits.shape, dtype=logits.dtype)
    m[np.arange(len(targets)), targets] = 1
    return Tensor._make(xp.asarray(m))


def batches(loader, what):
    """``(images, labels-or-None)`` per batch of `loader`: a DataLoader (or any iterable of
    ``(images, labels)`` or of image batches)."""
    for batch in loader:
        if isinstance(batch, (tuple, list)):
            images, labels = batch[0], (batch[1] if len(batch) > 1 else None)
        else:
            images, labels = batch, None
        yield images, labels
