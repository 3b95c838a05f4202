"""CenterCrop larger than the image: zero padding first, as torchvision's center_crop."""
import numpy as np

from minidl.data.transforms import CenterCrop


def test_center_crop_larger_than_image_pads_with_zeros():
    img = np.arange(1, 5, dtype=np.uint8).reshape(2, 2, 1)
    out = CenterCrop(4)(img)
    assert out.shape == (4, 4, 1) and out.dtype == np.uint8
    assert np.array_equal(out[1:3, 1:3], img) and out.sum() == img.sum()   # 1 pixel all round


def test_odd_shortfall_puts_the_extra_pixel_after():
    img = np.ones((3, 3, 2), np.float32)
    out = CenterCrop(4)(img)
    # short by 1: torchvision pads 0 before, 1 after
    assert np.array_equal(out[:3, :3], img) and not out[3].any() and not out[:, 3].any()


def test_one_side_padded_the_other_cropped():
    img = np.arange(10, dtype=np.float32).reshape(5, 2, 1)
    out = CenterCrop((3, 4))(img)
    # height 5 -> 3: top = round(1.0) = 1; width 2 -> 4: one zero column each side
    assert out.shape == (3, 4, 1)
    assert np.array_equal(out[:, 1:3, 0], img[1:4, :, 0])
    assert not out[:, 0].any() and not out[:, 3].any()
