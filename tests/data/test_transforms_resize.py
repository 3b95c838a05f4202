"""Bilinear resize: vectorised == loop, == PyTorch when installed, and Resize/RandomScale sizes."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from minidl.data.transforms import RandomScale, Resize, resize_bilinear, resize_bilinear_naive


@given(H=st.integers(1, 9), W=st.integers(1, 9), OH=st.integers(1, 14), OW=st.integers(1, 14),
       C=st.sampled_from([1, 3]), dtype=st.sampled_from([np.float32, np.uint8]), seed=st.integers(0, 9))
def test_fast_matches_naive_loop(H, W, OH, OW, C, dtype, seed):
    img = np.random.default_rng(seed).uniform(0, 255, size=(H, W, C)).astype(dtype)
    fast, naive = resize_bilinear(img, OH, OW), resize_bilinear_naive(img, OH, OW)
    assert fast.shape == (OH, OW, C) and fast.dtype == dtype
    if dtype == np.uint8:   # rounding of values within float error of .5 may differ by one
        assert np.abs(fast.astype(int) - naive.astype(int)).max() <= 1
    else:
        np.testing.assert_allclose(fast, naive, rtol=1e-5, atol=1e-4)


def test_matches_pytorch_bilinear():
    torch = pytest.importorskip("torch")
    img = np.random.default_rng(0).random((13, 17, 3)).astype(np.float32)
    for oh, ow in [(5, 7), (13, 17), (26, 40), (20, 9)]:
        ref = torch.nn.functional.interpolate(torch.from_numpy(img).permute(2, 0, 1)[None], size=(oh, ow),
                                              mode="bilinear", align_corners=False, antialias=False)
        np.testing.assert_allclose(resize_bilinear(img, oh, ow), ref[0].permute(1, 2, 0).numpy(), atol=1e-5)


def test_constant_image_stays_constant_and_same_size_is_identity():
    img = np.full((7, 5, 3), 0.25, np.float32)
    np.testing.assert_allclose(resize_bilinear(img, 11, 3), 0.25)
    ramp = np.random.default_rng(0).random((6, 8, 1)).astype(np.float32)
    np.testing.assert_allclose(resize_bilinear(ramp, 6, 8), ramp)


@pytest.mark.parametrize("shape, s, expected", [((30, 40, 3), 20, (20, 26, 3)), ((40, 30, 1), 20, (26, 20, 1)),
                                                 ((256, 341, 3), 224, (224, 298, 3))])
def test_resize_short_side(shape, s, expected):
    assert Resize(s)(np.zeros(shape, np.uint8)).shape == expected


def test_resize_to_exact_size_keeps_uint8():
    out = Resize((10, 12))(np.zeros((5, 5, 3), np.uint8))
    assert out.shape == (10, 12, 3) and out.dtype == np.uint8


def test_random_scale_draws_every_s_in_range():
    rng = np.random.default_rng(0)
    img = np.zeros((20, 30, 1), np.float32)
    sides = {min(RandomScale(10, 14)(img, rng).shape[:2]) for _ in range(200)}
    assert sides == {10, 11, 12, 13, 14}


def test_random_scale_rejects_bad_range():
    with pytest.raises(ValueError, match="smin"):
        RandomScale(5, 4)
