"""LRN kernels: Numba CPU == NumPy reference for odd and even sizes, small and large alpha."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel_cases import assert_close
from minidl.kernels.lrn import cpu, reference

params = st.tuples(st.integers(1, 7),                        # size, odd and even
                   st.sampled_from([1e-4, 1.0, 0.3]),        # alpha (1.0: the scale matters)
                   st.sampled_from([0.75, 0.5, 1.3]),        # beta (0.75 takes a fast path)
                   st.sampled_from([2.0, 1.0, 0.5]))         # k


@given(st.integers(1, 9), st.integers(1, 3), st.integers(1, 20), params,
       st.sampled_from([np.float64, np.float32]))
def test_cpu_matches_reference(C, N, P, p, dtype):
    size, alpha, beta, k = p
    rng = np.random.default_rng(C * 31 + P)
    x = rng.standard_normal((N, C, P, 1)).astype(dtype) * 2
    gy = rng.standard_normal(x.shape).astype(dtype)
    y = cpu.lrn_forward(x, size, alpha, beta, k)
    assert y.dtype == dtype
    assert_close(y, reference.lrn_forward(x, size, alpha, beta, k), dtype)
    assert_close(cpu.lrn_backward(gy, x, size, alpha, beta, k),
                 reference.lrn_backward(gy, x, size, alpha, beta, k), dtype)


def test_blocks_of_pixels_cover_large_planes():
    x = np.random.default_rng(0).standard_normal((2, 5, 30, 31))     # > BLOCK pixels per plane
    assert_close(cpu.lrn_forward(x, 5, 1.0, 0.75, 2.0), reference.lrn_forward(x, 5, 1.0, 0.75, 2.0))


@pytest.mark.parametrize("size", [4, 5])
def test_window_placement_follows_the_formula(size):
    # one channel lit: it enters the scale of channels c with c - size//2 <= 3 <= c + (size-1)//2
    x = np.zeros((1, 8, 1, 1))
    x[0, 3] = 1.0
    y = reference.lrn_forward(x + 1e-300, size, 1.0, 1.0, 1.0)
    scale = (x[0, :, 0, 0] + 1e-300) / y[0, :, 0, 0]
    lit = [c for c in range(8) if c - size // 2 <= 3 <= c + (size - 1) // 2]
    np.testing.assert_allclose(scale, [2.0 if c in lit else 1.0 for c in range(8)])


def test_paper_defaults_barely_change_small_activations():
    x = np.full((1, 5, 1, 1), 0.1)
    np.testing.assert_allclose(cpu.lrn_forward(x, 5, 1e-4, 0.75, 2.0), 0.1 / 2 ** 0.75, rtol=1e-5)
