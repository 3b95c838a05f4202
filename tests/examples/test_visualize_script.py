"""examples/visualize.py, run as a person runs it, on a small checkpoint and a few test images:
every picture is written, index.html shows each one, and a browser loads them all."""
import json
import os
import re
import shutil
import subprocess

import pytest

import minidl
from minidl import models
from minidl.optim import SGD
from minidl.train import checkpointing
from script_helpers import PNG, run_script
from test_script_errors import assert_one_line_error, run

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    """The gallery of a (random) small AlexNet checkpoint, as train_alexnet.py writes one."""
    tmp = tmp_path_factory.mktemp("vis")
    ckpt = tmp / "checkpoint_best.safetensors"
    minidl.manual_seed(0)
    model = models.alexnet_small(10, 1, 28)
    checkpointing.save(ckpt, model, SGD(model.parameters(), lr=0.01), None, 1, {})
    out = tmp / "visual"
    text = run_script("visualize.py", "--resume", ckpt, "--out", out, "--limit", 40, "--tsne", 30,
                      "--class-steps", 2, "--images", 2, "--examples", 2, "-b", 20)
    return out, text


@pytest.mark.slow
def test_the_gallery_has_every_picture_and_an_index(gallery):
    out, text = gallery
    names = set(os.listdir(out))
    convs = ["features_0", "features_4", "features_8", "features_10", "features_12"]
    expected = {f"feature_maps_{c}.png" for c in convs} | {
        "confusion_matrix.png", "top_images_features_12.png", "top_images_features_4.png",
        "class_models.png", "class_models_blur.png", "tsne_fc7.png", "index.html", "facts.json"}
    assert expected <= names, expected - names
    pngs = {n for n in names if n.endswith(".png")}
    for n in pngs:
        assert (out / n).read_bytes()[:8] == PNG
    page = (out / "index.html").read_text(encoding="utf-8")
    assert set(re.findall(r'<img src="([^"]+)"', page)) == pngs        # every picture, no other
    assert page.count("<figcaption>") == len(pngs)
    facts = json.loads((out / "facts.json").read_text())
    assert facts["images"] == 40 and 0 <= facts["accuracy"] <= 1
    assert "wrote" in text and "index.html" in text


@pytest.mark.slow
def test_a_headless_browser_loads_every_picture_of_the_index(gallery, tmp_path):
    browser = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")
                    if shutil.which(b)), None)
    if browser is None:
        pytest.skip("no Chromium here (apt-get install chromium)")
    out, _ = gallery
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000",
           f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
           (out / "index.html").as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    pictures = len([n for n in os.listdir(out) if n.endswith(".png")])
    assert f'data-loaded="{pictures}"' in proc.stdout and 'data-broken="0"' in proc.stdout, \
        proc.stdout[-2000:]


def test_visualize_bad_input_is_one_line(tmp_path):
    rc, _, err = run("visualize.py", "--resume", tmp_path / "nope.safetensors")
    assert_one_line_error(rc, err, "--resume", "no such file", status=2)
    bad = tmp_path / "bad.safetensors"
    minidl.save(models.alexnet_small(5, 1, 28).state_dict(), str(bad))    # 5 classes, not 10
    rc, _, err = run("visualize.py", "--resume", bad, "--out", tmp_path / "v")
    assert_one_line_error(rc, err, f"--resume {bad}", status=1)
