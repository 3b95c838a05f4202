"""The numba.cuda Winograd kernels == the NumPy Winograd reference and im2col reference, under
the simulator on tiny shapes (odd and even sizes, groups, padding 0-3, chunks of one tile row)."""
import numpy as np
import pytest

from minidl.kernels.conv import reference as conv_ref
from minidl.kernels.conv import winograd_cuda
from minidl.kernels.conv import winograd_reference as wino_ref

rng = np.random.default_rng(0)

# (N, C, H, W, OC, padding, groups)
CASES = [(1, 2, 5, 4, 3, (1, 1), 1), (2, 4, 3, 6, 2, (0, 2), 2), (1, 1, 4, 3, 1, (3, 1), 1)]


@pytest.mark.parametrize("N, C, H, W, OC, padding, groups", CASES)
@pytest.mark.parametrize("buffer_bytes", [winograd_cuda.TILE_BUFFER_BYTES, 1])
def test_winograd(N, C, H, W, OC, padding, groups, buffer_bytes, monkeypatch):
    monkeypatch.setattr(winograd_cuda, "TILE_BUFFER_BYTES", buffer_bytes)
    x = rng.standard_normal((N, C, H, W))
    w = rng.standard_normal((OC, C // groups, 3, 3))
    b = rng.standard_normal(OC)
    args = ((1, 1), padding, (1, 1), groups)
    y = winograd_cuda.conv2d_forward(x, w, b, *args)
    np.testing.assert_allclose(y, wino_ref.conv2d_forward(x, w, b, *args), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(y, conv_ref.conv2d_forward(x, w, b, *args), rtol=1e-10, atol=1e-12)
    gy = rng.standard_normal(y.shape)
    got = winograd_cuda.conv2d_backward(gy, x, w, *args, True, True, True)
    for g, want in zip(got, conv_ref.conv2d_backward(gy, x, w, *args, True, True, True)):
        np.testing.assert_allclose(g, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("N, C, H, OC, k, stride, padding", [(1, 2, 13, 3, 11, 4, 2),
                                                             (2, 1, 9, 2, 5, 2, 1)])
def test_phase_conv_on_the_cuda_winograd(N, C, H, OC, k, stride, padding):
    """AlexNet conv1's rewrite (kernels/conv/phases.py) around the CUDA Winograd kernels."""
    from minidl.kernels.conv.phases import PhaseConv
    conv = PhaseConv(winograd_cuda)
    x = rng.standard_normal((N, C, H, H))
    w = rng.standard_normal((OC, C, k, k))
    b = rng.standard_normal(OC)
    args = ((stride, stride), (padding, padding), (1, 1), 1)
    y = conv.conv2d_forward(x, w, b, *args)
    np.testing.assert_allclose(y, conv_ref.conv2d_forward(x, w, b, *args), rtol=1e-10, atol=1e-12)
    gy = rng.standard_normal(y.shape)
    got = conv.conv2d_backward(gy, x, w, *args, True, True, True)
    for g, want in zip(got, conv_ref.conv2d_backward(gy, x, w, *args, True, True, True)):
        np.testing.assert_allclose(g, want, rtol=1e-10, atol=1e-12)


def test_block_conv_on_the_cuda_winograd():
    """AlexNet conv2's rewrite (kernels/conv/blocks.py) around the CUDA Winograd kernels."""
    from minidl.kernels.conv.blocks import BlockConv
    conv = BlockConv(winograd_cuda)
    x = rng.standard_normal((2, 4, 7, 6))
    w = rng.standard_normal((2, 2, 5, 5))
    b = rng.standard_normal(2)
    args = ((1, 1), (2, 1), (1, 1), 2)
    y = conv.conv2d_forward(x, w, b, *args)
    np.testing.assert_allclose(y, conv_ref.conv2d_forward(x, w, b, *args), rtol=1e-10, atol=1e-12)
    gy = rng.standard_normal(y.shape)
    got = conv.conv2d_backward(gy, x, w, *args, True, True, True)
    for g, want in zip(got, conv_ref.conv2d_backward(gy, x, w, *args, True, True, True)):
        np.testing.assert_allclose(g, want, rtol=1e-10, atol=1e-12)
