"""minidl.load of files torch.save wrote (both formats): the values PyTorch saved, exactly."""
import ast
import collections
import io
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import minidl
from minidl.serialization import CheckpointError
from torch_files import legacy_file, state_dict, tensor, torch_bytes, zip_file

torch = pytest.importorskip("torch")

FORMATS = {"zip": {}, "legacy": {"legacy": True}, "zip-protocol4": {"pickle_protocol": 4},
           "legacy-protocol5": {"legacy": True, "pickle_protocol": 5}}


def small_net():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.BatchNorm2d(4),
                               torch.nn.ReLU(), torch.nn.Flatten(),
                               torch.nn.Linear(4 * 5 * 5, 3))


def every_kind():
    """A conv net's state dict plus the awkward cases: views, dtypes, 0-dim, empty."""
    sd = small_net().state_dict()
    base = torch.arange(30, dtype=torch.float32)
    sd["base"] = base
    sd["view"] = base[3:].view(3, 9)[:, 1::3]       # offset 4, strides (9, 3)
    sd["transposed"] = base[:12].view(3, 4).t()      # strides (1, 4)
    sd["half"] = torch.randn(2, 3).half()
    sd["bf16"] = torch.randn(5).bfloat16()
    sd["double"] = torch.randn(2, 2, dtype=torch.float64)
    sd["long"] = torch.tensor([-(2 ** 40), 7])
    sd["mask"] = torch.tensor([[True, False], [False, True]])
    sd["bytes"] = torch.tensor([0, 255], dtype=torch.uint8)
    sd["int8"] = torch.tensor([-128, 127], dtype=torch.int8)
    sd["int32"] = torch.tensor([1, -2], dtype=torch.int32)
    sd["complex"] = torch.tensor([1 + 2j, -0.5j], dtype=torch.complex64)
    sd["uint16"] = torch.tensor([1, 65535], dtype=torch.int32).to(torch.uint16)  # _v3
    sd["scalar"] = torch.tensor(3.5)
    sd["empty"] = torch.zeros(0, 3)
    return sd


def expected(t):
    t = t.float() if t.dtype == torch.bfloat16 else t  # minidl widens bfloat16 exactly
    return t.numpy()


def assert_same(out, sd):
    assert list(out) == list(sd)
    for k, v in sd.items():
        got, want = out[k], expected(v)
        assert isinstance(got, minidl.Tensor), k
        assert got.dtype == want.dtype and got.shape == want.shape, k
        np.testing.assert_array_equal(got.data, want, err_msg=k)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_kind_of_tensor_loads_exactly(tmp_path, fmt):
    sd = every_kind()
    path = tmp_path / "sd.pth"
    path.write_bytes(torch_bytes(sd, **FORMATS[fmt]))
    out = minidl.load(path)
    assert isinstance(out, collections.OrderedDict)
    assert_same(out, sd)
    # views into one storage still share it, as in PyTorch; each sees the right elements
    assert np.shares_memory(out["view"].data, out["base"].data)
    assert out["transposed"].data.strides == (4, 16)
    assert out["1.num_batches_tracked"].dtype == np.int64 and out["1.num_batches_tracked"].shape == ()
    assert out._metadata[""] == {"version": 1}  # the modules' versions, as state_dict() keeps them


def test_a_file_object_and_map_location(tmp_path):
    sd = every_kind()
    blob = torch_bytes(sd)
    assert_same(minidl.load(io.BytesIO(blob), map_location="cpu", weights_only=True), sd)
    if minidl.cuda.is_available():
        out = minidl.load(io.BytesIO(blob), map_location="cuda")
        assert all(t.device.type == "cuda" for t in out.values())


def test_parameters_and_nested_checkpoints(tmp_path):
    net = small_net()
    momentum = torch.randn(4, 3, 3, 3)
    # the shape of an SGD optimizer's state_dict() (built by hand: importing torch.optim is slow)
    optimizer = {"state": {0: {"momentum_buffer": momentum}},
                 "param_groups": [{"lr": 0.1, "momentum": 0.9, "nesterov": False,
                                   "maximize": False, "foreach": None, "params": list(range(6))}]}
    ckpt = {"model": net.state_dict(), "optimizer": optimizer, "epoch": 3, "loss": -1.5e-300,
            "note": "hi", "betas": (0.9, 0.999), "params": dict(net.named_parameters())}
    for legacy in (False, True):
        out = minidl.load(io.BytesIO(torch_bytes(ckpt, legacy=legacy)))
        assert_same(out["model"], ckpt["model"])
        assert (out["epoch"], out["loss"], out["note"], out["betas"]) == (3, -1.5e-300, "hi",
                                                                          (0.9, 0.999))
        group = out["optimizer"]["param_groups"][0]
        assert group == optimizer["param_groups"][0]
        buf = out["optimizer"]["state"][0]["momentum_buffer"]
        np.testing.assert_array_equal(buf.data, momentum.numpy())
        p = out["params"]["0.weight"]
        assert isinstance(p, minidl.nn.Parameter) and p.requires_grad
        np.testing.assert_array_equal(p.data, net[0].weight.detach().numpy())


def test_minidl_net_gives_torch_logits_from_the_pth(tmp_path):
    torch.manual_seed(1)
    tnet = torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    with torch.no_grad():
        tnet[0].weight.data = torch.randn(6, 4).t()  # saved as a transposed (strided) view
    path = tmp_path / "net.pth"
    torch.save(tnet.state_dict(), path)
    nn = minidl.nn
    net = nn.Sequential(nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 2))
    net.load_state_dict(minidl.load(path))
    x = np.random.default_rng(0).normal(size=(5, 6)).astype(np.float32)
    want = tnet(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(net(minidl.tensor(x)).data, want, rtol=1e-6, atol=1e-6)


def test_a_whole_pickled_model_says_to_save_its_state_dict(tmp_path):
    for legacy in (False, True):
        blob = torch_bytes(small_net(), legacy=legacy)
        with pytest.raises(CheckpointError, match=r"whole model.*model\.state_dict\(\)"):
            minidl.load(io.BytesIO(blob))
    with pytest.raises(CheckpointError, match="holds a tensor, not a state dict"):
        minidl.load(io.BytesIO(torch_bytes(torch.ones(2))))


@pytest.mark.filterwarnings("ignore:torch.quantize_per_tensor")  # deprecated in torch
def test_dtypes_minidl_cannot_hold_are_refused_by_name():
    blob = torch_bytes({"x": torch.zeros(2, dtype=torch.float8_e4m3fn)})
    with pytest.raises(CheckpointError, match="torch.float8_e4m3fn, which NumPy"):
        minidl.load(io.BytesIO(blob))
    blob = torch_bytes({"x": torch.quantize_per_tensor(torch.ones(2), 0.1, 0, torch.qint8)})
    with pytest.raises(CheckpointError, match="refers to torch._utils._rebuild_qtensor"):
        minidl.load(io.BytesIO(blob))


def rewrite_zip(blob, change):
    """A copy of a zip-format file with change(name, data) -> (data, compression) per member."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data, compression = change(info.filename, src.read(info))
            dst.writestr(info.filename, data, compress_type=compression)
    return out.getvalue()


def test_big_endian_files_are_byteswapped():
    sd = {"w": torch.randn(2, 3), "i": torch.tensor([1, -2, 3]), "h": torch.randn(3).half()}
    sizes = {"w": 4, "i": 8, "h": 2}
    keys = {}  # storage key -> item size, from the archive's pickle order (w, i, h)
    blob = torch_bytes(sd)

    def to_big(name, data):
        if name.endswith("/byteorder"):
            return b"big", zipfile.ZIP_STORED
        if "/data/" in name:
            item = list(sizes.values())[int(name.rsplit("/", 1)[1])]
            keys[name] = item
            return np.frombuffer(data, f"<u{item}").astype(f">u{item}").tobytes(), 0
        return data, zipfile.ZIP_STORED
    big = rewrite_zip(blob, to_big)
    assert len(keys) == 3 and big != blob
    for k, v in minidl.load(io.BytesIO(big)).items():
        np.testing.assert_array_equal(v.data, sd[k].numpy())
    # legacy: little_endian False in the system-info pickle, counts and data big-endian
    p = state_dict([("w", tensor("FloatStorage", "7", 4, 0, (2, 2), (2, 1), legacy=True))])
    data = np.arange(4, dtype=">f4").tobytes()
    out = minidl.load(io.BytesIO(legacy_file(p, {"7": (4, data)}, little_endian=False)))
    np.testing.assert_array_equal(out["w"].data, np.arange(4, dtype=np.float32).reshape(2, 2))


def test_compressed_members_and_odd_byteorders_are_refused():
    blob = torch_bytes({"w": torch.ones(3)})
    deflated = rewrite_zip(blob, lambda n, d: (d, zipfile.ZIP_DEFLATED))
    with pytest.raises(CheckpointError, match="compressed"):
        minidl.load(io.BytesIO(deflated))
    odd = rewrite_zip(blob, lambda n, d: (b"middle" if n.endswith("byteorder") else d, 0))
    with pytest.raises(CheckpointError, match="byteorder 'middle'"):
        minidl.load(io.BytesIO(odd))
    missing = rewrite_zip(blob, lambda n, d: (d, 0) if "/data/" not in n else (d[:-4], 0))
    with pytest.raises(CheckpointError, match=r"storage '0' should hold 3 elements"):
        minidl.load(io.BytesIO(missing))


CLEAN_LOAD = """
import sys
import numpy  # NumPy itself imports pickle: hide it (and torch) from everything after this
for name in ("pickle", "_pickle", "torch"):
    sys.modules[name] = None   # from now on, importing these raises ImportError
events = []
sys.addaudithook(lambda event, args: events.append(event) if event.startswith("pickle") else 0)
import minidl
for path in sys.argv[1:]:
    out = minidl.load(path)
    assert out["w"].shape == (2, 3), out
print("events", events)
"""


def test_loading_imports_neither_pickle_nor_torch(tmp_path):
    """In a clean interpreter where importing pickle or torch fails, both formats still load."""
    sd = {"w": torch.randn(2, 3)}
    paths = [tmp_path / "a.pth", tmp_path / "b.pth"]
    paths[0].write_bytes(torch_bytes(sd))
    paths[1].write_bytes(torch_bytes(sd, legacy=True))
    run = subprocess.run([sys.executable, "-c", CLEAN_LOAD, *map(str, paths)],
                         capture_output=True, text=True, env=os.environ.copy(), timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "events []"


def forbidden_uses(source):
    """Where `source`'s code (not its docstrings or comments, which may name PyTorch's calls)
    imports pickle or torch, calls pickle.load(s)/torch.load, or passes allow_pickle=True."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in ("pickle", "torch")]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] in ("pickle", "torch"):
                found.append(f"from {node.module}")
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and node.value.id in ("pickle", "torch") and node.attr in ("load", "loads")):
            found.append(f"{node.value.id}.{node.attr}")
        elif (isinstance(node, ast.keyword) and node.arg == "allow_pickle"
              and not (isinstance(node.value, ast.Constant) and node.value.value is False)):
            found.append("allow_pickle=...")
    return found


def test_forbidden_uses_are_found():
    assert forbidden_uses("import pickle\nfrom torch import nn\npickle.loads(b'')\n"
                          "np.load(f, allow_pickle=True)\n") == [
        "pickle", "from torch", "pickle.loads", "allow_pickle=..."]
    assert forbidden_uses('"""torch.load("x.pth") reads it; import pickle"""\n# torch.load\n') == []


def test_no_pickle_or_torch_in_minidl_sources():
    root = os.path.dirname(minidl.__file__)
    for folder, _, files in os.walk(root):
        for name in files:
            if name.endswith(".py"):
                source = open(os.path.join(folder, name), encoding="utf-8").read()
                assert forbidden_uses(source) == [], f"in {os.path.join(folder, name)}"
