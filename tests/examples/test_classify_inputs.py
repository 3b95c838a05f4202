"""classify.py's photos (issue 24 item 3, issue 21): extreme sizes and aspect ratios are refused
from the header, before anything is decoded or resized; the resize antialiases as Pillow's
(which prepared torchvision's ImageNet validation images) does."""
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from minidl.data.transforms import CenterCrop, resize_bilinear
from script_helpers import ROOT

sys.path.insert(0, os.path.join(ROOT, "examples"))
import classify  # noqa: E402  (examples/classify.py)


def textured(h, w, seed=0):
    """Fine detail a plain bilinear shrink aliases: noise plus stripes one pixel wide."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    img[:, ::2, 0] = 255
    return img


def pillow_prepared(img):
    """Pillow's antialiased resize (short side 256), then the same centre crop."""
    h, w = img.shape[:2]
    oh, ow = (256, int(256 * w / h)) if h <= w else (int(256 * h / w), 256)
    out = np.asarray(Image.fromarray(img).resize((ow, oh), Image.BILINEAR))
    return CenterCrop(224)(out)


@pytest.mark.parametrize("shape", [(600, 800), (1000, 700), (300, 300), (200, 250), (257, 900)])
def test_the_resize_matches_pillows_antialiased_one_within_a_grey_level(tmp_path, shape):
    img = textured(*shape)
    path = tmp_path / "photo.png"
    Image.fromarray(img).save(path)
    ours = classify.load_photo(str(path)).astype(int)
    assert ours.shape == (224, 224, 3)
    assert np.abs(ours - pillow_prepared(img).astype(int)).max() <= 1


def test_plain_bilinear_would_not_match():
    img = textured(600, 800)
    plain = CenterCrop(224)(resize_bilinear(img, 256, 341)).astype(int)
    assert np.abs(plain - pillow_prepared(img).astype(int)).max() > 1


def test_the_normalised_input_is_the_resized_photo(tmp_path):
    img = textured(300, 400)
    Image.fromarray(img).save(tmp_path / "p.png")
    x = classify.prepare(str(tmp_path / "p.png"))
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    back = (x.transpose(1, 2, 0) * std + mean) * 255
    assert x.shape == (3, 224, 224) and x.dtype == np.float32
    np.testing.assert_allclose(back, classify.load_photo(str(tmp_path / "p.png")), atol=1e-3)


@pytest.mark.parametrize("size", [(3000, 1), (1, 20000), (20000, 300), (40, 1000)])
def test_extreme_aspect_ratios_are_refused_before_decoding(tmp_path, size):
    path = tmp_path / "thin.png"
    Image.new("RGB", size).save(path)
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "classify.py"),
                           "--weights", str(path), str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "aspect ratio" in proc.stderr and "thin.png" in proc.stderr, proc.stderr
    assert time.monotonic() - t0 < 60


def png_claiming(side):
    """A PNG header claiming side x side pixels, in a few bytes (its data is not there)."""
    import struct
    import zlib

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("side", [9000, 12000, 20000])   # Pillow warns at 89 M, refuses at 179 M
def test_a_photo_of_too_many_pixels_is_refused_from_its_header(tmp_path, side):
    path = tmp_path / "big.png"
    path.write_bytes(png_claiming(side))
    with pytest.raises(ValueError, match="megapixels|decompression bomb") as e:
        classify.check_photo(str(path))
    assert str(path) in str(e.value)
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "classify.py"),
                           "--weights", str(path), str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr


def test_a_fifo_photo_is_refused_not_read(tmp_path):
    os.mkfifo(tmp_path / "x.jpg")
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "classify.py"),
                           "--weights", str(tmp_path / "x.jpg"), str(tmp_path / "x.jpg")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "not a regular file" in proc.stderr, proc.stderr
