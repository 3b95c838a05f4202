"""What the benchmarks ran on: CPU, cores, memory, the BLAS and its kernel, Numba's threads.

`describe()` returns an ordered dict of strings for the report's header. The BLAS kernel is
threadpoolctl's `architecture` for OpenBLAS (e.g. SkylakeX, Haswell, Zen): which of OpenBLAS's
hand-tuned GEMM kernels this process loaded, which can change the GEMM rate by 2x on one CPU.
"""
import importlib
import os
import platform
import subprocess
import sys


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib():
    try:
        with open("/proc/meminfo") as f:
            kib = int(f.readline().split()[1])
        return f"{kib / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        return "unknown"


def blas():
    """(description, architecture) of the BLAS NumPy calls, from threadpoolctl."""
    importlib.import_module("numpy")   # loads the BLAS
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (pip install threadpoolctl)", None
    for lib in threadpool_info():
        if lib.get("user_api") == "blas":
            arch = lib.get("architecture")
            name = os.path.basename(lib.get("filepath", ""))
            desc = (f"{lib.get('internal_api')} {lib.get('version')}, kernel {arch}, "
                    f"{lib.get('num_threads')} threads ({name})")
            return desc, arch
    return "none found by threadpoolctl", None


def numba_threading():
    """Numba's threading layer (it is chosen when the first parallel loop runs)."""
    import numba
    import numpy as np

    @numba.njit(parallel=True)
    def _touch(a):
        for i in numba.prange(a.size):
            a[i] += 1

    _touch(np.zeros(4))
    return f"{numba.threading_layer()}, {numba.get_num_threads()} threads"


def scipy():
    """SciPy's version, or "not installed". minidl does not use SciPy, but Numba imports it at
    start-up when it is there (0.15 s of the first step in a new process: target 6)."""
    import importlib.metadata
    try:
        return importlib.metadata.version("scipy") + " (not used by minidl; Numba imports it)"
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def git_commit():
    try:
        here = os.path.dirname(os.path.abspath(__file__))
        out = subprocess.run(["git", "-C", here, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", here, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
        return out.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def describe(env_note):
    """The report's header lines, as an ordered dict; the worker processes add the BLAS,
    Numba and PyTorch lines (`workers._info`), which belong to the processes that ran."""
    return {
        "CPU": f"{cpu_model()}, {os.cpu_count()} logical cores",
        "Memory": memory_gib(),
        "OS": f"{platform.system()} {platform.release()}",
        "Environment": env_note,
        "Python": platform.python_version(),
        "minidl commit": git_commit(),
        "Command": " ".join([os.path.basename(sys.executable)] + sys.argv),
    }
