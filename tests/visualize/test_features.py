"""feature_maps against hand-run forwards, receptive fields against the gradient's support,
top_images against a direct sort of every activation."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
from minidl import nn
from minidl import visualize as V
from minidl.data import DataLoader, TensorDataset
from minidl.models import alexnet_small

from nets import conv2d_loop, images


def test_feature_maps_equal_a_hand_run_forward_in_eval_mode():
    minidl.manual_seed(0)
    net = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Dropout(0.5), nn.Linear(5, 4), nn.ReLU(),
                        nn.Linear(4, 2)).double()
    net.train()                                           # dropout must be off all the same
    x = images((3, 6), 0)
    w1, b1, w2, b2 = (t.data for t in (net[0].weight, net[0].bias, net[3].weight, net[3].bias))
    fc = np.maximum(np.maximum(x @ w1.T + b1, 0) @ w2.T + b2, 0)
    # a 2-D batch is not images: feature_maps wants (N, C, H, W), so wrap the net
    model = nn.Sequential(nn.Flatten(), net)
    got = V.feature_maps(model, x.reshape(3, 6, 1, 1), "1.4")
    np.testing.assert_allclose(got, fc, rtol=1e-12)
    assert net.training


def test_feature_maps_of_a_convolution_equal_the_direct_loop():
    minidl.manual_seed(1)
    net = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 4, 3)).double()
    x = images((2, 2, 6, 5), 1)
    conv = net[0]
    expected = np.maximum(conv2d_loop(x, conv.weight.data, conv.bias.data, 1), 0)
    np.testing.assert_allclose(V.feature_maps(net, x, "1"), expected, rtol=1e-12)
    np.testing.assert_allclose(V.feature_maps(net, minidl.tensor(x), "0"),
                               conv2d_loop(x, conv.weight.data, conv.bias.data, 1), rtol=1e-12)


def test_feature_maps_of_alexnet_small_equal_running_its_layers_one_by_one():
    minidl.manual_seed(2)
    net = alexnet_small()
    x = images((2, 1, 28, 28), 2).astype(np.float32)
    h = minidl.tensor(x)
    net.eval()
    with minidl.no_grad():
        for layer in net.features[:13]:
            h = layer(h)
        conv5 = h.data.copy()                             # features.12, before its ReLU
        for layer in list(net.features[13:]) + [nn.Flatten()] + list(net.classifier[:5]):
            h = layer(h)
    net.train()                                           # dropout (classifier.2) on: not used
    np.testing.assert_allclose(V.feature_maps(net, x, "features.12"), conv5, rtol=1e-6)
    np.testing.assert_allclose(V.feature_maps(net, x, "features.13"), np.maximum(conv5, 0),
                               rtol=1e-6)
    np.testing.assert_allclose(V.feature_maps(net, x, "classifier.4"), h.data, rtol=1e-5,
                               atol=1e-6)
    assert net.training


@st.composite
def conv_chains(draw):
    layers, side = [], draw(st.integers(6, 14))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["conv", "pool"]))
        k = draw(st.integers(1, 4))
        s = draw(st.integers(1, 3))
        p = draw(st.integers(0, k // 2))
        d = draw(st.integers(1, 2)) if kind == "conv" else 1
        layers.append((kind, k, s, p, d))
    return side, layers


@given(conv_chains(), st.data())
def test_the_receptive_field_is_where_the_gradient_of_a_unit_reaches(chain, data):
    side, spec = chain
    mods, c = [], 1
    for kind, k, s, p, d in spec:
        if kind == "conv":
            conv = nn.Conv2d(c, 2, k, stride=s, padding=p, dilation=d).double()
            conv.weight.data[...] = 1.0                    # positive: no cancellation
            mods.append(conv)
            c = 2
        else:
            mods.append(nn.AvgPool2d(k, stride=s, padding=p))
        mods.append(nn.ReLU())                             # spatially pointwise: ignored
    net = nn.Sequential(*mods)
    layer = str(len(mods) - 1)
    x = minidl.tensor(np.ones((1, 1, side, side)) + images((1, 1, side, side), 0) ** 2,
                      requires_grad=True)
    try:
        out = net(x)
    except ValueError:
        return                                             # the chain leaves no pixels: skip
    oh, ow = out.shape[2:]
    if oh < 1 or ow < 1:
        return
    i, j = data.draw(st.integers(0, oh - 1)), data.draw(st.integers(0, ow - 1))
    out[0, 0, i, j].backward()
    support = np.argwhere(x.grad.data[0, 0] != 0)
    rf = V.receptive_field(net, layer, (1, side, side))
    top, left, bottom, right = rf.box(i, j)
    clipped = (max(top, 0), max(left, 0), min(bottom, side), min(right, side))
    assert len(support) > 0 or clipped[0] >= clipped[2] or clipped[1] >= clipped[3] \
        or any(s > 1 for _, _, s, _, _ in spec)              # (reached only through padding)
    if len(support) == 0:
        return
    first = tuple(support.min(axis=0))
    last = tuple(support.max(axis=0) + 1)
    assert all(a >= b for a, b in zip(first, clipped[:2])), (spec, (i, j), rf)   # inside it
    assert all(a <= b for a, b in zip(last, clipped[2:])), (spec, (i, j), rf)
    # the box's first pixel is always a real tap (a tap before the image is padding at every
    # layer on the way); the last is one too when nothing strides or dilates: then the box
    # is exactly where the gradient reaches
    for a, corner in enumerate(clipped[:2]):
        if (top, left)[a] >= 0:
            assert first[a] == corner, (spec, (i, j), rf)
    if all(s == 1 and d == 1 for _, _, s, _, d in spec):
        assert first + last == clipped, (spec, (i, j), rf)


def test_receptive_fields_of_alexnet_small_by_hand():
    net = alexnet_small()
    # conv1 5/1 pad 2 -> pool 3/2 -> conv2 5/1 pad 2 -> pool 3/2 -> conv3,4,5 3/1 pad 1
    assert V.receptive_field(net, "features.0", (1, 28, 28))[:3] == ((5, 5), (1, 1), (-2, -2))
    assert V.receptive_field(net, "features.4", (1, 28, 28))[:3] == ((15, 15), (2, 2), (-6, -6))
    assert V.receptive_field(net, "features.12", (1, 28, 28))[:3] == ((43, 43), (4, 4),
                                                                       (-18, -18))
    whole = V.receptive_field(net, "classifier.4", (1, 28, 28))
    assert whole.box(0, 0) == (0, 0, 28, 28)


def test_top_images_equal_a_direct_sort_of_every_activation():
    minidl.manual_seed(3)
    net = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Linear(1, 1)).double()
    net = nn.Sequential(net[0], net[1])
    data = np.round(images((23, 1, 7, 6), 3), 1)             # rounded: some ties
    data[5] = data[17]                                        # an exact tie between two images
    labels = np.arange(23) % 4
    loader = DataLoader(TensorDataset(data, labels), batch_size=5)
    conv = net[0]
    acts = np.maximum(conv2d_loop(data, conv.weight.data, conv.bias.data, 0), 0)   # (23, 3, 5, 4)
    for channel in range(3):
        a = acts[:, channel].reshape(23, -1)
        values = a.max(axis=1)
        order = sorted(range(23), key=lambda n: (-values[n], n))[:4]
        top = V.top_images(net, loader, "1", channel, k=4)
        np.testing.assert_array_equal(top.indices, order)
        np.testing.assert_allclose(top.values, values[order], rtol=1e-12)
        np.testing.assert_array_equal(top.labels, labels[order])
        for m, n in enumerate(order):
            r, c = divmod(int(a[n].argmax()), 4)
            assert tuple(top.positions[m]) == (r, c)
            assert tuple(top.boxes[m]) == (r, c, r + 3, c + 3)       # 3×3 kernel, no padding
            np.testing.assert_array_equal(top.crops[m], data[n][:, r:r + 3, c:c + 3])
            np.testing.assert_array_equal(top.images[m], data[n])
    several = V.top_images(net, loader, "1", [2, 0], k=4)
    np.testing.assert_array_equal(several[1].indices, V.top_images(net, loader, "1", 0, 4).indices)


def test_top_image_crops_are_zero_outside_the_image():
    net = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1)).double()
    net[0].weight.data[...] = 0
    net[0].weight.data[0, 0, 2, 2] = 1          # unit (i, j) copies pixel (i + 1, j + 1)
    net[0].bias.data[...] = 0
    x = np.arange(16.0).reshape(1, 1, 4, 4) / 100
    x[0, 0, 3, 3] = 9.0                         # seen by unit (2, 2), at its box's corner
    top = V.top_images(net, [x], "0", 0, k=1)   # a list of image batches works as a loader
    assert tuple(top.positions[0]) == (2, 2) and top.values[0] == 9.0
    assert tuple(top.boxes[0]) == (1, 1, 4, 4)
    np.testing.assert_array_equal(top.crops[0], x[0, :, 1:, 1:])
    x[0, 0, 3, 3], x[0, 0, 1, 1] = 0.0, 9.0     # now unit (0, 0): its box hangs over the edge
    top = V.top_images(net, [x], "0", 0, k=1)
    assert tuple(top.positions[0]) == (0, 0) and tuple(top.boxes[0]) == (-1, -1, 2, 2)
    expected = np.zeros((1, 3, 3))
    expected[:, 1:, 1:] = x[0, :, :2, :2]       # the padding the convolution saw: zeros
    np.testing.assert_array_equal(top.crops[0], expected)


def test_top_images_checks_its_arguments():
    net = nn.Sequential(nn.Conv2d(1, 2, 3)).double()
    with pytest.raises(ValueError, match="channel 5 is not one of the layer's 2 channels"):
        V.top_images(net, [np.zeros((1, 1, 4, 4))], "0", 5)
    with pytest.raises(ValueError, match="yielded no images"):
        V.top_images(net, [], "0", 0)
