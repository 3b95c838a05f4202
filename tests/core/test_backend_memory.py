"""minidl keeps freed CPU memory for reuse (glibc): a re-allocated activation faults in no pages."""
import platform
import resource
import subprocess
import sys

import numpy as np
import pytest

import minidl  # noqa: F401
from minidl.backend import keep_freed_memory

glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def faults_for_second_allocation(nbytes=64 << 20):
    np.ones(nbytes // 4, np.float32)          # allocated, touched, freed
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    np.ones(nbytes // 4, np.float32)          # the same size again
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@pytest.mark.skipif(not glibc, reason="glibc's mallopt")
def test_a_freed_64mb_block_is_reused_without_page_faults():
    assert keep_freed_memory()
    # fresh pages would cost 32 faults even as 2 MB huge pages (16384 as 4 KB pages)
    assert faults_for_second_allocation() < 8


@pytest.mark.skipif(not glibc, reason="glibc's mallopt")
def test_switched_off_by_the_environment_variable():
    code = ("import minidl, numpy as np, resource\n"
            "from minidl.backend import keep_freed_memory\n"
            "print(keep_freed_memory())\n")
    env = {"MINIDL_KEEP_FREED_MEMORY": "0", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "False", out.stderr
