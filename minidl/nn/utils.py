"""``minidl.nn.utils``: PyTorch's gradient clipping and parameter/vector helpers.

    loss.backward()
    minidl.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)   # (returns the norm)
    optimizer.step()

``clip_grad_norm_`` scales every gradient by ``max_norm / (total_norm + 1e-6)`` when that is
below 1, where ``total_norm`` is the `norm_type` norm of all gradients taken together (the
norm of the per-parameter norms), as PyTorch computes it.
"""
import math

import numpy as np

from ..autograd import no_grad
from ..backend import CPU, to_device
from ..tensor import Tensor


def _tensors(parameters):
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _norm(xp, g, norm_type):
    a = xp.abs(g)
    if norm_type == math.inf:
        return a.max() if a.size else xp.zeros((), g.dtype)
    if norm_type == 0:
        return xp.asarray((g != 0).sum(), g.dtype)
    return (a ** norm_type).sum() ** (1.0 / norm_type)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale the gradients of `parameters` (an iterable or one tensor) in place so that their
    joint `norm_type` norm is at most `max_norm`; return that norm (before clipping) as a
    0-d tensor. `foreach` picks PyTorch's kernel and changes nothing here."""
    grads = [p.grad for p in _tensors(parameters) if p.grad is not None]
    norm_type = float(norm_type)
    if not grads:
        return Tensor(np.zeros((), np.float32))
    norms = [float(to_device(_norm(g.xp, g.data, norm_type), CPU)) for g in grads]
    if norm_type == math.inf:
        total = max(norms)
    else:
        total = float(np.sum(np.asarray(norms, np.float64) ** norm_type) ** (1.0 / norm_type))
    dtype = grads[0].dtype
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the "
                           "gradients is non-finite, so it cannot be clipped; to disable this "
                           "error and scale the gradients by the non-finite norm anyway, set "
                           "error_if_nonfinite=False")
    coef = min(float(max_norm) / (total + 1e-6), 1.0)
    with no_grad():
        for g in grads:
            g.data[...] = g.data * g.xp.asarray(coef, g.dtype)
    return Tensor(np.asarray(total, dtype))


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient of `parameters` to ``[-clip_value, clip_value]`` in place."""
    clip_value = float(clip_value)
    for p in _tensors(parameters):
        if p.grad is not None:
            p.grad.data[...] = p.grad.xp.clip(p.grad.data, -clip_value, clip_value)


def parameters_to_vector(parameters):
    """All `parameters` flattened and concatenated into one 1-d tensor (a copy)."""
    from ..ops import cat
    return cat([p.reshape(-1) for p in _tensors(parameters)])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-d `vec` into `parameters` (in place)."""
    if not isinstance(vec, Tensor) or vec.ndim != 1:
        raise TypeError(f"vector_to_parameters: expected a 1-d Tensor, got "
                        f"{getattr(vec, 'shape', type(vec).__name__)}")
    params = _tensors(parameters)
    total = sum(p.numel() for p in params)
    if total != vec.shape[0]:
        raise ValueError(f"vector_to_parameters: the vector has {vec.shape[0]} elements, the "
                         f"parameters {total}")
    at = 0
    for p in params:
        n = p.numel()
        p.data[...] = vec.data[at:at + n].reshape(p.shape)
        at += n
