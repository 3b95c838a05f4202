"""``minidl.save(obj, "net.pth")``: PyTorch's zip format, written without torch or pickle.

PyTorch reads what this writes (weights_only=True); so does ``minidl.load``
(``minidl.torch_format``, the reader this mirrors). The archive, as ``torch.save`` (2.x)
lays it out, `<name>` being the file's name without its suffix (``archive`` for a file object)::

    <name>/data.pkl                 the object, pickled (protocol 2), tensors as references
    <name>/.format_version          "1"
    <name>/.storage_alignment       "64": every member's bytes start at a multiple of 64
    <name>/byteorder                "little"
    <name>/data/0, data/1, ...      one storage (a flat array) each, raw little-endian bytes
    <name>/version                  "3\\n"
    <name>/.data/serialization_id   40 decimal digits, new for each file

Members are stored, never compressed; the alignment comes from an extra field ("FB", then
'Z's) in each member's local header, as torch's writer pads them.

**The pickle, emitted by hand.** A pickle is a program for a small stack machine (see
``minidl.torch_pickle``); a checkpoint needs only the opcodes below, so they are written
directly and ``pickle`` is never imported. A tensor is the call
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)``,
its `storage` a persistent id ``("storage", torch.FloatStorage, key, "cpu", numel)``::

    c torch._utils\\n_rebuild_tensor_v2\\n      GLOBAL: push the function
    ( ( X storage  c torch\\nFloatStorage\\n    MARK MARK the persistent id's five items
        X 0  X cpu  K 6  t  Q               ... TUPLE BINPERSID: the storage
      K 0  K 2 K 3 \\x86  K 3 K 1 \\x86       offset, size (2, 3), stride (3, 1)
      \\x89  <OrderedDict()>  t  R            requires_grad False, no hooks; TUPLE REDUCE

uint16/32/64 have no typed storage class: they go through ``_rebuild_tensor_v3`` with an
``UntypedStorage`` (counted in bytes) and the dtype as an argument, as torch writes them.

**Storages.** A tensor that views a C-contiguous NumPy array (a slice, a transpose, the same
array twice: tied weights) shares that array's storage, at its offset and strides, so it
comes back a view in PyTorch too; anything else (negative strides, a view of a view of
another dtype) gets its own storage, a contiguous copy.
"""
import collections
import os
import secrets
import struct
import zipfile

import numpy as np

from .backend import CPU, is_cupy_array, to_device
from .tensor import Tensor

ALIGNMENT = 64
TORCH_SUFFIXES = (".pt", ".pth")
_STORAGES = {np.dtype(t): name for t, name in (
    (np.float64, "DoubleStorage"), (np.float32, "FloatStorage"), (np.float16, "HalfStorage"),
    (np.int64, "LongStorage"), (np.int32, "IntStorage"), (np.int16, "ShortStorage"),
    (np.int8, "CharStorage"), (np.uint8, "ByteStorage"), (np.bool_, "BoolStorage"),
    (np.complex64, "ComplexFloatStorage"), (np.complex128, "ComplexDoubleStorage"))}
_UNTYPED = {np.dtype(np.uint16): "uint16", np.dtype(np.uint32): "uint32",
            np.dtype(np.uint64): "uint64"}


def is_torch_name(path):
    """Whether ``minidl.save`` writes PyTorch's format to `path`: a name ending .pt/.pth, or a
    file opened under such a name (``open("net.pt", "wb")``)."""
    if hasattr(path, "write"):
        path = getattr(path, "name", None)
    return (isinstance(path, (str, os.PathLike))
            and os.fspath(path).lower().endswith(TORCH_SUFFIXES))


def save_torch(obj, path):
    """Write `obj` (a dict: a state dict or a checkpoint) to `path` in PyTorch's zip format.

    `obj` may nest dicts (``OrderedDict`` too), lists, tuples, str, int, float, bool, None,
    ``minidl.Tensor``s and NumPy (or CuPy) arrays. `path`: a file name, written atomically
    (as ``minidl.save`` writes safetensors), or a binary file object, written in place.
    """
    if not isinstance(obj, dict):
        raise TypeError(f"minidl.save expects a dict (e.g. a state dict), got {type(obj).__name__}")
    pickler = _Pickler()
    pickled = pickler.dump(obj)
    if hasattr(path, "write"):
        _write_zip(path, "archive", pickled, pickler.storages)
        return
    from .serialization import atomic_write   # late: serialization imports nothing from here
    name = os.path.splitext(os.path.basename(os.fspath(path)))[0] or "archive"
    atomic_write(path, lambda f: _write_zip(f, name, pickled, pickler.storages))


# -- the pickle -------------------------------------------------------------------------------

class _Pickler:
    """Protocol-2 opcodes for one object; the storages it references, key -> flat array."""

    def __init__(self):
        self.out = bytearray()
        self.storages = {}      # key -> 1-d C-contiguous array (the bytes of data/<key>)
        self._roots = {}        # (id of a base array, dtype) -> key, for shared storages
        self._keep = []         # the base arrays, alive while their ids are keys
        self._memo = {}         # GLOBAL name -> memo index: each name written once
        self._open = set()      # containers being written: one met again is a cycle

    def dump(self, obj):
        self.out += b"\x80\x02"                 # PROTO 2
        self.value(obj, "")
        self.out += b"."                        # STOP
        return bytes(self.out)

    def value(self, v, where):
        out = self.out
        if v is None:
            out += b"N"
        elif isinstance(v, (bool, np.bool_)):
            out += b"\x88" if v else b"\x89"    # NEWTRUE / NEWFALSE
        elif isinstance(v, (int, np.integer)):
            self.int(int(v))
        elif isinstance(v, (float, np.floating)):
            out += b"G" + struct.pack(">d", float(v))   # BINFLOAT: big-endian double
        elif isinstance(v, str):
            data = v.encode("utf-8", "surrogatepass")
            out += b"X" + struct.pack("<I", len(data)) + data   # BINUNICODE
        elif _is_parameter(v):   # torch.nn.Parameter(tensor, requires_grad), as torch writes it
            self.call("torch._utils", "_rebuild_parameter", lambda: self.tensor(v, where, False),
                      lambda: self.value(bool(v.requires_grad), where),
                      lambda: self.call("collections", "OrderedDict"))
        elif isinstance(v, Tensor) or isinstance(v, np.ndarray) or is_cupy_array(v):
            self.tensor(v, where)
        elif isinstance(v, (dict, list, tuple)):
            if id(v) in self._open:
                raise ValueError(f"minidl.save: a container that contains itself (at "
                                 f"{where or 'the top level'})")
            self._open.add(id(v))
            self.container(v, where)
            self._open.discard(id(v))
        else:
            raise TypeError(f"minidl.save: cannot store a {type(v).__name__} (at "
                            f"{where or 'the top level'}); a .pt/.pth file holds tensors, "
                            "arrays, numbers, strings, None, lists, tuples and dicts")

    def int(self, n):
        if 0 <= n < 256:
            self.out += b"K" + bytes([n])                   # BININT1
        elif 0 <= n < 65536:
            self.out += b"M" + struct.pack("<H", n)         # BININT2
        elif -2 ** 31 <= n < 2 ** 31:
            self.out += b"J" + struct.pack("<i", n)         # BININT
        else:                                               # LONG1: two's complement
            data = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
            self.out += b"\x8a" + bytes([len(data)]) + data

    def container(self, v, where):
        def sub(k):
            return f"{where}.{k}" if where else str(k)
        out = self.out
        if isinstance(v, dict):
            if isinstance(v, collections.OrderedDict):
                self.call("collections", "OrderedDict")   # OrderedDict()
            else:
                out += b"}"                                 # EMPTY_DICT
            if v:
                out += b"("                                 # MARK
                for k, x in v.items():
                    if not (k is None or isinstance(k, (str, int, float))):
                        raise TypeError(f"minidl.save: a dict key of type {type(k).__name__} "
                                        f"(at {where or 'the top level'}); keys are str, int, "
                                        "float, bool or None")
                    self.value(k, where)
                    self.value(x, sub(k))
                out += b"u"                                 # SETITEMS
        elif isinstance(v, list):
            out += b"]"                                     # EMPTY_LIST
            if v:
                out += b"("
                for i, x in enumerate(v):
                    self.value(x, sub(i))
                out += b"e"                                 # APPENDS
        else:
            out += b"("
            for i, x in enumerate(v):
                self.value(x, sub(i))
            out += b"t"                                     # TUPLE

    def glob(self, module, name):
        """GLOBAL the first time (then BINPUT into the memo), BINGET after."""
        key = f"{module}\n{name}\n"
        if key in self._memo:
            i = self._memo[key]
            self.out += b"h" + bytes([i]) if i < 256 else b"j" + struct.pack("<I", i)
            return
        i = self._memo[key] = len(self._memo)
        self.out += b"c" + key.encode("ascii")
        self.out += b"q" + bytes([i]) if i < 256 else b"r" + struct.pack("<I", i)

    def call(self, module, name, *args):
        """``module.name(*args)``: GLOBAL, the arguments as a tuple, REDUCE."""
        self.glob(module, name)
        self.out += b"("
        for a in args:
            a()
        self.out += b"tR"

    def tensor(self, v, where, requires_grad=None):
        array = v.data if isinstance(v, Tensor) else v
        array = to_device(array, CPU)
        dtype = np.dtype(array.dtype).newbyteorder("=")
        if dtype not in _STORAGES and dtype not in _UNTYPED:
            raise TypeError(f"minidl.save: tensor at {where or 'the top level'} has dtype "
                            f"{array.dtype}, which PyTorch's format cannot store here")
        key, offset, size, stride = self.storage(array, dtype)
        numel = self.storages[key].size
        untyped = dtype in _UNTYPED

        def pid():  # ("storage", <type>, key, "cpu", numel) BINPERSID
            self.out += b"("
            self.value("storage", where)
            if untyped:
                self.glob("torch.storage", "UntypedStorage")
            else:
                self.glob("torch", _STORAGES[dtype])
            self.value(key, where)
            self.value("cpu", where)
            self.int(numel * dtype.itemsize if untyped else numel)
            self.out += b"tQ"
        args = [pid, lambda: self.int(offset), lambda: self.value(tuple(size), where),
                lambda: self.value(tuple(stride), where),
                lambda: self.value(bool(getattr(v, "requires_grad", False)
                                        if requires_grad is None else requires_grad), where),
                lambda: self.call("collections", "OrderedDict")]
        if untyped:
            args.append(lambda: self.glob("torch", _UNTYPED[dtype]))
        self.call("torch._utils", "_rebuild_tensor_v3" if untyped else "_rebuild_tensor_v2",
                  *args)

    def storage(self, a, dtype):
        """(key, offset, size, stride) of `a` in a storage: its base array's when `a` views
        a C-contiguous one at whole-element steps, else a new contiguous copy of its own."""
        item = dtype.itemsize
        base = a
        while isinstance(base.base, np.ndarray):
            base = base.base
        if (base.dtype == a.dtype and base.flags.c_contiguous and a.size
                and all(s >= 0 and s % item == 0 for s in a.strides)
                and not _overlaps(a.shape, a.strides)):
            delta = (a.__array_interface__["data"][0]
                     - base.__array_interface__["data"][0])
            if delta >= 0 and delta % item == 0:
                key = self._roots.get((id(base), dtype))
                if key is None:
                    key = self._new(base.reshape(-1), (id(base), dtype))
                    self._keep.append(base)
                return key, delta // item, a.shape, tuple(s // item for s in a.strides)
        stride, step = [], 1
        for n in reversed(a.shape):    # torch's contiguous strides (a 0-size dim counts as 1)
            stride.insert(0, step)
            step *= max(n, 1)
        return self._new(np.ascontiguousarray(a).reshape(-1)), 0, a.shape, tuple(stride)

    def _new(self, flat, root=None):
        key = str(len(self.storages))
        self.storages[key] = flat
        if root is not None:
            self._roots[root] = key
        return key


def _is_parameter(v):
    from .nn.parameter import Parameter   # late: minidl.nn is not imported yet when this is
    return isinstance(v, Parameter)


def _overlaps(shape, strides):
    """Whether two indices reach one element (a broadcast, stride-0 view): torch and
    ``minidl.load`` refuse such views in a file, so they get a copy."""
    extent = 1
    for n, s in sorted(((n, s) for n, s in zip(shape, strides) if n > 1), key=lambda p: p[1]):
        if s < extent:
            return True
        extent = s * (n - 1) + extent
    return False


# -- the zip archive --------------------------------------------------------------------------

def _write_zip(f, name, pickled, storages):
    """The archive torch's writer makes, members aligned to ALIGNMENT bytes from its start."""
    start = f.tell()
    serialization_id = "".join(secrets.choice("0123456789") for _ in range(40))
    members = [("data.pkl", pickled), (".format_version", b"1"),
               (".storage_alignment", str(ALIGNMENT).encode()), ("byteorder", b"little")]
    members += [(f"data/{key}", _little_endian_bytes(a)) for key, a in storages.items()]
    members += [("version", b"3\n"), (".data/serialization_id", serialization_id.encode())]
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as z:
        for member, data in members:
            info = zipfile.ZipInfo(f"{name}/{member}", date_time=(1980, 1, 1, 0, 0, 0))
            size = len(data)
            zip64 = size * 1.05 > zipfile.ZIP64_LIMIT    # the zip module's own rule
            header = 30 + len(info.filename.encode("utf-8")) + (20 if zip64 else 0)
            pad = -(f.tell() - start + header + 4) % ALIGNMENT
            info.extra = struct.pack("<2sH", b"FB", pad) + b"Z" * pad
            z.writestr(info, data)


def _little_endian_bytes(a):
    """A flat array's bytes, little-endian, as a memoryview (no copy when it is one already)."""
    a = a.astype(a.dtype.newbyteorder("<"), copy=False)
    return memoryview(np.ascontiguousarray(a).view(np.uint8)) if a.size else b""

