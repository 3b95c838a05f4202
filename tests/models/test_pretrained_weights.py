"""``alexnet_torchvision(weights=F)`` and ``vgg11(weights=F)``: files written by PyTorch (the
nets of torchvision and timm rebuilt with torch.nn in ``torch_nets``) give torch's logits.

Nothing is downloaded: every file is made here. The ``.pth`` cases need ``minidl.load`` to read
``torch.save``'s formats; until it can, they skip and say so.
"""
import os

import numpy as np
import pytest

import minidl
from minidl import models
from minidl.models import pretrained
from minidl.serialization import CheckpointError

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")
from torch_nets import TimmVGG, TorchAlexNet, TorchVGG, seeded  # noqa: E402

W = 0.125   # VGG-11 narrowed 8×, full 224×224 input: every key, shape and reshape as the real one


def _torch_logits(net, x):
    with torch.no_grad():
        return net(torch.from_numpy(x)).numpy()


def _minidl_logits(net, x):
    net.eval()
    with minidl.no_grad():
        return net(minidl.tensor(x)).numpy()


def _image(n=2, side=224, seed=1):
    return np.random.default_rng(seed).standard_normal((n, 3, side, side)).astype(np.float32)


def _save_safetensors(net, path):
    safetensors_torch.save_file({k: v.contiguous() for k, v in net.state_dict().items()},
                                str(path))
    return str(path)


@pytest.fixture(scope="module")
def torch_alexnet():
    return seeded(TorchAlexNet(), seed=0)


@pytest.fixture(scope="module")
def torch_vgg():
    return seeded(TorchVGG(width=W), seed=1)


def test_alexnet_torchvision_safetensors_gives_torchs_logits(tmp_path, torch_alexnet):
    path = _save_safetensors(torch_alexnet, tmp_path / "alexnet.safetensors")
    net = models.alexnet_torchvision(weights=path)
    x = _image(1)
    want = _torch_logits(torch_alexnet, x)
    np.testing.assert_allclose(_minidl_logits(net, x), want, rtol=1e-4,
                               atol=1e-4 * np.abs(want).max())


def test_vgg_torchvision_layout_gives_torchs_logits(tmp_path, torch_vgg):
    path = _save_safetensors(torch_vgg, tmp_path / "vgg11.safetensors")
    net = models.vgg11(width=W, weights=path)
    x = _image()
    want = _torch_logits(torch_vgg, x)
    np.testing.assert_allclose(_minidl_logits(net, x), want, rtol=1e-4,
                               atol=1e-4 * np.abs(want).max())


def test_vgg_timm_layout_gives_timms_logits(tmp_path):
    timm_net = seeded(TimmVGG(width=W), seed=2)   # fc6/fc7 as convolutions, head.fc
    path = _save_safetensors(timm_net, tmp_path / "model.safetensors")
    keys = set(timm_net.state_dict())
    assert {"pre_logits.fc1.weight", "pre_logits.fc2.weight", "head.fc.weight"} <= keys
    assert pretrained.layout(keys) == "timm"
    net = models.vgg11(width=W, weights=path)
    x = _image()
    want = _torch_logits(timm_net, x)
    np.testing.assert_allclose(_minidl_logits(net, x), want, rtol=1e-4,
                               atol=1e-4 * np.abs(want).max())


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_pth_files_of_both_torch_save_formats(tmp_path, torch_alexnet, legacy):
    path = str(tmp_path / "alexnet.pth")
    torch.save(torch_alexnet.state_dict(), path, _use_new_zipfile_serialization=not legacy)
    net = models.alexnet_torchvision(weights=path)
    x = _image(1)
    want = _torch_logits(torch_alexnet, x)
    np.testing.assert_allclose(_minidl_logits(net, x), want, rtol=1e-4,
                               atol=1e-4 * np.abs(want).max())


def test_pth_vgg_timm_and_torchvision(tmp_path, torch_vgg):
    path = str(tmp_path / "vgg11.pth")
    torch.save(torch_vgg.state_dict(), path)
    x = _image(1)
    want = _torch_logits(torch_vgg, x)
    got = _minidl_logits(models.vgg11(width=W, weights=path), x)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


# -- what does not fit ------------------------------------------------------------------------
def test_enum_names_say_minidl_downloads_nothing():
    for name in ("IMAGENET1K_V1", "DEFAULT"):
        with pytest.raises(ValueError, match="downloads nothing") as e:
            models.vgg16(weights=name)
        assert "download.pytorch.org" in str(e.value) and "timm/vgg16.tv_in1k" in str(e.value)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.pth"):
        models.alexnet_torchvision(weights=str(tmp_path / "nope.pth"))


def test_wrong_architecture_lists_missing_and_unexpected_keys(tmp_path, torch_alexnet):
    path = _save_safetensors(torch_alexnet, tmp_path / "alexnet.safetensors")
    with pytest.raises(CheckpointError) as e:
        models.vgg11(width=W, weights=path)
    msg = str(e.value)
    assert "alexnet.safetensors" in msg and "missing keys" in msg and "unexpected keys" in msg
    assert "features.11.weight" in msg or "features.13.weight" in msg


def test_shape_mismatch_is_listed_and_nothing_is_loaded(tmp_path, torch_vgg):
    path = _save_safetensors(torch_vgg, tmp_path / "vgg11.safetensors")
    with pytest.raises(CheckpointError, match=r"classifier\.6\.weight: checkpoint \(1000, 512\)"):
        models.vgg11(num_classes=10, width=W, weights=path)
    net = models.vgg11(num_classes=10, width=W)
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    with pytest.raises(CheckpointError):
        pretrained.load_weights(net, path, "vgg11")
    assert all(np.array_equal(before[k], v.numpy()) for k, v in net.state_dict().items())


def test_a_missing_key_is_named(tmp_path, torch_vgg):
    state = {k: v for k, v in torch_vgg.state_dict().items() if k != "classifier.3.bias"}
    path = str(tmp_path / "cut.safetensors")
    safetensors_torch.save_file(state, path)
    with pytest.raises(CheckpointError, match=r"missing keys \['classifier\.3\.bias'\]"):
        models.vgg11(width=W, weights=path)


def test_minidl_checkpoints_and_wrappers_load(tmp_path):
    src = models.alexnet_small(num_classes=10)
    minidl.checkpoint.save_checkpoint(str(tmp_path / "ckpt.safetensors"), model=src)
    minidl.save({"module." + k: v for k, v in src.state_dict().items()},
                str(tmp_path / "dp.safetensors"))
    for name in ("ckpt.safetensors", "dp.safetensors"):
        state = pretrained.read_weights(str(tmp_path / name))
        assert set(state) == set(src.state_dict())
        assert np.array_equal(state["features.0.weight"].numpy(),
                              src.features[0].weight.detach().numpy())


def test_convert_cli_writes_an_ordinary_safetensors_file(tmp_path):
    import subprocess
    import sys
    timm_net = seeded(TimmVGG(width=W), seed=5)
    src = _save_safetensors(timm_net, tmp_path / "model.safetensors")
    dst = str(tmp_path / "tv.safetensors")
    proc = subprocess.run([sys.executable, "-m", "minidl.convert", src, dst, "--torchvision"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "in torchvision's keys" in proc.stdout, proc.stderr
    tv = safetensors_torch.load_file(dst)   # safetensors' own reader
    assert tv["classifier.0.weight"].shape == (512, 64 * 49) and "head.fc.weight" not in tv
    x = _image(1)
    want = _torch_logits(timm_net, x)
    np.testing.assert_allclose(_minidl_logits(models.vgg11(width=W, weights=dst), x), want,
                               rtol=1e-4, atol=1e-4 * np.abs(want).max())
    proc = subprocess.run([sys.executable, "-m", "minidl.convert", str(tmp_path / "no.pth"),
                           dst], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "error:" in proc.stderr.strip().splitlines()[-1]
    assert "no.pth" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_full_size_vgg11_both_layouts(tmp_path):
    """Paper-size VGG-11 (133M parameters): the real shapes, (4096, 512, 7, 7) included."""
    tv = seeded(TorchVGG(), seed=3)
    path = _save_safetensors(tv, tmp_path / "vgg11.safetensors")
    x = _image(1)
    want = _torch_logits(tv, x)
    net = models.vgg11(weights=path)
    np.testing.assert_allclose(_minidl_logits(net, x), want, rtol=1e-4,
                               atol=1e-4 * np.abs(want).max())
    del net, tv
    timm_net = seeded(TimmVGG(), seed=4)
    os.remove(path)
    path = _save_safetensors(timm_net, tmp_path / "model.safetensors")
    want = _torch_logits(timm_net, x)
    del timm_net
    net = models.vgg11(weights=path)
    np.testing.assert_allclose(_minidl_logits(net, x), want, rtol=1e-4,
                               atol=1e-4 * np.abs(want).max())
