"""PyTorch-compatibility extras: ops that round out PyTorch's API but teach nothing new.

Logical and bitwise ops, masked_fill / masked_select, sort / argsort / topk, split / chunk /
unbind / flip and nonzero. None has a Function of its own: they reuse ``Where``, ``GetItem`` and
``Gather`` (the differentiable ones) or work on the arrays outside the graph. The teaching path
(elementwise, reduce, shape, linalg, activation) does not need this file.
"""
import numbers
from collections import namedtuple

import numpy as np

from ..tensor import Tensor
from . import elementwise as ew, shape as sh
from ._util import ShapeError, as_scalar, normalize_axis, result_type, wrap_int
from .elementwise import clone
from .shape import expand


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


# -- sorting ----------------------------------------------------------------------------------

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
        if any(s < 0 for s in sizes) or sum(sizes) != n:
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
