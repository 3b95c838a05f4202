"""A pickle reader that can only build data: the part of the pickle format a PyTorch state dict uses.

A pickle is a program for a small stack machine: each opcode (one byte, then its argument)
pushes a value, builds a container from values on the stack, or calls a function the
pickle names (``GLOBAL module name``, then ``REDUCE``). That last part is why loading a
stranger's pickle runs a stranger's code: ``cos\\nsystem\\n(S'rm -rf ~'\\ntR.`` calls
``os.system``. This reader runs the same machine with three changes:

- only the opcodes below exist; any other byte is refused;
- a name (``GLOBAL``/``STACK_GLOBAL``) is never imported: it is looked up by the caller's
  ``find_class``, which knows a handful of names and returns its own stand-ins for them
  (``minidl.torch_format`` maps ``torch._utils._rebuild_tensor_v2`` to a function that
  describes a tensor); every other name is refused;
- everything is bounded: the bytes it reads, the values it pushes or remembers
  (``MAX_VALUES``), the ``MARK``s open at once (``MAX_DEPTH``), the length of a name.

What a state dict needs (protocol 2, as ``torch.save`` writes; 4 and 5 add the framing
and memo opcodes marked *p4*)::

    PROTO n            the protocol version                 FRAME n    (p4) ignored
    EMPTY_DICT }  EMPTY_LIST ]  EMPTY_TUPLE )               MARK (     start a group
    TUPLE t  TUPLE1 \\x85  TUPLE2 \\x86  TUPLE3 \\x87         the group / top 1-3 as a tuple
    SETITEM s  SETITEMS u  APPEND a  APPENDS e              fill the dict / list below
    BININT J  BININT1 K  BININT2 M  LONG1 \\x8a  BINFLOAT G  numbers
    BINUNICODE X  SHORT_BINUNICODE \\x8c (p4)                strings (UTF-8)
    NONE N  NEWTRUE \\x88  NEWFALSE \\x89
    BINPUT q  LONG_BINPUT r  MEMOIZE \\x94 (p4)              remember the top value
    BINGET h  LONG_BINGET j                                 push a remembered value
    GLOBAL c  STACK_GLOBAL \\x93 (p4)                        a name -> find_class's stand-in
    REDUCE R                                                call a stand-in with a tuple
    BUILD b                                                 set an object's state (``build``)
    BINPERSID Q                                             a reference to data outside
                                                            the pickle (``persistent_load``)
    STOP .                                                  the value left on the stack

Every refusal is a ``CheckpointError`` naming the file (`where`), the byte offset and what
was found. Messages name types, never ``repr`` a value: a hostile value's repr can be huge.
"""
import struct

from .serialization import CheckpointError

MAX_VALUES = 2_000_000  # pushes + memo writes; a 10,000-tensor state dict needs about 250,000
MAX_DEPTH = 100         # MARKs open at once
MAX_NAME = 200          # bytes in one GLOBAL's module or name


class StandIn:
    """A function the caller lets a pickle call (through REDUCE), under the name the file uses."""

    def __init__(self, name, function):
        self.name, self.function = name, function

    def __repr__(self):
        return f"<stand-in for {self.name}>"


def read_pickle(f, end, where, find_class, persistent_load, build=None):
    """Run the pickle that starts at `f`'s position; return the value it leaves.

    `f`: a binary file object; no byte at or past offset `end` is read. `find_class(module,
    name)` returns a stand-in or raises ``CheckpointError``; `persistent_load(pid)` turns a
    BINPERSID's value into a value; `build(target, state)` performs BUILD (None: refused).
    On return `f` is just past the pickle's STOP, where the next section of a file starts.
    """
    return _Machine(f, end, where, find_class, persistent_load, build).run()


class _Machine:
    def __init__(self, f, end, where, find_class, persistent_load, build):
        self.f, self.pos, self.end, self.where = f, f.tell(), end, where
        self.find_class, self.persistent_load, self.build = find_class, persistent_load, build
        self.stack, self.marks, self.memo = [], [], {}
        self.budget = MAX_VALUES
        self.at = self.pos  # where the current opcode starts, for messages

    def error(self, message):
        return CheckpointError(f"{self.where}: pickle byte {self.at}: {message}")

    # -- reading bytes ----------------------------------------------------------------------
    def read(self, n):
        if n > self.end - self.pos:
            raise self.error(f"needs {n} bytes, but only {self.end - self.pos} are left: "
                             "truncated?")
        data = self.f.read(n)
        if len(data) != n:
            raise self.error("the file ends early: truncated?")
        self.pos += n
        return data

    def unpack(self, fmt):
        return struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0]

    def read_line(self):
        """A GLOBAL's module or name: ASCII up to a newline, at most MAX_NAME bytes."""
        chars = bytearray()
        while True:
            c = self.read(1)
            if c == b"\n":
                break
            if len(chars) == MAX_NAME:
                raise self.error(f"a GLOBAL name longer than {MAX_NAME} bytes")
            chars += c
        return self.text(bytes(chars), "ascii")

    def text(self, data, encoding="utf-8"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            raise self.error(f"a string that is not valid {encoding}") from None

    # -- the stack and the memo -------------------------------------------------------------
    def spend(self):
        self.budget -= 1
        if self.budget < 0:
            raise self.error(f"more than {MAX_VALUES} values: refused (a state dict needs "
                             "far fewer)")

    def push(self, value):
        self.spend()
        self.stack.append(value)

    def pop(self):
        if len(self.stack) <= (self.marks[-1] if self.marks else 0):
            raise self.error("the stack is empty (or only holds a MARK's group)")
        return self.stack.pop()

    def top(self):
        if len(self.stack) <= (self.marks[-1] if self.marks else 0):
            raise self.error("the stack is empty (or only holds a MARK's group)")
        return self.stack[-1]

    def pop_mark(self):
        if not self.marks:
            raise self.error("a group ends without a MARK")
        start = self.marks.pop()
        items = self.stack[start:]
        del self.stack[start:]
        return items

    def put(self, index):
        self.spend()
        self.memo[index] = self.top()

    def get(self, index):
        if index not in self.memo:
            raise self.error(f"memo entry {index} is read before it is written")
        self.push(self.memo[index])

    # -- the loop ---------------------------------------------------------------------------
    def run(self):
        while True:
            self.at = self.pos
            code = self.read(1)
            op = _OPS.get(code)
            if op is None:
                raise self.error(f"opcode {code!r} is not one a state dict uses (refused)")
            if op is _stop:
                if self.marks or len(self.stack) != 1:
                    raise self.error("STOP with an unfinished stack")
                return self.stack.pop()
            op(self)


# -- the opcodes: one small function each ----------------------------------------------------

def _stop(m):
    pass  # handled by the loop


def _proto(m):
    version = m.read(1)[0]
    if not 2 <= version <= 5:
        raise m.error(f"pickle protocol {version}; PyTorch writes 2 (or 3 to 5)")


def _frame(m):
    if m.unpack("<Q") > m.end - m.pos:  # framing only groups opcodes; its length is checked
        raise m.error("a FRAME longer than the rest of the file: truncated?")


def _mark(m):
    if len(m.marks) >= MAX_DEPTH:
        raise m.error(f"more than {MAX_DEPTH} MARKs open at once: refused")
    m.marks.append(len(m.stack))


def _tuple_n(n):
    def op(m):
        items = [m.pop() for _ in range(n)][::-1]
        m.push(tuple(items))
    return op


def _tuple(m):
    m.push(tuple(m.pop_mark()))


def _dict_below(m, name):
    target = m.top()
    if not isinstance(target, dict):
        raise m.error(f"{name} into a {type(target).__name__}, not a dict")
    return target


def _key(m, key):
    # hashing a key runs its __hash__; only plain scalars (str, int, ...) are keys
    if key is not None and not isinstance(key, (str, int, float)):
        raise m.error(f"a dict key of type {type(key).__name__} (only str, int, float, "
                      "bool or None are accepted)")
    return key


def _setitem(m):
    value, key = m.pop(), m.pop()
    _dict_below(m, "SETITEM")[_key(m, key)] = value


def _setitems(m):
    items = m.pop_mark()
    if len(items) % 2:
        raise m.error("SETITEMS with an odd number of values")
    d = _dict_below(m, "SETITEMS")
    for i in range(0, len(items), 2):
        d[_key(m, items[i])] = items[i + 1]


def _list_below(m, name):
    target = m.top()
    if not isinstance(target, list):
        raise m.error(f"{name} onto a {type(target).__name__}, not a list")
    return target


def _append(m):
    value = m.pop()
    _list_below(m, "APPEND").append(value)


def _appends(m):
    items = m.pop_mark()
    _list_below(m, "APPENDS").extend(items)


def _long1(m):
    m.push(int.from_bytes(m.read(m.read(1)[0]), "little", signed=True))


def _global(m):
    module = m.read_line()
    m.push(m.find_class(module, m.read_line()))


def _stack_global(m):
    name, module = m.pop(), m.pop()
    if not (isinstance(module, str) and isinstance(name, str)):
        raise m.error("STACK_GLOBAL needs two strings")
    m.push(m.find_class(module, name))


def _reduce(m):
    args, function = m.pop(), m.pop()
    if not isinstance(function, StandIn):
        raise m.error(f"REDUCE calls a {type(function).__name__}, which is not callable here")
    if not isinstance(args, tuple):
        raise m.error(f"REDUCE with {type(args).__name__} arguments, not a tuple")
    try:
        result = function.function(*args)
    except TypeError:  # the stand-ins check their arguments' types; this is their number
        raise m.error(f"{function.name} called with {len(args)} arguments") from None
    m.push(result)


def _build(m):
    state = m.pop()
    if m.build is None:
        raise m.error("BUILD is not accepted here")
    m.build(m.top(), state)


def _binpersid(m):
    m.push(m.persistent_load(m.pop()))


def _memoize(m):
    m.put(len(m.memo))


_OPS = {
    b".": _stop, b"\x80": _proto, b"\x95": _frame, b"(": _mark,
    b"}": lambda m: m.push({}), b"]": lambda m: m.push([]), b")": lambda m: m.push(()),
    b"t": _tuple, b"\x85": _tuple_n(1), b"\x86": _tuple_n(2), b"\x87": _tuple_n(3),
    b"s": _setitem, b"u": _setitems, b"a": _append, b"e": _appends,
    b"J": lambda m: m.push(m.unpack("<i")), b"K": lambda m: m.push(m.read(1)[0]),
    b"M": lambda m: m.push(m.unpack("<H")), b"\x8a": _long1,
    b"G": lambda m: m.push(m.unpack(">d")),
    b"X": lambda m: m.push(m.text(m.read(m.unpack("<I")))),
    b"\x8c": lambda m: m.push(m.text(m.read(m.read(1)[0]))),
    b"N": lambda m: m.push(None), b"\x88": lambda m: m.push(True),
    b"\x89": lambda m: m.push(False),
    b"q": lambda m: m.put(m.read(1)[0]), b"r": lambda m: m.put(m.unpack("<I")),
    b"\x94": _memoize,
    b"h": lambda m: m.get(m.read(1)[0]), b"j": lambda m: m.get(m.unpack("<I")),
    b"c": _global, b"\x93": _stack_global, b"R": _reduce, b"b": _build, b"Q": _binpersid,
}
