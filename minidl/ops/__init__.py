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
import builtins
import numbers
import warnings
from collections import namedtuple

import numpy as np

from ..backend import get_array_module
from ..tensor import Tensor
from . import activation, elementwise as ew, linalg, reduce as red, shape as sh
from ._util import ShapeError, as_scalar, normalize_axis, result_type
from .relu import relu

# builtins that this module's own any, all, round, max, sum shadow
builtins_any, builtins_max = builtins.any, builtins.max


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


def tanh(input):
    return ew.Tanh.apply(input)


def sigmoid(input):
    return ew.Sigmoid.apply(input)


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


_NOTHING = object()


def where(condition, a=_NOTHING, b=_NOTHING):
    """Elements of `a` where `condition` holds, else of `b` (broadcasting). ``where(cond)``
    alone is ``nonzero(cond, as_tuple=True)``."""
    if a is _NOTHING and b is _NOTHING:
        if not isinstance(condition, Tensor):
            raise TypeError("where(condition): condition must be a Tensor")
        return nonzero(condition, as_tuple=True)
    if a is _NOTHING or b is _NOTHING:
        raise TypeError("where: give both input and other, or neither")
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


def sum(t, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Sum over `dim` (an int, a tuple, or None / () for all dims); `dtype` casts the input
    first (as in PyTorch)."""
    if dtype is not None:
        t = t.to(dtype)
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
    if builtins_any(s == -1 for s in sizes[:lead]):
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


def pad(input, pad, mode="constant", value=None):
    """PyTorch's F.pad: pad=(left, right, top, bottom, ...) from the last dim; negative amounts
    crop.

    - 'constant' (fills with `value`, default 0): any number of dims;
    - 'reflect', 'replicate', 'circular': the last 1, 2 or 3 dims (len(pad) 2, 4 or 6) of a
      tensor with one or two more dims than that (unbatched or batched), as in PyTorch;
      'reflect' needs each pad smaller than its dim, 'circular' at most its dim.
    """
    pad = tuple(int(p) for p in pad)
    if mode == "constant":
        return sh.Pad.apply(input, pad, 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if len(pad) % 2:
        raise ShapeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if not 1 <= k <= 3 or input.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor: mode "
            f"{mode!r} pads the last 1, 2 or 3 dims (pad of length 2, 4 or 6) of a tensor with "
            "one or two more dims (2D/3D, 3D/4D or 4D/5D)")
    for i in range(k):
        d = input.ndim - 1 - i
        n, lo, hi = input.shape[d], pad[2 * i], pad[2 * i + 1]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise ShapeError(f"pad: reflect padding must be smaller than the padded dimension, "
                             f"got padding {(lo, hi)} at dimension {d} of input "
                             f"{list(input.shape)}")
        if mode == "circular" and (lo > n or hi > n):
            raise ShapeError(f"pad: circular padding {(lo, hi)} at dimension {d} of input "
                             f"{list(input.shape)} causes wrapping around more than once")
        if n + lo + hi < (0 if mode == "circular" else 1):
            raise ShapeError(f"pad: input (size {n} at dimension {d}) is too small for "
                             f"padding {(lo, hi)}: the output size would be {n + lo + hi}")
    return sh.PadIndexed.apply(input, pad, mode)


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


def _stacklevel_or_dtype(_stacklevel, dtype):
    """torch.softmax(x, dim, dtype) passes dtype third, F.softmax's third is _stacklevel."""
    if dtype is None and _stacklevel is not None and not isinstance(_stacklevel, int):
        return _stacklevel
    return dtype


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along `dim` (stable for large logits); `dtype` casts the input
    first."""
    dtype = _stacklevel_or_dtype(_stacklevel, dtype)
    if dtype is not None:
        input = input.to(dtype)
    return activation.Softmax.apply(input, _softmax_dim("softmax", input.ndim, dim))


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(x)) along `dim`, computed without forming softmax (stable); `dtype` casts
    the input first."""
    dtype = _stacklevel_or_dtype(_stacklevel, dtype)
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


class _TargetError(ShapeError, TypeError):
    """A floating cross-entropy target of the wrong shape: a shape error (PyTorch raises
    RuntimeError) and a TypeError (minidl's earlier 'use integer class indices' error)."""


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
    if input.ndim == 0:
        raise ShapeError("cross_entropy: input must be (C,) or (N, C, ...) logits, got a 0-d "
                         "tensor")
    probabilities = target.dtype.kind in "fc"
    if not probabilities and target.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: target must hold integer class indices (e.g. int64) "
                        f"or class probabilities (floating, of the input's shape), got "
                        f"{target.dtype}")
    if probabilities and target.shape != input.shape:
        expected = () if input.ndim == 1 else (input.shape[0],) + input.shape[2:]
        raise _TargetError(f"cross_entropy: a floating target holds class probabilities and "
                           f"must have the input's shape {input.shape}, got {target.shape}; "
                           f"for integer class indices (shape {expected}) pass an integer "
                           f"tensor, e.g. target.long()")
    if probabilities and target.requires_grad:
        raise NotImplementedError("cross_entropy: gradients w.r.t. probability targets are "
                                  "not supported; pass target.detach()")
    expected = input.shape if probabilities else (
        () if input.ndim == 1 else (input.shape[0],) + input.shape[2:])
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
    if probabilities:
        return activation.CrossEntropyProbs.apply(input, target.data.astype(input.dtype,
                                                                            copy=False),
                                                  w, reduction, float(label_smoothing))
    return activation.CrossEntropy.apply(input, target.data, w, reduction, int(ignore_index),
                                         float(label_smoothing))


# -- more element-wise math ------------------------------------------------------------------

def _unary_op(fn, doc):
    def op(input):
        return fn.apply(input)
    op.__doc__ = doc
    return op


exp2 = _unary_op(ew.Exp2, "2 ** x (integers give float32).")
log2 = _unary_op(ew.Log2, "Base-2 logarithm.")
log10 = _unary_op(ew.Log10, "Base-10 logarithm.")
log1p = _unary_op(ew.Log1p, "log(1 + x), accurate for small x.")
expm1 = _unary_op(ew.Expm1, "exp(x) - 1, accurate for small x.")
sin = _unary_op(ew.Sin, "Sine.")
cos = _unary_op(ew.Cos, "Cosine.")
rsqrt = _unary_op(ew.Rsqrt, "1 / sqrt(x).")
reciprocal = _unary_op(ew.Reciprocal, "1 / x (integers give float32).")
square = _unary_op(ew.Square, "x * x (integers stay integers).")
floor = _unary_op(ew.Floor, "Round down (zero gradient; integers stay as they are).")
ceil = _unary_op(ew.Ceil, "Round up (zero gradient; integers stay as they are).")


def sign(input):
    """-1, 0 or 1 by the sign of x (zero gradient; bool stays bool, as in PyTorch)."""
    return clone(input) if input.dtype == bool else ew.Sign.apply(input)


def round(input, *, decimals=0):
    """Round half to even to `decimals` places (zero gradient)."""
    return ew.Round.apply(input, int(decimals))


def positive(input):
    """+x: the tensor itself (PyTorch refuses bool)."""
    if input.dtype == bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def _logical(x, like):
    x = x.data if isinstance(x, Tensor) else like.xp.asarray(x)
    return x if x.dtype == bool else x != 0


def logical_and(input, other):
    return Tensor._make(_logical(input, input) & _logical(other, input))


def logical_or(input, other):
    return Tensor._make(_logical(input, input) | _logical(other, input))


def logical_xor(input, other):
    return Tensor._make(_logical(input, input) ^ _logical(other, input))


def logical_not(input):
    return Tensor._make(~_logical(input, input))


def masked_fill(input, mask, value):
    """`input` with `value` where the boolean `mask` (broadcast to input's shape) is True.
    `value` is a number or a 0-d tensor (which then gets a gradient); the result keeps
    input's dtype, as in PyTorch."""
    m = mask.data if isinstance(mask, Tensor) else input.xp.asarray(mask)
    if m.dtype != bool:
        raise RuntimeError(f"masked_fill only supports boolean masks, but got mask with dtype "
                           f"{m.dtype}")
    if np.broadcast_shapes(m.shape, input.shape) != input.shape:
        raise ShapeError(f"masked_fill: mask of shape {tuple(m.shape)} does not broadcast to "
                         f"the input's shape {input.shape}")
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"masked_fill only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value.ndim} dimension(s).")
        value = value if value.dtype == input.dtype else value.to(input.dtype)
    else:
        value = Tensor._make(input.xp.asarray(value).astype(input.dtype))
    return ew.Where.apply(m, value, input)


def masked_select(input, mask):
    """The elements of `input` where `mask` is True, as a 1-d tensor (input and mask
    broadcast together first)."""
    m = mask.data if isinstance(mask, Tensor) else input.xp.asarray(mask)
    if m.dtype != bool:
        raise RuntimeError(f"masked_select: expected a boolean mask, got {m.dtype}")
    shape = np.broadcast_shapes(m.shape, input.shape)
    x = input if input.shape == shape else expand(input, shape)
    return sh.GetItem.apply(x, input.xp.broadcast_to(m, shape))


# -- more reductions ---------------------------------------------------------------------------

def _one_dim(t, dim, what):
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{what}: dim must be one int, got {dim!r}")
    return _reduce_dim(t, dim, what)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product of all elements, or along one `dim` (integers multiply in int64)."""
    if dtype is not None:
        input = input.to(dtype)
    d = _one_dim(input, dim, "prod")
    return red.Prod.apply(input, d, bool(keepdim) and dim is not None)


def cumsum(input, dim, *, dtype=None):
    """Running sum along `dim` (integers add up in int64)."""
    if dtype is not None:
        input = input.to(dtype)
    if input.ndim == 0:
        normalize_axis(dim, 0, "cumsum")
        return clone(input) if input.dtype.kind == "f" else input.to(np.int64)
    return red.CumSum.apply(input, _one_dim(input, dim, "cumsum"))


def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(x))) over `dim` (an int or tuple), stable for large x."""
    if input.dtype.kind not in "fc":
        input = input.to(np.float32)
    return red.LogSumExp.apply(input, _reduce_dim(input, dim, "logsumexp"), bool(keepdim))


def _floating(input, what):
    if input.dtype.kind not in "fc":
        raise RuntimeError(f"{what} only supports floating point tensors, got {input.dtype}")


def _spread_args(input, dim, unbiased, correction, what):
    """(dims, correction) for var/std from PyTorch's forms; warns when N - correction <= 0."""
    _floating(input, "std and var")
    if isinstance(dim, bool):  # var(unbiased) / std(unbiased)
        dim, unbiased = None, dim
    if correction is not None and unbiased is not None:
        raise TypeError(f"{what}: give correction or unbiased, not both")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    d = _reduce_dim(input, dim, what)
    if red.reduced_count(input.shape, d) - correction <= 0:
        warnings.warn(f"{what}(): degrees of freedom is <= 0. Correction should be strictly "
                      "less than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    return d, correction


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over `dim` (int, tuple or None for all): sum((x - mean)^2) / (N - correction).
    PyTorch's forms: ``var(dim=None, *, correction=1, keepdim=False)``, the legacy
    ``var(dim, unbiased=True, keepdim=False)`` and ``var(unbiased)``. N - correction <= 0 gives
    inf or NaN (with a warning), as in PyTorch."""
    d, correction = _spread_args(input, dim, unbiased, correction, "var")
    return red.Var.apply(input, d, correction, bool(keepdim))


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation: sqrt(var(...)), same forms as ``var``; the gradient is 0 where the
    standard deviation is 0 (as in PyTorch)."""
    d, correction = _spread_args(input, dim, unbiased, correction, "std")
    return red.Std.apply(input, d, correction, bool(keepdim))


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """Vector p-norm over `dim` (None: all elements, flattened). p: a number (1, 2, 3, ...,
    0), inf, -inf or 'fro' (the 2-norm; with a dim, 'fro' needs one or two dims). 'nuc' is
    not supported."""
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.kind not in "fc":
        raise RuntimeError(f"norm: expected a floating point tensor as input, got "
                           f"{input.dtype}")
    if p == "fro":
        if isinstance(dim, (tuple, list)) and len(dim) > 2:
            raise ShapeError(f"norm: p='fro' takes one or two dims, got {tuple(dim)}")
        p = 2
    elif isinstance(p, str):
        raise NotImplementedError(f"norm: p={p!r} is not supported (numbers, inf and 'fro' are)")
    if p is None:
        p = 2
    return red.Norm.apply(input, float(p), _reduce_dim(input, dim, "norm"), bool(keepdim))


def any(input, dim=None, keepdim=False):
    """Whether any element (along `dim`) is non-zero. bool (uint8 for uint8 input, as in
    PyTorch); no gradient."""
    return _any_all(input, dim, keepdim, "any")


def all(input, dim=None, keepdim=False):
    """Whether every element (along `dim`) is non-zero; see ``any``."""
    return _any_all(input, dim, keepdim, "all")


def _any_all(input, dim, keepdim, what):
    d = _reduce_dim(input, dim, what)
    out = getattr(input.data.astype(bool, copy=False), what)(axis=d, keepdims=bool(keepdim))
    out = input.xp.asarray(out)
    return Tensor._make(out.astype(np.uint8) if input.dtype == np.uint8 else out)


# -- sorting, gathering, repeating -------------------------------------------------------------

SortResult = namedtuple("SortResult", ["values", "indices"])
TopKResult = namedtuple("TopKResult", ["values", "indices"])


def _argsort(a, axis, descending, xp):
    if descending:
        if a.dtype.kind in "bu":
            a = a.astype(np.int64)
        a = -a
    return xp.argsort(a, axis=axis, kind="stable")


def argsort(input, dim=-1, descending=False, stable=False):
    """Indices that sort `input` along `dim` (int64, no gradient). Always stable."""
    if input.ndim == 0:
        normalize_axis(dim, 0, "argsort")
        return Tensor._make(input.xp.zeros((), dtype=np.int64))
    d = normalize_axis(dim, input.ndim, "argsort")
    return Tensor._make(_argsort(input.data, d, descending, input.xp).astype(np.int64))


def sort(input, dim=-1, descending=False, stable=False):
    """(values, indices) of `input` sorted along `dim`; values are differentiable (the
    gradient goes back to where each value came from)."""
    if isinstance(dim, bool):  # sort(x, True) is sort(descending=True) in PyTorch's
        dim, descending = -1, dim  # stable overload only; keep it simple
    indices = argsort(input, dim, descending)
    if input.ndim == 0:
        return SortResult(clone(input), indices)
    d = normalize_axis(dim, input.ndim, "sort")
    return SortResult(sh.Gather.apply(input, indices.data, d), indices)


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The k largest (smallest) elements along `dim` as (values, indices); values are
    differentiable. Always returned sorted."""
    n = input.shape[normalize_axis(dim, input.ndim, "topk")] if input.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk: k ({k}) is out of range for a dimension of size {n}")
    if input.ndim == 0:
        return TopKResult(clone(input), Tensor._make(input.xp.zeros((), dtype=np.int64)))
    d = normalize_axis(dim, input.ndim, "topk")
    index = _argsort(input.data, d, largest, input.xp)
    index = input.xp.take(index, input.xp.arange(k), axis=d).astype(np.int64)
    return TopKResult(sh.Gather.apply(input, index, d), Tensor._make(index))


def gather(input, dim, index):
    """PyTorch's gather along `dim`: ``out[i][j] = input[i][index[i][j]]`` for dim 1. `index`
    (int64 or any integer tensor) has input's number of dims and is no larger than input
    outside `dim`; the result has index's shape. Differentiable w.r.t. input."""
    idx = index.data if isinstance(index, Tensor) else input.xp.asarray(index)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"gather(): Expected dtype int64 for index, got {idx.dtype}")
    if input.ndim == 0:
        input = reshape(input, 1)
        idx = idx.reshape(1)
        return reshape(sh.Gather.apply(input, idx, 0), ())
    d = normalize_axis(dim, input.ndim, "gather")
    if idx.ndim != input.ndim:
        raise ShapeError(f"gather: index of {idx.ndim} dims for an input of {input.ndim} dims; "
                         "they must match")
    if builtins_any(i > n for k, (i, n) in enumerate(zip(idx.shape, input.shape)) if k != d):
        raise ShapeError(f"gather: index of shape {tuple(idx.shape)} is larger than the input "
                         f"{input.shape} outside dim {d}")
    if idx.size and (int(idx.min()) < -input.shape[d] or int(idx.max()) >= input.shape[d]):
        raise IndexError(f"gather: index out of range for dim {d} of size {input.shape[d]}")
    return sh.Gather.apply(input, idx, d)


def repeat(input, *sizes):
    """Tile `input` sizes[i] times along each dim (PyTorch's repeat; new dims go in front)."""
    sizes = _shape_arg(sizes)
    if len(sizes) < input.ndim:
        raise ShapeError("Number of dimensions of repeat dims can not be smaller than number of "
                         "dimensions of tensor")
    if builtins_any(s < 0 for s in sizes):
        raise RuntimeError(f"repeat: sizes must be non-negative, got {sizes}")
    return sh.Repeat.apply(input, sizes)


# -- bitwise -----------------------------------------------------------------------------------

class BitwiseTypeError(TypeError, NotImplementedError):
    """A bitwise op on a floating operand (PyTorch raises NotImplementedError, a
    RuntimeError; Python's habit is TypeError: this is both)."""


def _bitwise(name, fn, input, other):
    like = input if isinstance(input, Tensor) else other
    ops = []
    for x in (input, other):
        if isinstance(x, Tensor):
            ops.append(x.data)
        elif isinstance(x, (bool, np.bool_, numbers.Integral)):
            ops.append(as_scalar(x))
        elif isinstance(x, numbers.Number):
            ops.append(as_scalar(x))
        else:
            ops.append(like.xp.asarray(x))
    dtype = result_type(*ops)
    if dtype.kind not in "biu":
        raise BitwiseTypeError(f'"{name}" not implemented for {dtype} (bitwise ops take bool '
                               "and integer tensors only)")
    from ._util import wrap_int
    arrays = [x.astype(dtype, copy=False) if hasattr(x, "dtype")
              else like.xp.asarray(wrap_int(x, dtype), dtype=dtype) for x in ops]
    return Tensor._make(like.xp.asarray(fn(arrays[0], arrays[1])))


def bitwise_and(input, other):
    """input & other for bool and integer tensors (PyTorch's type promotion; no gradient)."""
    return _bitwise("bitwise_and", np.bitwise_and, input, other)


def bitwise_or(input, other):
    """input | other for bool and integer tensors."""
    return _bitwise("bitwise_or", np.bitwise_or, input, other)


def bitwise_xor(input, other):
    """input ^ other for bool and integer tensors."""
    return _bitwise("bitwise_xor", np.bitwise_xor, input, other)


def bitwise_not(input):
    """~input for bool and integer tensors."""
    return ~input


# -- splitting, flipping, finding ------------------------------------------------------------

def _dim_slices(t, d, bounds):
    return tuple(sh.GetItem.apply(t, (slice(None),) * d + (slice(lo, hi),)) for lo, hi in bounds)


def split(tensor, split_size_or_sections, dim=0):
    """PyTorch's split: pieces of `split_size_or_sections` along `dim` (the last one smaller),
    or of the sizes in a list (which must add up to the dim's size). Views through indexing,
    each differentiable."""
    if tensor.ndim == 0:
        raise RuntimeError("split: the tensor must have at least one dimension")
    d = normalize_axis(dim, tensor.ndim, "split")
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [int(s) for s in split_size_or_sections]
        if builtins_any(s < 0 for s in sizes) or builtins.sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {d}), but got "
                               f"split_sizes={sizes}")
    else:
        size = int(split_size_or_sections)
        if size < 0 or (size == 0 and n != 0):
            raise RuntimeError(f"split expects split_size be non-negative (and positive for a "
                               f"non-empty dim), but got split_size={size}")
        sizes = [size] * (n // size) + ([n % size] if n % size else []) if size else [0]
        if n == 0:
            sizes = [0]
    bounds, start = [], 0
    for s in sizes:
        bounds.append((start, start + s))
        start += s
    return _dim_slices(tensor, d, bounds)


def chunk(input, chunks, dim=0):
    """PyTorch's chunk: at most `chunks` pieces of ceil(size / chunks) along `dim`."""
    chunks = int(chunks)
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    if input.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    d = normalize_axis(dim, input.ndim, "chunk")
    n = input.shape[d]
    size = -(-n // chunks)
    if n == 0:
        return _dim_slices(input, d, [(0, 0)] * chunks)
    return split(input, size, d)


def unbind(input, dim=0):
    """The slices along `dim`, that dim removed (each differentiable)."""
    if input.ndim == 0:
        raise IndexError("unbind: dimension specified as 0 but tensor has no dimensions")
    d = normalize_axis(dim, input.ndim, "unbind")
    return tuple(sh.GetItem.apply(input, (slice(None),) * d + (i,))
                 for i in range(input.shape[d]))


def flip(input, dims):
    """Reverse the order of elements along `dims` (an int or a sequence of ints)."""
    dims = (dims,) if isinstance(dims, numbers.Integral) else tuple(dims)
    norm_dims = [normalize_axis(d, input.ndim, "flip") for d in dims]
    if len(set(norm_dims)) != len(norm_dims):
        raise RuntimeError(f"flip: dims {dims} has a dim appearing more than once")
    if input.ndim == 0 or not norm_dims:
        return clone(input)
    index = tuple(slice(None, None, -1) if d in norm_dims else slice(None)
                  for d in range(input.ndim))
    return sh.GetItem.apply(input, index)


def nonzero(input, *, as_tuple=False):
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or with ``as_tuple=True``
    one 1-d int64 tensor per dimension (a 0-d input counts as 1-d). No gradient."""
    a = input.data if input.ndim else input.data.reshape(1)
    idx = input.xp.nonzero(a)
    if as_tuple:
        return tuple(Tensor._make(i.astype(np.int64)) for i in idx)
    out = input.xp.stack(idx, axis=1) if input.ndim else input.xp.zeros(
        (len(idx[0]), 0), dtype=np.int64)
    return Tensor._make(out.astype(np.int64))
