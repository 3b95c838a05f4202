"""Small helpers the ops share: broadcasting, axes, shape errors and PyTorch's type promotion."""
import numbers

import numpy as np

DEFAULT_FLOAT = np.dtype(np.float32)
FLOATS = (np.dtype(np.float32), np.dtype(np.float64))   # the dtypes the kernels are written for
_BOOL = np.dtype(bool)


class ShapeError(ValueError, RuntimeError):
    """Shapes that do not fit together (broadcasting, matmul, reshape, cat, a layer's input),
    and arguments an op or layer cannot take (a kernel size of 0, dropout's p = 2, ...).

    Both a ValueError (NumPy's habit, minidl's first choice) and a RuntimeError (what PyTorch
    raises), so code written for either catches it.
    """


def sum_to_shape(g, shape):
    """Reduce a broadcast gradient `g` back to `shape` (the input's shape before broadcasting).

    Broadcasting copies an input along new leading axes and along axes of size 1, so its
    gradient is the sum over those axes: ``(4, 3) + (3,)`` sends ``g.sum(0)`` to the (3,) side.
    """
    shape = tuple(shape)
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    g = g.sum(axis=axes, keepdims=True) if axes else g
    return g.reshape(shape)


def as_scalar(value):
    """NumPy scalars become Python numbers so they stay 'weak' and never upcast float32."""
    if isinstance(value, np.generic):
        return value.item()
    return value


# -- type promotion ----------------------------------------------------------------------------

def _category_of(kind):
    """0 bool, 1 integer, 2 floating, 3 complex."""
    return {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}[kind]


def _promote(a, b):
    """torch.promote_types: the smallest dtype holding both; a float beats any integer as is
    (int64 with float16 gives float16, where NumPy would say float64)."""
    if a is None or b is None:  # (never `a == None`: NumPy reads None as float64)
        return b if a is None else a
    if a == b:
        return a
    ca, cb = _category_of(a.kind), _category_of(b.kind)
    if ca != cb and max(ca, cb) == 2:
        return a if ca > cb else b
    return np.promote_types(a, b)


def _scalar_dtype(value):
    """The dtype a Python number stands for when it decides a category (torch's defaults)."""
    if isinstance(value, (bool, np.bool_)):
        return _BOOL
    if isinstance(value, numbers.Integral):
        return np.dtype(np.int64)
    if isinstance(value, numbers.Real):
        return DEFAULT_FLOAT
    if isinstance(value, numbers.Complex):
        return np.dtype(np.complex64)
    raise TypeError(f"expected a tensor or a number, got {type(value).__name__}")


def _combine(higher, lower):
    """Let a lower-priority operand raise the category of `higher`, never its width."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    ch, cl = _category_of(higher.kind), _category_of(lower.kind)
    if cl <= ch:
        return higher
    if cl == 3:  # complex: of the float's width, else the complex operand's own
        return np.result_type(higher, np.complex64) if ch == 2 else lower
    return _promote(higher, lower) if ch == 0 or cl == 2 else higher


def result_type(*operands):
    """The dtype of an element-wise op on `operands`, by PyTorch's rules.

    Operands are arrays (or anything with a ``dtype``) and Python numbers. Categories go
    bool < integer < floating < complex, and operands come in three ranks:

    1. arrays of one or more dimensions: their dtypes promote as usual (``torch.promote_types``);
    2. 0-d arrays, and 3. Python numbers: these may raise the result's *category*, never its
       width within a category.

    So ``float32 (3,) + float64 ()`` is float32, ``int32 (3,) + int64 ()`` is int32,
    ``uint8 (3,) + 7`` is uint8, while ``int64 (3,) + 2.5`` is float32 (a Python float counts as
    the default float32) and ``int64 (3,) + float64 ()`` is float64. Bool with an integer number
    gives int64.
    """
    dims = zero = scalar = None
    for x in operands:
        dtype = getattr(x, "dtype", None)
        if dtype is None:
            scalar = _promote(scalar, _scalar_dtype(x))
        elif getattr(x, "ndim", 0) == 0:
            zero = _promote(zero, np.dtype(dtype))
        else:
            dims = _promote(dims, np.dtype(dtype))
    return _combine(dims, _combine(zero, scalar))


def promote(*operands):
    """`operands` with every array cast to their ``result_type`` (numbers stay as they are:
    NumPy treats Python numbers as weak, so they no longer change the result's dtype)."""
    first = getattr(operands[0], "dtype", None)
    if first is not None and all(hasattr(x, "dtype") and x.dtype == first for x in operands):
        return operands  # the hot path (float32 with float32): nothing to do
    if len(operands) == 2:  # the other hot path: a float array with a Python int or float
        a, b = operands if hasattr(operands[0], "dtype") else operands[::-1]
        if (hasattr(a, "dtype") and a.dtype.kind == "f" and type(b) in (int, float)):
            return operands
    dtype = result_type(*operands)
    return tuple(x.astype(dtype) if hasattr(x, "dtype") and x.dtype != dtype
                 else wrap_int(x, dtype) for x in operands)


def wrap_int(value, dtype):
    """A Python int brought into the range of the integer `dtype` by wrapping around, as
    PyTorch does (``uint8_tensor + 300`` adds 300 % 256 = 44); other values as they are.
    Ints beyond 64 bits raise OverflowError, as in PyTorch."""
    if type(value) is not int or dtype.kind not in "iu":
        return value
    info = np.iinfo(dtype)
    if info.min <= value <= info.max:
        return value
    if not -2 ** 63 <= value < 2 ** 64:
        raise OverflowError(f"Python int {value} too big to convert to {dtype}")
    span = 1 << info.bits
    return (value - info.min) % span + info.min


def to_floating(a):
    """An integer or bool array as float32 (for exp, log, true division, ...); floats stay."""
    return a if a.dtype.kind in "fc" else a.astype(DEFAULT_FLOAT)


def can_cast_inplace(src, dst):
    """Whether a result of dtype `src` may be written into a tensor of dtype `dst` (torch's
    rule for in-place ops: the category may not go down, e.g. no float into an int tensor)."""
    return _category_of(np.dtype(src).kind) <= _category_of(np.dtype(dst).kind)


# -- axes and shapes ---------------------------------------------------------------------------

def normalize_axis(axis, ndim, what):
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        return tuple(sorted(normalize_axis(a, ndim, what) for a in axis))
    if not isinstance(axis, numbers.Integral):
        raise TypeError(f"{what}: dim must be an int or tuple of ints, got {type(axis).__name__}")
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise IndexError(f"{what}: dim {axis} is out of range for a tensor of {ndim} dimensions")
    return axis % max(ndim, 1)


def broadcast_error(what, a_shape, b_shape):
    return ShapeError(f"{what}: shapes {tuple(a_shape)} and {tuple(b_shape)} cannot be broadcast "
                      "together (NumPy rules: trailing dimensions must match or be 1)")


def check_broadcast(what, a, b):
    sa = getattr(a, "shape", ())
    sb = getattr(b, "shape", ())
    if sa == sb:
        return
    try:
        np.broadcast_shapes(sa, sb)
    except ValueError:
        raise broadcast_error(what, sa, sb) from None
