"""Kernel dispatch, the reference switch, Numba's on-disk cache, and op-level behaviour."""
import subprocess
import sys

import numpy as np
import pytest

import minidl
import minidl.functional as F
import minidl.kernels as kernels
from minidl.kernels import select

CPU_MODULES = ["conv", "relu", "lrn", "pool", "dropout"]


def test_select_picks_the_cpu_kernels_and_the_reference_on_request():
    x = np.zeros(3)
    assert select("conv", x).__name__ == "minidl.kernels.conv.cpu"
    with kernels.use(target="reference"):
        assert select("lrn", x).__name__ == "minidl.kernels.lrn.reference"
    with pytest.raises(ValueError, match="unknown kernel family 'convolution'"):
        select("convolution", x)


def test_reference_mode_gives_the_same_network_output():
    rng = np.random.default_rng(0)
    x = minidl.tensor(rng.standard_normal((2, 6, 11, 11)))
    w = minidl.tensor(rng.standard_normal((8, 3, 3, 3)))

    def net():
        y = F.relu(F.conv2d(x, w, padding=1, groups=2))
        y = F.max_pool2d(F.local_response_norm(y, 5, 1.0), 3, 2)
        return F.adaptive_avg_pool2d(y, 1).numpy()

    fast = net()
    with kernels.use(target="reference"):
        slow = net()
    np.testing.assert_allclose(fast, slow, rtol=1e-12)


def test_the_environment_switch():
    code = "import minidl.kernels as k, numpy as np; print(k.select('pool', np.zeros(1)).__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**__import__("os").environ, "MINIDL_KERNELS": "reference"})
    assert out.stdout.strip() == "minidl.kernels.pool.reference"


@pytest.mark.parametrize("family", CPU_MODULES)
def test_numba_kernels_are_cached_on_disk_and_compiled_once(family):
    import numba

    module = select(family, np.zeros(1))
    jitted = [f for f in vars(module).values() if isinstance(f, numba.core.registry.CPUDispatcher)]
    assert jitted
    for f in jitted:
        assert type(f._cache).__name__ == "FunctionCache", f"{f.__name__} lacks cache=True"


def test_repeated_calls_do_not_recompile():
    from minidl.kernels.conv import cpu
    from minidl.kernels.conv.spec import make_spec
    x = np.ones((1, 2, 6, 6), np.float32)
    w = np.ones((2, 2, 3, 3), np.float32)
    cpu.conv2d_forward(x, w, None, make_spec(x.shape, w.shape))
    before = len(cpu._im2col_strided.signatures)
    for size in (5, 7, 9):
        x = np.ones((2, 2, size, size), np.float32)
        cpu.conv2d_forward(x, w, None, make_spec(x.shape, w.shape, stride=2, padding=1))
    assert len(cpu._im2col_strided.signatures) == before


def test_conv2d_skips_gradients_nobody_asked_for():
    x = minidl.tensor(np.ones((1, 2, 5, 5)))
    w = minidl.tensor(np.ones((3, 2, 3, 3)), requires_grad=True)
    F.conv2d(x, w).sum().backward()
    assert x.grad is None and w.grad.shape == (3, 2, 3, 3)


def test_dropout_reproduces_from_a_seed_and_is_identity_in_eval():
    x = minidl.ones(8, 100)
    a = F.dropout(x, 0.5, generator=minidl.Generator(3)).numpy()
    b = F.dropout(x, 0.5, generator=minidl.Generator(3)).numpy()
    np.testing.assert_array_equal(a, b)
    minidl.manual_seed(11)
    c = F.dropout(x, 0.5).numpy()
    d = F.dropout(x, 0.5).numpy()
    minidl.manual_seed(11)
    np.testing.assert_array_equal(F.dropout(x, 0.5).numpy(), c)
    assert (c != d).any()                                 # each call draws a new key
    assert F.dropout(x, 0.5, training=False) is x


def test_lrn_accepts_any_trailing_dims():
    x = np.random.default_rng(0).standard_normal((2, 6, 5))
    y3 = F.local_response_norm(minidl.tensor(x), 3, 1.0).numpy()
    y4 = F.local_response_norm(minidl.tensor(x[..., None]), 3, 1.0).numpy()
    np.testing.assert_allclose(y3, y4[..., 0])


def test_a_library_that_loaded_openmp_first_gets_numbas_own_thread_pool():
    pytest.importorskip("torch")
    if not sys.platform.startswith("linux"):
        pytest.skip("the check reads /proc/self/maps")
    code = ("import torch, numba, numpy as np\n"
            "import minidl.kernels as k\n"
            "k.select('relu', np.ones(4)).relu_forward(np.ones(4))\n"
            "print(numba.threading_layer())")
    env = {k: v for k, v in __import__("os").environ.items()
           if k not in ("OMP_WAIT_POLICY", "NUMBA_THREADING_LAYER")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=env)
    assert out.stdout.strip() == "workqueue"       # torch's OpenMP threads spin: keep clear
