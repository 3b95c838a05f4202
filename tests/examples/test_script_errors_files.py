"""Bad files met by a running script -- a corrupt dataset, an image that does not decode (in
the main process and in workers), an output folder that cannot be written, a checkpoint whose
structure or generator state is wrong -- end in one line naming the file, not a traceback
(the one-line promise of the example scripts).

The scripts' ``main(argv)`` runs in this process (a subprocess per case would cost seconds
each); an exception other than ``SystemExit`` escaping it is exactly the traceback a person
would have seen.
"""
import json
import os
import struct
import sys

import numpy as np
import pytest

from minidl.models import alexnet_small
from minidl.optim import SGD
from minidl.optim.lr_scheduler import ReduceLROnPlateau
from minidl.train import checkpointing
from script_helpers import ROOT

sys.path.insert(0, os.path.join(ROOT, "examples"))
import common  # noqa: E402  (examples/common.py)
import train_alexnet  # noqa: E402  (examples/train_alexnet.py)


def one_line_error(argv, *fragments):
    """Run the script as ``python examples/train_alexnet.py`` does (``common.cli(main)``)."""
    with pytest.raises(SystemExit) as info:
        common.cli(lambda: train_alexnet.main(["--no-progress", *map(str, argv)]))
    message = info.value.code
    assert isinstance(message, str) and message.startswith("error:"), message
    assert "\n" not in message and len(message) < 800, message
    for fragment in fragments:
        assert str(fragment) in message, message
    return message


def test_corrupt_idx_file(tmp_path):
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (tmp_path / name).write_bytes(b"\x00\x00\x08\x03garbage, not an IDX file")
    one_line_error(["--data", tmp_path], "--data", "idx3-ubyte")


def image_folder(root, bad):
    from PIL import Image
    rng = np.random.default_rng(0)
    for split in ("train", "val"):
        for cls in ("a", "b"):
            d = root / split / cls
            d.mkdir(parents=True)
            for i in range(4):
                Image.fromarray(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)).save(d / f"{i}.png")
    # in val/: the training images are all read in the main process first (AlexNet's colour
    # statistics), so only there does the bad file reach the loader's workers
    (root / "val" / "b" / bad).write_bytes(b"\x89PNG\r\n\x1a\nthen nothing an image holds")


@pytest.mark.parametrize("workers", [0, 2])
def test_undecodable_image(tmp_path, workers):
    pytest.importorskip("PIL")
    image_folder(tmp_path / "data", "9.png")
    message = one_line_error(["--data", tmp_path / "data", "-j", workers, "--epochs", 1,
                              "-b", 4, "--out", tmp_path / "run"], "9.png", "cannot decode")
    if workers:
        assert "worker" in message   # the note saying where it was met


def test_output_folder_that_cannot_be_made(tmp_path, capsys):
    """Found when the flags are read: a usage error (status 2), before any data is read."""
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(SystemExit) as info:
        common.cli(lambda: train_alexnet.main(["--out", str(blocker / "run"), "--limit", "8"]))
    assert info.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert "error: --out" in last and "a_file" in last and "cannot write there" in last


@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    model = alexnet_small(10, 1, 28)
    opt = SGD(model.parameters(), lr=0.01, momentum=0.9)
    checkpointing.save(path, model, opt, ReduceLROnPlateau(opt, "max"), 1, {})
    return path


def rewrite_metadata(path, change):
    """Edit a checkpoint's metadata and write it back without minidl's checksums (as another
    tool, or an older minidl, would)."""
    blob = path.read_bytes()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    meta = header["__metadata__"]
    for key in ("minidl.crc32.header", "minidl.crc32.data"):
        meta.pop(key, None)
    change(meta)
    head = json.dumps(header).encode()
    head += b" " * (-len(head) % 8)
    path.write_bytes(struct.pack("<Q", len(head)) + head + blob[8 + n:])


def test_resume_structure_not_a_dict(checkpoint, tmp_path):
    rewrite_metadata(checkpoint, lambda meta: meta.update({"minidl.structure": "[1, 2, 3]"}))
    for extra in (["-e"], ["--epochs", 2, "--out", tmp_path / "run"]):
        one_line_error(["--resume", checkpoint, "--limit", 8, *extra], "--resume",
                       "ckpt.safetensors", "should be a dict")


def test_resume_bad_generator_state(checkpoint, tmp_path):
    def damage(meta):
        structure = json.loads(meta["minidl.structure"])
        structure["rng"]["default_generator"]["bit_generator"]["state"] = {"state": "x"}
        meta["minidl.structure"] = json.dumps(structure)
    rewrite_metadata(checkpoint, damage)
    one_line_error(["--resume", checkpoint, "--limit", 8, "--epochs", 2, "--out",
                    tmp_path / "run"], "--resume", "generator 'default_generator'")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root may write anywhere")
def test_output_folder_without_permission(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(SystemExit) as info:
            common.cli(lambda: train_alexnet.main(["--out", str(locked / "run")]))
    finally:
        locked.chmod(0o700)
    assert info.value.code == 2
    assert "no permission to write in" in capsys.readouterr().err
