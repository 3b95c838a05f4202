"""Crops and flips: shapes, crops inside the (padded) image, uniform positions, ten-crop order."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from minidl.data.rng import using_rng
from minidl.data.transforms import CenterCrop, RandomCrop, RandomHorizontalFlip, TenCrop


def numbered_image(h, w, c, dtype=np.float32):
    """Every value distinct, so a crop's position can be recovered."""
    return (np.arange(h * w * c, dtype=np.float64).reshape(h, w, c) + 1).astype(dtype)


def windows(img, h, w):
    """Every h x w window of img, with its top-left corner (the naive search)."""
    for top in range(img.shape[0] - h + 1):
        for left in range(img.shape[1] - w + 1):
            yield (top, left), img[top:top + h, left:left + w]


@given(H=st.integers(1, 12), W=st.integers(1, 12), C=st.sampled_from([1, 3]),
       padding=st.integers(0, 3), data=st.data())
def test_random_crop_is_a_window_of_the_padded_image(H, W, C, padding, data):
    h = data.draw(st.integers(1, H + 2 * padding))
    w = data.draw(st.integers(1, W + 2 * padding))
    img = numbered_image(H, W, C)
    out = RandomCrop((h, w), padding=padding, fill=-1)(img, np.random.default_rng(data.draw(st.integers(0, 99))))
    assert out.shape == (h, w, C) and out.dtype == img.dtype
    padded = np.pad(img, ((padding, padding), (padding, padding), (0, 0)), constant_values=-1)
    assert any(np.array_equal(out, win) for _, win in windows(padded, h, w))


def test_random_crop_positions_are_uniform():
    img = numbered_image(6, 6, 1)
    rng = np.random.default_rng(0)
    counts = {}
    for _ in range(9000):
        out = RandomCrop(4)(img, rng)
        pos = next(p for p, win in windows(img, 4, 4) if np.array_equal(out, win))
        counts[pos] = counts.get(pos, 0) + 1
    assert len(counts) == 9                       # every one of the 3 x 3 positions
    assert all(850 < c < 1150 for c in counts.values()), counts


def test_random_crop_too_big_names_sizes():
    with pytest.raises(ValueError, match=r"crop 5x5 is larger than the image 4x4"):
        RandomCrop(5)(np.zeros((4, 4, 1)), np.random.default_rng(0))


def test_center_crop_matches_hand_offsets():
    img = numbered_image(7, 8, 3)
    assert np.array_equal(CenterCrop((3, 4))(img), img[2:5, 2:6])
    assert np.array_equal(CenterCrop(7)(img), img[:, 0:7])    # (8 - 7) / 2 = 0.5 rounds to 0


def test_grayscale_2d_image_becomes_hwc():
    img = numbered_image(5, 5, 1)[:, :, 0]
    assert CenterCrop(3)(img).shape == (3, 3, 1)
    assert RandomCrop(3, padding=1)(img, np.random.default_rng(0)).shape == (3, 3, 1)


def test_horizontal_flip_probability_and_mirror():
    img = numbered_image(3, 4, 3)
    assert np.array_equal(RandomHorizontalFlip(p=1.0)(img), img[:, ::-1])
    assert np.array_equal(RandomHorizontalFlip(p=0.0)(img), img)
    rng = np.random.default_rng(1)
    flips = sum(not np.array_equal(RandomHorizontalFlip()(img, rng), img) for _ in range(4000))
    assert 1850 < flips < 2150


@given(H=st.integers(1, 10), W=st.integers(1, 10), C=st.sampled_from([1, 3]), data=st.data())
def test_ten_crop_corners_centre_and_reflections(H, W, C, data):
    h, w = data.draw(st.integers(1, H)), data.draw(st.integers(1, W))
    img = numbered_image(H, W, C, np.uint8 if H * W * C < 255 else np.float32)
    out = TenCrop((h, w))(img)
    assert out.shape == (10, h, w, C) and out.dtype == img.dtype
    assert np.array_equal(out[0], img[:h, :w])
    assert np.array_equal(out[1], img[:h, W - w:])
    assert np.array_equal(out[2], img[H - h:, :w])
    assert np.array_equal(out[3], img[H - h:, W - w:])
    assert np.array_equal(out[4], CenterCrop((h, w))(img))
    for i in range(5):
        assert np.array_equal(out[5 + i], out[i][:, ::-1])


def test_random_transforms_take_the_loader_generator_from_the_context():
    img = numbered_image(10, 10, 3)
    crop = RandomCrop(4, padding=2)
    explicit = [crop(img, np.random.default_rng(7)) for _ in range(3)]
    with using_rng(np.random.default_rng(7)):
        first = crop(img)
    assert np.array_equal(first, explicit[0])
