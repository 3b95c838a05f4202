"""benchmarks/gpu.py: exits 0 with a reason where there is no GPU; its kernel checks pass in
Numba's CUDA simulator (tiny sizes, NumPy arrays) and would catch a wrong kernel."""
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GPU = os.path.join(ROOT, "benchmarks", "gpu.py")


def _has_gpu():
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


@pytest.mark.skipif(_has_gpu(), reason="a GPU is present: the script would run for real")
def test_without_a_gpu_it_says_why_and_exits_0(tmp_path):
    out = tmp_path / "gpu.md"
    proc = subprocess.run([sys.executable, GPU, "--out", str(out)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "skipped, no GPU here" in proc.stdout and not out.exists()


@pytest.mark.slow
def test_kernel_checks_in_the_simulator():
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    proc = subprocess.run([sys.executable, GPU, "--simulate"], capture_output=True, text=True,
                          timeout=600, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for family in ("conv (im2col)", "conv (winograd)", "relu", "lrn", "max 3×3/2", "avg 3×3/2",
                   "adaptive avg", "dropout"):
        assert family in proc.stdout
    assert "FAILED" not in proc.stdout


def test_a_wrong_kernel_fails_the_check():
    """The comparison gpu.py applies flags a kernel off by 1e-3 (here: the reference itself,
    perturbed, standing in for a device kernel; numpy as the array module)."""
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    import gpu_kernels
    ref = np.random.default_rng(0).standard_normal(1000)
    assert gpu_kernels._err(ref.astype(np.float32), ref) < gpu_kernels.TOL["default"]
    row = gpu_kernels._row("relu", "relu", "-", gpu_kernels._err(ref * (1 + 1e-3), ref), 0.0)
    assert not row["ok"]
