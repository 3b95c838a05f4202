"""kernels/conv/percore_cpu.py (im2col, one image per core) == the im2col reference.

float64, forward and all three gradients, on small layers shaped like AlexNet's conv1
(11×11 stride 4, padded) and conv2 (5×5, groups 2), plus odd ones; batches of 1-3 images so
that the threads get one image, several, or none; whole images and bands of one row.
"""
import numpy as np
import pytest

from minidl.kernels.conv import percore_cpu as conv_percore
from minidl.kernels.conv import reference
from minidl.kernels.conv.dispatch import conv_kernels
from minidl.kernels.conv.spec import make_spec

# (N, C, OC, k, stride, padding, groups, size)
CASES = [(3, 3, 8, 11, 4, 2, 1, 35), (2, 4, 6, 5, 1, 2, 2, 9), (1, 4, 6, 3, 2, 1, 2, 9),
         (2, 6, 4, 5, 1, 0, 2, 8)]


@pytest.mark.parametrize("N, C, OC, k, s, p, g, size", CASES)
@pytest.mark.parametrize("needs", [(True, True, True), (False, True, False)])
@pytest.mark.parametrize("band_bytes", [None, 1])   # whole images; bands of one output row
def test_matches_the_reference(N, C, OC, k, s, p, g, size, needs, band_bytes):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, size, size))
    w = rng.standard_normal((OC, C // g, k, k))
    b = rng.standard_normal(OC)
    spec = make_spec(x.shape, w.shape, s, p, 1, g)
    y = conv_percore.conv2d_forward(x, w, b, spec, band_bytes)
    np.testing.assert_allclose(y, reference.conv2d_forward(x, w, b, spec), rtol=1e-10,
                               atol=1e-10)
    gy = rng.standard_normal(y.shape)
    got = conv_percore.conv2d_backward(gy, x, w, spec, needs, band_bytes)
    want = reference.conv2d_backward(gy, x, w, spec, needs)
    for a, e, need in zip(got, want, needs):
        assert (a is None) == (not need)
        if need:
            np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-10)


def test_float32_is_close_to_float64():
    """AlexNet conv2's shape (few images): float32 within float32 rounding of float64."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 96, 27, 27))
    w = rng.standard_normal((256, 48, 5, 5)) * 0.03
    spec = make_spec(x.shape, w.shape, 1, 2, 1, 2)
    y = reference.conv2d_forward(x, w, None, spec)
    y32 = conv_percore.conv2d_forward(x.astype(np.float32), w.astype(np.float32), None, spec)
    assert y32.dtype == np.float32
    assert np.linalg.norm(y32 - y) / np.linalg.norm(y) < 1e-6


def test_selected_by_conv_algo(monkeypatch):
    """percore: the layers auto runs by im2col (AlexNet's conv1) go to percore_cpu; those it
    runs by Winograd (AlexNet's conv3) stay there. Where auto does not run the direct loop, it
    does the same for a batch with an image for every core while PERCORE_IN_AUTO is on; a
    smaller batch runs cpu.py."""
    from minidl import kernels
    from minidl.kernels.conv import cpu, dispatch, winograd_cpu
    from minidl.kernels.threads import cpu_threads
    cores = cpu_threads()
    conv1 = np.zeros((cores, 3, 224, 224), np.float32), (96, 3, 11, 11), 4, 2
    conv3 = np.zeros((cores, 256, 13, 13), np.float32), (384, 256, 3, 3), 1, 1
    specs = {name: (x, make_spec(x.shape, w, s, p)) for name, (x, w, s, p) in
             (("conv1", conv1), ("conv3", conv3))}
    one = np.zeros((1, 3, 224, 224), np.float32)
    with kernels.use(conv_algo="percore"):
        assert conv_kernels(*specs["conv1"]) is conv_percore
        assert conv_kernels(one, specs["conv1"][1]) is conv_percore   # asked for: any batch
        assert conv_kernels(*specs["conv3"]) is winograd_cpu
        assert dispatch.choose(specs["conv1"][0].shape, specs["conv1"][1]) == "percore"
    with kernels.use(conv_algo="auto"):
        monkeypatch.setattr(dispatch, "DIRECT_IN_AUTO", False)   # (it goes before percore)
        monkeypatch.setattr(dispatch, "PERCORE_IN_AUTO", True)   # the switch NOTES.md names
        assert conv_kernels(*specs["conv1"]) is conv_percore
        assert conv_kernels(*specs["conv3"]) is winograd_cpu
        if cores > 1:
            assert conv_kernels(one, specs["conv1"][1]) is cpu
        monkeypatch.setattr(dispatch, "PERCORE_IN_AUTO", False)
        assert conv_kernels(*specs["conv1"]) is cpu
    with kernels.use(conv_algo="im2col"):
        assert conv_kernels(*specs["conv1"]) is cpu
    with kernels.use(conv_algo="auto", target="reference"):   # a CPU kernel only
        assert dispatch.algorithm_for(specs["conv1"][1], conv1[0].shape) == "im2col"


def test_a_layer_computes_the_same_with_it():
    """A conv layer's output and gradients through autograd, percore against im2col."""
    import minidl
    import minidl.functional as F
    from minidl import kernels
    rng = np.random.default_rng(2)
    x0, w0 = rng.standard_normal((3, 4, 12, 12)), rng.standard_normal((6, 2, 5, 5))
    out = {}
    for algo in ("im2col", "percore"):
        with kernels.use(conv_algo=algo):
            x = minidl.tensor(x0, requires_grad=True)
            w = minidl.tensor(w0, requires_grad=True)
            y = F.conv2d(x, w, stride=2, padding=2, groups=2)
            (y * y).sum().backward()
        out[algo] = (y.detach().numpy(), x.grad.numpy(), w.grad.numpy())
    for a, b in zip(out["im2col"], out["percore"]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
