"""``minidl.save(obj, "x.pth")`` writes PyTorch's zip format: ``torch.load(weights_only=True)``
reads it, ``minidl.load`` reads it back, and a minidl AlexNet continues in PyTorch."""
import collections
import io
import zipfile

import numpy as np
import pytest

import minidl
from minidl import models
from minidl.torch_writer import ALIGNMENT, is_torch_name

torch = pytest.importorskip("torch")

DTYPES = [np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8,
          np.bool_, np.uint16, np.uint32, np.uint64]


def _array(dtype, shape=(3, 4), seed=0):
    rng = np.random.default_rng(seed)
    if dtype == np.bool_:
        return rng.random(shape) > 0.5
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
    return rng.standard_normal(shape).astype(dtype)


def _torch_load(path):
    return torch.load(path, weights_only=True)


def test_only_pt_and_pth_names_get_torchs_format(tmp_path):
    assert is_torch_name("a.pt") and is_torch_name(tmp_path / "b.PTH")
    assert not is_torch_name("a.safetensors") and not is_torch_name(io.BytesIO())
    sd = {"w": np.ones(2, np.float32)}
    minidl.save(sd, tmp_path / "a.safetensors")
    minidl.save(sd, tmp_path / "a.pth")
    assert not zipfile.is_zipfile(tmp_path / "a.safetensors")
    assert zipfile.is_zipfile(tmp_path / "a.pth")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_every_dtype_reads_in_torch_and_back_in_minidl(tmp_path, dtype):
    a = _array(dtype)
    path = tmp_path / "t.pt"
    minidl.save({"a": minidl.tensor(a), "b": a}, path)
    got = _torch_load(path)
    assert str(got["a"].dtype) == f"torch.{np.dtype(dtype).name}"
    np.testing.assert_array_equal(got["a"].numpy(), a)
    np.testing.assert_array_equal(got["b"].numpy(), a)
    back = minidl.load(path)
    assert back["a"].dtype == np.dtype(dtype)
    np.testing.assert_array_equal(back["a"].numpy(), a)


def test_0d_empty_and_non_contiguous_tensors(tmp_path):
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    sd = collections.OrderedDict([
        ("scalar", np.array(2.5, np.float64)), ("int_scalar", minidl.tensor(np.int64(-7))),
        ("empty", np.zeros((0, 3), np.float32)), ("empty3", np.zeros((2, 0, 5), np.int8)),
        ("transposed", base.T), ("sliced", base[1:3, ::2]), ("flipped", base[::-1]),
        ("broadcast", np.broadcast_to(np.arange(3.0), (2, 3))), ("whole", base)])
    path = tmp_path / "v.pth"
    minidl.save(sd, path)
    got = _torch_load(path)
    assert isinstance(got, collections.OrderedDict) and list(got) == list(sd)
    for name, want in sd.items():
        want = want.numpy() if isinstance(want, minidl.Tensor) else want
        assert tuple(got[name].shape) == want.shape, name
        np.testing.assert_array_equal(got[name].numpy(), want, err_msg=name)
        np.testing.assert_array_equal(minidl.load(path)[name].numpy(), want, err_msg=name)
    # views of one C-contiguous array share its storage, as torch's views do
    ptr = got["whole"].untyped_storage().data_ptr()
    assert got["transposed"].untyped_storage().data_ptr() == ptr
    assert got["sliced"].untyped_storage().data_ptr() == ptr
    assert got["sliced"].storage_offset() == 6 and got["sliced"].stride() == (6, 2)
    assert got["flipped"].untyped_storage().data_ptr() != ptr   # negative strides: a copy


def test_a_nested_checkpoint_round_trips_both_ways(tmp_path):
    ckpt = {"model": collections.OrderedDict(w=np.ones((2, 2), np.float32)),
            "optimizer": {"state": {0: {"momentum_buffer": np.full(3, 0.5)}},
                          "param_groups": [{"lr": 0.01, "momentum": 0.9, "params": [0],
                                            "nesterov": False, "foreach": None}]},
            "epoch": 3, "big": 2 ** 70, "neg": -2 ** 40, "small_neg": -5, "inf": float("inf"),
            "name": "alexnet ünïcode", "milestones": (30, 60), "empty": ((), [], {}),
            "flags": [True, False, None]}
    path = tmp_path / "ckpt.pt"
    minidl.save(ckpt, path)
    for got in (_torch_load(path), minidl.load(path)):
        assert got["epoch"] == 3 and got["big"] == 2 ** 70 and got["neg"] == -2 ** 40
        assert got["small_neg"] == -5 and got["inf"] == float("inf")
        assert got["name"] == "alexnet ünïcode" and got["milestones"] == (30, 60)
        assert got["empty"] == ((), [], {}) and got["flags"] == [True, False, None]
        assert got["optimizer"]["param_groups"] == ckpt["optimizer"]["param_groups"]
        np.testing.assert_array_equal(np.asarray(got["optimizer"]["state"][0]["momentum_buffer"]),
                                      np.full(3, 0.5))
        assert isinstance(got["model"], collections.OrderedDict)
    # and the other way: torch.save of what torch read, read by minidl
    torch.save(_torch_load(path), tmp_path / "again.pt")
    again = minidl.load(tmp_path / "again.pt")
    assert again["milestones"] == (30, 60) and again["big"] == 2 ** 70
    np.testing.assert_array_equal(again["model"]["w"].numpy(), np.ones((2, 2), np.float32))


def test_parameters_stay_parameters(tmp_path):
    net = minidl.nn.Linear(2, 3)
    minidl.save({"weight": net.weight, "frozen": minidl.nn.Parameter(minidl.ones(2),
                                                                     requires_grad=False),
                 "plain": net.state_dict()["bias"]}, tmp_path / "p.pt")
    got = _torch_load(tmp_path / "p.pt")
    assert isinstance(got["weight"], torch.nn.Parameter) and got["weight"].requires_grad
    assert isinstance(got["frozen"], torch.nn.Parameter) and not got["frozen"].requires_grad
    assert not isinstance(got["plain"], torch.nn.Parameter) and not got["plain"].requires_grad
    np.testing.assert_array_equal(got["weight"].detach().numpy(), net.weight.detach().numpy())
    back = minidl.load(tmp_path / "p.pt")
    assert isinstance(back["weight"], minidl.nn.Parameter) and back["weight"].requires_grad


def test_the_layout_is_torchs(tmp_path):
    path = tmp_path / "net.pth"
    minidl.save({"w": np.ones((3, 5), np.float32), "b": np.zeros(7, np.int8)}, path)
    torch.save({"w": torch.ones(3, 5), "b": torch.zeros(7, dtype=torch.int8)}, tmp_path / "t.pth")
    ours = zipfile.ZipFile(path)
    theirs = zipfile.ZipFile(tmp_path / "t.pth")
    assert ours.namelist() == [n.replace("t/", "net/", 1) for n in theirs.namelist()]
    for name in ("byteorder", "version", ".format_version", ".storage_alignment"):
        assert ours.read(f"net/{name}") == theirs.read(f"t/{name}")
    for info in ours.infolist():    # every member's bytes start aligned, as torch's do
        assert info.compress_type == zipfile.ZIP_STORED
        with open(path, "rb") as f:
            f.seek(info.header_offset + 26)
            n, m = np.frombuffer(f.read(4), "<u2")
        assert (info.header_offset + 30 + n + m) % ALIGNMENT == 0, info.filename
    got = torch.load(path, weights_only=True, mmap=True)   # mmap needs the alignment
    assert got["w"].sum().item() == 15


def test_a_file_object_gets_torchs_format_from_save_torch():
    from minidl.torch_writer import save_torch
    buf = io.BytesIO()
    save_torch({"w": np.arange(3, dtype=np.int32)}, buf)
    assert zipfile.ZipFile(io.BytesIO(buf.getvalue())).namelist()[0] == "archive/data.pkl"
    buf.seek(0)
    assert torch.load(buf, weights_only=True)["w"].tolist() == [0, 1, 2]
    np.testing.assert_array_equal(minidl.load(io.BytesIO(buf.getvalue()))["w"].numpy(),
                                  np.arange(3))


def test_errors_leave_the_old_file(tmp_path):
    path = tmp_path / "keep.pth"
    minidl.save({"w": np.ones(2, np.float32)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=r"cannot store a object \(at opt.fn\)"):
        minidl.save({"w": np.zeros(2), "opt": {"fn": object()}}, path)
    with pytest.raises(TypeError, match="expects a dict"):
        minidl.save([np.zeros(2)], path)
    with pytest.raises(ValueError, match="metadata"):
        minidl.save({"w": np.zeros(2)}, path, metadata={"a": "b"})
    assert path.read_bytes() == before      # nothing written by a failed save
    assert [p.name for p in tmp_path.iterdir()] == ["keep.pth"]


@pytest.mark.slow
def test_minidl_alexnet_torchvision_continues_in_torch(tmp_path):
    """A minidl alexnet_torchvision state dict loads into torchvision's AlexNet (rebuilt here
    with torch.nn under torchvision's key names) and gives the same logits."""
    nn = torch.nn

    class AlexNet(nn.Module):
        def __init__(self, num_classes):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(), nn.MaxPool2d(3, 2),
                nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
                nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
                nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
                nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2))
            self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
            self.classifier = nn.Sequential(
                nn.Dropout(), nn.Linear(9216, 4096), nn.ReLU(), nn.Dropout(),
                nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, num_classes))

        def forward(self, x):
            return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))

    minidl.manual_seed(0)
    net = models.alexnet_torchvision(num_classes=10).eval()
    path = tmp_path / "alexnet.pth"
    minidl.save(net.state_dict(), path)
    theirs = AlexNet(10).eval()
    theirs.load_state_dict(torch.load(path, weights_only=True))   # strict: every key fits
    x = np.random.default_rng(0).standard_normal((2, 3, 96, 96)).astype(np.float32)
    with minidl.no_grad():
        want = net(minidl.tensor(x)).numpy()
    with torch.no_grad():
        got = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())
