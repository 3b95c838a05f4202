"""examples/finetune.py and examples/classify.py, run as a person runs them (subprocesses, a few
tiny batches): from a small AlexNet checkpoint to Fashion-MNIST's classes 5-9, three ways."""
import json

import numpy as np
import pytest

import minidl
from minidl import models
from minidl.data.imagenet import IMAGENET_CLASSES, imagenet_transform
from minidl.optim import SGD
from minidl.train import checkpointing
from script_helpers import run_script
from test_script_errors import assert_one_line_error, run


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A training checkpoint of the small AlexNet train_alexnet.py writes (10 classes)."""
    path = tmp_path_factory.mktemp("src") / "checkpoint_best.safetensors"
    minidl.manual_seed(0)
    model = models.alexnet_small(10, 1, 28)
    checkpointing.save(path, model, SGD(model.parameters(), lr=0.01, momentum=0.9), None, 1, {})
    return path, model


def test_finetune_to_classes_5_9_then_evaluate(tmp_path, source):
    out = tmp_path / "ft"
    text = run_script("finetune.py", "--weights", source[0], "--classes", "5-9", "--epochs", 1,
                      "--limit", 32, "-b", 16, "--out", out, "--no-progress",
                      "--freeze-until", "features.4")
    assert "loaded 14 tensors" in text and "new head classifier.6 for 5 classes" in text
    assert "4 parameter tensors frozen" in text and "epoch 1 |" in text
    for name in ("log.jsonl", "curves.png", "checkpoint_best.safetensors"):
        assert (out / name).is_file(), name
    state = minidl.load(str(out / "checkpoint_last.safetensors"))["model"]
    assert state["classifier.6.weight"].shape == (5, 512)
    # frozen conv1, conv2 unchanged; conv3 trained
    src = source[1].state_dict()
    assert np.array_equal(state["features.0.weight"].numpy(), src["features.0.weight"].numpy())
    assert not np.array_equal(state["features.8.weight"].numpy(), src["features.8.weight"].numpy())
    text = run_script("finetune.py", "-e", "--resume", out / "checkpoint_last.safetensors",
                      "--classes", "5-9", "--limit", 32, "--out", out)
    assert "on 32 images" in text


def test_linear_probe_writes_its_result_and_a_loadable_net(tmp_path, source):
    out = tmp_path / "lin"
    text = run_script("finetune.py", "--weights", source[0], "--classes", "5-9", "--mode",
                      "linear", "--limit", 40, "--probe-epochs", 2, "--out", out)
    assert "linear probe on classifier.5 (512 features)" in text
    result = json.loads((out / "linear.json").read_text())
    assert result["train_images"] == 40 and result["classes"] == [5, 6, 7, 8, 9]
    net = models.alexnet_small(5, 1, 28)
    net.load_state_dict(minidl.load(str(out / "model_linear.safetensors")))


@pytest.mark.parametrize("args, fragments, status", [
    ((), ["--weights FILE is needed"], 2),
    (("--weights", "nope.safetensors"), ["--weights nope.safetensors: no such file"], 2),
    (("--classes", "5-12"), ["class 10 is not among the data's 0..9"], 2),
    (("--classes", "x"), ["--classes x: expected ranges"], 2),
    (("--freeze-until", "features.99"), ["features.99: alexnet has no such layer"], 2),
    (("--mode", "linear", "--freeze-until", "features.4"), ["--freeze-until is for"], 2),
    (("-a", "vgg11"), ["does not fit VGG", "features.0.weight", "nothing was loaded"], 1),
])
def test_bad_input_is_one_line(source, args, fragments, status):
    if args and args[0] != "--weights":
        args = ("--weights", source[0]) + args
    elif args == ():
        pass
    rc, _, err = run("finetune.py", *args, "--limit", 8)
    assert_one_line_error(rc, err, *fragments, status=status)


def test_classify_prints_the_top5_with_names(tmp_path):
    from PIL import Image
    minidl.manual_seed(0)
    net = models.vgg11(width=1 / 16, init="kaiming")
    weights = tmp_path / "vgg11.safetensors"
    minidl.save(net.state_dict(), str(weights))
    photo = tmp_path / "photo.png"
    img = np.random.default_rng(0).integers(0, 255, (300, 260, 3), dtype=np.uint8)
    Image.fromarray(img).save(photo)
    text = run_script("classify.py", "--weights", weights, "-a", "vgg11", "--width", 0.0625,
                      photo)
    net.eval()
    with minidl.no_grad():
        p = minidl.functional.softmax(net(minidl.tensor(imagenet_transform()(img)[None])), 1)
    p = p.numpy()[0]
    lines = text.strip().splitlines()[1:]
    assert len(lines) == 5
    for line, i in zip(lines, np.argsort(-p)[:5]):
        assert line.split()[1] == str(i) and line.endswith(IMAGENET_CLASSES[i])
        assert abs(float(line.split()[0].rstrip("%")) - 100 * p[i]) < 0.01


def test_classify_bad_input(tmp_path):
    rc, _, err = run_classify("--weights", "nope.pth", "x.jpg")
    assert_one_line_error(rc, err, "--weights nope.pth: no such file", status=2)


def run_classify(*args):
    import subprocess
    import sys
    from script_helpers import ROOT
    proc = subprocess.run([sys.executable, f"{ROOT}/examples/classify.py", *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def test_imagenet_names():
    assert len(IMAGENET_CLASSES) == len(set(IMAGENET_CLASSES)) == 1000
    assert IMAGENET_CLASSES[0] == "tench" and IMAGENET_CLASSES[999] == "toilet tissue"
    assert IMAGENET_CLASSES[281] == "tabby" and IMAGENET_CLASSES[134] == "crane bird"
