"""ToTensor, Normalize, Compose: layouts, scaling, and a full grayscale pipeline."""
import numpy as np
import pytest

from minidl.data.transforms import (Compose, Lambda, Normalize, PCAColorAugmentation, RandomCrop,
                                    RandomHorizontalFlip, RandomScale, TenCrop, ToTensor)


def test_to_tensor_hwc_uint8_to_chw_float():
    img = np.random.default_rng(0).integers(0, 256, size=(4, 5, 3), dtype=np.uint8)
    out = ToTensor()(img)
    assert out.shape == (3, 4, 5) and out.dtype == np.float32 and out.flags.c_contiguous
    np.testing.assert_allclose(out[2, 1, 3], img[1, 3, 2] / 255, rtol=1e-6)


def test_to_tensor_keeps_float_values_and_handles_ten_crops():
    img = np.random.default_rng(1).random((6, 6, 1)).astype(np.float32)
    assert np.array_equal(ToTensor()(img)[0], img[:, :, 0])
    assert ToTensor()(TenCrop(4)(img)).shape == (10, 1, 4, 4)


def test_normalize_per_channel_hwc():
    img = np.full((2, 2, 3), 51, np.uint8)                   # 0.2 in 0..1 units
    out = Normalize([0.1, 0.2, 0.3], [0.5, 1.0, 2.0])(img)
    np.testing.assert_allclose(out[0, 0], [0.2, 0.0, -0.05], atol=1e-6)
    np.testing.assert_allclose(Normalize([0.2, 0.2, 0.2])(img), 0, atol=1e-6)   # mean subtraction


def test_normalize_after_to_tensor_on_rgb_says_where_it_belongs():
    chw = ToTensor()(np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match="before ToTensor"):
        Normalize([0.5, 0.5, 0.5], [0.2, 0.2, 0.2])(chw)


def test_compose_hands_one_generator_to_all_steps_and_accepts_plain_functions():
    pipeline = Compose([RandomCrop(6, padding=1), RandomHorizontalFlip(), lambda im: im * 2,
                        Lambda(lambda im, rng: im + rng.random(), random=True)])
    img = np.random.default_rng(0).random((8, 8, 3)).astype(np.float32)
    a = pipeline(img, np.random.default_rng(42))
    b = pipeline(img, np.random.default_rng(42))
    assert np.array_equal(a, b) and a.shape == (6, 6, 3)
    assert "RandomCrop" in repr(pipeline)


def test_grayscale_flows_through_the_whole_training_pipeline():
    tf = Compose([RandomScale(28, 36), RandomCrop(28, padding=2), RandomHorizontalFlip(),
                  PCAColorAugmentation([0.1], [[1.0]]), Normalize(0.286, 0.353), ToTensor()])
    img = np.random.default_rng(0).integers(0, 256, size=(28, 28, 1), dtype=np.uint8)
    out = tf(img, np.random.default_rng(1))
    assert out.shape == (1, 28, 28) and out.dtype == np.float32
