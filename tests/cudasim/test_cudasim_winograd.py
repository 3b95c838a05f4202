"""The numba.cuda Winograd kernels == the NumPy Winograd reference and im2col reference, under
the simulator on tiny shapes (odd and even sizes, groups, padding 0-3, chunks of one tile row)."""
import numpy as np
import pytest

from minidl.kernels.conv import reference as conv_ref
from minidl.kernels.conv import winograd_cuda
from minidl.kernels.conv import winograd_reference as wino_ref
from minidl.kernels.conv.spec import make_spec

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
    args = make_spec(x.shape, w.shape, 1, padding, 1, groups)
    y = winograd_cuda.conv2d_forward(x, w, b, args)
    np.testing.assert_allclose(y, wino_ref.conv2d_forward(x, w, b, args), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(y, conv_ref.conv2d_forward(x, w, b, args), rtol=1e-10, atol=1e-12)
    gy = rng.standard_normal(y.shape)
    got = winograd_cuda.conv2d_backward(gy, x, w, args, (True, True, True))
    for g, want in zip(got, conv_ref.conv2d_backward(gy, x, w, args, (True, True, True))):
        np.testing.assert_allclose(g, want, rtol=1e-10, atol=1e-12)


# (rewrite, x shape, w shape, stride, padding, groups): AlexNet conv1-like layers on their
# phases (kernels/conv/rewrites/phases.py) and a conv2-like 5×5 layer in 3×3 blocks (blocks.py)
REWRITES = [("phases", (1, 2, 13, 13), (3, 2, 11, 11), (4, 4), (2, 2), 1),
            ("phases", (2, 1, 9, 9), (2, 1, 5, 5), (2, 2), (1, 1), 1),
            ("blocks", (2, 4, 7, 6), (2, 2, 5, 5), (1, 1), (2, 1), 2)]


@pytest.mark.parametrize("rewrite, x_shape, w_shape, stride, padding, groups", REWRITES)
def test_rewrites_on_the_cuda_winograd(rewrite, x_shape, w_shape, stride, padding, groups):
    """The rewrites that bring AlexNet's conv1 and conv2 to 3×3 stride-1 layers, around the
    CUDA Winograd kernels."""
    from minidl.kernels.conv.rewrites.blocks import BlockConv
    from minidl.kernels.conv.rewrites.phases import PhaseConv
    conv = (PhaseConv if rewrite == "phases" else BlockConv)(winograd_cuda)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0])
    args = make_spec(x.shape, w.shape, stride, padding, 1, groups)
    y = conv.conv2d_forward(x, w, b, args)
    np.testing.assert_allclose(y, conv_ref.conv2d_forward(x, w, b, args), rtol=1e-10, atol=1e-12)
    gy = rng.standard_normal(y.shape)
    got = conv.conv2d_backward(gy, x, w, args, (True, True, True))
    for g, want in zip(got, conv_ref.conv2d_backward(gy, x, w, args, (True, True, True))):
        np.testing.assert_allclose(g, want, rtol=1e-10, atol=1e-12)
