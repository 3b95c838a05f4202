"""saliency, Grad-CAM and occlusion against answers computed on paper (NumPy, no minidl)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minidl import visualize as V

from nets import cam_net, conv2d_loop, images, linear_net


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@given(c=st.integers(1, 3), h=st.integers(2, 6), w=st.integers(2, 6), classes=st.integers(2, 5),
       data=st.data())
def test_saliency_of_a_linear_model_is_the_class_weights(c, h, w, classes, data):
    net = linear_net(c, h, w, classes)
    n = data.draw(st.integers(1, 3))
    target = data.draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n))
    sal = V.saliency(net, images((n, c, h, w), 1), target)
    weight = net[1].weight.data.reshape(classes, c, h, w)
    expected = np.abs(weight[target]).max(axis=1)        # |W[c]|, max over colour channels
    assert sal.shape == (n, h, w)
    np.testing.assert_allclose(sal, expected, rtol=1e-12, atol=0)


def test_saliency_default_target_is_the_top1_class():
    net = linear_net(1, 4, 4, 3)
    x = images((5, 1, 4, 4), 2)
    top1 = (x.reshape(5, -1) @ net[1].weight.data.T + net[1].bias.data).argmax(axis=1)
    np.testing.assert_array_equal(V.saliency(net, x), V.saliency(net, x, top1))


@given(c=st.integers(1, 3), k=st.integers(1, 4), side=st.integers(2, 6),
       classes=st.integers(2, 4), seed=st.integers(0, 100))
def test_grad_cam_of_a_cam_net_is_the_class_activation_map_over_its_area(c, k, side, classes,
                                                                           seed):
    net = cam_net(c, k, classes, seed)
    x = images((2, c, side, side), seed)
    target = [seed % classes, (seed + 1) % classes]
    conv, fc = net[0], net[4]
    a = np.maximum(conv2d_loop(x, conv.weight.data, conv.bias.data, 1), 0)    # (N, K, h, w)
    cam = np.einsum("nk,nkij->nij", fc.weight.data[target], a)               # Zhou et al.
    expected = np.maximum(cam, 0) / (side * side)
    got = V.grad_cam(net, x, target, "1")
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-13)


def test_grad_cam_upsampled_is_the_bilinear_resize_of_its_map():
    net = cam_net(2, 3, 4)
    x = images((2, 2, 5, 5), 3)
    small = V.grad_cam(net, x, 1, net[1])                 # the module itself works as a name
    big = V.grad_cam(net, x, 1, "1", upsample=True)
    np.testing.assert_allclose(big, V.resize_bilinear(small, (5, 5)), rtol=1e-12)


def test_resize_bilinear_by_hand():
    m = np.array([[[0.0, 1.0], [2.0, 3.0]]])              # (1, 2, 2) -> (1, 4, 4)
    out = V.resize_bilinear(m, (4, 4))
    # output pixel i samples the input at (i + 0.5)/2 - 0.5 = -0.25, 0.25, 0.75, 1.25 -> clamp
    row = np.array([0.0, 0.25, 0.75, 1.0])
    np.testing.assert_allclose(out[0], 2 * row[:, None] + row[None, :])
    assert np.allclose(V.resize_bilinear(np.full((1, 3, 2), 7.0), (5, 9)), 7.0)


@given(h=st.integers(1, 7), w=st.integers(1, 7), oh=st.integers(1, 12), ow=st.integers(1, 12))
def test_resize_bilinear_matches_pytorch(h, w, oh, ow):
    torch = pytest.importorskip("torch")
    m = images((2, h, w), h * 13 + w)
    ref = torch.nn.functional.interpolate(torch.tensor(m)[:, None], size=(oh, ow),
                                          mode="bilinear", align_corners=False)[:, 0].numpy()
    np.testing.assert_allclose(V.resize_bilinear(m, (oh, ow)), ref, rtol=1e-12, atol=1e-12)


@given(h=st.integers(2, 6), w=st.integers(2, 6), data=st.data())
def test_occlusion_of_a_linear_softmax_model_is_the_probabilities_computed_directly(h, w, data):
    window = data.draw(st.integers(1, min(h, w)))
    stride = data.draw(st.integers(1, 3))
    fill = data.draw(st.sampled_from([0.0, -1.5]))
    net = linear_net(2, h, w, 3)
    x = images((2, 2, h, w), window * 7 + stride)
    wt, b = net[1].weight.data, net[1].bias.data
    rows = list(range(0, h - window + 1, stride))
    cols = list(range(0, w - window + 1, stride))
    expected = np.empty((2, len(rows), len(cols)))
    for n in range(2):
        for a, i in enumerate(rows):
            for c, j in enumerate(cols):
                covered = x[n].copy()
                covered[:, i:i + window, j:j + window] = fill
                expected[n, a, c] = softmax(wt @ covered.ravel() + b)[n]    # target n
    got = V.occlusion(net, x, [0, 1], window, stride, fill=fill, batch_size=4)
    assert got.shape == (2, (h - window) // stride + 1, (w - window) // stride + 1)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_occlusion_checks_its_window():
    net = linear_net(1, 4, 4, 2)
    with pytest.raises(ValueError, match="5×5 window does not fit 4×4"):
        V.occlusion(net, images((1, 1, 4, 4), 0), 0, 5, 1)
    with pytest.raises(ValueError, match="stride must be a positive int"):
        V.occlusion(net, images((1, 1, 4, 4), 0), 0, 2, 0)


def test_errors_name_the_function_and_the_shapes():
    net = linear_net(1, 4, 4, 3)
    with pytest.raises(ValueError, match=r"saliency: expected an input batch \(N, C, H, W\), "
                                          r"got shape \(4, 4\)"):
        V.saliency(net, np.zeros((4, 4)), 0)
    with pytest.raises(ValueError, match="target 3 is not a class of the model's 3 outputs"):
        V.saliency(net, np.zeros((1, 1, 4, 4)), 3)
    with pytest.raises(ValueError, match="one int or one per image"):
        V.saliency(net, np.zeros((2, 1, 4, 4)), [0, 1, 2])
    with pytest.raises(TypeError, match="floating-point images"):
        V.saliency(net, np.zeros((1, 1, 4, 4), np.uint8), 0)
    with pytest.raises(ValueError, match=r"no layer 'features.0'.*'0', '1'"):
        V.grad_cam(net, np.zeros((1, 1, 4, 4)), 0, "features.0")
    with pytest.raises(ValueError, match=r"maps \(N, K, h, w\), got shape \(1, 3\)"):
        V.grad_cam(net, np.zeros((1, 1, 4, 4)), 0, "1")
