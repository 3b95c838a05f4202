"""The differentiable ops, as plain functions over Tensors.

Each function checks and normalises its arguments, then calls one ``Function`` (the autograd
node) from the files beside this one:

    elementwise.py   + - * / ** // % neg exp log sqrt tanh sigmoid abs clamp maximum minimum
                     where clone cast
    reduce.py        sum mean max min amax amin
    shape.py         reshape permute expand getitem cat stack pad to(device)
    linalg.py        matmul linear
    activation.py    softmax log_softmax cross_entropy
    relu.py, conv.py, pool.py, lrn.py, dropout.py   the ops backed by hand-written kernels

Dtypes follow PyTorch's type promotion (``result_type`` in ``_util.py``).
"""
import numbers
import warnings
from collections import namedtuple

import numpy as np

from ..backend import get_array_module
from ..tensor import Tensor
from . import activation, elementwise as ew, linalg, reduce as red, shape as sh
from ._util import ShapeError, as_scalar, normalize_axis, result_type
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


def add(a, b, *, alpha=1):
    """a + alpha * b."""
    return _binary(ew.Add, a, b if alpha == 1 else mul(b, alpha))


def sub(a, b, *, alpha=1):
    """a - alpha * b."""
    return _binary(ew.Sub, a, b if alpha == 1 else mul(b, alpha))


def mul(a, b):
    return _binary(ew.Mul, a, b)


def div(a, b):
    """True division (integers give float32)."""
    return _binary(ew.Div, a, b)


def pow(a, b):
    return _binary(ew.Pow, a, b)


def floor_divide(a, b):
    """a // b, rounded down (not differentiable, as in PyTorch)."""
    return _binary(ew.FloorDivide, a, b)


def remainder(a, b):
    """a % b, with the sign of b (Python's rule)."""
    return _binary(ew.Remainder, a, b)


def maximum(a, b):
    return _binary(ew.Maximum, a, b)


def minimum(a, b):
    return _binary(ew.Minimum, a, b)


def neg(a):
    return ew.Neg.apply(a)


def exp(a):
    return ew.Exp.apply(a)


def log(a):
    return ew.Log.apply(a)


def sqrt(a):
    return ew.Sqrt.apply(a)


def tanh(a):
    return ew.Tanh.apply(a)


def sigmoid(a):
    return ew.Sigmoid.apply(a)


def abs(a):
    return ew.Abs.apply(a)


def clone(a):
    """A copy in its own memory that stays in the graph (the gradient passes through)."""
    return ew.Clone.apply(a)


def clamp(input, min=None, max=None):
    """Limit the elements to [min, max] (either may be None). The gradient passes where
    min <= input <= max and is 0 elsewhere, as in PyTorch. Tensor bounds also work
    (as ``where``s, so they get gradients too)."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = where(_as_tensor(out < min), min, out)
        if max is not None:
            out = where(_as_tensor(out > max), max, out)
        return out
    return ew.Clamp.apply(input, as_scalar(min), as_scalar(max))


clip = clamp


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor._make(x)


def where(condition, a, b):
    """Elements of `a` where `condition` holds, else of `b` (broadcasting)."""
    like = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else condition
    cond = condition.data if isinstance(condition, Tensor) else like.xp.asarray(condition)
    if cond.dtype != bool:
        raise TypeError(f"where: condition must be boolean, got {cond.dtype}")
    return ew.Where.apply(cond, _operand(a, like), _operand(b, like))


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether all elements satisfy |a - b| <= atol + rtol * |b| (a Python bool, no graph)."""
    a = a.data if isinstance(a, Tensor) else a
    b = b.data if isinstance(b, Tensor) else b
    xp = get_array_module(a if hasattr(a, "shape") else b)
    return bool(xp.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(a, b):
    """Whether `a` and `b` have the same shape and the same elements (a Python bool)."""
    if tuple(a.shape) != tuple(b.shape):
        return False
    return bool((a.data == b.data).all())


# -- reductions -------------------------------------------------------------------------------

def _reduce_dim(t, dim, what):
    """`dim` normalised; None for all dims (also for an empty list, and for a 0-d tensor,
    whose only valid dims are 0 and -1, as in PyTorch)."""
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        return None
    dim = normalize_axis(dim, t.ndim, what)
    return None if t.ndim == 0 else dim


def _reduce_args(t, dim, keepdim, axis, keepdims, what):
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return _reduce_dim(t, dim, what), bool(keepdim)


def sum(t, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Sum over `dim` (an int, a tuple, or None / () for all dims)."""
    dim, keepdim = _reduce_args(t, dim, keepdim, axis, keepdims, "sum")
    return red.Sum.apply(t, dim, keepdim)


def mean(t, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Mean over `dim` (an int, a tuple, or None / () for all dims)."""
    dim, keepdim = _reduce_args(t, dim, keepdim, axis, keepdims, "mean")
    return red.Mean.apply(t, dim, keepdim)


MaxResult = namedtuple("MaxResult", ["values", "indices"])
MinResult = namedtuple("MinResult", ["values", "indices"])


def _extreme(t, dim, keepdim, axis, keepdims, largest):
    what = "max" if largest else "min"
    if axis is not None or keepdims is not None:
        return (amax if largest else amin)(t, axis, bool(keepdims))
    if isinstance(dim, Tensor):  # torch.max(a, b) is maximum(a, b)
        return (maximum if largest else minimum)(t, dim)
    if dim is None:
        return (red.MaxAll if largest else red.MinAll).apply(t, None, False)
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{what}(dim): dim must be one int; use a{what} for several dims")
    d = normalize_axis(dim, t.ndim, what)
    result = MaxResult if largest else MinResult
    if t.ndim == 0:
        return result(sh.Reshape.apply(t, ()), Tensor._make(t.xp.zeros((), dtype=np.int64)))
    values = (red.MaxAlong if largest else red.MinAlong).apply(t, d, bool(keepdim))
    return result(values, _arg(t, d, keepdim, largest))


def max(t, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Maximum. PyTorch's three forms plus NumPy's:

    - ``max(t)``: the largest element (ties share the gradient evenly; a NaN wins);
    - ``max(t, dim)``: ``(values, indices)`` along `dim`, the gradient going to the winner;
    - ``max(t, other_tensor)``: ``maximum(t, other_tensor)``;
    - ``max(t, axis=..., keepdims=...)``: NumPy's spelling, values only (same as ``amax``).
    """
    return _extreme(t, dim, keepdim, axis, keepdims, largest=True)


def min(t, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Minimum, the mirror of ``max`` (``min(t, dim)`` gives ``(values, indices)``)."""
    return _extreme(t, dim, keepdim, axis, keepdims, largest=False)


def amax(t, dim=None, keepdim=False):
    """Maximum over `dim` (int, tuple, or None / () for all); ties share the gradient."""
    return red.AMax.apply(t, _reduce_dim(t, dim, "amax"), bool(keepdim))


def amin(t, dim=None, keepdim=False):
    """Minimum over `dim` (int, tuple, or None / () for all); ties share the gradient."""
    return red.AMin.apply(t, _reduce_dim(t, dim, "amin"), bool(keepdim))


def _arg(t, dim, keepdim, largest):
    """Index of the maximum (minimum) as int64, outside the graph; dim None: of the
    flattened tensor (keepdim then gives shape (1,) * ndim, as in PyTorch)."""
    what = "argmax" if largest else "argmin"
    d = _reduce_dim(t, dim, what)
    a = t.data
    if d is None:
        idx = t.xp.asarray(a.argmax() if largest else a.argmin())
        if keepdim:
            idx = idx.reshape((1,) * t.ndim)
    else:
        idx = a.argmax(axis=d) if largest else a.argmin(axis=d)
        if keepdim:
            idx = t.xp.expand_dims(idx, d)
    return Tensor._make(idx.astype(np.int64))


def argmax(t, dim=None, keepdim=False):
    """Index of the maximum (no gradient)."""
    return _arg(t, dim, keepdim, largest=True)


def argmin(t, dim=None, keepdim=False):
    """Index of the minimum (no gradient)."""
    return _arg(t, dim, keepdim, largest=False)


# -- shapes -----------------------------------------------------------------------------------

def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def reshape(t, *shape):
    return sh.Reshape.apply(t, _shape_arg(shape))


def permute(t, *dims):
    dims = tuple(normalize_axis(d, t.ndim, "permute") for d in _shape_arg(dims))
    if t.ndim == 0 and dims in ((), (0,)):
        return sh.Reshape.apply(t, ())
    return sh.Permute.apply(t, dims)


def transpose(t, dim0, dim1):
    """Swap two dimensions (PyTorch's meaning, not NumPy's full reversal)."""
    d0, d1 = normalize_axis(dim0, t.ndim, "transpose"), normalize_axis(dim1, t.ndim, "transpose")
    if t.ndim == 0:
        return sh.Reshape.apply(t, ())
    dims = list(range(t.ndim))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return sh.Permute.apply(t, tuple(dims))


def flatten(t, start_dim=0, end_dim=-1):
    if t.ndim == 0:
        return reshape(t, 1)
    s = normalize_axis(start_dim, t.ndim, "flatten")
    e = normalize_axis(end_dim, t.ndim, "flatten")
    if s > e:
        raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    shape = t.shape[:s] + (int(np.prod(t.shape[s:e + 1])),) + t.shape[e + 1:]
    return sh.Reshape.apply(t, shape)


def unsqueeze(t, dim):
    d = normalize_axis(dim, t.ndim + 1, "unsqueeze")
    return sh.Reshape.apply(t, t.shape[:d] + (1,) + t.shape[d:])


def squeeze(t, dim=None):
    """Drop dimensions of size 1: all of them, or those in `dim` (an int or a tuple)."""
    if dim is None:
        shape = tuple(n for n in t.shape if n != 1)
    elif t.ndim == 0:
        normalize_axis(dim, 0, "squeeze")
        shape = ()
    else:
        dims = normalize_axis(dim if isinstance(dim, (tuple, list)) else (dim,), t.ndim,
                              "squeeze")
        shape = tuple(n for d, n in enumerate(t.shape) if not (d in dims and n == 1))
    return sh.Reshape.apply(t, shape)


def expand(t, *sizes):
    """A broadcast view of `t` with the given sizes; -1 keeps a dimension as it is, new
    dimensions go in front (PyTorch's expand)."""
    sizes = _shape_arg(sizes)
    if len(sizes) < t.ndim:
        raise ShapeError(f"expand: {len(sizes)} sizes given for a tensor of {t.ndim} dimensions")
    lead = len(sizes) - t.ndim
    if any(s == -1 for s in sizes[:lead]):
        raise ShapeError(f"expand: -1 is not allowed for a new leading dimension ({sizes})")
    shape = sizes[:lead] + tuple(n if s == -1 else s for s, n in zip(sizes[lead:], t.shape))
    return sh.Expand.apply(t, shape)


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
    """Join tensors along an existing dimension (GoogLeNet's Inception joins channels).
    Mixed dtypes promote as in PyTorch."""
    tensors = _tensors(tensors, "cat")
    for i, x in enumerate(tensors):
        if x.ndim == 0:
            raise ShapeError(f"cat: tensor {i} is 0-d and cannot be concatenated; use stack")
    return sh.Cat.apply(normalize_axis(dim, tensors[0].ndim, "cat"), *tensors)


def stack(tensors, dim=0):
    """Join tensors of equal shape along a new dimension (mixed dtypes promote)."""
    tensors = _tensors(tensors, "stack")
    return sh.Stack.apply(normalize_axis(dim, tensors[0].ndim + 1, "stack"), *tensors)


def pad(t, pad, mode="constant", value=None):
    """PyTorch's F.pad (constant mode): pad=(left, right, top, bottom, ...) from the last dim;
    `value` defaults to 0."""
    if mode != "constant":
        raise NotImplementedError(f"pad: only mode='constant' is implemented, not {mode!r}")
    return sh.Pad.apply(t, tuple(int(p) for p in pad), 0 if value is None else value)


# -- linear algebra, softmax, losses -----------------------------------------------------------

def matmul(a, b):
    """Matrix product with NumPy's rules (vectors, broadcast batch dims); mixed dtypes promote
    (where PyTorch would refuse them)."""
    like = a if isinstance(a, Tensor) else b
    a, b = _operand(a, like), _operand(b, like)
    dtype = result_type(a, b)
    a, b = (x if x.dtype == dtype else x.to(dtype) for x in (a, b))
    try:
        return linalg.MatMul.apply(a, b)
    except ShapeError:
        raise
    except ValueError as e:  # shape mismatches: catchable as RuntimeError too, as in PyTorch
        raise ShapeError(str(e)) from None


def linear(input, weight, bias=None):
    """y = input @ weightᵀ + bias, weight (out_features, in_features) as in PyTorch."""
    try:
        return linalg.Linear.apply(input, weight, bias)
    except ShapeError:
        raise
    except ValueError as e:
        raise ShapeError(str(e)) from None


def _softmax_dim(name, ndim, dim):
    """PyTorch's legacy choice when no dim is given: 0 for 0-, 1- and 3-d inputs, else 1."""
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the "
                      "call to include dim=X as an argument.", UserWarning, stacklevel=3)
        dim = 0 if ndim in (0, 1, 3) else 1
    dim = normalize_axis(dim, ndim, name)
    return None if ndim == 0 else dim


def softmax(input, dim=None, dtype=None):
    """exp(x) / sum(exp(x)) along `dim` (stable for large logits)."""
    if dtype is not None:
        input = input.to(dtype)
    return activation.Softmax.apply(input, _softmax_dim("softmax", input.ndim, dim))


def log_softmax(input, dim=None, dtype=None):
    """log(softmax(x)) along `dim`, computed without forming softmax (stable)."""
    if dtype is not None:
        input = input.to(dtype)
    return activation.LogSoftmax.apply(input, _softmax_dim("log_softmax", input.ndim, dim))


def _legacy_reduction(size_average, reduce):
    """PyTorch's translation of the deprecated size_average / reduce flags."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "none" if not reduce else "mean" if size_average else "sum"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{reduction}' instead.", UserWarning, stacklevel=3)
    return reduction


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """Cross-entropy of logits `input` against integer class indices `target`; PyTorch's
    signature and formula (see ``activation.CrossEntropy``).

    input (C,), (N, C) or (N, C, d1, ...); target (), (N,) or (N, d1, ...). `weight` (C,)
    rescales each class ('mean' then divides by the total weight of the kept targets);
    targets equal to `ignore_index` count for nothing; `label_smoothing` in [0, 1] mixes in
    the uniform distribution. One fused node, stable for logits around ±1e4.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"cross_entropy: input must be a Tensor, got {type(input).__name__}")
    if not isinstance(target, Tensor):
        target = Tensor(input.xp.asarray(target))
    if target.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: target must hold integer class indices (e.g. int64), "
                        f"got {target.dtype}; for probabilities compute "
                        "-(p * log_softmax(x)).sum(1).mean() instead")
    if input.ndim == 0:
        raise ShapeError("cross_entropy: input must be (C,) or (N, C, ...) logits, got a 0-d "
                         "tensor")
    expected = () if input.ndim == 1 else (input.shape[0],) + input.shape[2:]
    if target.shape != expected:
        raise ShapeError(f"cross_entropy: input of shape {input.shape} needs a target of shape "
                         f"{expected}, got {target.shape}")
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"cross_entropy: reduction must be 'mean', 'sum' or 'none', "
                         f"got {reduction!r}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], "
                         f"got {label_smoothing}")
    classes = input.shape[0 if input.ndim == 1 else 1]
    w = None
    if weight is not None:
        if isinstance(weight, str):
            raise TypeError(f"cross_entropy: weight must be a tensor of shape ({classes},), "
                            f"got the string {weight!r}; pass reduction= by keyword")
        w = weight.data if isinstance(weight, Tensor) else input.xp.asarray(weight)
        if tuple(w.shape) != (classes,):
            raise ShapeError(f"cross_entropy: weight must have shape ({classes},) (one per "
                             f"class), got {tuple(w.shape)}")
        w = w.astype(input.dtype, copy=False)
    return activation.CrossEntropy.apply(input, target.data, w, reduction, int(ignore_index),
                                         float(label_smoothing))
