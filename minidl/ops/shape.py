"""Shape ops: reshape, permute/transpose, indexing, cat, stack, pad, device moves.

None of these compute anything: their backward moves the gradient back to where each element
came from (reshape it back, permute it back, scatter it back into zeros).
"""
import numpy as np

from ..autograd import Function
from ..backend import device_of, get_array_module, to_device
from ._util import ShapeError, promote, sum_to_shape


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
