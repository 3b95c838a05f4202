"""Test-time evaluation: AlexNet's ten crops, VGG's dense and multi-crop evaluation."""
import numpy as np
import pytest

import minidl
import minidl.functional as F
from minidl import nn
from minidl.models import (FullyConvolutionalVGG, dense_evaluate, grid_crops, hflip,
                           multi_crop_evaluate, ten_crop, ten_crop_predict,
                           to_fully_convolutional, vgg, vgg_small)

from models_helpers import image


class Probe(nn.Module):
    """A tiny classifier whose output depends on where the bright pixels are."""

    def __init__(self, classes=3):
        super().__init__()
        self.conv = nn.Conv2d(2, classes, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d((1, 1))

    def forward(self, x):
        return minidl.flatten(self.pool(self.conv(x)), 1)


def test_ten_crop_views():
    x = np.arange(2 * 1 * 6 * 8, dtype=np.float32).reshape(2, 1, 6, 8)
    crops = [c.numpy() for c in ten_crop(x, 4)]
    assert len(crops) == 10 and all(c.shape == (2, 1, 4, 4) for c in crops)
    np.testing.assert_array_equal(crops[0], x[..., :4, :4])     # top-left
    np.testing.assert_array_equal(crops[1], x[..., :4, 4:])     # top-right
    np.testing.assert_array_equal(crops[2], x[..., 2:, :4])     # bottom-left
    np.testing.assert_array_equal(crops[3], x[..., 2:, 4:])     # bottom-right
    np.testing.assert_array_equal(crops[4], x[..., 1:5, 2:6])   # centre
    for plain, mirrored in zip(crops[:5], crops[5:]):
        np.testing.assert_array_equal(mirrored, plain[..., ::-1])


def test_ten_crop_predict_averages_the_softmax_of_the_ten_views():
    model = Probe()
    x = image(3, 2, 10, seed=3)
    model.train()
    probs = ten_crop_predict(model, x, 8)
    assert probs.shape == (3, 3)
    np.testing.assert_allclose(probs.numpy().sum(1), 1, rtol=1e-5)
    with minidl.no_grad():
        expected = np.mean([F.softmax(model(v), dim=1).numpy() for v in ten_crop(x, 8)], 0)
    np.testing.assert_allclose(probs.numpy(), expected, rtol=1e-5)
    assert model.training  # mode restored


def test_ten_crop_rejects_a_crop_larger_than_the_image():
    with pytest.raises(ValueError, match="larger than the images"):
        ten_crop(np.zeros((1, 3, 20, 20), np.float32), 24)


def test_grid_crops_cover_corners_and_count():
    x = np.random.default_rng(0).standard_normal((1, 1, 9, 9)).astype(np.float32)
    crops = grid_crops(x, 5, grid=3)
    assert len(crops) == 18
    np.testing.assert_array_equal(crops[0].numpy(), x[..., :5, :5])
    np.testing.assert_array_equal(crops[8].numpy(), x[..., 4:, 4:])
    np.testing.assert_array_equal(crops[9].numpy(), x[..., :5, 4::-1])


def test_multi_crop_over_scales():
    model = Probe()
    small, large = image(2, 2, 10, seed=1), image(2, 2, 14, seed=2)
    probs = multi_crop_evaluate(model, [small, large], crop_size=8, grid=5)
    assert probs.shape == (2, 3)
    with minidl.no_grad():
        views = grid_crops(small, 8, 5) + grid_crops(large, 8, 5)
        expected = np.mean([F.softmax(model(v), dim=1).numpy() for v in views], 0)
    np.testing.assert_allclose(probs.numpy(), expected, rtol=1e-5)


@pytest.fixture(scope="module")
def narrow_vgg():
    """VGG-A's topology at 1/16 width, in float64 so dense and FC agree to rounding."""
    return vgg("A", num_classes=4, width=1 / 16, init="kaiming").double().eval()


def test_fc_layers_become_convolutions(narrow_vgg):
    dense = to_fully_convolutional(narrow_vgg)
    fc6, fc7, fc8 = (dense.classifier[i] for i in (0, 3, 6))
    assert fc6.weight.shape == (256, 32, 7, 7) and fc7.kernel_size == (1, 1)
    assert fc8.weight.shape == (4, 256, 1, 1)
    assert list(dense.state_dict()) == list(narrow_vgg.state_dict())
    assert dense.features is narrow_vgg.features


def test_dense_evaluation_equals_fc_evaluation_at_224(narrow_vgg):
    x = image(2, 3, 224, seed=4, dtype=np.float64)
    dense = to_fully_convolutional(narrow_vgg)
    with minidl.no_grad():
        logits = narrow_vgg(x).numpy()
        score_map = dense(x).numpy()
    assert score_map.shape == (2, 4, 1, 1)
    np.testing.assert_allclose(score_map[:, :, 0, 0], logits, rtol=1e-10, atol=1e-12)
    probs = dense_evaluate(narrow_vgg, x, flip=False).numpy()
    np.testing.assert_allclose(probs, F.softmax(minidl.tensor(logits), dim=1).numpy(),
                               rtol=1e-10)
    with minidl.no_grad():
        flipped = F.softmax(narrow_vgg(hflip(x)), dim=1).numpy()
    np.testing.assert_allclose(dense_evaluate(dense, x).numpy(), (probs + flipped) / 2,
                               rtol=1e-10)


def test_dense_evaluation_gives_a_score_map_on_a_larger_image(narrow_vgg):
    dense = to_fully_convolutional(narrow_vgg)
    x = image(1, 3, 288, seed=5, dtype=np.float64)  # 288 / 32 = 9: a 3×3 map of 7×7 windows
    with minidl.no_grad():
        score_map = dense(x)
    assert score_map.shape == (1, 4, 3, 3)
    # (the top-left score is *not* the FC net on the top-left 224 crop: there the crop's edge
    # is zero-padded, here the convolutions see the neighbouring pixels -- the paper's reason
    # why dense and multi-crop evaluation complement each other)
    probs = dense_evaluate(dense, x, flip=False).numpy()
    expected = F.softmax(score_map, dim=1).numpy().mean(axis=(2, 3))
    np.testing.assert_allclose(probs, expected, rtol=1e-10)
    assert isinstance(dense, FullyConvolutionalVGG)


def test_dense_small_vgg():
    net = vgg_small("A", num_classes=10, in_channels=1, input_size=32).eval()
    dense = to_fully_convolutional(net)
    x = image(2, 1, 32, seed=6)
    with minidl.no_grad():
        np.testing.assert_allclose(dense(x).numpy()[:, :, 0, 0], net(x).numpy(), rtol=1e-4,
                                   atol=1e-6)
