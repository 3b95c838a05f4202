"""The numba.cuda kernels under Numba's CUDA simulator (no GPU needed).

NUMBA_ENABLE_CUDASIM=1 must be set before numba is first imported, so these tests run in a
pytest process of their own, started by tests/kernels/test_cuda_simulator.py:

    NUMBA_ENABLE_CUDASIM=1 python -m pytest tests/cudasim

In the ordinary test run (variable unset) this directory is not collected.
"""
import os

if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1":
    collect_ignore_glob = ["*.py"]
