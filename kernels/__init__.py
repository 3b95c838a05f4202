"""``minidl.kernels``: the hand-written kernels, each family three times with one signature.

    kernels/<family>/reference.py   readable NumPy loops: the teaching version and the test oracle
    kernels/<family>/cpu.py         the same functions as Numba ``njit`` kernels (CPU)
    kernels/<family>/cuda.py        the same functions as ``numba.cuda`` kernels (CuPy arrays)

Families: ``conv`` (im2col/col2im convolution, and Winograd for 3×3 layers), ``relu``, ``lrn``,
``pool`` (max, average, adaptive average) and ``dropout``. The functions take and return raw
arrays (NumPy or CuPy); autograd lives in ``minidl.ops``, which asks ``select(family, array)``
(and, for a convolution, ``conv.dispatch.conv_kernels``) for the module to call. Beside the
families: ``shapes.py`` (output-size arithmetic), ``threads.py`` (Numba's threads and
OpenBLAS's sharing the cores) and ``launch.py`` (how the CUDA kernels are launched).

Numba kernels compile on first use and are cached on disk next to their source (``cache=True``),
so later processes load them instead of compiling again.

Which kernels run: ``use(...)``
-------------------------------
    with minidl.kernels.use(target="reference"):          # the NumPy loops, for teaching
        net(x)
    with minidl.kernels.use(conv_algo="winograd"):        # Winograd wherever it can run
        net(x)
    with minidl.kernels.use(conv=my_conv, pool=my_pool):  # modules of one's own (a course's
        train(net)                                        # assignments) for those families

``use`` is a context manager. Its settings hold for the current thread, until the block ends;
blocks nest, an inner one changing only what it names. ``current()`` returns the settings in
force. ``target``: "auto" (the array's device picks cpu.py or cuda.py), "reference", "cpu" or
"cuda". ``conv_algo``: "auto" (the rule in ``conv/dispatch.py``), "im2col", "winograd",
"percore" (auto's im2col layers with one image per core, CPU only) or "direct" (auto's im2col
layers by a register-blocked direct convolution, CPU only).
A family's own module must have the same functions as that family's ``reference.py``; it runs
for every array (whatever the device), and an own ``conv`` module runs every convolution layer
(no Winograd).

The environment, read once, at import (the one place it is read): MINIDL_KERNELS sets the
default target ("auto" or "reference") and MINIDL_CONV_ALGO the default conv algorithm, for
a shell: ``MINIDL_KERNELS=reference python -m pytest tests/kernels``. New threads start from
these defaults too.
"""
import contextlib
import importlib
import os
import threading
from types import MappingProxyType
from typing import Mapping, NamedTuple

FAMILIES = ("conv", "relu", "lrn", "pool", "dropout")
TARGETS = ("auto", "reference", "cpu", "cuda")
CONV_ALGOS = ("auto", "im2col", "winograd", "percore", "direct")

# (family, target) -> the module, written out so a reader can find it; imported on first use
# (a cuda.py loads numba.cuda, a cpu.py compiles or loads Numba kernels)
MODULES = {
    ("conv", "reference"): "minidl.kernels.conv.reference",
    ("conv", "cpu"): "minidl.kernels.conv.cpu",
    ("conv", "cuda"): "minidl.kernels.conv.cuda",
    ("winograd", "reference"): "minidl.kernels.conv.winograd_reference",
    ("winograd", "cpu"): "minidl.kernels.conv.winograd_cpu",
    ("winograd", "cuda"): "minidl.kernels.conv.winograd_cuda",
    ("percore", "cpu"): "minidl.kernels.conv.percore_cpu",     # im2col, one image per core
    ("direct", "cpu"): "minidl.kernels.conv.direct_cpu",       # direct, register-blocked
    ("relu", "reference"): "minidl.kernels.relu.reference",
    ("relu", "cpu"): "minidl.kernels.relu.cpu",
    ("relu", "cuda"): "minidl.kernels.relu.cuda",
    ("lrn", "reference"): "minidl.kernels.lrn.reference",
    ("lrn", "cpu"): "minidl.kernels.lrn.cpu",
    ("lrn", "cuda"): "minidl.kernels.lrn.cuda",
    ("pool", "reference"): "minidl.kernels.pool.reference",
    ("pool", "cpu"): "minidl.kernels.pool.cpu",
    ("pool", "cuda"): "minidl.kernels.pool.cuda",
    ("dropout", "reference"): "minidl.kernels.dropout.reference",
    ("dropout", "cpu"): "minidl.kernels.dropout.cpu",
    ("dropout", "cuda"): "minidl.kernels.dropout.cuda",
}


class Settings(NamedTuple):
    """The kernel settings in force (``current()``): target, conv_algo, and the families'
    own modules (a read-only mapping family -> module)."""
    target: str
    conv_algo: str
    modules: Mapping


def _checked(value, allowed, what):
    if value not in allowed:
        raise ValueError(f"{what}={value!r}: expected one of {allowed}")
    return value


def _from_environment():
    target = _checked(os.environ.get("MINIDL_KERNELS", "auto"), ("auto", "reference"),
                      "MINIDL_KERNELS")
    algo = _checked(os.environ.get("MINIDL_CONV_ALGO", "auto"), CONV_ALGOS, "MINIDL_CONV_ALGO")
    return Settings(target, algo, MappingProxyType({}))


DEFAULT = _from_environment()
_local = threading.local()


def current():
    """The Settings in force in this thread: the innermost ``use`` block's, else DEFAULT."""
    return getattr(_local, "settings", DEFAULT)


@contextlib.contextmanager
def use(target=None, conv_algo=None, **families):
    """Run the block with these kernels (see the module docstring); None keeps the enclosing
    block's choice. Yields the new Settings."""
    if target is not None:
        _checked(target, TARGETS, "kernels.use: target")
    if conv_algo is not None:
        _checked(conv_algo, CONV_ALGOS, "kernels.use: conv_algo")
    for family, module in families.items():
        _checked(family, FAMILIES, "kernels.use: family")
        if module is None or isinstance(module, str):
            raise TypeError(f"kernels.use: {family}= must be a module (or object) with the "
                            f"functions of kernels/{family}/reference.py, got {module!r}")
    outer = current()
    _local.settings = Settings(target or outer.target, conv_algo or outer.conv_algo,
                               MappingProxyType({**outer.modules, **families}))
    try:
        yield _local.settings
    finally:
        _local.settings = outer


def target_for(array):
    """The target that runs on `array` under the current settings: reference, cpu or cuda."""
    target = current().target
    if target in ("auto", "cpu"):
        from minidl.backend import is_cupy_array
        if is_cupy_array(array):
            if target == "cpu":
                raise ValueError("kernels.use(target='cpu'): a CuPy (GPU) array cannot run on "
                                 "the CPU kernels; use target='cuda' or 'auto'")
            return "cuda"
        return "cpu"
    return target


def module(family, target):
    """The built-in module of `family` ("winograd" for conv's Winograd kernels) for `target`.
    The first CPU module chosen sets up the CPU (``_first_cpu_use``)."""
    if target == "cpu" and not _cpu_ready:
        _first_cpu_use()
    return importlib.import_module(MODULES[family, target])


_cpu_ready = False


def _first_cpu_use():
    """What the CPU kernels want set up once, before they first run (not at import):
    Numba's thread pool, with idle threads that sleep (``threads.configure``), and glibc's
    malloc keeping freed blocks for reuse (``minidl.backend.keep_freed_memory``; off with
    MINIDL_KEEP_FREED_MEMORY=0). Code that calls a cpu.py directly, before any op has run,
    can call ``minidl.kernels.threads.configure()`` first for the same speed."""
    global _cpu_ready
    from minidl.backend import keep_freed_memory
    from .threads import configure
    configure()
    keep_freed_memory()
    _cpu_ready = True


def select(family, array):
    """The module implementing `family` for `array`: the family's own module when ``use``
    gave one, else the built-in one of the current target."""
    if family not in FAMILIES:
        raise ValueError(f"unknown kernel family {family!r}: expected one of {FAMILIES}")
    own = current().modules.get(family)
    if own is not None:
        return own
    return module(family, target_for(array))
