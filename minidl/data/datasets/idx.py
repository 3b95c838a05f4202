"""The IDX file format of MNIST and Fashion-MNIST: ``read_idx`` / ``write_idx``, gzipped or not.

Layout (all integers big-endian)::

    bytes 0-1   0x00 0x00
    byte  2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
    byte  3     number of dimensions, D
    4 * D       each dimension as uint32, e.g. 60000, 28, 28
    the rest    the elements, row-major

``train-images-idx3-ubyte`` is ``00 00 08 03 | 60000 28 28 | pixels``; a labels file has D = 1.
A file starting with the gzip magic ``1f 8b`` is decompressed as it is read, whatever its name.
"""
import gzip
import io
import math
import os
import struct
import zlib

import numpy as np

from .errors import CorruptFileError

_TYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
          0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_CODES = {dt.newbyteorder("=") if dt.itemsize > 1 else dt: code for code, dt in _TYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"
_MAX_DIMS = 64   # NumPy's limit on an array's dimensions


def _shape(shape):
    """A shape for a message: up to 8 dims, then how many more."""
    if len(shape) <= 8:
        return str(shape)
    return f"({', '.join(map(str, shape[:8]))}, ... {len(shape)} dims)"


# A deflate stream expands at most 1032:1 (zlib's documented limit), so a gzip file of S bytes
# holds at most 1032 * S: a header declaring more is refused before anything is allocated.
_MAX_GZIP_RATIO = 1032
_CHUNK = 1 << 22   # decompress 4 MiB at a time into the array (gzip's read makes a copy)


def _read_exact(f, n):
    """Up to ``n`` bytes of ``f``, fewer only at the end of the file."""
    parts, got = [], 0
    while got < n:
        part = f.read(n - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _read_stream(f, path, limit, exact):
    """Read one IDX array from the binary stream ``f``: the header first, then exactly the data
    it declares, then one byte more to prove there is no more. ``limit``: the most data bytes
    the file can hold; ``exact``: ``limit`` is the true count (a raw file's size)."""
    head = _read_exact(f, 4)
    if len(head) < 4:
        raise CorruptFileError(path, f"IDX header needs 4 bytes, file has {len(head)}")
    zero, code, ndim = struct.unpack(">HBB", head)
    if zero != 0 or code not in _TYPES:
        raise CorruptFileError(path, f"bad IDX magic number {head.hex()} "
                               "(expected 0000 then a type code 08/09/0b/0c/0d/0e and a rank)")
    header = 4 + 4 * ndim
    dims = _read_exact(f, 4 * ndim)
    if len(dims) < 4 * ndim:
        raise CorruptFileError(path, f"IDX header for {ndim} dimensions needs {header} bytes, "
                               f"file has {4 + len(dims)}")
    shape = struct.unpack(f">{ndim}I", dims)
    dtype = _TYPES[code]
    if ndim > _MAX_DIMS:
        raise CorruptFileError(path, f"IDX header declares {ndim} dimensions; a NumPy array has "
                               f"at most {_MAX_DIMS} (a damaged header)")
    if math.prod(n for n in shape if n) * dtype.itemsize > np.iinfo(np.intp).max:
        # even with a 0 in it (no data bytes), NumPy refuses a shape whose other dims overflow
        raise CorruptFileError(path, f"IDX shape {_shape(shape)} of {dtype.name} is too large "
                               "for any NumPy array (a damaged header)")
    expected = math.prod(shape) * dtype.itemsize   # a Python int: it cannot overflow
    if expected > np.iinfo(np.int64).max:
        raise CorruptFileError(path, f"IDX shape {shape} of {dtype.name} declares {expected} data "
                               "bytes, more than an int64 can count (a damaged header)")
    available = limit - header
    if expected > available or (exact and expected != available):
        has = (f"has {available}" if exact else
               f"can hold at most {available} (gzip expands at most {_MAX_GZIP_RATIO}:1)")
        raise CorruptFileError(path, f"IDX shape {shape} of {dtype.name} needs {expected} data bytes, "
                               f"file {has} (truncated or wrong header)")
    data = np.empty(expected, np.uint8)
    view, got = memoryview(data), 0
    while got < expected:
        n = f.readinto(view[got:got + _CHUNK])
        if not n:
            raise CorruptFileError(path, f"IDX shape {shape} of {dtype.name} needs {expected} data "
                                   f"bytes, file has {got} (truncated or wrong header)")
        got += n
    if f.read(1):   # read no further: a small file may decompress to gigabytes
        raise CorruptFileError(path, f"IDX shape {shape} of {dtype.name} needs {expected} data "
                               "bytes, file has more (wrong header, or not an IDX file)")
    array = data.view(dtype).reshape(shape)
    return array if dtype.itemsize == 1 else array.astype(dtype.newbyteorder("="))  # native order


def parse_idx(raw, path="<bytes>"):
    """Decode IDX bytes (not gzipped) into an array with the file's shape and native dtype."""
    return _read_stream(io.BytesIO(raw), path, len(raw), exact=True)


def read_idx(path):
    """Read an IDX file into a writable NumPy array; CorruptFileError names a damaged file.

    A file starting with the gzip magic is decompressed as it is read, and only as far as its
    header says: a small file that would decompress to gigabytes (a gzip bomb) costs no more
    memory than the data its header declares.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if f.read(2) != _GZIP_MAGIC:
            f.seek(0)
            return _read_stream(f, path, size, exact=True)
        f.seek(0)
        try:
            with gzip.GzipFile(fileobj=f) as unzipped:
                return _read_stream(unzipped, path, size * _MAX_GZIP_RATIO, exact=False)
        except (EOFError, OSError, zlib.error) as e:   # truncated or damaged stream
            raise CorruptFileError(path, f"corrupt or truncated gzip data ({e})") from None


def write_idx(path, array, compress=None):
    """Write ``array`` as IDX; gzip it when ``compress`` is True (default: when path ends in .gz).

    Used by the embedded-subset script and the tests. gzip's mtime is fixed at 0 so the same
    array always gives the same bytes.
    """
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=") if array.dtype.itemsize > 1 else array.dtype
    if native not in _CODES:
        raise TypeError(f"write_idx: IDX cannot store dtype {array.dtype}")
    dtype = _TYPES[_CODES[native]]
    body = struct.pack(f">HBB{array.ndim}I", 0, _CODES[native], array.ndim, *array.shape)
    body += np.ascontiguousarray(array, dtype=dtype).tobytes()
    if compress is None:
        compress = os.fspath(path).endswith(".gz")
    if compress:
        body = gzip.compress(body, compresslevel=9, mtime=0)
    with open(path, "wb") as f:
        f.write(body)
