"""±Inf and NaN through every convolution algorithm: the same non-finite pattern as im2col's
direct sums (and PyTorch's, when installed). Winograd's transforms would turn one +Inf into a
tile of NaN (Inf − Inf); dispatch runs such calls by im2col instead."""
import numpy as np
import pytest

import minidl
import minidl.functional as F
from minidl import kernels

# (input shape, weight shape, stride, padding): Winograd direct (3×3), phases (11×11/4) and
# blocks (5×5), the three paths conv_algo="winograd" takes.
LAYERS = {
    "winograd": ((2, 8, 10, 10), (8, 8, 3, 3), 1, 1),
    "phases": ((1, 3, 31, 31), (8, 3, 11, 11), 4, 2),
    "blocks": ((1, 4, 12, 12), (6, 4, 5, 5), 1, 2),
}
BAD = (np.inf, -np.inf, np.nan)


def _conv(x, w, stride, padding, algo, gy=None):
    xt, wt = minidl.tensor(x, requires_grad=True), minidl.tensor(w, requires_grad=True)
    with kernels.use(conv_algo=algo):
        y = F.conv2d(xt, wt, stride=stride, padding=padding)
        if gy is None:
            return y.detach().numpy(), None, None
        y.backward(minidl.tensor(gy))
    return y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()


def _same_pattern(a, b):
    """Equal NaN and ±Inf positions, and close finite values."""
    assert np.array_equal(np.isnan(a), np.isnan(b)), f"NaN at {np.isnan(a).sum()} vs {np.isnan(b).sum()}"
    assert np.array_equal(np.isposinf(a), np.isposinf(b))
    assert np.array_equal(np.isneginf(a), np.isneginf(b))
    fin = np.isfinite(a)
    np.testing.assert_allclose(a[fin], b[fin], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("path", sorted(LAYERS))
@pytest.mark.parametrize("where", ["input", "weight", "grad"])
@pytest.mark.parametrize("bad", BAD, ids=["+inf", "-inf", "nan"])
def test_non_finite_values_give_im2cols_pattern(path, where, bad):
    x_shape, w_shape, stride, padding = LAYERS[path]
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    y_shape = _conv(x, w, stride, padding, "im2col")[0].shape
    gy = rng.standard_normal(y_shape)
    {"input": x, "weight": w, "grad": gy}[where].reshape(-1)[7] = bad
    ours = _conv(x, w, stride, padding, "winograd", gy)
    theirs = _conv(x, w, stride, padding, "im2col", gy)
    for a, b in zip(ours, theirs):
        _same_pattern(a, b)


def test_an_inf_pixel_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 64, 14, 14)).astype(np.float32)
    w = rng.standard_normal((64, 64, 3, 3)).astype(np.float32)
    x[0, 3, 5, 5] = np.inf
    ref = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=1).numpy()
    for algo in ("auto", "winograd"):
        with kernels.use(conv_algo=algo):
            y = F.conv2d(minidl.tensor(x), minidl.tensor(w), padding=1).numpy()
        assert not np.isnan(y).any()
        assert np.array_equal(np.isposinf(y), np.isposinf(ref))
        assert np.array_equal(np.isneginf(y), np.isneginf(ref))


@pytest.mark.parametrize("path", ["phases", "blocks"])    # AlexNet conv1's and conv2's kinds
@pytest.mark.parametrize("where", ["input", "weight", "grad"])
@pytest.mark.parametrize("bad", BAD, ids=["+inf", "-inf", "nan"])
def test_direct_gives_im2cols_pattern(path, where, bad):
    """conv_algo="direct" (kernels/conv/direct_cpu.py) sums directly too: the same pattern."""
    x_shape, w_shape, stride, padding = LAYERS[path]
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    gy = rng.standard_normal(_conv(x, w, stride, padding, "im2col")[0].shape)
    {"input": x, "weight": w, "grad": gy}[where].reshape(-1)[7] = bad
    for a, b in zip(_conv(x, w, stride, padding, "direct", gy),
                    _conv(x, w, stride, padding, "im2col", gy)):
        _same_pattern(a, b)
