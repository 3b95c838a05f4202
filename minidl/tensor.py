"""``minidl.Tensor``: an array (NumPy or CuPy) plus what autograd needs to know about it.

A Tensor holds

- ``data``: the array itself (``numpy.ndarray`` on "cpu", ``cupy.ndarray`` on "cuda");
- ``requires_grad``: whether gradients should flow to it;
- ``grad_fn``: the graph node (a ``Function``) that produced it, None for leaves;
- ``grad``: after ``backward()``, a Tensor with the gradient. Gradients **accumulate** across
  ``backward()`` calls, as in PyTorch: zero them between steps (``optimizer.zero_grad()``).

The tensor knows no math. Its operators and op methods (``x + y``, ``x.sum()``, ``x.to()``) are
bound onto it from the tables of ``minidl.tensor_methods`` when ``minidl.ops`` is imported; each
hands the work to a function in ``minidl.ops``. So this file imports no op; its one reach into
the ops package is ``ops/_util.py`` (``ShapeError`` and the in-place cast rule), a leaf module
of NumPy helpers, imported where an error is raised.
"""
import numbers
from collections import OrderedDict

import numpy as np

from . import autograd
from .backend import CPU, Device, device_of, get_array_module, to_device

DEFAULT_DTYPE = np.dtype(np.float32)
_SHOWN_BY_VALUES = (DEFAULT_DTYPE, np.dtype(np.int64), np.dtype(bool), np.dtype(np.complex64))


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
    def data(self):
        """The NumPy (or CuPy) array holding the values (PyTorch's ``.data`` is a Tensor)."""
        return self._data

    @data.setter
    def data(self, value):
        # ``p.data = other_tensor`` (PyTorch's way to swap a parameter's values) stores the
        # other tensor's array, not the Tensor itself (which would fail later, in the optimizer)
        self._data = value.data if isinstance(value, Tensor) else value

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

    # -- printing ----------------------------------------------------------------------------
    def __repr__(self):
        body = np.array2string(to_device(self.data, CPU), separator=", ", precision=4,
                               prefix="tensor(")
        extras = []
        if self.device != CPU:
            extras.append(f"device='{self.device}'")
        # PyTorch's rule: the dtype is named unless the values show it (float32, int64, bool,
        # complex64); an empty tensor shows no values, so it names any dtype but float32
        if self.data.size == 0:
            if self.ndim != 1:
                extras.append(f"size={self.shape}")
            if self.dtype != DEFAULT_DTYPE:
                extras.append(f"dtype=minidl.{self.dtype.name}")
        elif self.dtype not in _SHOWN_BY_VALUES:
            extras.append(f"dtype=minidl.{self.dtype.name}")
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

