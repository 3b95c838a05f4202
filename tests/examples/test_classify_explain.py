"""examples/classify.py --explain: Grad-CAM of the top-1 class over the photo, on a small
randomly initialised VGG (no ImageNet weights can be downloaded here)."""
import re

import numpy as np
import pytest

import minidl
from minidl import models
from minidl import visualize as V
from minidl.data.imagenet import IMAGENET_CLASSES, imagenet_transform
from script_helpers import PNG, run_script

pytest.importorskip("matplotlib")
pytest.importorskip("PIL")


@pytest.mark.slow
def test_explain_draws_grad_cam_of_the_top1_class(tmp_path):
    from PIL import Image
    minidl.manual_seed(0)
    net = models.vgg11(width=1 / 16, init="kaiming")
    weights = tmp_path / "vgg11.safetensors"
    minidl.save(net.state_dict(), str(weights))
    photo = tmp_path / "photo.png"
    img = np.random.default_rng(0).integers(0, 255, (300, 260, 3), dtype=np.uint8)
    Image.fromarray(img).save(photo)
    out = tmp_path / "explain"
    text = run_script("classify.py", "--weights", weights, "-a", "vgg11", "--width", 0.0625,
                      "--explain", out, photo)
    assert (out / "photo_gradcam.png").read_bytes()[:8] == PNG

    x = imagenet_transform()(img)[None]
    net.eval()
    with minidl.no_grad():
        top1 = int(net(minidl.tensor(x)).numpy().argmax())
    cam = V.grad_cam(net, x, top1, "features.19")        # the ReLU after conv5_2 (VGG-A's last)
    line = next(t for t in text.splitlines() if "Grad-CAM" in t)
    assert f"Grad-CAM of {IMAGENET_CLASSES[top1]!r} on features.19" in line
    peak = tuple(int(v) for v in re.search(r"peak at \((\d+), (\d+)\)", line).groups())
    assert peak == np.unravel_index(int(cam[0].argmax()), cam.shape[1:])
    assert "of 14×14" in line                            # 224 / 2^4 after four of five pools
