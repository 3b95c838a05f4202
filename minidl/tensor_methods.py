"""Tensor's operators and op methods, bound from the tables below.

``x + y``, ``x.sum(1)``, ``x.relu()``: each is the function of the same name in ``minidl.ops``
with the tensor as its first argument. Rather than ~100 one-line methods in ``tensor.py``, the
tables name each binding once and ``install`` makes the methods (each keeps its name and the
op's docstring, so ``help(Tensor.sum)`` reads like ``help(minidl.sum)``). ``minidl.ops``
calls ``install`` when it is imported, so ``tensor.py`` needs no import of ``ops``.
"""
import inspect
import operator

import numpy as np

from . import ops
from .ops._util import ShapeError, wrap_int
from .ops.elementwise import Cast, Clone
from .ops.shape import ToDevice
from .tensor import Tensor
from .to_args import to_args

# method name -> op: ``t.name(*args, **kwargs)`` is ``op(t, *args, **kwargs)``
METHODS = {
    # arithmetic (PyTorch's method spellings) and the unary operators
    "add": ops.add, "sub": ops.sub, "mul": ops.mul, "div": ops.div, "pow": ops.pow,
    "neg": ops.neg, "negative": ops.neg,
    "__neg__": ops.neg, "__abs__": ops.abs, "__pos__": ops.positive,
    "__getitem__": ops.getitem, "matmul": ops.matmul,
    # element-wise math
    "exp": ops.exp, "log": ops.log, "tanh": ops.tanh, "sigmoid": ops.sigmoid, "relu": ops.relu,
    "abs": ops.abs, "sqrt": ops.sqrt, "exp2": ops.exp2, "log2": ops.log2, "log10": ops.log10,
    "log1p": ops.log1p, "expm1": ops.expm1, "sin": ops.sin, "cos": ops.cos,
    "square": ops.square, "rsqrt": ops.rsqrt, "reciprocal": ops.reciprocal, "sign": ops.sign,
    "floor": ops.floor, "ceil": ops.ceil, "round": ops.round, "clamp": ops.clamp,
    "clip": ops.clamp, "clone": ops.clone,
    # reductions
    "sum": ops.sum, "mean": ops.mean, "max": ops.max, "min": ops.min, "prod": ops.prod,
    "cumsum": ops.cumsum, "logsumexp": ops.logsumexp, "var": ops.var, "std": ops.std,
    "norm": ops.norm, "any": ops.any, "all": ops.all, "amax": ops.amax, "amin": ops.amin,
    "argmax": ops.argmax, "argmin": ops.argmin,
    # shapes
    "reshape": ops.reshape, "view": ops.reshape, "transpose": ops.transpose,
    "permute": ops.permute, "flatten": ops.flatten, "unsqueeze": ops.unsqueeze,
    "squeeze": ops.squeeze, "expand": ops.expand, "gather": ops.gather, "repeat": ops.repeat,
    # the PyTorch-compatibility extras (ops/extras.py)
    "logical_and": ops.logical_and, "logical_or": ops.logical_or,
    "logical_xor": ops.logical_xor, "logical_not": ops.logical_not,
    "bitwise_and": ops.bitwise_and, "bitwise_or": ops.bitwise_or,
    "bitwise_xor": ops.bitwise_xor, "nonzero": ops.nonzero,
    "masked_fill": ops.masked_fill, "masked_select": ops.masked_select,
    "sort": ops.sort, "argsort": ops.argsort, "topk": ops.topk,
    "split": ops.split, "chunk": ops.chunk, "unbind": ops.unbind,
}

# binary operator -> (op, reflected): ``x + y`` is add(x, y); ``2 + x`` is __radd__, add(2, x)
OPERATORS = {}
for _name, _op in (("add", ops.add), ("sub", ops.sub), ("mul", ops.mul),
                   ("truediv", ops.div), ("pow", ops.pow), ("floordiv", ops.floor_divide),
                   ("mod", ops.remainder), ("matmul", ops.matmul), ("and", ops.bitwise_and),
                   ("or", ops.bitwise_or), ("xor", ops.bitwise_xor)):
    OPERATORS[f"__{_name}__"] = (_op, False)
    OPERATORS[f"__r{_name}__"] = (_op, True)

# in-place method -> (what errors call it, op): ``x += y`` writes add(x, y) into x's memory by
# the rules of ``Tensor._inplace`` (tensor.py)
INPLACE = {
    "__iadd__": ("+=", ops.add), "__isub__": ("-=", ops.sub), "__imul__": ("*=", ops.mul),
    "__itruediv__": ("/=", ops.div), "__ifloordiv__": ("//=", ops.floor_divide),
    "__imod__": ("%=", ops.remainder), "__ipow__": ("**=", ops.pow),
    "__iand__": ("&=", ops.bitwise_and), "__ior__": ("|=", ops.bitwise_or),
    "__ixor__": ("^=", ops.bitwise_xor),
    "add_": ("add_()", ops.add), "sub_": ("sub_()", ops.sub), "mul_": ("mul_()", ops.mul),
    "div_": ("div_()", ops.div), "pow_": ("pow_()", ops.pow),
    "remainder_": ("remainder_()", ops.remainder),
    "floor_divide_": ("floor_divide_()", ops.floor_divide),
}

# comparisons: boolean tensors, outside the graph (also as PyTorch's method names)
COMPARISONS = {"__lt__": operator.lt, "__le__": operator.le, "__gt__": operator.gt,
               "__ge__": operator.ge, "__eq__": operator.eq, "__ne__": operator.ne}
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    COMPARISONS[_name] = COMPARISONS[f"__{_name}__"]

# dtype shortcuts: ``t.float()`` is ``t.to(dtype=float32)``
DTYPES = {"float": np.float32, "double": np.float64, "long": np.int64, "int": np.int32,
          "bool": np.bool_, "half": np.float16}   # float16 tensors store and convert; the
# kernels refuse them with a clear error, and Module.half() refuses at once


def _named(fn, name, doc, signature=None):
    fn.__name__, fn.__qualname__, fn.__doc__ = name, f"Tensor.{name}", doc
    if signature is not None:
        fn.__signature__ = signature
    return fn


def _method(name, op):
    def method(self, *args, **kwargs):
        return op(self, *args, **kwargs)
    doc = f"``minidl.ops.{op.__name__}(self, ...)``." + (f"\n\n{op.__doc__}" if op.__doc__ else "")
    return _named(method, name, doc, inspect.signature(op))


def _operator(name, op, reflected):
    if reflected:
        def method(self, other):
            return op(other, self)
    else:
        def method(self, other):
            return op(self, other)
    args = "other, self" if reflected else "self, other"
    return _named(method, name, f"``minidl.ops.{op.__name__}({args})``.")


def _inplace(name, what, op):
    def method(self, other, **kwargs):
        return self._inplace(what, op, other, **kwargs)
    return _named(method, name, f"``self = {op.__name__}(self, other)``, written into self's "
                                "memory (outside the graph).")


def _comparison(name, fn):
    def method(self, other):
        if isinstance(other, Tensor):
            other = other.data
        elif type(other) is int and self.dtype.kind in "iu":
            other = wrap_int(other, self.dtype)  # uint8 == 257 compares with 1, as in PyTorch
        return Tensor._make(fn(self.data, other))
    return _named(method, name, f"``{fn.__name__}(self, other)`` element-wise: a bool tensor, "
                                "outside the graph.")


def _dtype_method(name, dtype):
    def method(self):
        return self.to(dtype=dtype)
    return _named(method, name, f"``self.to({np.dtype(dtype).name})``.")


# -- the bindings that are more than a call -------------------------------------------------

def to(self, *args, **kwargs):
    """A copy on another device and/or with another dtype (self when nothing changes, unless
    ``copy=True``); differentiable. PyTorch's forms: ``to(dtype)``, ``to(device)``,
    ``to(device, dtype)``, ``to(other_tensor)`` (its device and dtype), and the keywords
    ``device=``, ``dtype=``, ``non_blocking=`` (ignored), ``copy=``.
    """
    device, dtype, copy = to_args(args, kwargs)
    out = self
    if dtype is not None and dtype != self.dtype:
        out = Cast.apply(out, dtype)
    if device is not None and device != self.device:
        out = ToDevice.apply(out, device)
    if copy and out is self:
        out = Clone.apply(self)
    return out


def cpu(self):
    return self.to("cpu")


def cuda(self, index=0):
    return self.to(f"cuda:{index}")


def astype(self, dtype):
    return self.to(dtype=dtype)


def type_as(self, other):
    return self.to(dtype=other.dtype)


def clamp_(self, min=None, max=None):
    """Clamp in place (outside the graph)."""
    return self._inplace("clamp_()", ops.clamp, min, max)


def softmax(self, dim, dtype=None):
    """``minidl.softmax(self, dim, dtype=dtype)`` (dim required, as in PyTorch's method)."""
    return ops.softmax(self, dim, dtype=dtype)


def log_softmax(self, dim, dtype=None):
    """``minidl.log_softmax(self, dim, dtype=dtype)``."""
    return ops.log_softmax(self, dim, dtype=dtype)


def flip(self, *dims):
    """``minidl.flip(self, dims)``; the dims given as ints or as one sequence."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    return ops.flip(self, dims)


def __invert__(self):
    """~x for bool and integer tensors (outside the graph)."""
    if self.dtype.kind not in "biu":
        raise TypeError(f"~ (bitwise not) needs a bool or integer tensor, got {self.dtype}")
    return Tensor._make(~self.data)


def bitwise_not(self):
    return ~self


def T(self):
    """All dims reversed."""
    return ops.permute(self, *reversed(range(self.ndim)))


def mT(self):
    """The last two dims swapped (a batch of matrices transposed)."""
    if self.ndim < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {self.ndim}-D tensor.")
    return ops.transpose(self, -2, -1)


def t(self):
    if self.ndim > 2:
        raise ShapeError(f"t() expects a tensor of at most 2 dimensions, got {self.ndim}")
    return self.T


def expand_as(self, other):
    return ops.expand(self, other.shape)


def contiguous(self):
    """self when its data is C-contiguous, else a C-ordered copy (differentiable)."""
    return self if self.is_contiguous() else Clone.apply(self)   # ndarray.copy(): C order


def is_contiguous(self):
    """Whether the data is laid out in C (row-major) order, as PyTorch's default layout."""
    return bool(self.data.flags.c_contiguous)


def is_floating_point(self):
    return self.dtype.kind == "f"


def stride(self, dim=None):
    """Steps between neighbours along each dim, **in elements** (PyTorch's; NumPy's strides are
    in bytes): ``zeros(2, 3).stride() == (3, 1)``."""
    steps = tuple(int(s) // self.data.itemsize for s in self.data.strides)
    return steps if dim is None else steps[dim]


def view_as(self, other):
    """``self.view(other.shape)``."""
    return ops.reshape(self, other.shape)


def _like_self(self, dtype, device):
    return (self.dtype if dtype is None else dtype), (self.device if device is None else device)


def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    """Zeros of `size` with self's dtype and device unless given (PyTorch's ``new_zeros``)."""
    from .factories import zeros
    dtype, device = _like_self(self, dtype, device)
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    """Ones of `size` with self's dtype and device unless given."""
    from .factories import ones
    dtype, device = _like_self(self, dtype, device)
    return ones(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    """An uninitialised tensor of `size` with self's dtype and device unless given."""
    from .factories import empty
    dtype, device = _like_self(self, dtype, device)
    return empty(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """`size` filled with `fill_value`, with self's dtype (not the value's) and device."""
    from .factories import full
    dtype, device = _like_self(self, dtype, device)
    return full(size, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    """A copy of `data` as a tensor with self's dtype and device unless given."""
    from .tensor import tensor
    dtype, device = _like_self(self, dtype, device)
    return tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill self in place with N(mean, std²) draws from `generator` (default: the global one
    that ``minidl.manual_seed`` seeds), as PyTorch's ``w.data.normal_(0, 0.01)``."""
    from .random import get_generator
    self._check_inplace("normal_()")
    values = get_generator(generator).np.normal(mean, std, self.shape)
    self.data[...] = self.xp.asarray(values, dtype=self.dtype)
    return self


def uniform_(self, from_=0.0, to=1.0, *, generator=None, **kwargs):
    """Fill self in place with U[from, to) draws (PyTorch's ``uniform_(from=0, to=1)``; the
    keyword ``from`` is accepted too)."""
    from .random import get_generator
    unknown = set(kwargs) - {"from"}
    if unknown:
        raise TypeError(f"uniform_() got unexpected keyword arguments {sorted(unknown)}")
    from_ = kwargs.get("from", from_)
    self._check_inplace("uniform_()")
    values = get_generator(generator).np.uniform(from_, to, self.shape)
    self.data[...] = self.xp.asarray(values, dtype=self.dtype)
    return self


def __format__(self, format_spec):
    """A 0-d tensor formats as its number (``f"{loss:.4f}"``); others only with an empty spec."""
    if self.ndim == 0:
        return self.item().__format__(format_spec)
    return object.__format__(self, format_spec)


SPECIAL = [to, cpu, cuda, astype, type_as, clamp_, softmax, log_softmax, flip, __invert__,
           bitwise_not, t, expand_as, contiguous, is_contiguous, is_floating_point, stride,
           view_as, new_zeros, new_ones, new_empty, new_full, new_tensor, normal_, uniform_,
           __format__]
PROPERTIES = [T, mT]


def install(cls=Tensor):
    """Set every binding of the tables above on `cls` (done once, by ``minidl.ops``)."""
    for name, op in METHODS.items():
        setattr(cls, name, _method(name, op))
    for name, (op, reflected) in OPERATORS.items():
        setattr(cls, name, _operator(name, op, reflected))
    for name, (what, op) in INPLACE.items():
        setattr(cls, name, _inplace(name, what, op))
    for name, fn in COMPARISONS.items():
        setattr(cls, name, _comparison(name, fn))
    for name, dtype in DTYPES.items():
        setattr(cls, name, _dtype_method(name, dtype))
    for fn in SPECIAL:
        _named(fn, fn.__name__, fn.__doc__)
        setattr(cls, fn.__name__, fn)
    cls.clip_ = clamp_
    for fn in PROPERTIES:
        setattr(cls, fn.__name__, property(_named(fn, fn.__name__, fn.__doc__)))


install()
