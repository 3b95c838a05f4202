"""The Trainer's files on disk: ``checkpoint_best`` is copied with ``minidl.save``'s atomic
writer, killed saves leave nothing behind for long, errors name the target, and a run that
already broke its weights says so."""
import errno
import os
import shutil

import numpy as np
import pytest

import minidl
from minidl import serialization
from minidl.optim import SGD
from minidl.train import Trainer, TrainingDiverged
from minidl.train.loop import BEST, LAST, _copy_atomic

from train_helpers import mlp


def trainer(out_dir, lr=0.1):
    model = mlp()
    return Trainer(model, SGD(model.parameters(), lr=lr, momentum=0.9), out_dir=out_dir,
                   progress=False, verbose=False, plot=False)


def test_best_is_copied_atomically_and_leaves_no_temp(loaders, tmp_path, monkeypatch):
    """The copy goes through serialization.atomic_write (fsync, exclusive temp, replace)."""
    calls = []
    real = serialization.atomic_write
    monkeypatch.setattr("minidl.train.loop.atomic_write",
                        lambda path, write: (calls.append(os.fspath(path)), real(path, write)))
    trainer(tmp_path).fit(*loaders, epochs=1)
    assert calls == [os.path.join(tmp_path, BEST)]
    assert (tmp_path / BEST).read_bytes() == (tmp_path / LAST).read_bytes()
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


def test_full_disk_during_the_copy_keeps_the_old_best(tmp_path, monkeypatch):
    src, dst = tmp_path / LAST, tmp_path / BEST
    minidl.save({"w": np.arange(1000, dtype=np.float32)}, src)
    minidl.save({"w": np.zeros(3, np.float32)}, dst)
    old = dst.read_bytes()

    def half_then_full(fsrc, fdst, *args):
        fdst.write(fsrc.read(100))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfileobj", half_then_full)
    with pytest.raises(OSError, match=r"could not save .*checkpoint_best\.safetensors.*No space") \
            as info:
        _copy_atomic(os.fspath(src), os.fspath(dst))
    assert info.value.errno == errno.ENOSPC
    assert dst.read_bytes() == old                                  # the old best, whole
    assert sorted(os.listdir(tmp_path)) == sorted([LAST, BEST])     # no partial temp file


def test_a_symlink_planted_at_the_temp_name_is_not_followed(tmp_path, monkeypatch):
    """Someone guesses the next temp name and points it outside the run folder: the writer
    refuses that name (O_EXCL) and takes another; nothing is written through the link."""
    run, outside = tmp_path / "run", tmp_path / "outside.txt"
    run.mkdir()
    outside.write_bytes(b"precious")
    minidl.save({"w": np.ones(4, np.float32)}, run / LAST)
    tokens = iter(["deadbeef", "cafef00d"])
    monkeypatch.setattr(serialization.secrets, "token_hex", lambda n: next(tokens))
    planted = run / f".{BEST}.{os.getpid()}.deadbeef.tmp"
    os.symlink(outside, planted)
    os.symlink(outside, run / f"{BEST}.tmp")    # the fixed name the copy used to write to
    _copy_atomic(os.fspath(run / LAST), os.fspath(run / BEST))
    assert outside.read_bytes() == b"precious"
    assert (run / BEST).read_bytes() == (run / LAST).read_bytes()
    assert not os.path.islink(run / BEST)
    assert os.path.islink(planted)     # not ours: left alone, not removed either


def test_temp_files_of_killed_saves_are_removed_by_the_next_save(tmp_path):
    target = tmp_path / "model.safetensors"
    dead_pid = 2 ** 22 + 12345          # above Linux's default pid_max: no such process
    stale = tmp_path / f".model.safetensors.{dead_pid}.0123abcd.tmp"
    stale.write_bytes(b"half a checkpoint")
    live = tmp_path / f".model.safetensors.{os.getpid()}.89abcdef.tmp"   # a save in progress
    live.write_bytes(b"being written")
    other = tmp_path / f".other.safetensors.{dead_pid}.0123abcd.tmp"      # another target's
    other.write_bytes(b"not ours to judge")
    minidl.save({"w": np.ones(2, np.float32)}, target)
    assert not stale.exists()
    assert live.exists() and other.exists()


def test_save_errors_name_the_target(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    target = blocker / "model.safetensors"      # a "folder" that is a file
    with pytest.raises(OSError, match=r"could not save .*a_file/model\.safetensors"):
        minidl.save({"w": np.ones(2, np.float32)}, target)


def test_diverged_says_when_the_weights_are_already_broken(loaders, tmp_path, capsys):
    """lr=nan: the first step makes every weight NaN, the second loss is NaN. The message must
    not claim the weights are those before a bad step."""
    t = trainer(None, lr=float("nan"))
    with pytest.raises(TrainingDiverged, match="already non-finite") as info:
        t.fit(loaders[0], epochs=1)
    assert "Stopped before that step" not in str(info.value)
    assert not all(np.isfinite(p.data).all() for p in t.model.parameters())


@pytest.mark.slow    # a subprocess importing minidl: seconds on a loaded machine
def test_a_save_killed_midway_is_cleaned_up_by_the_next(tmp_path):
    """SIGKILL a process in the middle of writing: its temp file stays (nothing can run in a
    killed process), the target keeps its old bytes, and the next save removes the leftover."""
    import signal
    import subprocess
    import sys
    import time
    target = tmp_path / "model.safetensors"
    minidl.save({"w": np.zeros(4, np.float32)}, target)
    old = target.read_bytes()
    script = f"""
import time, numpy as np, minidl
from minidl import serialization
real = serialization._write_array
def slow(f, a):
    real(f, a[:10]); f.flush(); time.sleep(60)
serialization._write_array = slow
minidl.save({{"w": np.ones(1000, np.float32)}}, {str(target)!r})
"""
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 60
        while not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]:
            assert time.monotonic() < deadline and proc.poll() is None, "the save never started"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    leftovers = [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
    assert len(leftovers) == 1 and f".{proc.pid}." in leftovers[0]
    assert target.read_bytes() == old
    minidl.save({"w": np.full(4, 2, np.float32)}, target)
    assert os.listdir(tmp_path) == ["model.safetensors"]
