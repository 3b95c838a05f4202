"""The differentiable ops, as plain functions over Tensors.

Each function checks and normalises its arguments, then calls one ``Function`` (the autograd
node) from the files beside this one:

    elementwise.py   + - * / ** neg exp log tanh sigmoid abs maximum where cast
    reduce.py        sum mean max amax
    shape.py         reshape permute getitem cat stack pad to(device)
    linalg.py        matmul linear
    activation.py    softmax log_softmax cross_entropy
    relu.py, conv.py, pool.py, lrn.py, dropout.py   the ops backed by hand-written kernels
"""
import numbers
from collections import namedtuple

import numpy as np

from ..tensor import Tensor
from . import activation, elementwise as ew, linalg, reduce as red, shape as sh
from ._util import as_scalar, normalize_axis
from .relu import relu


def _operand(x, like):
    """A Tensor stays; a number stays a (weak) Python scalar; an array becomes a Tensor."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (numbers.Number, np.generic)):
        return as_scalar(x)
    return Tensor(like.xp.asarray(x))


def _binary(fn, a, b):
    like = a if isinstance(a, Tensor) else b
    return fn.apply(_operand(a, like), _operand(b, like))


def add(a, b):
    return _binary(ew.Add, a, b)


def sub(a, b):
    return _binary(ew.Sub, a, b)


def mul(a, b):
    return _binary(ew.Mul, a, b)


def div(a, b):
    return _binary(ew.Div, a, b)


def pow(a, b):
    return _binary(ew.Pow, a, b)


def maximum(a, b):
    return _binary(ew.Maximum, a, b)


def neg(a):
    return ew.Neg.apply(a)


def exp(a):
    return ew.Exp.apply(a)


def log(a):
    return ew.Log.apply(a)


def tanh(a):
    return ew.Tanh.apply(a)


def sigmoid(a):
    return ew.Sigmoid.apply(a)


def abs(a):
    return ew.Abs.apply(a)


def where(condition, a, b):
    """Elements of `a` where `condition` holds, else of `b` (broadcasting)."""
    like = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else condition
    cond = condition.data if isinstance(condition, Tensor) else like.xp.asarray(condition)
    if cond.dtype != bool:
        raise TypeError(f"where: condition must be boolean, got {cond.dtype}")
    return ew.Where.apply(cond, _operand(a, like), _operand(b, like))


# -- reductions -------------------------------------------------------------------------------

def _reduce_args(t, dim, keepdim, axis, keepdims, what):
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return normalize_axis(dim, t.ndim, what), bool(keepdim)


def sum(t, dim=None, keepdim=False, *, axis=None, keepdims=None):
    dim, keepdim = _reduce_args(t, dim, keepdim, axis, keepdims, "sum")
    return red.Sum.apply(t, dim, keepdim)


def mean(t, dim=None, keepdim=False, *, axis=None, keepdims=None):
    dim, keepdim = _reduce_args(t, dim, keepdim, axis, keepdims, "mean")
    return red.Mean.apply(t, dim, keepdim)


MaxResult = namedtuple("MaxResult", ["values", "indices"])


def max(t, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Maximum. PyTorch's two forms plus NumPy's:

    - ``max(t)``: the largest element (ties share the gradient evenly);
    - ``max(t, dim)``: ``(values, indices)`` along `dim`, the gradient going to the winner;
    - ``max(t, axis=..., keepdims=...)``: NumPy's spelling, values only (same as ``amax``).
    """
    if axis is not None or keepdims is not None:
        return amax(t, axis, bool(keepdims))
    if dim is None:
        return red.AMax.apply(t, None, False)
    if isinstance(dim, (tuple, list)):
        raise TypeError("max(dim): dim must be one int; use amax for several dims")
    d = normalize_axis(dim, t.ndim, "max")
    values = red.MaxAlong.apply(t, d, bool(keepdim))
    indices = t.data.argmax(axis=d)
    if keepdim:
        indices = t.xp.expand_dims(indices, d)
    return MaxResult(values, Tensor._make(indices.astype(np.int64)))


def amax(t, dim=None, keepdim=False):
    return red.AMax.apply(t, normalize_axis(dim, t.ndim, "amax"), bool(keepdim))


def argmax(t, dim=None, keepdim=False):
    """Index of the maximum (no gradient)."""
    if dim is None:
        return Tensor._make(t.xp.asarray(t.data.argmax(), dtype=np.int64))
    d = normalize_axis(dim, t.ndim, "argmax")
    idx = t.data.argmax(axis=d)
    return Tensor._make((t.xp.expand_dims(idx, d) if keepdim else idx).astype(np.int64))


# -- shapes -----------------------------------------------------------------------------------

def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def reshape(t, *shape):
    return sh.Reshape.apply(t, _shape_arg(shape))


def permute(t, *dims):
    dims = tuple(normalize_axis(d, t.ndim, "permute") for d in _shape_arg(dims))
    return sh.Permute.apply(t, dims)


def transpose(t, dim0, dim1):
    """Swap two dimensions (PyTorch's meaning, not NumPy's full reversal)."""
    dims = list(range(t.ndim))
    d0, d1 = normalize_axis(dim0, t.ndim, "transpose"), normalize_axis(dim1, t.ndim, "transpose")
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return sh.Permute.apply(t, tuple(dims))


def flatten(t, start_dim=0, end_dim=-1):
    if t.ndim == 0:
        return reshape(t, 1)
    s = normalize_axis(start_dim, t.ndim, "flatten")
    e = normalize_axis(end_dim, t.ndim, "flatten")
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    shape = t.shape[:s] + (int(np.prod(t.shape[s:e + 1])),) + t.shape[e + 1:]
    return sh.Reshape.apply(t, shape)


def unsqueeze(t, dim):
    d = normalize_axis(dim, t.ndim + 1, "unsqueeze")
    return sh.Reshape.apply(t, t.shape[:d] + (1,) + t.shape[d:])


def squeeze(t, dim=None):
    if dim is None:
        shape = tuple(n for n in t.shape if n != 1)
    else:
        d = normalize_axis(dim, t.ndim, "squeeze")
        shape = t.shape[:d] + t.shape[d + 1:] if t.shape[d] == 1 else t.shape
    return sh.Reshape.apply(t, shape)


def getitem(t, index):
    from ..tensor import _raw_index
    return sh.GetItem.apply(t, _raw_index(index))


def _tensors(tensors, what):
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{what}: expected a non-empty sequence of tensors")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"{what}: element {i} is a {type(x).__name__}, not a Tensor")
    return tensors


def cat(tensors, dim=0):
    """Join tensors along an existing dimension (GoogLeNet's Inception joins channels)."""
    tensors = _tensors(tensors, "cat")
    return sh.Cat.apply(normalize_axis(dim, tensors[0].ndim, "cat"), *tensors)


def stack(tensors, dim=0):
    """Join tensors of equal shape along a new dimension."""
    tensors = _tensors(tensors, "stack")
    return sh.Stack.apply(normalize_axis(dim, tensors[0].ndim + 1, "stack"), *tensors)


def pad(t, pad, mode="constant", value=0.0):
    """PyTorch's F.pad (constant mode): pad=(left, right, top, bottom, ...) from the last dim."""
    if mode != "constant":
        raise NotImplementedError(f"pad: only mode='constant' is implemented, not {mode!r}")
    return sh.Pad.apply(t, tuple(int(p) for p in pad), value)


# -- linear algebra, softmax, losses -----------------------------------------------------------

def matmul(a, b):
    like = a if isinstance(a, Tensor) else b
    return linalg.MatMul.apply(_operand(a, like), _operand(b, like))


def linear(input, weight, bias=None):
    """y = input @ weightᵀ + bias, weight (out_features, in_features) as in PyTorch."""
    return linalg.Linear.apply(input, weight, bias)


def softmax(input, dim=-1):
    return activation.Softmax.apply(input, normalize_axis(dim, input.ndim, "softmax"))


def log_softmax(input, dim=-1):
    return activation.LogSoftmax.apply(input, normalize_axis(dim, input.ndim, "log_softmax"))


def cross_entropy(input, target, reduction="mean", ignore_index=-100):
    """Cross-entropy of logits `input` (N, C[, d...]) against integer class `target` (N[, d...]).

    Fused log-softmax + negative log-likelihood, stable for logits around ±1e4.
    """
    if not isinstance(target, Tensor):
        target = Tensor(input.xp.asarray(target))
    if target.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: target must hold integer class indices (e.g. int64), "
                        f"got {target.dtype}; for probabilities compute "
                        "-(p * log_softmax(x)).sum(1).mean() instead")
    if input.ndim < 2:
        raise ValueError(f"cross_entropy: input must be (N, C) logits, got shape {input.shape}")
    expected = (input.shape[0],) + input.shape[2:]
    if target.shape != expected:
        raise ValueError(f"cross_entropy: input of shape {input.shape} needs a target of shape "
                         f"{expected}, got {target.shape}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"cross_entropy: reduction must be 'mean', 'sum' or 'none', "
                         f"got {reduction!r}")
    return activation.CrossEntropy.apply(input, target.data, reduction, ignore_index)
