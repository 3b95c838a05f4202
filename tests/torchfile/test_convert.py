"""python -m minidl.convert IN.pth OUT.safetensors: the same weights, read back by safetensors."""
import os
import subprocess
import sys

import numpy as np
import pytest

from minidl.convert import main
from torch_files import state_dict, tensor, zip_file

safetensors_numpy = pytest.importorskip("safetensors.numpy")

F32 = np.arange(6, dtype="<f4")


def handmade(path):
    p = state_dict([("w", tensor("FloatStorage", "0", 6, 1, (2, 2), (3, 1))),
                    ("b", tensor("LongStorage", "1", 2, 0, (2,), (1,)))])
    path.write_bytes(zip_file(p, {"0": F32.tobytes(), "1": np.array([5, -6], "<i8").tobytes()}))
    return path


def test_convert_writes_the_same_weights(tmp_path, capsys):
    src, dst = handmade(tmp_path / "in.pth"), tmp_path / "out.safetensors"
    assert main([str(src), str(dst)]) == 0
    assert "wrote 2 tensors" in capsys.readouterr().out
    out = safetensors_numpy.load_file(str(dst))  # an independent reader
    np.testing.assert_array_equal(out["w"], [[1, 2], [4, 5]])
    np.testing.assert_array_equal(out["b"], [5, -6])
    assert out["b"].dtype == np.int64


def test_torch_files_in_both_formats(tmp_path):
    torch = pytest.importorskip("torch")
    sd = torch.nn.Linear(3, 2).state_dict()
    sd["half"] = torch.ones(2).half()
    for legacy in (False, True):
        src = tmp_path / f"{legacy}.pth"
        torch.save(sd, src, _use_new_zipfile_serialization=not legacy)
        assert main([str(src), str(tmp_path / "o.safetensors")]) == 0
        out = safetensors_numpy.load_file(str(tmp_path / "o.safetensors"))
        assert list(out) == list(sd)
        for k, v in sd.items():
            np.testing.assert_array_equal(out[k], v.numpy())
            assert out[k].dtype == v.numpy().dtype


def test_nested_checkpoints_need_key(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    src = tmp_path / "ckpt.pth"
    torch.save({"model": {"w": torch.ones(2)}, "epoch": 3}, src)
    assert main([str(src), str(tmp_path / "o.safetensors")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--key" in err and "'model'" in err
    assert main([str(src), str(tmp_path / "o.safetensors"), "--key", "model"]) == 0
    assert list(safetensors_numpy.load_file(str(tmp_path / "o.safetensors"))) == ["w"]
    assert main([str(src), str(tmp_path / "o.safetensors"), "--key", "nope"]) == 1
    assert "no key 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize("content,message", [
    (None, "No such file or directory"),
    (b"PK\x03\x04 not really a zip", "damaged zip archive"),
    (b"hello", "truncated"),
])
def test_bad_inputs_give_one_line_and_exit_1(tmp_path, capsys, content, message):
    src = tmp_path / "in.pth"
    if content is not None:
        src.write_bytes(content)
    assert main([str(src), str(tmp_path / "o.safetensors")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("minidl.convert: error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "o.safetensors").exists()


def test_as_a_module(tmp_path):
    src = handmade(tmp_path / "in.pth")
    run = subprocess.run([sys.executable, "-m", "minidl.convert", str(src),
                          str(tmp_path / "o.safetensors")], capture_output=True, text=True,
                         env=os.environ.copy(), timeout=120)
    assert run.returncode == 0 and "wrote 2 tensors" in run.stdout, run.stderr
    run = subprocess.run([sys.executable, "-m", "minidl.convert", str(src)],
                         capture_output=True, text=True, env=os.environ.copy(), timeout=120)
    assert run.returncode == 2 and "OUT" in run.stderr


def nested_checkpoint(path):
    import minidl
    minidl.save({"model": {"w": np.ones(3, np.float32)}, "epoch": 3,
                 "optimizer": {"m": np.zeros(3, np.float32)}}, str(path))
    return path.read_bytes()


@pytest.mark.parametrize("spelling", ["dot", "dotdot", "symlink", "hardlink"])
def test_out_that_is_in_under_another_name_is_refused_and_in_kept(tmp_path, monkeypatch,
                                                                  capsys, spelling):
    src = tmp_path / "keep.safetensors"
    before = nested_checkpoint(src)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    if spelling == "symlink":
        os.symlink(src, tmp_path / "link.safetensors")
        dst = "link.safetensors"
    elif spelling == "hardlink":
        os.link(src, tmp_path / "hard.safetensors")
        dst = "hard.safetensors"
    else:
        dst = {"dot": "./keep.safetensors", "dotdot": "sub/../keep.safetensors"}[spelling]
    with pytest.raises(SystemExit) as e:
        main(["keep.safetensors", dst, "--key", "model"])
    assert e.value.code == 2 and "same file" in capsys.readouterr().err
    assert src.read_bytes() == before


def test_a_fifo_is_not_an_input(tmp_path):
    fifo = tmp_path / "x.pth"
    os.mkfifo(fifo)
    run = subprocess.run([sys.executable, "-m", "minidl.convert", str(fifo),
                          str(tmp_path / "o.safetensors")], capture_output=True, text=True,
                         env=os.environ.copy(), timeout=60)   # a hang fails here
    assert run.returncode == 1 and "not a regular file" in run.stderr, run.stderr
    assert run.stderr.count("\n") == 1


def test_out_a_folder_is_named_not_a_hidden_temporary(tmp_path, capsys):
    src = handmade(tmp_path / "in.pth")
    (tmp_path / "outdir").mkdir()
    assert main([str(src), str(tmp_path / "outdir")]) == 1
    err = capsys.readouterr().err
    assert "outdir" in err and ".tmp" not in err and "folder" in err, err
    assert os.listdir(tmp_path / "outdir") == []


def test_a_megabyte_key_argument_is_quoted_short(tmp_path, capsys):
    src = tmp_path / "ck.safetensors"
    nested_checkpoint(src)
    assert main([str(src), str(tmp_path / "o.safetensors"), "--key", "k" * 3_000_000]) == 1
    assert len(capsys.readouterr().err) < 1000
