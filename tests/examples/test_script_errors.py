"""A mistake on the command line ends in one line that says what is wrong -- never a traceback
from deep inside minidl, never a half-loaded net -- and Ctrl-C ends a run quietly.

Each run is a subprocess, as a person runs it; none trains for more than a few tiny batches.
"""
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

import minidl
from minidl.models import alexnet_small, googlenet_small
from minidl.optim import SGD
from minidl.train import checkpointing
from script_helpers import ROOT

sys.path.insert(0, os.path.join(ROOT, "examples"))
import common  # noqa: E402  (examples/common.py)


def run(script, *args, timeout=120):
    cmd = [sys.executable, os.path.join(ROOT, "examples", script), "--no-progress",
           *map(str, args)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


def assert_one_line_error(rc, stderr, *fragments, status=1):
    assert rc == status, stderr
    assert "Traceback" not in stderr, stderr
    last = stderr.strip().splitlines()[-1]
    assert "error:" in last, stderr
    for fragment in fragments:
        assert fragment in last, last
    assert len(last) < 800, last   # a sentence, not a list of a net's every key


@pytest.fixture(scope="module")
def alexnet_checkpoint(tmp_path_factory):
    """A training checkpoint of the small AlexNet the scripts build for Fashion-MNIST."""
    path = tmp_path_factory.mktemp("ckpt") / "alexnet.safetensors"
    model = alexnet_small(10, 1, 28)
    checkpointing.save(path, model, SGD(model.parameters(), lr=0.01, momentum=0.9), None, 3, {})
    return path


@pytest.mark.parametrize("args, message", [
    (["-b", 0], "-b/--batch-size must be at least 1"),
    (["--limit", 0], "--limit must be at least 1"),     # 0 used to mean "no limit"
    (["--limit", -5], "--limit must be at least 1"),
    (["--epochs", -1], "--epochs must be at least 0"),
    (["--lr", -0.1], "--lr must be a non-negative number"),
    (["--device", "gpu"], "unknown device 'gpu'"),
    (["-e", "--resume", "no/such/file.safetensors"], "no such file"),
    (["--resume", "no/such/file.safetensors"], "no such file"),
    (["-e", "--resume", "."], "a folder without checkpoint_last.safetensors"),
    (["-a", "alexnet_torchvision"], "takes 3-channel images"),
    (["--input-size", 64], "input_size must be 227"),
])
def test_flag_mistakes_are_usage_errors(args, message):
    rc, _, stderr = run("train_alexnet.py", *args)
    assert_one_line_error(rc, stderr, message, status=2)


@pytest.mark.skipif(minidl.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_a_usage_error():
    rc, _, stderr = run("train_googlenet.py", "--device", "cuda")
    assert_one_line_error(rc, stderr, "--device cuda", status=2)


def test_checkpoint_of_another_net(alexnet_checkpoint):
    for extra in (["-e"], ["--epochs", 1]):
        rc, _, stderr = run("train_vgg.py", "--resume", alexnet_checkpoint, "--limit", 8,
                            "--out", os.path.dirname(alexnet_checkpoint), *extra)
        assert_one_line_error(rc, stderr, "--resume", "does not fit VGG", "nothing was loaded",
                              "and 9 more")


def test_init_from_a_checkpoint_of_another_net(alexnet_checkpoint):
    rc, _, stderr = run("train_vgg.py", "-a", "vgg16", "--init-from", alexnet_checkpoint,
                        "--limit", 8)
    assert_one_line_error(rc, stderr, "--init-from", "does not fit VGG")


@pytest.mark.parametrize("damage", ["truncate", "tiny", "garbage"])
def test_corrupt_checkpoint(alexnet_checkpoint, tmp_path, damage):
    data = alexnet_checkpoint.read_bytes()
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes({"truncate": data[:len(data) // 2], "tiny": data[:3],
                     "garbage": b"not a checkpoint at all\n"}[damage])
    rc, _, stderr = run("train_alexnet.py", "-e", "--resume", bad, "--limit", 8)
    assert_one_line_error(rc, stderr, "--resume", str(bad))


def test_evaluate_a_plain_state_dict(tmp_path):
    """-e takes what ``minidl.save(model.state_dict(), path)`` wrote, as well as a checkpoint;
    one of another net is a one-line error."""
    minidl.manual_seed(0)
    path = tmp_path / "weights.safetensors"
    minidl.save(alexnet_small(10, 1, 28).state_dict(), path)
    rc, stdout, stderr = run("train_alexnet.py", "-e", "--resume", path, "--limit", 16)
    assert rc == 0, stderr
    assert "(a state dict)" in stdout and "on 16 images" in stdout
    rc, _, stderr = run("train_googlenet.py", "-e", "--resume", path, "--limit", 16)
    assert_one_line_error(rc, stderr, "does not fit GoogLeNet", "and ")


def test_ctrl_c_before_the_first_checkpoint(tmp_path):
    """SIGINT as soon as training starts: exit status 130, no traceback, and a line saying
    there is nothing to resume from yet."""
    cmd = [sys.executable, os.path.join(ROOT, "examples", "train_alexnet.py"), "--no-progress",
           "--limit", 4000, "-b", 8, "--out", tmp_path / "run"]
    proc = subprocess.Popen(list(map(str, cmd)), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    for line in proc.stdout:
        if line.startswith("alexnet at"):   # the line just before training starts
            break
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr, stderr
    assert "nothing to resume from" in stdout


def test_cli_turns_ctrl_c_into_exit_status_130():
    def main():
        raise KeyboardInterrupt
    with pytest.raises(SystemExit) as info:
        common.cli(main)
    assert info.value.code == 130


def test_googlenet_small_checkpoint_does_not_fit_alexnet(tmp_path):
    """The loading check itself, in-process: the net is left exactly as it was."""
    path = tmp_path / "g.safetensors"
    checkpointing.save(path, googlenet_small(), SGD(googlenet_small().parameters(), lr=0.1),
                       None, 1, {})
    model = alexnet_small(10, 1, 28)
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    with pytest.raises(minidl.CheckpointError, match=r"and \d+ more"):
        checkpointing.load(path, model)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])
