"""minidl.save / minidl.load: the safetensors format by hand, interop, validation, atomic writes."""
import json
import math
import os
import struct
import zlib

import numpy as np
import pytest

import minidl
from minidl import serialization
from minidl.serialization import CheckpointError, load, load_metadata, save

ALL_DTYPES = [np.float64, np.float32, np.float16, np.complex64, np.int64, np.int32, np.int16,
              np.int8, np.uint64, np.uint32, np.uint16, np.uint8, np.bool_]


def sample(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    return np.asarray((rng.normal(size=shape) * 100).astype(dtype))


def read_raw(path):
    """Header (a dict) and data buffer of a safetensors file, parsed with nothing but struct."""
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    return json.loads(blob[8:8 + n]), blob[8 + n:]


# -- round trips ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (5,), (2, 3, 4)], ids=str)
def test_round_trip_every_dtype_and_shape(tmp_path, dtype, shape):
    a = sample(dtype, shape)
    save({"x": a, "t": minidl.from_numpy(a)}, tmp_path / "f.safetensors")
    out = load(tmp_path / "f.safetensors")
    assert list(out) == ["x", "t"]
    for v in out.values():
        assert isinstance(v, minidl.Tensor) and v.device == "cpu"
        assert v.dtype == np.dtype(dtype) and v.shape == shape
        np.testing.assert_array_equal(v.data, a)


def test_file_layout_follows_the_spec(tmp_path):
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.array([1, 2], dtype=np.int64)
    save({"w": w, "b": b}, tmp_path / "f.safetensors", metadata={"note": "hi"})
    header, data = read_raw(tmp_path / "f.safetensors")
    expected = {"__metadata__": {"note": "hi"},
                "w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
                "b": {"dtype": "I64", "shape": [2], "data_offsets": [24, 40]}}
    assert data == w.astype("<f4").tobytes() + b.astype("<i8").tobytes()
    # minidl's checksums: CRC-32 of the data, and of the rest of the header as sorted JSON
    canonical = json.dumps(expected, sort_keys=True, separators=(",", ":")).encode()
    expected["__metadata__"].update({"minidl.crc32.header": f"{zlib.crc32(canonical):08x}",
                                     "minidl.crc32.data": f"{zlib.crc32(data):08x}"})
    assert header == expected
    assert (os.path.getsize(tmp_path / "f.safetensors") - len(data)) % 8 == 0  # header padded


def test_non_contiguous_and_big_endian_inputs(tmp_path):
    a = np.arange(12, dtype=np.float64).reshape(3, 4).T   # not C-contiguous
    big = np.arange(4, dtype=">i4")
    save({"a": a, "big": big}, tmp_path / "f.safetensors")
    out = load(tmp_path / "f.safetensors")
    np.testing.assert_array_equal(out["a"].data, a)
    np.testing.assert_array_equal(out["big"].data, big)
    assert out["big"].dtype == np.dtype(np.int32)
    _, data = read_raw(tmp_path / "f.safetensors")
    assert data[-16:] == np.arange(4, dtype="<i4").tobytes()  # little-endian on disk


def test_parameters_save_their_data(tmp_path):
    from minidl.nn import Linear
    layer = Linear(3, 2)
    save(layer.state_dict(), tmp_path / "f.safetensors")
    out = load(tmp_path / "f.safetensors")
    assert list(out) == ["weight", "bias"]
    np.testing.assert_array_equal(out["weight"].data, layer.weight.data)
    assert not out["weight"].requires_grad


def test_nested_structures_round_trip(tmp_path):
    state = {
        "model": {"features.0.weight": np.ones((2, 2), np.float32)},
        "optimizer": {"state": {0: {"momentum_buffer": np.full(3, 0.5)}, 1: {}},
                      "param_groups": [{"lr": 0.1, "nesterov": False, "params": [0, 1]}]},
        "scheduler": {"best": math.inf, "worst": -math.inf, "mode": "min"},
        "epoch": 7, "metrics": {"top1": np.float32(0.75), "top5": 0.93, "loss": None},
        "pair": (1, "two", [3.0]), "unicode": "héllo ✓", "big": 2 ** 127 + 1,
        "numpy_rng": np.random.default_rng(1).bit_generator.state,
        "rng": minidl.Generator(3).get_state(),
        "weird keys": {"__tensor__": 1, (1, 2): "tuple key", None: 0},
    }
    save(state, tmp_path / "ckpt.safetensors")
    out = load(tmp_path / "ckpt.safetensors")
    buf = out["optimizer"]["state"][0]["momentum_buffer"]
    assert isinstance(buf, minidl.Tensor) and buf.dtype == np.float64
    np.testing.assert_array_equal(buf.data, np.full(3, 0.5))
    out["optimizer"]["state"][0]["momentum_buffer"] = None
    out["model"]["features.0.weight"] = None
    state["optimizer"]["state"][0]["momentum_buffer"] = None
    state["model"]["features.0.weight"] = None
    state["metrics"]["top1"] = 0.75
    assert out == state
    assert isinstance(out["pair"], tuple) and isinstance(out["metrics"]["top1"], float)
    # the tensors are ordinary safetensors entries, under dotted names
    header, _ = read_raw(tmp_path / "ckpt.safetensors")
    assert {"model.features.0.weight", "optimizer.state.0.momentum_buffer"} <= set(header)


def test_rng_states_restore_generators(tmp_path):
    g, npg = minidl.Generator(11), np.random.default_rng(11)
    g.np.normal(size=5)
    npg.normal(size=5)
    save({"g": g.get_state(), "npg": npg.bit_generator.state}, tmp_path / "r.safetensors")
    expected = (g.np.normal(size=3), npg.normal(size=3))
    out = load(tmp_path / "r.safetensors")
    g2, npg2 = minidl.Generator(0), np.random.default_rng(0)
    g2.set_state(out["g"])
    npg2.bit_generator.state = out["npg"]
    np.testing.assert_array_equal(g2.np.normal(size=3), expected[0])
    np.testing.assert_array_equal(npg2.normal(size=3), expected[1])


def test_metadata_round_trip(tmp_path):
    save({"x": np.zeros(1)}, tmp_path / "f.safetensors", metadata={"format": "pt", "k": "v"})
    assert load_metadata(tmp_path / "f.safetensors") == {"format": "pt", "k": "v"}
    with pytest.raises(TypeError, match="str to str"):
        save({"x": np.zeros(1)}, tmp_path / "g.safetensors", metadata={"k": 1})
    with pytest.raises(ValueError, match="minidl's own"):
        save({"x": np.zeros(1)}, tmp_path / "g.safetensors",
             metadata={serialization.STRUCTURE_KEY: "{}"})


@pytest.mark.parametrize("obj, error, message", [
    ([np.zeros(1)], TypeError, "expects a dict"),
    ({"s": {1, 2}}, TypeError, "cannot store a set"),
    ({"o": {"deep": [object()]}}, TypeError, r"at o\.deep\.0"),
    ({"u": np.array(["text"])}, TypeError, "dtype <U4"),
    ({"c": np.zeros(2, np.complex128)}, TypeError, "complex128"),
    ({"a.b": np.zeros(1), "a": {"b": np.zeros(1)}}, ValueError, "'a.b'"),
])
def test_unstorable_values_are_refused_before_writing(tmp_path, obj, error, message):
    with pytest.raises(error, match=message):
        save(obj, tmp_path / "f.safetensors")
    assert os.listdir(tmp_path) == []


# -- interoperability with the safetensors package -------------------------------------------

def test_files_we_write_load_in_safetensors_numpy(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    arrays = {f"t{i}": sample(d, (2, 3), i) for i, d in enumerate(ALL_DTYPES)}
    arrays["scalar"], arrays["empty"] = np.array(2.5, np.float32), np.zeros((0, 4), np.int8)
    save(arrays, tmp_path / "f.safetensors")
    theirs = st.load_file(str(tmp_path / "f.safetensors"))
    assert theirs.keys() == arrays.keys()
    for k, a in arrays.items():
        assert theirs[k].dtype == a.dtype and theirs[k].shape == a.shape
        np.testing.assert_array_equal(theirs[k], a)


def test_files_we_write_load_in_safetensors_torch(tmp_path):
    pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    state = {"features.0.weight": sample(np.float32, (4, 3, 3, 3)),
             "features.0.bias": sample(np.float32, (4,)), "steps": np.array(5, np.int64)}
    save(state, tmp_path / "f.safetensors")
    theirs = st.load_file(str(tmp_path / "f.safetensors"))
    for k, a in state.items():
        np.testing.assert_array_equal(theirs[k].numpy(), a)


def test_files_safetensors_numpy_writes_load_here(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    arrays = {f"t{i}": sample(d, (3, 2), i) for i, d in enumerate(ALL_DTYPES)}
    arrays["zero_d"], arrays["empty"] = np.array(1.5, np.float64), np.zeros((2, 0), np.uint8)
    st.save_file(arrays, str(tmp_path / "f.safetensors"), metadata={"who": "safetensors"})
    ours = load(tmp_path / "f.safetensors")
    assert ours.keys() == arrays.keys()
    for k, a in arrays.items():
        assert ours[k].dtype == a.dtype and ours[k].shape == a.shape
        np.testing.assert_array_equal(ours[k].data, a)
    assert load_metadata(tmp_path / "f.safetensors") == {"who": "safetensors"}


def test_files_safetensors_torch_writes_load_here(tmp_path):
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    torch.manual_seed(0)
    state = {"conv.weight": torch.randn(8, 3, 3, 3), "fc.bias": torch.randn(10).double(),
             "idx": torch.arange(5), "half": torch.randn(4).half(), "flag": torch.tensor(True),
             "empty": torch.zeros(0, 3)}
    st.save_file(state, str(tmp_path / "f.safetensors"))
    ours = load(tmp_path / "f.safetensors")
    for k, t in state.items():
        assert ours[k].shape == tuple(t.shape)
        np.testing.assert_array_equal(ours[k].data, t.numpy())


def test_bf16_from_torch_is_refused_clearly(tmp_path):
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    st.save_file({"w": torch.zeros(2, dtype=torch.bfloat16)}, str(tmp_path / "bf.safetensors"))
    with pytest.raises(CheckpointError, match="bf.safetensors.*BF16.*NumPy"):
        load(tmp_path / "bf.safetensors")


# -- corrupt files ---------------------------------------------------------------------------

def raw_file(path, header, data, n=None):
    head = json.dumps(header).encode() if isinstance(header, dict) else header
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head) if n is None else n) + head + data)


GOOD = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "b": {"dtype": "I64", "shape": [1], "data_offsets": [8, 16]}}


def entry(name, **changes):
    header = json.loads(json.dumps(GOOD))
    header[name].update(changes)
    return header


CORRUPTIONS = {
    "shorter than 8 bytes": (b"\x10\x00", None, None, "truncated: 2 bytes"),
    "header length too big": (GOOD, bytes(16), 10 ** 9, "over the 100000000-byte limit"),
    "header beyond the file": (GOOD, bytes(16), 5000, "runs past the end of the file"),
    "bad JSON": (b'{"a": {"dtype": ', bytes(16), None, "not valid JSON"),
    "not utf-8": (b"\xff\xfe{}", b"", None, "not valid JSON"),
    "not an object": (b"[1, 2]", b"", None, "should be a JSON object"),
    "duplicate key": (b'{"a": {}, "a": {}}', b"", None, "appears twice"),
    "unknown dtype": (entry("a", dtype="F99"), bytes(16), None, "unknown dtype 'F99'"),
    "missing field": ({"a": {"dtype": "F32", "shape": [2]}}, bytes(8), None, "data_offsets"),
    "negative shape": (entry("a", shape=[-2]), bytes(16), None, "non-negative integers"),
    "bad offsets": (entry("a", data_offsets=[8, 0]), bytes(16), None, "0 <= begin <= end"),
    "size mismatch": (entry("a", shape=[3]), bytes(16), None, "needs 12 bytes.*span 8"),
    "overlap": (entry("b", data_offsets=[4, 12]), bytes(16), None, "overlaps tensor 'a'"),
    "gap": (entry("b", data_offsets=[12, 20]), bytes(20), None, "4 unused bytes before tensor 'b'"),
    "beyond buffer": (GOOD, bytes(12), None, "ends at byte 16 .* only 12 bytes: truncated"),
    "trailing bytes": (GOOD, bytes(20), None, "4 bytes after the last tensor"),
    "bad metadata": ({"__metadata__": {"k": 1}}, b"", None, "map strings to strings"),
    "bad structure": ({"__metadata__": {serialization.STRUCTURE_KEY: "{oops"}}, b"", None,
                      "structure in the metadata is corrupt"),
    "structure names a missing tensor": (
        {"__metadata__": {serialization.STRUCTURE_KEY: '{"w": {"__tensor__": "w"}}'}}, b"",
        None, "lacks"),
}


@pytest.mark.parametrize("case", CORRUPTIONS, ids=list(CORRUPTIONS))
def test_corrupt_files_raise_naming_the_file(tmp_path, case):
    header, data, n, message = CORRUPTIONS[case]
    path = tmp_path / "broken.safetensors"
    if data is None:
        path.write_bytes(header)
    else:
        raw_file(path, header, data, n)
    with pytest.raises(CheckpointError, match=message) as info:
        load(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_truncated_real_file_at_every_length(tmp_path):
    path = tmp_path / "f.safetensors"
    save({"w": sample(np.float32, (3, 4)), "meta": {"epoch": 1}}, path)
    blob = path.read_bytes()
    for cut in range(0, len(blob), 7):
        path.write_bytes(blob[:cut])
        with pytest.raises(CheckpointError, match="f.safetensors"):
            load(path)


# -- atomic writes ---------------------------------------------------------------------------

def test_crash_mid_write_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    save({"w": np.ones(1000, np.float32)}, path)
    before = path.read_bytes()
    real = serialization._write_array

    def crash(f, a):
        real(f, a[: a.size // 2])  # half the tensor reaches the disk, then the "power cut"
        raise OSError("disk on fire")

    monkeypatch.setattr(serialization, "_write_array", crash)
    with pytest.raises(OSError, match="disk on fire"):
        save({"w": np.zeros(1000, np.float32)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.safetensors"]
    monkeypatch.setattr(serialization, "_write_array", real)
    np.testing.assert_array_equal(load(path)["w"].data, np.ones(1000))


def test_interrupt_mid_write_cleans_up(tmp_path, monkeypatch):
    def interrupt(f, a):
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization, "_write_array", interrupt)
    with pytest.raises(KeyboardInterrupt):
        save({"w": np.ones(3)}, tmp_path / "new.safetensors")
    assert os.listdir(tmp_path) == []


def test_failed_fsync_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "f.safetensors"
    save({"w": np.ones(2)}, path)
    before = path.read_bytes()

    def fail(fd):
        raise OSError("fsync failed")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError, match="fsync failed"):
        save({"w": np.zeros(2)}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["f.safetensors"]


def test_saved_files_get_ordinary_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        save({"w": np.ones(2)}, tmp_path / "f.safetensors")
    finally:
        os.umask(umask)
    assert os.stat(tmp_path / "f.safetensors").st_mode & 0o777 == 0o644


def test_save_accepts_str_paths_and_overwrites(tmp_path):
    path = str(tmp_path / "f.safetensors")
    save({"w": np.ones(2)}, path)
    save({"w": np.zeros(3)}, path)
    assert load(path)["w"].shape == (3,)


@pytest.mark.skipif(not minidl.cuda.is_available(), reason="needs a GPU")
def test_gpu_tensors_are_saved_and_come_back_on_the_cpu(tmp_path):
    t = minidl.tensor(np.arange(4.0), device="cuda")
    save({"t": t}, tmp_path / "f.safetensors")
    out = load(tmp_path / "f.safetensors")["t"]
    assert out.device == "cpu" and out.tolist() == [0.0, 1.0, 2.0, 3.0]
