"""``minidl.Tensor``: an array (NumPy or CuPy) plus what autograd needs to know about it.

A Tensor holds

- ``data``: the array itself (``numpy.ndarray`` on "cpu", ``cupy.ndarray`` on "cuda");
- ``requires_grad``: whether gradients should flow to it;
- ``grad_fn``: the graph node (a ``Function``) that produced it, None for leaves;
- ``grad``: after ``backward()``, a Tensor with the gradient. Gradients **accumulate** across
  ``backward()`` calls, as in PyTorch: zero them between steps (``optimizer.zero_grad()``).

The tensor knows no math: every method below hands the work to a ``Function`` in ``minidl.ops``.
"""
import numbers
from collections import OrderedDict

import numpy as np

from . import autograd
from .backend import CPU, Device, device_of, get_array_module, to_device

DEFAULT_DTYPE = np.dtype(np.float32)


def _as_dtype(dtype):
    return None if dtype is None else np.dtype(dtype)


class Tensor:
    __array_priority__ = 1000  # numpy_array + tensor calls Tensor.__radd__, not numpy's add

    def __init__(self, data, requires_grad=False):
        """Wrap an array. Most code should call ``minidl.tensor(...)`` instead."""
        if isinstance(data, Tensor):
            data = data.data
        xp = get_array_module(data)
        self.data = data if isinstance(data, xp.ndarray) else np.asarray(data)
        self.grad = None
        self.grad_fn = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, array, requires_grad=False):
        """Wrap an array an op produced (no checks: the op knows what it made)."""
        if isinstance(array, np.generic):  # NumPy turns 0-d results into scalars
            array = np.asarray(array)
        t = cls.__new__(cls)
        t.data, t.grad, t.grad_fn, t.requires_grad = array, None, None, requires_grad
        return t

    # -- what a tensor is -------------------------------------------------------------------
    @property
    def shape(self):
        return tuple(self.data.shape)

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def device(self):
        return device_of(self.data)

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def xp(self):
        """The array module of this tensor's data (numpy or cupy)."""
        return get_array_module(self.data)

    @property
    def is_leaf(self):
        return self.grad_fn is None

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def dim(self):
        return self.data.ndim

    def numel(self):
        return int(self.data.size)

    nelement = numel

    def element_size(self):
        """Bytes per element."""
        return int(self.data.itemsize)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.dtype.kind not in "fc":
            raise RuntimeError(f"only floating-point tensors can require gradients, "
                               f"this one is {self.dtype}")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad can only be switched off on leaf tensors: "
                               "use detach()")
        self.requires_grad = requires_grad
        return self

    # -- leaving the graph, changing device or dtype ------------------------------------------
    def detach(self):
        """The same data, cut off from the graph."""
        return Tensor._make(self.data)

    def numpy(self):
        """The data as a NumPy array (copied from the GPU when needed; shared on the CPU)."""
        if self.requires_grad:
            raise RuntimeError("numpy() on a tensor that requires grad: call detach().numpy()")
        return to_device(self.data, CPU)

    def item(self):
        if self.data.size != 1:
            from .ops._util import ShapeError
            raise ShapeError(f"item() needs a tensor with one element, this one has shape "
                             f"{self.shape}")
        return self.data.reshape(()).item()

    def tolist(self):
        return to_device(self.data, CPU).tolist()

    def __array__(self, dtype=None, copy=None):
        a = to_device(self.data, CPU)
        return a if dtype is None else a.astype(dtype)

    def to(self, *args, **kwargs):
        """A copy on another device and/or with another dtype (self when nothing changes, unless
        ``copy=True``); differentiable. PyTorch's forms: ``to(dtype)``, ``to(device)``,
        ``to(device, dtype)``, ``to(other_tensor)`` (its device and dtype), and the keywords
        ``device=``, ``dtype=``, ``non_blocking=`` (ignored), ``copy=``.
        """
        from .ops.shape import ToDevice
        from .ops.elementwise import Cast, Clone
        device, dtype, copy = _to_args(args, kwargs)
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

    def float(self):
        return self.to(dtype=np.float32)

    def double(self):
        return self.to(dtype=np.float64)

    def long(self):
        return self.to(dtype=np.int64)

    def int(self):
        return self.to(dtype=np.int32)

    def bool(self):
        return self.to(dtype=np.bool_)

    def astype(self, dtype):
        return self.to(dtype=dtype)

    def type_as(self, other):
        return self.to(dtype=other.dtype)

    # -- in place, outside the graph ---------------------------------------------------------
    # minidl records no in-place writes in the graph. So they are refused on a tensor that
    # requires grad (unless grad mode is off, as when an optimizer updates parameters), and a
    # value that requires grad may not be written in while grad mode is on: its gradient
    # would be silently lost.
    def _check_inplace(self, what, value=None):
        if not autograd.is_grad_enabled():
            return
        if self.requires_grad:
            raise RuntimeError(f"{what} on a tensor that requires grad: do it under "
                               "minidl.no_grad() (e.g. when updating parameters)")
        if isinstance(value, Tensor) and value.requires_grad:
            raise RuntimeError(f"{what} with a value that requires grad: minidl does not record "
                               "in-place writes, so its gradient would be lost; build the "
                               "result out of place (e.g. with where or cat), or write "
                               "value.detach()")

    def _write(self, what, result):
        """Store `result` (a Tensor) into this tensor's memory, by PyTorch's in-place rules."""
        from .ops._util import ShapeError, can_cast_inplace
        if not can_cast_inplace(result.dtype, self.dtype):
            raise RuntimeError(f"{what}: result type {result.dtype} can't be cast to the "
                               f"desired output type {self.dtype}")
        if result.shape != self.shape:
            raise ShapeError(f"{what}: output with shape {self.shape} doesn't match the "
                             f"broadcast shape {result.shape}")
        self.data[...] = result.data
        return self

    def _inplace(self, what, op, *args, **kwargs):
        """``self = op(self, *args)`` written into self's memory (x += y, x.add_(y), ...)."""
        self._check_inplace(what, *args[:1])
        with autograd.no_grad():
            result = op(self, *args, **kwargs)
        return self._write(what, result)

    def zero_(self):
        self._check_inplace("zero_()")
        self.data[...] = 0
        return self

    def fill_(self, value):
        self._check_inplace("fill_()", value)
        self.data[...] = value.data if isinstance(value, Tensor) else value
        return self

    def copy_(self, src):
        """Copy `src` (broadcast to this shape, cast to this dtype) into this tensor."""
        self._check_inplace("copy_()", src)
        src = src.data if isinstance(src, Tensor) else src
        try:
            fits = np.broadcast_shapes(tuple(src.shape), self.shape) == self.shape
        except ValueError:
            fits = False
        if not fits:
            from .ops._util import ShapeError
            raise ShapeError(f"copy_(): source shape {tuple(src.shape)} does not broadcast to "
                             f"the tensor's shape {self.shape}")
        self.data[...] = to_device(src, self.device)
        return self

    def __setitem__(self, index, value):
        self._check_inplace("item assignment", value)
        value = value.data if isinstance(value, Tensor) else value
        self.data[_raw_index(index)] = value

    def __iadd__(self, other):
        return self._inplace("+=", ops.add, other)

    def __isub__(self, other):
        return self._inplace("-=", ops.sub, other)

    def __imul__(self, other):
        return self._inplace("*=", ops.mul, other)

    def __itruediv__(self, other):
        return self._inplace("/=", ops.div, other)

    def __ifloordiv__(self, other):
        return self._inplace("//=", ops.floor_divide, other)

    def __imod__(self, other):
        return self._inplace("%=", ops.remainder, other)

    def __ipow__(self, other):
        return self._inplace("**=", ops.pow, other)

    def __iand__(self, other):
        return self._inplace("&=", ops.bitwise_and, other)

    def __ior__(self, other):
        return self._inplace("|=", ops.bitwise_or, other)

    def __ixor__(self, other):
        return self._inplace("^=", ops.bitwise_xor, other)

    def pow_(self, other):
        return self._inplace("pow_()", ops.pow, other)

    def remainder_(self, other):
        return self._inplace("remainder_()", ops.remainder, other)

    def floor_divide_(self, other):
        return self._inplace("floor_divide_()", ops.floor_divide, other)

    def add_(self, other, *, alpha=1):
        return self._inplace("add_()", ops.add, other, alpha=alpha)

    def sub_(self, other, *, alpha=1):
        return self._inplace("sub_()", ops.sub, other, alpha=alpha)

    def mul_(self, other):
        return self._inplace("mul_()", ops.mul, other)

    def div_(self, other):
        return self._inplace("div_()", ops.div, other)

    def clamp_(self, min=None, max=None):
        return self._inplace("clamp_()", ops.clamp, min, max)

    clip_ = clamp_

    # -- printing ----------------------------------------------------------------------------
    def __repr__(self):
        body = np.array2string(to_device(self.data, CPU), separator=", ", precision=4,
                               prefix="tensor(")
        extras = []
        if self.dtype != DEFAULT_DTYPE and self.dtype.kind == "f":
            extras.append(f"dtype={self.dtype}")
        if self.device != CPU:
            extras.append(f"device='{self.device}'")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor of shape {self.shape} is ambiguous")
        return bool(self.data.reshape(()))

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer tensors of one element can be used as an index")
        return int(self.item())

    __hash__ = object.__hash__

    # -- autograd ----------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        """Backpropagate from this tensor; leaves' ``.grad`` accumulate (zero them yourself).

        A scalar needs no `gradient`; any other shape needs one of its own shape. The graph is
        freed as backward passes unless ``retain_graph=True``; ``create_graph`` (higher-order
        gradients) is not supported.
        """
        if create_graph:
            raise NotImplementedError("backward(create_graph=True): higher-order gradients are "
                                      "not supported by minidl")
        root = autograd._root_grad(self, gradient)
        autograd.run_backward([self], [root], retain_graph=retain_graph)

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward (a no-op on leaves)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            import weakref
            object.__setattr__(self.grad_fn, "_retained", weakref.ref(self))

    @property
    def retains_grad(self):
        ref = None if self.grad_fn is None else self.grad_fn.__dict__.get("_retained")
        return ref is not None and ref() is self

    def register_hook(self, hook):
        """Call ``hook(grad)`` with this tensor's gradient during backward; a non-None result
        replaces the gradient. Returns a handle whose ``remove()`` unregisters it."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                               "gradient")
        if self.grad_fn is not None:
            hooks = self.grad_fn.__dict__.get("_tensor_hooks")
            if hooks is None:
                hooks = OrderedDict()          # (a plain dict cannot be weakly referenced)
                object.__setattr__(self.grad_fn, "_tensor_hooks", hooks)
        else:
            hooks = self.__dict__.setdefault("_hooks", OrderedDict())
        handle = autograd.RemovableHandle(hooks)
        hooks[handle.id] = hook                # run in the order registered
        return handle

    # -- arithmetic (each a Function in minidl.ops) --------------------------------------------
    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(other, self)

    def __sub__(self, other):
        return ops.sub(self, other)

    def __rsub__(self, other):
        return ops.sub(other, self)

    def __mul__(self, other):
        return ops.mul(self, other)

    def __rmul__(self, other):
        return ops.mul(other, self)

    def __truediv__(self, other):
        return ops.div(self, other)

    def __rtruediv__(self, other):
        return ops.div(other, self)

    def __pow__(self, other):
        return ops.pow(self, other)

    def __rpow__(self, other):
        return ops.pow(other, self)

    def __floordiv__(self, other):
        return ops.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return ops.floor_divide(other, self)

    def __mod__(self, other):
        return ops.remainder(self, other)

    def __rmod__(self, other):
        return ops.remainder(other, self)

    def __neg__(self):
        return ops.neg(self)

    def __abs__(self):
        return ops.abs(self)

    def __pos__(self):
        return ops.positive(self)

    def neg(self):
        return ops.neg(self)

    negative = neg

    # PyTorch's method spellings
    def add(self, other, *, alpha=1):
        return ops.add(self, other, alpha=alpha)

    def sub(self, other, *, alpha=1):
        return ops.sub(self, other, alpha=alpha)

    def mul(self, other):
        return ops.mul(self, other)

    def div(self, other):
        return ops.div(self, other)

    def pow(self, other):
        return ops.pow(self, other)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __getitem__(self, index):
        return ops.getitem(self, index)

    # comparisons give boolean tensors outside the graph
    def _compare(self, other, fn):
        if isinstance(other, Tensor):
            other = other.data
        elif type(other) is int and self.dtype.kind in "iu":
            from .ops._util import wrap_int
            other = wrap_int(other, self.dtype)  # uint8 == 257 compares with 1, as in PyTorch
        return Tensor._make(fn(self.data, other))

    def __lt__(self, other):
        return self._compare(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._compare(other, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._compare(other, lambda a, b: a > b)

    def __ge__(self, other):
        return self._compare(other, lambda a, b: a >= b)

    def __eq__(self, other):
        return self._compare(other, lambda a, b: a == b)

    def __ne__(self, other):
        return self._compare(other, lambda a, b: a != b)

    # PyTorch's method spellings of the comparisons and logical ops (all outside the graph)
    def eq(self, other):
        return self == other

    def ne(self, other):
        return self != other

    def lt(self, other):
        return self < other

    def le(self, other):
        return self <= other

    def gt(self, other):
        return self > other

    def ge(self, other):
        return self >= other

    def logical_and(self, other):
        return ops.logical_and(self, other)

    def logical_or(self, other):
        return ops.logical_or(self, other)

    def logical_xor(self, other):
        return ops.logical_xor(self, other)

    def logical_not(self):
        return ops.logical_not(self)

    def __and__(self, other):
        return ops.bitwise_and(self, other)

    def __rand__(self, other):
        return ops.bitwise_and(other, self)

    def __or__(self, other):
        return ops.bitwise_or(self, other)

    def __ror__(self, other):
        return ops.bitwise_or(other, self)

    def __xor__(self, other):
        return ops.bitwise_xor(self, other)

    def __rxor__(self, other):
        return ops.bitwise_xor(other, self)

    def bitwise_and(self, other):
        return ops.bitwise_and(self, other)

    def bitwise_or(self, other):
        return ops.bitwise_or(self, other)

    def bitwise_xor(self, other):
        return ops.bitwise_xor(self, other)

    def bitwise_not(self):
        return ~self

    def nonzero(self, *, as_tuple=False):
        return ops.nonzero(self, as_tuple=as_tuple)

    def __invert__(self):
        if self.dtype.kind not in "biu":
            raise TypeError(f"~ (bitwise not) needs a bool or integer tensor, got {self.dtype}")
        return Tensor._make(~self.data)

    # -- math --------------------------------------------------------------------------------
    def exp(self):
        return ops.exp(self)

    def log(self):
        return ops.log(self)

    def tanh(self):
        return ops.tanh(self)

    def sigmoid(self):
        return ops.sigmoid(self)

    def relu(self):
        return ops.relu(self)

    def abs(self):
        return ops.abs(self)

    def sqrt(self):
        return ops.sqrt(self)

    def exp2(self):
        return ops.exp2(self)

    def log2(self):
        return ops.log2(self)

    def log10(self):
        return ops.log10(self)

    def log1p(self):
        return ops.log1p(self)

    def expm1(self):
        return ops.expm1(self)

    def sin(self):
        return ops.sin(self)

    def cos(self):
        return ops.cos(self)

    def square(self):
        return ops.square(self)

    def rsqrt(self):
        return ops.rsqrt(self)

    def reciprocal(self):
        return ops.reciprocal(self)

    def sign(self):
        return ops.sign(self)

    def floor(self):
        return ops.floor(self)

    def ceil(self):
        return ops.ceil(self)

    def round(self, *, decimals=0):
        return ops.round(self, decimals=decimals)

    def masked_fill(self, mask, value):
        return ops.masked_fill(self, mask, value)

    def masked_select(self, mask):
        return ops.masked_select(self, mask)

    def gather(self, dim, index):
        return ops.gather(self, dim, index)

    def repeat(self, *sizes):
        return ops.repeat(self, *sizes)

    def sort(self, dim=-1, descending=False, stable=False):
        return ops.sort(self, dim, descending, stable)

    def argsort(self, dim=-1, descending=False, stable=False):
        return ops.argsort(self, dim, descending, stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return ops.topk(self, k, dim, largest, sorted)

    def clamp(self, min=None, max=None):
        return ops.clamp(self, min, max)

    clip = clamp

    def clone(self):
        return ops.clone(self)

    def softmax(self, dim, dtype=None):
        return ops.softmax(self, dim, dtype=dtype)

    def log_softmax(self, dim, dtype=None):
        return ops.log_softmax(self, dim, dtype=dtype)

    def sum(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        return ops.sum(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return ops.mean(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return ops.max(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return ops.min(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        return ops.prod(self, dim, keepdim, dtype=dtype)

    def cumsum(self, dim, *, dtype=None):
        return ops.cumsum(self, dim, dtype=dtype)

    def logsumexp(self, dim, keepdim=False):
        return ops.logsumexp(self, dim, keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return ops.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return ops.std(self, dim, unbiased, keepdim, correction=correction)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        return ops.norm(self, p, dim, keepdim, dtype)

    def any(self, dim=None, keepdim=False):
        return ops.any(self, dim, keepdim)

    def all(self, dim=None, keepdim=False):
        return ops.all(self, dim, keepdim)

    def amax(self, dim=None, keepdim=False):
        return ops.amax(self, dim, keepdim)

    def amin(self, dim=None, keepdim=False):
        return ops.amin(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return ops.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return ops.argmin(self, dim, keepdim)

    def matmul(self, other):
        return ops.matmul(self, other)

    # -- shape -------------------------------------------------------------------------------
    def reshape(self, *shape):
        return ops.reshape(self, *shape)

    view = reshape

    def transpose(self, dim0, dim1):
        return ops.transpose(self, dim0, dim1)

    def permute(self, *dims):
        return ops.permute(self, *dims)

    @property
    def T(self):
        return ops.permute(self, *reversed(range(self.ndim)))

    @property
    def mT(self):
        """The last two dims swapped (a batch of matrices transposed)."""
        if self.ndim < 2:
            raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. "
                               f"Got {self.ndim}-D tensor.")
        return ops.transpose(self, -2, -1)

    def split(self, split_size_or_sections, dim=0):
        return ops.split(self, split_size_or_sections, dim)

    def chunk(self, chunks, dim=0):
        return ops.chunk(self, chunks, dim)

    def unbind(self, dim=0):
        return ops.unbind(self, dim)

    def flip(self, *dims):
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = dims[0]
        return ops.flip(self, dims)

    def t(self):
        if self.ndim > 2:
            raise ValueError(f"t() expects a tensor of at most 2 dimensions, got {self.ndim}")
        return self.T

    def flatten(self, start_dim=0, end_dim=-1):
        return ops.flatten(self, start_dim, end_dim)

    def unsqueeze(self, dim):
        return ops.unsqueeze(self, dim)

    def squeeze(self, dim=None):
        return ops.squeeze(self, dim)

    def expand(self, *sizes):
        return ops.expand(self, *sizes)

    def expand_as(self, other):
        return ops.expand(self, other.shape)

    def contiguous(self):
        return self


def _to_args(args, kwargs):
    """(device, dtype, copy) from the arguments of ``Tensor.to`` (see there)."""
    device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
    copy = bool(kwargs.pop("copy", False))
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to(): unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif isinstance(a, bool):
            pass  # non_blocking, given positionally
        elif isinstance(a, Device) or (isinstance(a, str) and a.split(":")[0] in ("cpu", "cuda")):
            device = a
        else:
            try:
                dtype = np.dtype(a)
            except TypeError:
                device = a  # not a dtype: let Device say what is wrong with it
    return (None if device is None else Device(device),
            None if dtype is None else np.dtype(dtype), copy)


def _raw_index(index):
    """An index with Tensors replaced by their arrays.

    PyTorch (2.13 still, with a deprecation warning) reads a list holding a sequence, slice,
    None, Ellipsis or tensor as a tuple: ``t[[[0, 1], [1, 2]]]`` is ``t[[0, 1], [1, 2]]``
    (NumPy would read it as one (2, 2) index array); minidl does the same.
    """
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list) and len(index) < 32 and any(
            isinstance(i, (list, tuple, slice, Tensor, np.ndarray)) or i is None or i is Ellipsis
            for i in index):
        import warnings
        warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated "
                      "(as in PyTorch); use x[tuple(seq)] instead of x[seq]", UserWarning,
                      stacklevel=3)
        index = tuple(index)
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new leaf tensor holding a copy of `data` (a list, number, array or Tensor).

    Python floats become float32 (the default dtype); NumPy arrays keep their floating dtype,
    so float64 stays float64. Python integers become int64, booleans bool.
    """
    dtype = _as_dtype(dtype)
    if isinstance(data, Tensor):
        data = data.data
    xp = get_array_module(data)
    if xp is np:
        from_python = not isinstance(data, (np.ndarray, np.generic))
        array = np.array(data, dtype=dtype)
        if dtype is None and from_python and array.dtype == np.float64:
            array = array.astype(DEFAULT_DTYPE)
        if dtype is None and from_python and array.dtype.kind == "i":
            array = array.astype(np.int64)
    else:
        array = data.astype(dtype) if dtype is not None else data.copy()
    if array.dtype.kind not in "biufc":
        raise TypeError(f"minidl.tensor: cannot make a tensor of dtype {array.dtype}")
    if device is not None:
        array = to_device(array, Device(device))
    return Tensor(array, requires_grad=requires_grad)


def from_numpy(array):
    """A tensor sharing memory with a NumPy array (keeps its dtype)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    return Tensor(array)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_number(obj):
    return isinstance(obj, numbers.Number) and not isinstance(obj, bool)


from . import ops  # noqa: E402  (ops need Tensor defined first)
