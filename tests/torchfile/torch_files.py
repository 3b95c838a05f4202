"""torch.save's two file formats, assembled by hand for the tests (no torch, no pickle module).

A pickle here is a bytes literal of opcodes, written out so a reader sees what a file holds:
``GLOBAL('os', 'system') + MARK + text('echo hi') + TUPLE + REDUCE + STOP`` is the classic
payload. ``zip_file`` and ``legacy_file`` wrap a pickle and its storages as torch.save does.
"""
import io
import struct
import zipfile

PROTO2, STOP, MARK, TUPLE, REDUCE, SETITEM, SETITEMS = b"\x80\x02", b".", b"(", b"t", b"R", b"s", b"u"
EMPTY_DICT, EMPTY_LIST, EMPTY_TUPLE, APPEND, BINPERSID = b"}", b"]", b")", b"a", b"Q"
NEWFALSE, NEWTRUE, NONE, BUILD = b"\x89", b"\x88", b"N", b"b"
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def GLOBAL(module, name):
    return b"c" + f"{module}\n{name}\n".encode()


def STACK_GLOBAL(module, name):
    return text(module) + text(name) + b"\x93"


def text(s):
    data = s.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def integer(n):
    if 0 <= n < 256:
        return b"K" + bytes([n])
    if -2 ** 31 <= n < 2 ** 31:
        return b"J" + struct.pack("<i", n)
    data = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8a" + bytes([len(data)]) + data


def tup(*parts):
    return MARK + b"".join(parts) + TUPLE


def ints(values):
    return tup(*(integer(v) for v in values))


def ordered_dict():
    return GLOBAL("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE


def tensor(storage_type, key, numel, offset, size, stride, legacy=False):
    """``_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())``."""
    pid = tup(text("storage"), GLOBAL("torch", storage_type), text(key), text("cpu"),
              integer(numel), *([NONE] if legacy else []))
    return (GLOBAL("torch._utils", "_rebuild_tensor_v2")
            + tup(pid + BINPERSID, integer(offset), ints(size), ints(stride), NEWFALSE,
                  ordered_dict())
            + REDUCE)


def state_dict(entries):
    """A pickle of ``OrderedDict([(name, value_opcodes), ...])``."""
    body = b"".join(text(name) + value for name, value in entries)
    return PROTO2 + ordered_dict() + MARK + body + SETITEMS + STOP


def zip_file(pickled, storages=(), name="archive", byteorder=b"little",
             compression=zipfile.ZIP_STORED):
    """A zip-format file: `storages` maps key -> raw bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as z:
        z.writestr(f"{name}/data.pkl", pickled)
        if byteorder is not None:
            z.writestr(f"{name}/byteorder", byteorder)
        for key, data in dict(storages).items():
            z.writestr(f"{name}/data/{key}", data)
        z.writestr(f"{name}/version", b"3\n")
    return out.getvalue()


def legacy_file(main, storages=(), little_endian=True, keys=None):
    """A legacy-format file: `storages` maps key -> (numel, raw bytes), written in key order."""
    storages = dict(storages)
    keys = sorted(storages) if keys is None else keys
    order = "little" if little_endian else "big"
    magic = PROTO2 + integer(LEGACY_MAGIC) + STOP
    protocol = PROTO2 + integer(1001) + STOP
    info = (PROTO2 + EMPTY_DICT + MARK + text("protocol_version") + integer(1001)
            + text("little_endian") + (NEWTRUE if little_endian else NEWFALSE)
            + text("type_sizes") + EMPTY_DICT + MARK + text("short") + integer(2)
            + text("int") + integer(4) + text("long") + integer(4) + SETITEMS + SETITEMS + STOP)
    key_list = PROTO2 + EMPTY_LIST + MARK + b"".join(map(text, keys)) + b"e" + STOP
    data = b"".join(storages[k][0].to_bytes(8, order, signed=True) + storages[k][1]
                    for k in keys if k in storages)
    return magic + protocol + info + main + key_list + data


def torch_bytes(obj, legacy=False, **kwargs):
    """What torch.save writes for `obj` (needs torch)."""
    import torch
    out = io.BytesIO()
    torch.save(obj, out, _use_new_zipfile_serialization=not legacy, **kwargs)
    return out.getvalue()


def _local_header(name, data_crc, size):
    n = name.encode()
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0x21, data_crc, size, size,
                       len(n), 0) + n


def _central_entry(name, data_crc, size, offset):
    n = name.encode()
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0x21, data_crc, size,
                       size, len(n), 0, 0, 0, 0, 0, offset) + n


def raw_zip(members):
    """A stored zip from ``[(name, bytes)]``, byte by byte (no zipfile: nothing is checked)."""
    import zlib
    body, central = b"", b""
    for name, data in members:
        crc = zlib.crc32(data)
        central += _central_entry(name, crc, len(data), len(body))
        body += _local_header(name, crc, len(data)) + data
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central),
                      len(body), 0)
    return body + central + end


def overlapping_zip(first, nested, payload):
    """A stored zip whose members overlap (a "quoted" zip bomb, stored): `first` is a list of
    ordinary ``(name, bytes)`` members; then each name in `nested` is a member whose data run
    on over the local headers of the names after it, all ending with the one `payload`. Every
    CRC is right, so only a check of the members' byte ranges can tell."""
    import zlib
    tail = payload
    headers = []
    for name in reversed(nested):              # from the innermost member outwards
        crc = zlib.crc32(tail)
        headers.append((name, crc, len(tail)))
        tail = _local_header(name, crc, len(tail)) + tail
    body, central = b"", b""
    for name, data in first:
        crc = zlib.crc32(data)
        central += _central_entry(name, crc, len(data), len(body))
        body += _local_header(name, crc, len(data)) + data
    offset = len(body)
    for name, crc, size in reversed(headers):  # outermost first: its header opens `tail`
        central += _central_entry(name, crc, size, offset)
        offset += 30 + len(name.encode())
    body += tail
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(first) + len(nested),
                      len(first) + len(nested), len(central), len(body), 0)
    return body + central + end
