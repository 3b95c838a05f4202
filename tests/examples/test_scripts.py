"""Each example script runs end to end on a few images, then evaluates the checkpoint it wrote.

A subprocess, as a person runs it: ``python examples/train_<net>.py --epochs 1 --limit N``,
then ``-e --resume <out>/checkpoint_last.safetensors``.
"""
import json
import os
import subprocess
import sys

import pytest

from script_helpers import PNG, ROOT, run_script


@pytest.mark.parametrize("script, arch", [("train_alexnet.py", "alexnet"),
                                          ("train_vgg.py", "vgg11"),
                                          ("train_googlenet.py", "googlenet")])
def test_script_trains_then_evaluates(tmp_path, script, arch):
    out = tmp_path / arch
    text = run_script(script, "--epochs", 1, "--limit", 64, "-b", 32, "--out", out, "-p", 1)
    assert "epoch 1 |" in text and "top-5" in text            # the per-epoch line
    assert "Total params" in text                             # the model summary
    for name in ("log.jsonl", "curves.png", "checkpoint_last.safetensors",
                 "checkpoint_best.safetensors", "filters_conv1.png"):
        assert (out / name).is_file(), name
    assert (out / "filters_conv1.png").read_bytes()[:8] == PNG
    records = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records if r["event"] == "epoch"] == [1]
    assert [r["iteration"] for r in records if r["event"] == "iteration"] == [1, 2]

    text = run_script(script, "-e", "--resume", out / "checkpoint_last.safetensors", "--limit", 64,
                      "--out", out)
    assert "evaluating" in text and "top-1" in text and "on 64 images" in text


def test_resume_continues_the_run(tmp_path):
    out = tmp_path / "alexnet"
    run_script("train_alexnet.py", "--epochs", 1, "--limit", 32, "-b", 16, "--out", out)
    text = run_script("train_alexnet.py", "--epochs", 2, "--limit", 32, "-b", 16, "--out", out,
                      "--resume", out / "checkpoint_last.safetensors")
    assert "resumed from" in text and "epoch 2 |" in text and "epoch 1 |" not in text
    epochs = [json.loads(s)["epoch"] for s in (out / "log.jsonl").read_text().splitlines()
              if json.loads(s)["event"] == "epoch"]
    assert epochs == [1, 2]


def test_evaluate_needs_a_checkpoint():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "train_alexnet.py"), "-e"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "needs --resume" in proc.stderr


@pytest.mark.slow
def test_alexnet_paper_size_ten_crop(tmp_path):
    """The full 227×227 AlexNet (61M parameters): one step on 2 images, then ten-crop -e."""
    out = tmp_path / "alexnet227"
    run_script("train_alexnet.py", "--input-size", 227, "--epochs", 1, "--limit", 2, "-b", 2,
               "--out", out, timeout=900)
    text = run_script("train_alexnet.py", "--input-size", 227, "-e", "--resume",
                      out / "checkpoint_last.safetensors", "--limit", 2, "--out", out, timeout=900)
    assert "the paper's way" in text and "on 2 images" in text


def test_vgg_deeper_net_starts_from_net_a(tmp_path):
    """The paper's transfer: a trained A (vgg11) initialises B (vgg13) through --init-from."""
    run_script("train_vgg.py", "--epochs", 1, "--limit", 32, "-b", 16, "--out", tmp_path / "a")
    text = run_script("train_vgg.py", "-a", "vgg13", "--init-from",
                      tmp_path / "a" / "checkpoint_last.safetensors", "--epochs", 1, "--limit", 32,
                      "-b", 16, "--out", tmp_path / "b")
    assert "initialised features.0.weight" in text and "classifier.6.weight" in text
    assert "epoch 1 |" in text
