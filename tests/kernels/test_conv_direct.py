"""kernels/conv/direct_cpu.py (register-blocked direct convolution) == the references.

Forward and the three gradients against the float64 im2col reference (`reference.py`) and,
for the forward, the naive five-loop `naive.py`; float32 and float64; shapes that exercise
each edge of the tiles (1, 2 and 3 blocks of 16 channels): stride, padding, dilation,
groups, output channels not a multiple of 16, odd sizes, a row that is not a whole number
of tiles, kernels wider than a weight-gradient tile, the input gradient's strided
fallback. Then against PyTorch, a hypothesis sweep of geometries, the dispatch
(``use(conv_algo="direct")``) and a float64 gradient check through autograd.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel_cases import assert_close, conv_arrays, conv_cases, conv2d_direct, spec_of
from minidl.kernels.conv import direct_cpu, reference
from minidl.kernels.conv.dispatch import conv_kernels
from minidl.kernels.conv.spec import make_spec

# (N, C, OC, k, stride, padding, dilation, groups, size)
CASES = [(3, 3, 8, 11, 4, 2, 1, 1, 35),     # AlexNet conv1's kind: 11×11 stride 4, padded
         (2, 4, 6, 5, 1, 2, 1, 2, 9),       # conv2's kind: 5×5, groups 2, "same" padding
         (1, 4, 40, 3, 2, 1, 1, 2, 9),      # 20 channels a group: one full and a partial block
         (2, 6, 4, 5, 1, 0, 1, 2, 8),       # no padding
         (9, 5, 20, 7, 1, 4, 1, 1, 10),     # more images than weight-gradient chunks
         (2, 3, 17, 3, 1, 1, 2, 1, 13),     # dilated; 17 channels
         (1, 2, 33, 13, 1, 6, 1, 1, 15),    # a kernel wider than a weight-gradient tile
         (2, 2, 5, 4, 3, 9, 1, 1, 4),       # padding beyond the kernel: gx by the fallback
         (2, 3, 40, 5, 1, 2, 1, 1, 11)]     # 3 blocks (the last partial): the 3-block tile


def _arrays(N, C, OC, k, s, p, d, g, size, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, size, size + 1)).astype(dtype)    # H != W
    w = rng.standard_normal((OC, C // g, k, k)).astype(dtype)
    b = rng.standard_normal(OC).astype(dtype)
    spec = make_spec(x.shape, w.shape, s, p, d, g)
    gy = rng.standard_normal(spec.out_shape(N)).astype(dtype)
    return x, w, b, gy, spec


def _want(x, w, b, gy, spec, needs):
    x, w, b, gy = (a.astype(np.float64) for a in (x, w, b, gy))
    return (reference.conv2d_forward(x, w, b, spec),) + \
        reference.conv2d_backward(gy, x, w, spec, needs)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("needs", [(True, True, True), (False, True, False),
                                   (True, False, True)])
def test_float64_matches_the_reference(case, needs):
    x, w, b, gy, spec = _arrays(*case, np.float64)
    got = (direct_cpu.conv2d_forward(x, w, b, spec),) + \
        direct_cpu.conv2d_backward(gy, x, w, spec, needs)
    for a, e, need in zip(got, _want(x, w, b, gy, spec, needs), (True,) + needs):
        assert (a is None) == (not need)
        if need:
            assert a.dtype == np.float64 and a.shape == e.shape
            assert_close(a, e)


@pytest.mark.parametrize("case", CASES[:3])
def test_forward_matches_the_naive_loop(case):
    x, w, b, _, spec = _arrays(*case, np.float64, seed=1)
    assert_close(direct_cpu.conv2d_forward(x, w, b, spec), conv2d_direct(x, w, b, spec))


@pytest.mark.parametrize("case", CASES)
def test_float32_within_float32_rounding(case):
    x, w, b, gy, spec = _arrays(*case, np.float32, seed=2)
    needs = (True, True, True)
    got = (direct_cpu.conv2d_forward(x, w, b, spec),) + \
        direct_cpu.conv2d_backward(gy, x, w, spec, needs)
    for a, e in zip(got, _want(x, w, b, gy, spec, needs)):
        assert a.dtype == np.float32
        # one running sum per output over up to 338 terms: ~sqrt(338) float32 roundings
        assert np.linalg.norm(a - e) / np.linalg.norm(e) < 1e-5


def test_no_bias_and_a_bias_of_another_dtype():
    x, w, b, _, spec = _arrays(*CASES[1], np.float32)
    y0 = direct_cpu.conv2d_forward(x, w, None, spec)
    y1 = direct_cpu.conv2d_forward(x, w, b.astype(np.float64), spec)
    assert y1.dtype == np.float32
    np.testing.assert_allclose(y1 - y0, np.broadcast_to(b[None, :, None, None], y0.shape),
                               rtol=1e-5, atol=1e-5)


def test_other_dtypes_and_an_empty_batch_go_elsewhere():
    """float16 and an empty batch run by reference.py: same shapes, same results."""
    x, w, b, gy, spec = _arrays(1, 2, 3, 3, 1, 1, 1, 1, 6, np.float64)
    y = direct_cpu.conv2d_forward(x.astype(np.float16), w.astype(np.float16), None, spec)
    assert y.dtype == np.float16
    np.testing.assert_allclose(y, reference.conv2d_forward(x, w, None, spec), rtol=2e-2,
                               atol=5e-2)
    x0 = x[:0]
    assert direct_cpu.conv2d_forward(x0, w, b, spec).shape == (0, 3, 6, 7)
    gx, gw, gb = direct_cpu.conv2d_backward(np.zeros((0, 3, 6, 7)), x0, w, spec,
                                            (True, True, True))
    assert gx.shape == x0.shape and not gw.any() and not gb.any()


def test_equals_pytorch():
    """An AlexNet-conv2-shaped layer (2 images), float32, against torch.nn.functional."""
    torch = pytest.importorskip("torch")
    x, w, b, gy, spec = _arrays(2, 16, 40, 5, 1, 2, 1, 2, 11, np.float32, seed=3)
    tx, tw, tb = (torch.from_numpy(a).requires_grad_() for a in (x, w, b))
    ty = torch.nn.functional.conv2d(tx, tw, tb, 1, 2, 1, 2)
    ty.backward(torch.from_numpy(gy))
    got = (direct_cpu.conv2d_forward(x, w, b, spec),) + \
        direct_cpu.conv2d_backward(gy, x, w, spec, (True, True, True))
    for a, t in zip(got, (ty, tx.grad, tw.grad, tb.grad)):
        np.testing.assert_allclose(a, t.detach().numpy(), rtol=1e-4, atol=1e-4)


@settings(max_examples=15, deadline=None)
@given(conv_cases(max_side=9), st.sampled_from([np.float64, np.float32]))
def test_any_geometry_matches_the_reference(case, dtype):
    x, w, b = conv_arrays(case, dtype)
    spec = spec_of(case)
    gy = np.random.default_rng(1).standard_normal(spec.out_shape(case["N"])).astype(dtype)
    needs = (True, True, True)
    got = (direct_cpu.conv2d_forward(x, w, b, spec),) + \
        direct_cpu.conv2d_backward(gy, x, w, spec, needs)
    tol = 1e-10 if dtype == np.float64 else 1e-4
    for a, e in zip(got, _want(x, w, b, gy, spec, needs)):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, e, rtol=tol, atol=tol)


def test_selected_by_conv_algo(monkeypatch):
    """direct: the layers auto runs by im2col (AlexNet's conv1, conv2) go to direct_cpu; those
    it runs by Winograd (AlexNet's conv3) stay there, and 1×1 layers stay on cpu.py."""
    from minidl import kernels
    from minidl.kernels.conv import cpu, dispatch, winograd_cpu
    layers = {"conv1": ((1, 3, 224, 224), (96, 3, 11, 11), 4, 2),
              "conv2": ((1, 96, 27, 27), (256, 48, 5, 5), 1, 2),
              "conv3": ((1, 256, 13, 13), (384, 256, 3, 3), 1, 1),
              "1x1": ((1, 64, 28, 28), (32, 64, 1, 1), 1, 0)}
    specs = {}
    for name, (xs, ws, s, p) in layers.items():
        x = np.zeros(xs, np.float32)
        specs[name] = (x, make_spec(xs, ws, s, p, 1, 2 if name == "conv2" else 1))
    with kernels.use(conv_algo="direct"):
        assert conv_kernels(*specs["conv1"]) is direct_cpu
        assert conv_kernels(*specs["conv2"]) is direct_cpu
        assert conv_kernels(*specs["conv3"]) is winograd_cpu
        assert conv_kernels(*specs["1x1"]) is cpu
        assert dispatch.choose(specs["conv1"][0].shape, specs["conv1"][1]) == "direct"
        assert dispatch.algorithm_for(specs["conv2"][1], (1, 96, 27, 27)) == "direct"
        with kernels.use(target="reference"):      # CPU kernels only
            assert conv_kernels(*specs["conv1"]) is reference
            assert dispatch.algorithm_for(specs["conv1"][1], (1, 3, 224, 224)) == "im2col"
    with kernels.use(conv_algo="auto"):
        monkeypatch.setattr(dispatch, "DIRECT_IN_AUTO", False)
        assert conv_kernels(*specs["conv1"]) is cpu
        monkeypatch.setattr(dispatch, "DIRECT_IN_AUTO", True)   # the switch NOTES.md names
        monkeypatch.setattr(dispatch, "PERCORE_IN_AUTO", True)  # direct goes first
        monkeypatch.setattr(dispatch, "_wide_vectors", lambda: False)    # no AVX-512
        assert conv_kernels(*specs["conv1"]) is not direct_cpu
        monkeypatch.setattr(dispatch, "_wide_vectors", lambda: True)
        assert conv_kernels(*specs["conv1"]) is direct_cpu
        assert conv_kernels(*specs["conv3"]) is winograd_cpu
    with kernels.use(conv_algo="im2col"):
        assert conv_kernels(*specs["conv1"]) is cpu


def test_a_layer_computes_the_same_with_it():
    """A conv layer's output and gradients through autograd, direct against im2col."""
    import minidl
    import minidl.functional as F
    from minidl import kernels
    rng = np.random.default_rng(2)
    x0, w0 = rng.standard_normal((3, 4, 12, 12)), rng.standard_normal((6, 2, 5, 5))
    out = {}
    for algo in ("im2col", "direct"):
        with kernels.use(conv_algo=algo):
            x = minidl.tensor(x0, requires_grad=True)
            w = minidl.tensor(w0, requires_grad=True)
            y = F.conv2d(x, w, stride=1, padding=2, groups=2)
            (y * y).sum().backward()
        out[algo] = (y.detach().numpy(), x.grad.numpy(), w.grad.numpy())
    for a, b in zip(out["im2col"], out["direct"]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


@settings(max_examples=10, deadline=None)
@given(conv_cases(max_side=6), st.booleans())
def test_gradcheck_under_direct(case, with_bias):
    """minidl.gradcheck (float64 finite differences) of F.conv2d under conv_algo="direct"."""
    import minidl
    import minidl.functional as F
    from kernel_cases import T
    from minidl.kernels import use
    from minidl.kernels.conv import dispatch
    x, w, b = conv_arrays(case)
    spec = spec_of(case)
    inputs = [T(x), T(w)] + ([T(b)] if with_bias else [])
    with use(conv_algo="direct"):
        if dispatch.choose(x.shape, spec) == "direct":      # all but 1×1 layers here
            assert conv_kernels(x, spec) is direct_cpu
        assert minidl.gradcheck(lambda x, w, *b: F.conv2d(
            x, w, *(b or [None]), stride=spec.stride, padding=spec.padding,
            dilation=spec.dilation, groups=spec.groups), inputs)
