"""PyTorch's checkpoint files (``torch.save``, ``.pth``/``.pt``), read without torch or pickle.

``minidl.load`` sends a file here when its first bytes are a zip archive's or PyTorch's
legacy magic number; the result is what it returns for a safetensors state dict: a dict
(an ``OrderedDict``, as PyTorch saved it) of name -> ``minidl.Tensor``.

**The two formats** ``torch.save`` writes::

    zip (the default since PyTorch 1.6)        legacy (_use_new_zipfile_serialization=False)
    <name>/data.pkl     the pickled object     pickle  the magic number 0x1950a86a20f9469cfc6c
    <name>/data/<key>   one storage's bytes    pickle  protocol version 1001
    <name>/byteorder    "little" or "big"      pickle  {"little_endian": ..., "type_sizes": ...}
    <name>/version      and other small files  pickle  the pickled object
                                               pickle  the list of storage keys
                                               then, per key: int64 numel, numel * itemsize bytes

**The pickled object.** A state dict pickles as ``OrderedDict()`` filled with SETITEMS, each
tensor as a call ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
requires_grad, hooks)`` whose `storage` is a persistent id ``("storage", torch.FloatStorage,
key, location, numel)``: the tensor is a strided view into a flat array of `numel`
elements stored outside the pickle. Several tensors may view one storage. ``minidl.torch_pickle``
runs the pickle with the stand-ins below for the only names a state dict uses; any other
name is refused, so nothing in the file can run code.

**Checks, each before the allocation it guards**: each view's elements lie inside its
storage and do not overlap each other (no stride-0 expansion); its shape is one NumPy can
hold (an empty (0, 2**40, 2**40) is refused: NumPy cannot describe it); no storage claims more
bytes than the file has, their total is no more than the file's size, and each is exactly as
long as the file's bytes for it; the zip members are stored (not compressed), unencrypted
and do not overlap (a "quoted" zip whose members share bytes would make a small file
allocate many times its size), and the zip module checks their CRCs. So loading never
allocates more than the file's size in storages. Failures raise ``CheckpointError`` naming
the file and the item; values from the file are quoted cut short (``minidl.quoting``).

**No checksum in the legacy format.** A zip file's members carry CRC-32s, which the zip module
checks; a legacy file carries none, so flipped bits in its tensor data load silently, as they
do in PyTorch (which reads such a file without complaint too). Only its structure is
checked. Re-save such a file with ``minidl.save`` (or ``python -m minidl.convert``) to get a
file whose every byte is checksummed.

**Choices.** Tensors that shared a storage still share memory, as in PyTorch (views, not
copies): load never needs more memory than the storages. bfloat16, which NumPy cannot
hold, widens exactly to float32. A big-endian file (``byteorder`` "big", or legacy
``little_endian`` False) is byteswapped on load. ``torch.nn.Parameter``\\ s become
``minidl.nn.Parameter``.
"""
import collections
import contextlib
import io
import math
import os
import re
import struct
import zipfile

import numpy as np

from .backend import Device, to_device
from .nn.parameter import Parameter
from .quoting import quote, quote_list
from .serialization import CheckpointError
from .tensor import Tensor
from .torch_pickle import StandIn, read_pickle

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001
# torch's types with no NumPy counterpart: float8/float4, complex32, quantized, bits, sub-byte ints
_UNHOLDABLE = re.compile(r"float8_\w+|float4_\w+|complex32|chalf|q(u)?int\w+|Q\w*Storage"
                         r"|ComplexHalfStorage|bits\w+|u?int[1-7]")
MAX_NESTING = 64  # containers inside containers in the loaded object
BFLOAT16 = "bfloat16"  # NumPy has no bfloat16: read as uint16, widened to float32

# torch's typed storage classes (torch.FloatStorage, ...) -> the element type
STORAGES = {"DoubleStorage": np.float64, "FloatStorage": np.float32, "HalfStorage": np.float16,
            "BFloat16Storage": BFLOAT16, "LongStorage": np.int64, "IntStorage": np.int32,
            "ShortStorage": np.int16, "CharStorage": np.int8, "ByteStorage": np.uint8,
            "BoolStorage": np.bool_, "ComplexFloatStorage": np.complex64,
            "ComplexDoubleStorage": np.complex128}
# torch dtypes by name, which _rebuild_tensor_v3 names for dtypes without a typed storage class
DTYPES = {"float64": np.float64, "float32": np.float32, "float16": np.float16,
          "bfloat16": BFLOAT16, "int64": np.int64, "int32": np.int32, "int16": np.int16,
          "int8": np.int8, "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32,
          "uint64": np.uint64, "bool": np.bool_, "complex64": np.complex64,
          "complex128": np.complex128}


def is_torch_file(head):
    """Whether `head` (a file's first 32 bytes) starts a file ``torch.save`` wrote."""
    magic = b"\x8a\x0a" + LEGACY_MAGIC.to_bytes(10, "little")   # LONG1 of the magic number
    return (head[:4] in (b"PK\x03\x04", b"PK\x05\x06")               # a zip (or an empty one)
            or (head[:1] == b"\x80" and magic in (head[2:14], head[11:23])))  # PROTO [FRAME]


def load_torch_file(f, where, map_location=None):
    """Read a ``torch.save`` file: (Ordered)dict of name -> ``minidl.Tensor``.

    `f`: a seekable binary file (read from its start); `where`: its name, for messages;
    `map_location` as in ``minidl.load``. Nested checkpoints (``{"model": ..., "epoch": 3}``)
    come back nested, with their numbers, strings, lists and tuples.
    """
    size = f.seek(0, os.SEEK_END)
    f.seek(0)
    if f.read(2) == b"PK":
        obj, storages = _read_zip(f, where, size)
    else:
        obj, storages = _read_legacy(f, where, size)
    if not isinstance(obj, dict):
        raise CheckpointError(f"{where}: holds a {_kind(obj)}, not a state dict (a dict of "
                              "tensors): save model.state_dict() with torch.save")
    device = None if map_location is None else Device(map_location)
    return _Finisher(where, storages, device).value(obj, "")


# -- the stand-ins for torch's names ----------------------------------------------------------

class StorageType:
    """Stands in for ``torch.FloatStorage`` & co. (and ``torch.storage.UntypedStorage``)."""

    def __init__(self, name, dtype):
        self.name, self.dtype = name, dtype

    @property
    def itemsize(self):
        return 2 if self.dtype is BFLOAT16 else np.dtype(self.dtype).itemsize


class DType:
    """Stands in for a ``torch.<dtype>`` object (an argument of ``_rebuild_tensor_v3``)."""

    def __init__(self, name, dtype):
        self.name, self.dtype = name, dtype


class Storage:
    """One flat array in the file (a persistent id); its bytes are read after the pickle."""

    def __init__(self, key, kind, numel):
        self.key, self.kind, self.numel = key, kind, numel
        self.raw = None      # uint8 array of numel * itemsize bytes, once read
        self.typed = {}      # element type -> the raw bytes as that type (little-endian)

    @property
    def nbytes(self):
        return self.numel * self.kind.itemsize


class TensorSpec:
    """A tensor the pickle describes: a view (offset, size, stride) into a storage."""

    def __init__(self, storage, offset, size, stride, dtype, requires_grad, parameter=False):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride
        self.dtype, self.requires_grad, self.parameter = dtype, requires_grad, parameter


class _Names:
    """``find_class`` and ``persistent_load`` for one file: the only names a state dict uses."""

    def __init__(self, where, file_size):
        self.where, self.file_size = where, file_size
        self.storages = {}  # key -> Storage

    def error(self, message):
        return CheckpointError(f"{self.where}: {message}")

    def find_class(self, module, name):
        full = f"{module}.{name}"
        shown = full if len(full) <= 200 else quote(full)   # STACK_GLOBAL names are unbounded
        if full == "collections.OrderedDict":
            return StandIn(full, self.ordered_dict)
        if full in ("torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3"):
            return StandIn(full, getattr(self, name[1:]))
        if full == "torch._utils._rebuild_parameter":
            return StandIn(full, self.rebuild_parameter)
        if module == "torch" and name in STORAGES:
            return StorageType(full, STORAGES[name])
        if full == "torch.storage.UntypedStorage":
            return StorageType(full, np.uint8)
        if module == "torch" and name in DTYPES:
            return DType(full, DTYPES[name])
        if module == "torch" and _UNHOLDABLE.fullmatch(name):
            raise self.error(f"holds a tensor of type {shown}, which NumPy (so minidl) cannot "
                             "hold; convert it to float32 in PyTorch first")
        if module.startswith("__torch__"):
            raise self.error(f"refers to {shown}: a TorchScript archive (torch.jit.save), not "
                             "a state dict; save model.state_dict() with torch.save instead")
        if module.startswith("torch.nn") or module == "__main__":
            raise self.error(f"holds a pickled {shown} object: this is a whole model, not a "
                             "state dict; save model.state_dict() with torch.save instead")
        raise self.error(f"refers to {shown}, which a state dict does not use (refused: loading "
                         f"it could run code, or minidl cannot hold it)")

    def persistent_load(self, pid):
        # zip: ("storage", type, key, location, numel); legacy adds a view (None since 0.4)
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"
                and (len(pid) == 5 or pid[5] is None)):
            raise self.error("a persistent id that is not a storage reference")
        _, kind, key, location, numel = pid[:5]
        if not (isinstance(kind, StorageType) and isinstance(key, str)
                and isinstance(location, str) and _is_count(numel)):
            raise self.error(f"storage {quote(key)}: not (type, key, location, numel)"
                             if isinstance(key, str) else "a malformed storage reference")
        if numel * kind.itemsize > self.file_size:
            raise self.error(f"storage {quote(key)}: {numel} elements of {kind.name} need "
                             f"{numel * kind.itemsize} bytes; the file has {self.file_size}")
        old = self.storages.setdefault(key, Storage(key, kind, numel))
        if (old.kind.name, old.numel) != (kind.name, numel):
            raise self.error(f"storage {quote(key)} appears with two types or sizes")
        return old

    def ordered_dict(self, *args):
        if args:
            raise self.error("OrderedDict called with arguments")
        return collections.OrderedDict()

    def rebuild_tensor_v2(self, storage, offset, size, stride, requires_grad, hooks,
                          metadata=None):
        if not isinstance(storage, Storage):
            raise self.error("_rebuild_tensor_v2: its first argument is not a storage")
        return self.tensor(storage, offset, size, stride, storage.kind.dtype, requires_grad,
                           hooks, metadata)

    def rebuild_tensor_v3(self, storage, offset, size, stride, requires_grad, hooks, dtype,
                          metadata=None):
        if not (isinstance(storage, Storage) and isinstance(dtype, DType)):
            raise self.error("_rebuild_tensor_v3: expected a storage and a dtype")
        if storage.kind.dtype is not np.uint8:
            raise self.error(f"storage {quote(storage.key)}: _rebuild_tensor_v3 with a typed "
                             "storage")
        return self.tensor(storage, offset, size, stride, dtype.dtype, requires_grad, hooks,
                           metadata)

    def rebuild_parameter(self, data, requires_grad, hooks):
        if not (isinstance(data, TensorSpec) and isinstance(requires_grad, bool)
                and _is_empty_dict(hooks)):
            raise self.error("_rebuild_parameter: expected (tensor, bool, empty hooks)")
        return TensorSpec(data.storage, data.offset, data.size, data.stride, data.dtype,
                          requires_grad, parameter=True)

    def tensor(self, storage, offset, size, stride, dtype, requires_grad, hooks, metadata):
        """Check a view (in elements of `dtype`) against its storage, before any allocation."""
        name = f"a tensor in storage {quote(storage.key)}"
        if not (_is_count(offset) and _is_shape(size) and _is_shape(stride)
                and len(size) == len(stride)):
            raise self.error(f"{name}: offset/size/stride are not non-negative integers of "
                             "one length")
        if not (isinstance(requires_grad, bool) and _is_empty_dict(hooks)
                and (metadata is None or _is_empty_dict(metadata))):
            raise self.error(f"{name}: unexpected requires_grad, hooks or metadata "
                             "(tensor subclasses and hooks are not supported)")
        itemsize = 2 if dtype is BFLOAT16 else np.dtype(dtype).itemsize
        if storage.nbytes % itemsize:
            raise self.error(f"{name}: {storage.nbytes} bytes is not a whole number of "
                             f"{itemsize}-byte elements")
        available = storage.nbytes // itemsize
        if math.prod(n for n in size if n) * itemsize > np.iinfo(np.intp).max:
            raise self.error(f"{name}: size {quote(list(size))} is too large for any NumPy "
                             "array (even with a 0 in it: NumPy counts the other dims)")
        if 0 in size:
            if offset > available:
                raise self.error(f"{name}: offset {offset} past the storage's end")
        else:
            last = offset + sum((n - 1) * s for n, s in zip(size, stride))
            if last >= available:
                raise self.error(f"{name}: size {quote(list(size))}, stride "
                                 f"{quote(list(stride))}, offset {offset} reach element {last}; "
                                 f"the storage holds {available}")
            if _overlaps(size, stride):
                raise self.error(f"{name}: size {quote(list(size))} with stride "
                                 f"{quote(list(stride))} overlaps itself (expanded views are "
                                 "not supported)")
        if requires_grad and np.dtype(np.float32 if dtype is BFLOAT16 else dtype).kind not in "fc":
            raise self.error(f"{name}: requires_grad on an integer tensor")
        # a dim of size 1 (or any dim of an empty tensor) never steps: its stride, which PyTorch
        # keeps as written (it may be huge), is 0 here so that NumPy's byte strides cannot overflow
        stride = tuple(0 if n <= 1 or 0 in size else s for n, s in zip(size, stride))
        return TensorSpec(storage, offset, size, stride, dtype, requires_grad)


def _is_count(v):
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2 ** 62


def _is_shape(v):
    return isinstance(v, tuple) and len(v) <= 64 and all(map(_is_count, v))


def _is_empty_dict(v):
    return isinstance(v, dict) and not v


def _overlaps(size, stride):
    """Whether two indices of the view reach one element (dims of size 1 never step)."""
    extent = 1  # elements spanned by the dims with smaller strides
    for n, s in sorted(((n, s) for n, s in zip(size, stride) if n > 1), key=lambda p: p[1]):
        if s < extent:
            return True
        extent = s * (n - 1) + extent
    return False


def _build(names):
    """BUILD: only a state dict's ``_metadata`` (the modules' versions) is an accepted state."""
    def build(target, state):
        if not (isinstance(target, collections.OrderedDict) and isinstance(state, dict)
                and set(state) <= {"_metadata"}):
            raise names.error("a BUILD that is not a state dict's _metadata")
        if "_metadata" in state:
            target._metadata = state["_metadata"]
    return build


def _kind(obj):
    return {TensorSpec: "tensor", Storage: "bare storage"}.get(type(obj), type(obj).__name__)


# -- the zip format ---------------------------------------------------------------------------

@contextlib.contextmanager
def _zip_errors(where):
    """The zip module's ways of failing on a damaged archive, as CheckpointError."""
    try:
        yield
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
            struct.error, NotImplementedError, RuntimeError, OverflowError, KeyError,
            IndexError) as e:
        raise CheckpointError(f"{where}: a damaged zip archive ({type(e).__name__}: {e})") \
            from None


def _member(z, name, where, size):
    """The ZipInfo of `name`, checked: stored (PyTorch never compresses), unencrypted, in bounds."""
    try:
        info = z.getinfo(name)
    except KeyError:
        raise CheckpointError(f"{where}: the archive has no {quote(name)}") from None
    if info.compress_type != zipfile.ZIP_STORED:
        raise CheckpointError(f"{where}: member {quote(name)} is compressed (method "
                              f"{info.compress_type}); PyTorch stores members uncompressed")
    if info.flag_bits & 1:
        raise CheckpointError(f"{where}: member {quote(name)} is encrypted")
    if info.file_size != info.compress_size or info.file_size > size:
        raise CheckpointError(f"{where}: member {quote(name)} claims {info.file_size} bytes "
                              f"in an archive of {size}")
    return info


def _no_overlapping_members(z, f, where, size):
    """Refuse members whose bytes (local header, name, extra field, data) overlap another's.

    Every member's data is checked against the file's size alone, so members that share bytes
    -- a member whose data runs on over the next members' headers, all ending in one payload --
    would let a file claim its size many times over. ``torch.save`` never writes such a file.
    """
    spans = []
    for info in z.infolist():
        f.seek(info.header_offset)
        head = f.read(30)
        if len(head) != 30 or head[:4] != b"PK\x03\x04":
            raise CheckpointError(f"{where}: member {quote(info.filename)} has no local header "
                                  f"at byte {info.header_offset}")
        name_len, extra_len = struct.unpack("<HH", head[26:30])
        end = info.header_offset + 30 + name_len + extra_len + info.compress_size
        if end > size:
            raise CheckpointError(f"{where}: member {quote(info.filename)} runs to byte {end}, "
                                  f"past the end of the file ({size} bytes)")
        spans.append((info.header_offset, end, info.filename))
    spans.sort()
    for (_, end, first), (start, _, second) in zip(spans, spans[1:]):
        if start < end:
            raise CheckpointError(f"{where}: zip members {quote(first)} and {quote(second)} "
                                  "overlap (share bytes): a crafted archive, refused")


def _read_into(z, info, buf, where):
    """Fill `buf` (a uint8 array) with the member's bytes; the zip module checks its CRC."""
    with z.open(info) as m:
        view, done = memoryview(buf), 0
        while done < len(buf):  # in chunks: the module reads each call into a new bytes
            n = m.readinto(view[done:done + (16 << 20)])
            if not n:
                raise CheckpointError(f"{where}: member {quote(info.filename)} ends early")
            done += n
        if m.read(1):  # reading to the end is also what makes the module check the CRC
            raise CheckpointError(f"{where}: member {quote(info.filename)} is longer than expected")


def _read_zip(f, where, size):
    f.seek(0)
    with _zip_errors(where):
        z = zipfile.ZipFile(f)
        names = z.namelist()
        if not names:
            raise CheckpointError(f"{where}: an empty zip archive (no members), not a file "
                                  "torch.save wrote")
        if len(set(names)) != len(names):
            raise CheckpointError(f"{where}: a zip archive with duplicate member names")
        prefix = names[0].split("/")[0] + "/"
        order = "little"
        if prefix + "byteorder" in names:
            info = _member(z, prefix + "byteorder", where, size)
            if info.file_size > 16:
                raise CheckpointError(f"{where}: byteorder member of {info.file_size} bytes")
            order = z.read(info).decode("ascii", "replace")
            if order not in ("little", "big"):
                raise CheckpointError(f"{where}: byteorder {quote(order)} is not little or big")
        info = _member(z, prefix + "data.pkl", where, size)
        pickled = z.read(info)
        names_ = _Names(where, size)
        obj = read_pickle(io.BytesIO(pickled), len(pickled), f"{where} (data.pkl)",
                          names_.find_class, names_.persistent_load, _build(names_))
        _no_overlapping_members(z, f, where, size)
        total = sum(storage.nbytes for storage in names_.storages.values())
        if total > size:
            raise CheckpointError(f"{where}: its {len(names_.storages)} storages need {total} "
                                  f"bytes in all; the file has {size}")
        for key, storage in names_.storages.items():
            info = _member(z, f"{prefix}data/{key}", where, size)
            if info.file_size != storage.nbytes:
                raise CheckpointError(f"{where}: storage {quote(key)} should hold {storage.numel} "
                                      f"elements of {storage.kind.name} ({storage.nbytes} "
                                      f"bytes); the archive holds {info.file_size}")
        for key, storage in names_.storages.items():  # every size checked: now allocate
            storage.raw = np.empty(storage.nbytes, np.uint8)
            _read_into(z, z.getinfo(f"{prefix}data/{key}"), storage.raw, where)
            _to_little_endian(storage, order)
    return obj, names_.storages


# -- the legacy format ------------------------------------------------------------------------

def _read_legacy(f, where, size):
    f.seek(0)
    names = _Names(where, size)

    def plain():  # the small header pickles: no names, no storages
        def no_names(module, name):
            raise CheckpointError(f"{where}: refers to {module}.{name} in a header pickle")

        def no_pid(pid):
            raise CheckpointError(f"{where}: a storage in a header pickle")
        return read_pickle(f, size, where, no_names, no_pid)

    if plain() != LEGACY_MAGIC:
        raise CheckpointError(f"{where}: not a PyTorch file (wrong magic number)")
    if plain() != LEGACY_PROTOCOL:
        raise CheckpointError(f"{where}: legacy protocol version is not {LEGACY_PROTOCOL}")
    info = plain()
    if not (isinstance(info, dict) and isinstance(info.get("little_endian"), bool)):
        raise CheckpointError(f"{where}: the system-info pickle lacks little_endian")
    order = "little" if info["little_endian"] else "big"
    obj = read_pickle(f, size, where, names.find_class, names.persistent_load, _build(names))
    keys = plain()
    if not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)
            and len(set(keys)) == len(keys)):
        raise CheckpointError(f"{where}: the storage key list is not a list of distinct strings")
    if set(keys) != set(names.storages):
        unused = [k for k in keys if k not in names.storages]
        unlisted = [k for k in names.storages if k not in set(keys)]
        raise CheckpointError(f"{where}: the storage key list does not match the storages "
                              f"the tensors use (listed but unused: {quote_list(unused)}; "
                              f"used but not listed: {quote_list(unlisted)})")
    for key in keys:  # each: numel (int64), then numel * itemsize bytes
        storage = names.storages[key]
        head = f.read(8)
        if len(head) != 8:
            raise CheckpointError(f"{where}: the file ends before storage {quote(key)}: truncated?")
        numel = int.from_bytes(head, order, signed=True)
        if numel != storage.numel:
            raise CheckpointError(f"{where}: storage {quote(key)} has {numel} elements in the "
                                  "data, "
                                  f"{storage.numel} in the pickle")
        left = size - f.tell()
        if storage.nbytes > left:
            raise CheckpointError(f"{where}: storage {quote(key)} needs {storage.nbytes} bytes, "
                                  f"{left} are left: truncated?")
        storage.raw = np.empty(storage.nbytes, np.uint8)
        if f.readinto(memoryview(storage.raw)) != storage.nbytes:
            raise CheckpointError(f"{where}: the file ends inside storage {quote(key)}")
        _to_little_endian(storage, order)
    if f.tell() != size:
        raise CheckpointError(f"{where}: {size - f.tell()} bytes after the last storage")
    return obj, names.storages


def _to_little_endian(storage, order):
    if order == "big" and storage.kind.itemsize > 1:
        b = storage.raw.reshape(-1, storage.kind.itemsize)
        b[:] = b[:, ::-1]


# -- from descriptions to minidl tensors ------------------------------------------------------

class _Finisher:
    """Walk the unpickled object, turning each TensorSpec into a Tensor (once per spec)."""

    def __init__(self, where, storages, device):
        self.where, self.storages, self.device = where, storages, device
        self.done = {}      # id(spec or container) -> result; views shared stay shared
        self.open = set()   # containers being walked: one met again is a cycle

    def error(self, path, message):
        return CheckpointError(f"{self.where}: at {quote(path) if path else 'the top level'}: "
                               f"{message}")

    def value(self, obj, path, depth=0):
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return obj
        if id(obj) in self.done:
            return self.done[id(obj)]
        if isinstance(obj, TensorSpec):
            out = self.tensor(obj)
        elif isinstance(obj, (dict, list, tuple)):
            if depth >= MAX_NESTING:
                raise self.error(path, f"nested more than {MAX_NESTING} deep")
            if id(obj) in self.open:
                raise self.error(path, "a container that contains itself")
            self.open.add(id(obj))
            out = self.container(obj, path, depth)
            self.open.discard(id(obj))
        else:
            raise self.error(path, f"a {_kind(obj)} where a state dict holds tensors, "
                                   "numbers, strings, lists or dicts")
        self.done[id(obj)] = out
        return out

    def container(self, obj, path, depth):
        def sub(k):
            return f"{path}.{k}" if path else str(k)
        if isinstance(obj, dict):
            out = type(obj)((k, self.value(v, sub(k), depth + 1)) for k, v in obj.items())
            if hasattr(obj, "_metadata"):
                out._metadata = self.value(obj._metadata, sub("_metadata"), depth + 1)
            return out
        items = [self.value(v, sub(i), depth + 1) for i, v in enumerate(obj)]
        return items if isinstance(obj, list) else tuple(items)

    def tensor(self, spec):
        typed = _typed(spec.storage, spec.dtype)
        item = typed.itemsize
        array = np.lib.stride_tricks.as_strided(
            typed[spec.offset:], shape=spec.size, strides=[s * item for s in spec.stride],
            writeable=True)
        if self.device is not None and self.device.type != "cpu":
            array = to_device(array, self.device)
        if spec.parameter:
            return Parameter(Tensor(array), requires_grad=spec.requires_grad)
        return Tensor(array, requires_grad=spec.requires_grad)


def _typed(storage, dtype):
    """The storage's bytes as `dtype` elements (little-endian by now); bfloat16 -> float32."""
    if dtype not in storage.typed:
        if dtype is BFLOAT16:
            bits = storage.raw.view("<u2").astype(np.uint32) << 16
            storage.typed[dtype] = bits.view(np.float32)
        else:
            storage.typed[dtype] = storage.raw.view(np.dtype(dtype).newbyteorder("<"))
    return storage.typed[dtype]
