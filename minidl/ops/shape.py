"""Shape ops: reshape, permute/transpose, indexing, cat, stack, pad, gather, repeat, device moves.

None of these compute anything: their backward moves the gradient back to where each element
came from (reshape it back, permute it back, scatter it back into zeros).
"""

import numpy as np

from ..autograd import Function
from ..backend import device_of, get_array_module, to_device
from ..tensor import Tensor, _raw_index
from ._util import ShapeError, normalize_axis, promote, sum_to_shape


class Reshape(Function):
    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        try:
            return a.reshape(shape)
        except ValueError:
            raise ShapeError(f"reshape: cannot view a tensor of shape {tuple(a.shape)} "
                             f"({a.size} elements) as {tuple(shape)}") from None

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None


class Permute(Function):
    @staticmethod
    def forward(ctx, a, dims):
        if sorted(dims) != list(range(a.ndim)):
            raise ShapeError(f"permute: dims {tuple(dims)} are not a permutation of the "
                             f"{a.ndim} dimensions of a tensor of shape {tuple(a.shape)}")
        ctx.dims = dims
        return a.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        return g.transpose(np.argsort(ctx.dims)), None


_ARRAY = object()  # marks where an index array sat in the index tuple


class GetItem(Function):
    """a[index]: basic slicing or NumPy advanced (integer / boolean array) indexing.

    Index arrays are kept through save_for_backward; the rest of the index (slices, ints,
    Ellipsis) is a plain setting.
    """

    @staticmethod
    def forward(ctx, a, index):
        xp = get_array_module(a)
        parts = index if isinstance(index, tuple) else (index,)
        parts = tuple(xp.asarray(p) if isinstance(p, list) else p for p in parts)
        arrays = [p for p in parts if hasattr(p, "shape")]
        ctx.template = tuple(_ARRAY if hasattr(p, "shape") else p for p in parts)
        ctx.shape = a.shape
        ctx.save_for_backward(*arrays)
        try:
            return xp.asarray(a[parts if isinstance(index, tuple) else parts[0]])
        except IndexError as e:
            raise IndexError(f"indexing a tensor of shape {tuple(a.shape)}: {e}") from None

    @staticmethod
    def backward(ctx, g):
        xp = get_array_module(g)
        arrays = iter(ctx.saved_tensors)
        index = tuple(next(arrays) if p is _ARRAY else p for p in ctx.template)
        gx = xp.zeros(ctx.shape, dtype=g.dtype)
        if ctx.saved_tensors:
            # an index may repeat: add.at accumulates where plain assignment would overwrite
            if xp is np:
                np.add.at(gx, index, g)
            else:
                import cupyx
                cupyx.scatter_add(gx, index, g)
        else:
            gx[index] = g
        return gx, None


class Cat(Function):
    @staticmethod
    def forward(ctx, axis, *arrays):
        xp = get_array_module(arrays[0])
        ref = arrays[0].shape
        for i, a in enumerate(arrays):
            if a.ndim != len(ref) or any(s != r for d, (s, r) in enumerate(zip(a.shape, ref))
                                         if d != axis):
                raise ShapeError(f"cat along dim {axis}: tensor {i} has shape {tuple(a.shape)}, "
                                 f"expected {tuple(ref[:axis])} + (any,) + {tuple(ref[axis+1:])}")
        ctx.axis = axis
        ctx.sizes = [a.shape[axis] for a in arrays]
        return xp.concatenate(promote(*arrays), axis=axis)

    @staticmethod
    def backward(ctx, g):
        xp = get_array_module(g)
        splits = xp.split(g, np.cumsum(ctx.sizes)[:-1].tolist(), axis=ctx.axis)
        return (None, *splits)


class Stack(Function):
    @staticmethod
    def forward(ctx, axis, *arrays):
        for i, a in enumerate(arrays):
            if a.shape != arrays[0].shape:
                raise ShapeError(f"stack: tensor {i} has shape {tuple(a.shape)}, "
                                 f"tensor 0 has {tuple(arrays[0].shape)}; all must match")
        ctx.axis = axis
        return get_array_module(arrays[0]).stack(promote(*arrays), axis=axis)

    @staticmethod
    def backward(ctx, g):
        xp = get_array_module(g)
        return (None, *(xp.take(g, i, axis=ctx.axis) for i in range(g.shape[ctx.axis])))


class Expand(Function):
    """A broadcast view to a larger `shape` (PyTorch's expand); the gradient sums back."""

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        try:
            return get_array_module(a).broadcast_to(a, shape)
        except ValueError:
            raise ShapeError(f"expand: a tensor of shape {tuple(a.shape)} cannot be expanded to "
                             f"{tuple(shape)} (only dimensions of size 1 can grow)") from None

    @staticmethod
    def backward(ctx, g):
        return sum_to_shape(g, ctx.shape), None


class Pad(Function):
    """Constant padding, ``pad`` as PyTorch's F.pad: (left, right) of the last dim, then
    (top, bottom) of the one before, and so on. Negative amounts crop."""

    @staticmethod
    def forward(ctx, a, pad, value):
        if len(pad) % 2 or len(pad) // 2 > a.ndim:
            raise ShapeError(f"pad: {tuple(pad)} must hold (before, after) pairs for at most "
                             f"{a.ndim} dimensions")
        widths = [(0, 0)] * a.ndim
        for i in range(len(pad) // 2):
            widths[a.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
        for d, (lo, hi) in enumerate(widths):
            if a.shape[d] + lo + hi < 0:
                raise ShapeError(f"pad: {tuple(pad)} crops more than dimension {d} of shape "
                                 f"{tuple(a.shape)} holds (the output size would be "
                                 f"{a.shape[d] + lo + hi})")
        xp = get_array_module(a)
        grow = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
        y = xp.pad(a, grow, mode="constant", constant_values=value)
        crop = tuple(slice(-min(lo, 0), y.shape[d] + min(hi, 0))
                     for d, (lo, hi) in enumerate(widths))
        y = y[crop]  # a dim cropped to size 0 gives an empty tensor, as in PyTorch
        ctx.widths, ctx.shape = widths, a.shape
        return xp.ascontiguousarray(y)

    @staticmethod
    def backward(ctx, g):
        xp = get_array_module(g)
        # the inverse: crop what forward grew, zero-pad what it cropped
        grow = [(max(-lo, 0), max(-hi, 0)) for lo, hi in ctx.widths]
        g = xp.pad(g, grow, mode="constant")
        crop = tuple(slice(max(lo, 0), g.shape[d] - max(hi, 0))
                     for d, (lo, hi) in enumerate(ctx.widths))
        return g[crop], None, None


class ToDevice(Function):
    @staticmethod
    def forward(ctx, a, device):
        ctx.source = device_of(a)
        return to_device(a, device)

    @staticmethod
    def backward(ctx, g):
        return to_device(g, ctx.source), None


def pad_source_index(n, lo, hi, mode):
    """For one dimension of size n padded by (lo, hi) in `mode`: the source index of each output
    position (PyTorch's rules; negative amounts crop). 'reflect' mirrors about the edge
    elements without repeating them, 'replicate' repeats the edge elements, 'circular' wraps
    around (after cropping, as PyTorch does)."""
    if mode == "circular":
        start, stop = max(-lo, 0), n - max(-hi, 0)
        k = np.arange(-max(lo, 0), stop - start + max(hi, 0))
        return start + k % max(stop - start, 1)
    i = np.arange(-lo, n + hi)
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    i = np.abs(i)  # reflect
    return np.where(i > n - 1, 2 * (n - 1) - i, i)


class PadIndexed(Function):
    """'reflect', 'replicate' and 'circular' padding of the last len(pad) // 2 dims: each
    output element is a copy of one input element (``pad_source_index``), so the gradient
    adds back into the element it came from."""

    @staticmethod
    def forward(ctx, a, pad, mode):
        xp = get_array_module(a)
        ctx.plan = [(a.ndim - 1 - i, pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]
        ctx.shape, ctx.mode = a.shape, mode
        for d, lo, hi in ctx.plan:
            a = xp.take(a, xp.asarray(pad_source_index(a.shape[d], lo, hi, mode)), axis=d)
        return a

    @staticmethod
    def backward(ctx, g):
        xp = get_array_module(g)
        for d, lo, hi in reversed(ctx.plan):
            n = ctx.shape[d]
            idx = xp.asarray(pad_source_index(n, lo, hi, ctx.mode))
            gx = xp.zeros(g.shape[:d] + (n,) + g.shape[d + 1:], dtype=g.dtype)
            _scatter_add(xp, xp.moveaxis(gx, d, 0), idx, xp.moveaxis(g, d, 0))
            g = gx
        return g, None, None


def _scatter_add(xp, out, index, values):
    """out[index] += values, adding up repeated indices."""
    if xp is np:
        np.add.at(out, index, values)
    else:
        import cupyx
        cupyx.scatter_add(out, index, values)


class Gather(Function):
    """PyTorch's gather: ``out[i][j][k] = a[i][index[i][j][k]][k]`` for axis 1, and so on.
    `index` has a's number of dims and may be smaller than `a` in the other dims. The
    gradient adds back into the gathered positions (repeats accumulate). Also the backbone
    of sort and topk."""

    @staticmethod
    def forward(ctx, a, index, axis):
        xp = get_array_module(a)
        full = _gather_index(xp, index, axis)
        ctx.shape = a.shape
        ctx.save_for_backward(*full)
        return a[full]

    @staticmethod
    def backward(ctx, g):
        xp = get_array_module(g)
        gx = xp.zeros(ctx.shape, dtype=g.dtype)
        _scatter_add(xp, gx, tuple(ctx.saved_tensors), g)
        return gx, None, None


def _gather_index(xp, index, axis):
    grids = list(xp.indices(index.shape, sparse=True)) if index.ndim else []
    grids[axis:axis + 1] = [index]
    return tuple(grids)


class Repeat(Function):
    """PyTorch's repeat (NumPy's tile): `reps` copies along each dim, new dims in front. The
    gradient sums the copies."""

    @staticmethod
    def forward(ctx, a, reps):
        xp = get_array_module(a)
        shape = (1,) * (len(reps) - a.ndim) + a.shape
        ctx.shape, ctx.reps, ctx.full = a.shape, reps, shape
        return xp.tile(a.reshape(shape), reps)

    @staticmethod
    def backward(ctx, g):
        split = [n for pair in zip(ctx.reps, ctx.full) for n in pair]
        g = g.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return g.reshape(ctx.shape), None


# -- the functions (PyTorch names and argument checks); each calls one Function above ---------

def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def reshape(t, *shape):
    return Reshape.apply(t, _shape_arg(shape))


def permute(t, *dims):
    dims = tuple(normalize_axis(d, t.ndim, "permute") for d in _shape_arg(dims))
    if t.ndim == 0 and dims in ((), (0,)):
        return Reshape.apply(t, ())
    return Permute.apply(t, dims)


def transpose(t, dim0, dim1):
    """Swap two dimensions (PyTorch's meaning, not NumPy's full reversal)."""
    d0, d1 = normalize_axis(dim0, t.ndim, "transpose"), normalize_axis(dim1, t.ndim, "transpose")
    if t.ndim == 0:
        return Reshape.apply(t, ())
    dims = list(range(t.ndim))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(t, tuple(dims))


def flatten(t, start_dim=0, end_dim=-1):
    if t.ndim == 0:
        return reshape(t, 1)
    s = normalize_axis(start_dim, t.ndim, "flatten")
    e = normalize_axis(end_dim, t.ndim, "flatten")
    if s > e:
        raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    shape = t.shape[:s] + (int(np.prod(t.shape[s:e + 1])),) + t.shape[e + 1:]
    return Reshape.apply(t, shape)


def unsqueeze(t, dim):
    d = normalize_axis(dim, t.ndim + 1, "unsqueeze")
    return Reshape.apply(t, t.shape[:d] + (1,) + t.shape[d:])


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
    return Reshape.apply(t, shape)


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
    return Expand.apply(t, shape)


def getitem(t, index):
    return GetItem.apply(t, _raw_index(index))


def _tensors(tensors, what):
    tensors = list(tensors)
    if not tensors:
        raise ShapeError(f"{what}: expected a non-empty sequence of tensors")
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
    return Cat.apply(normalize_axis(dim, tensors[0].ndim, "cat"), *tensors)


def stack(tensors, dim=0):
    """Join tensors of equal shape along a new dimension (mixed dtypes promote)."""
    tensors = _tensors(tensors, "stack")
    return Stack.apply(normalize_axis(dim, tensors[0].ndim + 1, "stack"), *tensors)


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
        return Pad.apply(input, pad, 0 if value is None else value)
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
    return PadIndexed.apply(input, pad, mode)


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
        return reshape(Gather.apply(input, idx, 0), ())
    d = normalize_axis(dim, input.ndim, "gather")
    if idx.ndim != input.ndim:
        raise ShapeError(f"gather: index of {idx.ndim} dims for an input of {input.ndim} dims; "
                         "they must match")
    if any(i > n for k, (i, n) in enumerate(zip(idx.shape, input.shape)) if k != d):
        raise ShapeError(f"gather: index of shape {tuple(idx.shape)} is larger than the input "
                         f"{input.shape} outside dim {d}")
    if idx.size and (int(idx.min()) < -input.shape[d] or int(idx.max()) >= input.shape[d]):
        raise IndexError(f"gather: index out of range for dim {d} of size {input.shape[d]}")
    return Gather.apply(input, idx, d)


def repeat(input, *sizes):
    """Tile `input` sizes[i] times along each dim (PyTorch's repeat; new dims go in front)."""
    sizes = _shape_arg(sizes)
    if len(sizes) < input.ndim:
        raise ShapeError("Number of dimensions of repeat dims can not be smaller than number of "
                         "dimensions of tensor")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"repeat: sizes must be non-negative, got {sizes}")
    return Repeat.apply(input, sizes)
