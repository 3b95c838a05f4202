"""``minidl.save`` / ``minidl.load``: state dicts in the safetensors format, written by hand.

**The format** (https://github.com/huggingface/safetensors), byte by byte::

    [8 bytes]   N, the header's length, an unsigned little-endian 64-bit integer
    [N bytes]   the header: a JSON object, padded with spaces
                {"__metadata__": {"key": "value", ...},             (optional, str -> str)
                 "features.0.weight": {"dtype": "F32", "shape": [96, 3, 11, 11],
                                       "data_offsets": [0, 139392]},
                 ...}
    [the rest]  the data buffer: every tensor's bytes, little-endian, C order, back to back;
                data_offsets are [begin, end) within this buffer, which they tile exactly

Nothing in it can run code, unlike a pickle (``torch.save``): loading a file from a stranger
is safe. PyTorch reads and writes the same files with ``safetensors.torch`` and NumPy with
``safetensors.numpy``; minidl needs neither.

**What minidl adds.** A plain state dict (str -> Tensor or array) is stored exactly as above,
so ``minidl.save(model.state_dict(), "vgg.safetensors")`` is an ordinary safetensors file. For
anything else (a training checkpoint: nested dicts, lists, numbers, strings), the tensors go in
the data buffer under their path joined by dots (``optimizer.state.0.momentum_buffer``) and
the whole structure goes in the metadata, as JSON with the tensors replaced by
``{"__tensor__": name}``. ``load`` rebuilds the structure, with ``minidl.Tensor``s on the CPU.

**Safety.** ``save`` writes a temporary file next to the target, flushes it to disk, then
renames it over the target (``os.replace``, atomic): a crash mid-save leaves the previous file
whole. ``load`` checks the header before reading any data: a truncated or corrupt file raises
``CheckpointError`` naming the file and what is wrong.

**Checksums.** Every file ``save`` writes carries two CRC-32s in its metadata
(``minidl.crc32.header``, ``minidl.crc32.data``, 8 hex digits each): one of the header (its JSON
re-serialised with sorted keys, less these two entries) and one of the data buffer. ``load``
checks both, so a flipped byte that still parses -- a digit of a learning rate in the
structure, a weight's bytes -- is a ``CheckpointError`` rather than a silently different
model. Files from elsewhere have no such entries and load as before. CRC-32 (``zlib.crc32``)
rather than SHA-256: the aim is to catch accidental damage (disk, copy, truncation), which
CRC-32 catches surely for any damaged span of up to 32 bits and with odds 2^-32 otherwise, at
about 4.6 GB/s against SHA-256's 1.8 GB/s (one core of the 2-core test machine). A hash in an
unsigned file would not stop deliberate tampering either: whoever edits the file rewrites the
hash.
"""
import contextlib
import errno
import json
import math
import os
import re
import secrets
import stat
import zlib

import numpy as np

from .backend import CPU, Device, is_cupy_array, to_device
from .tensor import Tensor

DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "C64": np.complex64,
          "I64": np.int64, "I32": np.int32, "I16": np.int16, "I8": np.int8,
          "U64": np.uint64, "U32": np.uint32, "U16": np.uint16, "U8": np.uint8, "BOOL": np.bool_}
_CODES = {np.dtype(t): code for code, t in DTYPES.items()}
# valid safetensors dtypes that NumPy cannot hold
_NO_NUMPY = {"BF16", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4"}
STRUCTURE_KEY = "minidl.structure"
HEADER_CRC_KEY, DATA_CRC_KEY = "minidl.crc32.header", "minidl.crc32.data"
_OWN_KEYS = (STRUCTURE_KEY, HEADER_CRC_KEY, DATA_CRC_KEY)   # metadata entries minidl writes
MAX_HEADER_BYTES = 100_000_000  # the limit the reference implementation enforces
MAX_DIMS = 64                   # NumPy's limit on an array's number of dimensions


class CheckpointError(ValueError):
    """A file that is not a valid safetensors file or checkpoint, or does not fit its target."""


# -- save -----------------------------------------------------------------------------------

def save(obj, path, metadata=None):
    """Write `obj` (a dict: name -> Tensor/array, or a nested structure) to `path`, atomically.

    `path` may also be a binary file object (``io.BytesIO``, an open file), as in
    ``torch.save``; it is written in place, without the atomic rename.
    `metadata` (str -> str) lands in the header's ``__metadata__``, readable by any
    safetensors tool (``load_metadata``).
    """
    if not isinstance(obj, dict):
        raise TypeError(f"minidl.save expects a dict (e.g. a state dict), got {type(obj).__name__}")
    arrays = {}
    structure = _encode(obj, [], arrays)
    meta = dict(metadata or {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise TypeError("minidl.save: metadata must map str to str")
    for key in _OWN_KEYS:
        if key in meta:
            raise ValueError(f"minidl.save: the metadata key {key!r} is minidl's own")
    if not _is_flat(obj):
        meta[STRUCTURE_KEY] = json.dumps(structure, allow_nan=False, separators=(",", ":"))
    header = {"__metadata__": meta}
    offset, data_crc = 0, 0
    for name, a in arrays.items():
        dtype = np.dtype(a.dtype).newbyteorder("=")
        if dtype not in _CODES:
            raise TypeError(f"minidl.save: tensor {_short(name)} has dtype {dtype}, which "
                            "safetensors "
                            f"cannot store (it stores {', '.join(sorted(DTYPES))})")
        a = arrays[name] = _host_little_endian(a)   # once: checksummed, then written
        data_crc = zlib.crc32(a.reshape(-1).view(np.uint8).data, data_crc)
        nbytes = int(a.size) * dtype.itemsize
        header[name] = {"dtype": _CODES[dtype], "shape": list(a.shape),
                        "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    meta[HEADER_CRC_KEY] = f"{_header_crc(header):08x}"   # of everything above
    meta[DATA_CRC_KEY] = f"{data_crc:08x}"
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)  # pad so the data starts 8-byte aligned, as safetensors does

    def write(f):
        f.write(len(head).to_bytes(8, "little"))
        f.write(head)
        for a in arrays.values():
            _write_array(f, a)

    if hasattr(path, "write"):
        write(path)
    else:
        atomic_write(path, write)


def _host_little_endian(a):
    """`a` as a C-contiguous little-endian NumPy array (no copy when it is one already)."""
    a = to_device(a, CPU)
    return a.astype(a.dtype.newbyteorder("<"), order="C", copy=False)   # keeps 0-d arrays 0-d


def _write_array(f, a):
    a = _host_little_endian(a)
    f.write(a.reshape(-1).view(np.uint8).data)


def _header_crc(header):
    """CRC-32 of the header as JSON with sorted keys, without the two checksum entries: the
    same number whether computed from the dict ``save`` builds or from the one ``load`` parses."""
    meta = {k: v for k, v in header.get("__metadata__", {}).items()
            if k not in (HEADER_CRC_KEY, DATA_CRC_KEY)}
    canonical = dict(header, __metadata__=meta)
    return zlib.crc32(json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode())


def atomic_write(path, write):
    """Call ``write(f)`` on a temporary file beside `path`, make it durable, rename it over `path`.

    The rename is atomic, so `path` always holds either the old file or the complete new one;
    on any error (or Ctrl-C) the temporary file is removed and `path` is untouched. The
    temporary name is new each time (pid and random digits) and created exclusively, without
    following symlinks, so nothing planted at that name is written through. Temporary files
    left by saves of `path` that were killed (their process is gone) are removed by the next
    successful save of `path`. An OSError (a full disk, no permission) names `path`.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):   # else the rename's error would name the hidden temporary file
        raise IsADirectoryError(errno.EISDIR, f"could not save {path}: it is a folder", path)
    try:
        fd, tmp = _create_temp(directory, os.path.basename(path))
        try:
            with os.fdopen(fd, "wb") as f:
                write(f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
    except OSError as e:
        raise _naming(e, path) from e
    with contextlib.suppress(OSError):  # make the rename itself durable (POSIX only)
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    _remove_stale_temps(directory, os.path.basename(path))


_TEMP_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
               | getattr(os, "O_BINARY", 0))


def _create_temp(directory, base):
    """(fd, name) of a new, empty temporary file ``.<base>.<pid>.<8 hex digits>.tmp``."""
    for _ in range(100):   # a name taken (a leftover, something planted there): draw again
        tmp = os.path.join(directory, f".{base}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            # os.open rather than tempfile.mkstemp: the file gets the usual permissions
            # (umask), not 0600; O_EXCL never follows a symlink at `tmp`, it fails instead
            return os.open(tmp, _TEMP_FLAGS, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, f"no free temporary name beside {base} in {directory}")


def _temp_pattern(base):
    return re.compile(re.escape(f".{base}.") + r"(\d+)\.[0-9a-f]{8}\.tmp")


def _remove_stale_temps(directory, base):
    """Remove the temporary files of earlier saves of `base` whose process no longer runs
    (killed mid-save). Only regular files we own are touched, never a live save's file."""
    pattern = _temp_pattern(base)
    with contextlib.suppress(OSError):
        for entry in os.scandir(directory):
            m = pattern.fullmatch(entry.name)
            if not m or _process_alive(int(m.group(1))):
                continue
            with contextlib.suppress(OSError):
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(st.st_mode) and st.st_uid == _uid():
                    os.unlink(entry.path)


def _process_alive(pid):
    if pid == os.getpid():
        return True     # another thread of this process may be saving right now
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True     # someone else's process, or a platform that cannot tell: keep it
    return True


def _uid():
    return os.getuid() if hasattr(os, "getuid") else None


def _naming(e, path):
    """`e` again, its message saying which file could not be saved."""
    if path in str(e):
        return e
    if e.errno is None:
        return type(e)(f"could not save {path}: {e}")
    return OSError(e.errno, f"could not save {path}: {e.strerror or e}")   # OSError(errno, ..)
                                                     # is the errno's subclass (PermissionError)


# -- the structure as JSON ------------------------------------------------------------------

def _is_array(v):
    return isinstance(v, (Tensor, np.ndarray)) or is_cupy_array(v)


def _is_plain_key(k):
    return isinstance(k, str) and not (k.startswith("__") and k.endswith("__"))


def _is_flat(obj):
    """A plain state dict, which needs no structure in the metadata."""
    return all(_is_plain_key(k) and _is_array(v) for k, v in obj.items())


def _encode(value, path, arrays):
    """`value` as JSON, its arrays moved into `arrays` (name -> array) and replaced by tags.

    Tags, so that everything comes back as it went in: ``{"__tensor__": name}``,
    ``{"__float__": "inf"}`` (JSON has no inf/nan), ``{"__tuple__": [...]}``, and
    ``{"__items__": [[key, value], ...]}`` for dicts with non-string keys (an optimizer's
    state is keyed by parameter number).
    """
    where = ".".join(path) or "the top level"
    if _is_array(value):
        if arrays is None:
            raise TypeError(f"minidl.save: a tensor cannot be a dict key (at {where})")
        name = ".".join(path)
        if name in arrays or name == "__metadata__":
            raise ValueError("minidl.save: two tensors would be stored under the name "
                             f"{_short(name)}")
        arrays[name] = value.data if isinstance(value, Tensor) else value
        return {"__tensor__": name}
    if value is None or isinstance(value, (bool, str, np.bool_)):
        return bool(value) if isinstance(value, np.bool_) else value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, list):
        return [_encode(v, path + [str(i)], arrays) for i, v in enumerate(value)]
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, path + [str(i)], arrays) for i, v in enumerate(value)]}
    if isinstance(value, dict):
        if all(_is_plain_key(k) for k in value):
            return {k: _encode(v, path + [k], arrays) for k, v in value.items()}
        return {"__items__": [[_encode(k, path, None), _encode(v, path + [str(k)], arrays)]
                              for k, v in value.items()]}
    raise TypeError(f"minidl.save: cannot store a {type(value).__name__} (at {where}); "
                    "checkpoints hold tensors, arrays, numbers, strings, lists and dicts "
                    "(no pickle)")


def _decode(node, tensors, used):
    if isinstance(node, list):
        return [_decode(v, tensors, used) for v in node]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        (tag, v), = node.items()
        if tag == "__tensor__":
            if v not in tensors:
                raise KeyError(f"the structure names a tensor {_short(v)} that the file lacks")
            used.add(v)
            return tensors[v]
        if tag == "__float__":
            return float(v)
        if tag == "__tuple__":
            return tuple(_decode(x, tensors, used) for x in v)
        if tag == "__items__":
            return {_decode(k, tensors, used): _decode(x, tensors, used) for k, x in v}
    return {k: _decode(v, tensors, used) for k, v in node.items()}


# -- load -----------------------------------------------------------------------------------

@contextlib.contextmanager
def _opened(path):
    """(binary file, name for messages) for a path or an already open, seekable file object."""
    if hasattr(path, "read"):
        yield path, getattr(path, "name", f"<{type(path).__name__}>")
    else:
        with open(path, "rb") as f:
            yield f, path


def load(path, map_location=None, weights_only=None):
    """Read a file written by ``save`` (or any safetensors file): tensors come back as
    ``minidl.Tensor``s, in the structure they were saved in. A file ``torch.save`` wrote
    (``.pth``/``.pt``, zip or legacy format) is read too, without pickle: see
    ``minidl.torch_format``.

    PyTorch's load arguments: `path` may be an open, seekable binary file object (read from its
    start); `map_location` (None or
    "cpu": the CPU; "cuda", "cuda:N" or a ``minidl.device``) is where the tensors go;
    `weights_only` is accepted for compatibility — minidl's files hold only tensors, numbers
    and strings, and nothing is ever unpickled, so loading is always weights-only.
    """
    with _opened(path) as (f, path):
        f.seek(0)
        head = f.read(32)
        from .torch_format import is_torch_file, load_torch_file  # late: it imports this module
        if is_torch_file(head):
            return load_torch_file(f, path, map_location)
        entries, metadata, data_start = _read_header(f, path)
        tensors = _read_data(f, path, entries, metadata, data_start)
    if map_location is not None:
        device = Device(map_location)
        if device.type != "cpu":
            tensors = {name: t.to(device) for name, t in tensors.items()}
    if STRUCTURE_KEY not in metadata:
        return tensors
    used = set()
    try:
        obj = _decode(json.loads(metadata[STRUCTURE_KEY]), tensors, used)
    except (ValueError, KeyError, TypeError) as e:
        raise CheckpointError(f"{path}: the minidl structure in the metadata is corrupt ({e})")
    except RecursionError:
        raise CheckpointError(f"{path}: the minidl structure in the metadata is nested too "
                              "deeply to be a checkpoint") from None
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path}: the minidl structure in the metadata should be a dict "
                              f"(minidl.save stores only dicts), not a {type(obj).__name__}")
    unused = [name for name in tensors if name not in used]
    if unused:
        raise CheckpointError(f"{path}: tensors {unused[:5]} are not in the file's structure")
    return obj


def _read_data(f, path, entries, metadata, data_start):
    """Every tensor, read in file order; the data checksum (if the file has one) verified."""
    tensors, crc = {}, 0
    for name, e in sorted(entries.items(), key=lambda kv: kv[1][2]):
        tensors[name], crc = _read_array(f, path, name, data_start, *e, crc=crc)
    saved = metadata.get(DATA_CRC_KEY)
    if saved is not None and saved != f"{crc:08x}":
        raise CheckpointError(f"{path}: the tensor data do not match their checksum (CRC-32 "
                              f"{crc:08x}, the file says {saved}): the file is corrupt")
    return {name: tensors[name] for name in entries}   # the header's order, as saved


def load_metadata(path):
    """The header's ``__metadata__`` (str -> str), without minidl's own entries (the
    structure and the checksums)."""
    with _opened(path) as (f, path):
        _, metadata, _ = _read_header(f, path)
    return {k: v for k, v in metadata.items() if k not in _OWN_KEYS}


def _read_array(f, path, name, data_start, dtype, shape, begin, end, crc=0):
    """(the tensor, `crc` continued over its bytes as stored)."""
    a = np.empty(shape, dtype=dtype.newbyteorder("<"))
    buf = a.reshape(-1).view(np.uint8)
    f.seek(data_start + begin)
    done = 0
    while done < len(buf):
        n = f.readinto(buf[done:])
        if not n:
            raise CheckpointError(f"{path}: the file ends inside tensor {_short(name)} (changed "
                                  "while reading?)")
        done += n
    return Tensor(a.astype(dtype.newbyteorder("="), copy=False)), zlib.crc32(buf.data, crc)


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        twice = next(k for k in keys if keys.count(k) > 1)
        raise _DuplicateKey(f"key {_short(twice)} appears twice")
    return dict(pairs)


def _read_header(f, path):
    """Parse and check the header: (name -> (dtype, shape, begin, end), metadata, data start).

    Every check happens here, before any data is read; each failure names the file.
    """
    def error(message):
        return CheckpointError(f"{path}: {message}")

    size = f.seek(0, os.SEEK_END)       # the whole file (a file object is read from its start)
    f.seek(0)
    if size < 8:
        raise error(f"truncated: {size} bytes, but a safetensors file starts with an 8-byte "
                    "header length")
    n = int.from_bytes(f.read(8), "little")
    if n > MAX_HEADER_BYTES:
        raise error(f"header length {n} is over the {MAX_HEADER_BYTES}-byte limit: not a "
                    "safetensors file?")
    if 8 + n > size:
        raise error(f"header length {n} runs past the end of the file ({size} bytes): "
                    "truncated?")
    try:
        header = json.loads(f.read(n).decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError) as e:
        raise error(f"the header is not valid JSON ({e})") from None
    except RecursionError:
        raise error("the header's JSON is nested too deeply to be a safetensors header") from None
    if not isinstance(header, dict):
        raise error(f"the header should be a JSON object, not {type(header).__name__}")
    metadata = header.pop("__metadata__", None) or {}
    if not (isinstance(metadata, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())):
        raise error("__metadata__ should map strings to strings")
    saved = metadata.get(HEADER_CRC_KEY)
    if saved is not None:
        crc = f"{_header_crc(dict(header, __metadata__=metadata)):08x}"
        if saved != crc:
            raise error(f"the header does not match its checksum (CRC-32 {crc}, the file says "
                        f"{saved}): the file is corrupt")
    data_len = size - 8 - n
    entries = {name: _check_entry(name, info, data_len, error) for name, info in header.items()}
    # the tensors must tile the data buffer: no overlaps, no gaps, nothing left over
    expected, previous = 0, None
    for name, (_, _, begin, end) in sorted(entries.items(), key=lambda kv: kv[1][2:]):
        if begin < expected:
            raise error(f"tensor {_short(name)} (bytes {begin}-{end}) overlaps tensor "
                        f"{_short(previous)}")
        if begin > expected:
            raise error(f"{begin - expected} unused bytes before tensor {_short(name)}")
        expected, previous = end, name
    if expected != data_len:
        raise error(f"{data_len - expected} bytes after the last tensor")
    return entries, metadata, 8 + n


def _check_entry(name, info, data_len, error):
    if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= set(info):
        raise error(f"tensor {_short(name)}: expected dtype, shape and data_offsets, got "
                    f"{_short(info)}")
    code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if not isinstance(code, str):   # a list or dict would not even hash
        raise error(f"tensor {_short(name)}: dtype {_short(code)} is not a string such as "
                    "\"F32\"")
    if code in _NO_NUMPY:
        raise error(f"tensor {_short(name)} has dtype {code}, which NumPy cannot hold")
    if code not in DTYPES:
        raise error(f"tensor {_short(name)} has unknown dtype {_short(code)}")
    if not (isinstance(shape, list) and all(_is_count(d) for d in shape)):
        raise error(f"tensor {_short(name)}: shape {_short(shape)} is not a list of non-negative "
                    "integers")
    if len(shape) > MAX_DIMS:
        raise error(f"tensor {_short(name)}: shape has {len(shape)} dimensions, more than the "
                    f"{MAX_DIMS} an array can have")
    if math.prod(d for d in shape if d) * np.dtype(DTYPES[code]).itemsize >= 2 ** 63:
        # a zero anywhere makes the tensor empty (0 bytes), but NumPy still refuses the rest
        raise error(f"tensor {_short(name)}: shape {_short(shape)} is too large for any array")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_is_count, offsets))
            and offsets[0] <= offsets[1]):
        raise error(f"tensor {_short(name)}: data_offsets {_short(offsets)} is not "
                    "[begin, end] with "
                    "0 <= begin <= end")
    dtype = np.dtype(DTYPES[code])
    begin, end = offsets
    need = math.prod(shape) * dtype.itemsize
    if end - begin != need:
        raise error(f"tensor {_short(name)}: shape {shape} of {code} needs {need} bytes, but "
                    f"data_offsets {_short(offsets)} span {end - begin}")
    if end > data_len:
        raise error(f"tensor {_short(name)} ends at byte {end} of the data, which holds only "
                    f"{data_len} bytes: truncated?")
    return dtype, tuple(shape), begin, end


def _short(value, limit=120):
    """repr of `value`, cut short: a corrupt header can hold anything, at any length."""
    from .quoting import quote
    return quote(value, limit)


def _is_count(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0
