"""The IDX file format of MNIST and Fashion-MNIST: ``read_idx`` / ``write_idx``, gzipped or not.

Layout (all integers big-endian)::

    bytes 0-1   0x00 0x00
    byte  2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
    byte  3     number of dimensions, D
    4 * D       each dimension as uint32, e.g. 60000, 28, 28
    the rest    the elements, row-major

``train-images-idx3-ubyte`` is ``00 00 08 03 | 60000 28 28 | pixels``; a labels file has D = 1.
A file starting with the gzip magic ``1f 8b`` is decompressed first, whatever its name.
"""
import gzip
import os
import struct
import zlib

import numpy as np

from .errors import CorruptFileError

_TYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
          0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_CODES = {dt.newbyteorder("=") if dt.itemsize > 1 else dt: code for code, dt in _TYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


def read_bytes(path):
    """The file's bytes, gunzipped when it starts with the gzip magic."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as e:   # truncated or damaged stream
        raise CorruptFileError(path, f"corrupt or truncated gzip data ({e})") from None


def parse_idx(raw, path="<bytes>"):
    """Decode IDX bytes into an array with the file's shape and (native-endian) dtype."""
    if len(raw) < 4:
        raise CorruptFileError(path, f"IDX header needs 4 bytes, file has {len(raw)}")
    zero, code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or code not in _TYPES:
        raise CorruptFileError(path, f"bad IDX magic number {raw[:4].hex()} "
                               "(expected 0000 then a type code 08/09/0b/0c/0d/0e and a rank)")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise CorruptFileError(path, f"IDX header for {ndim} dimensions needs {header} bytes, "
                               f"file has {len(raw)}")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = _TYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise CorruptFileError(path, f"IDX shape {shape} of {dtype.name} needs {expected} data bytes, "
                               f"file has {len(raw) - header} (truncated or wrong header)")
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="), copy=True)  # writable, native order


def read_idx(path):
    """Read an IDX file (``.gz`` or raw) into a NumPy array; CorruptFileError names the file."""
    return parse_idx(read_bytes(path), os.fspath(path))


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
