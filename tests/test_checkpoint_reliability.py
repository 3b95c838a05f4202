"""Checkpoints that are damaged or do not fit: a ``CheckpointError`` naming the file, and every
object and generator left exactly as it was (and a property test over damaged files).

``snapshot`` takes everything a load may change -- every parameter, the optimizer's groups and
buffers, the scheduler's state, three generators -- so "untouched" is checked, not assumed.
"""
import io
import json
import math
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import minidl
from minidl import nn, serialization
from minidl.checkpoint import load_checkpoint, save_checkpoint
from minidl.optim import SGD
from minidl.optim.lr_scheduler import LambdaLR, MultiStepLR
from minidl.serialization import CheckpointError, load, save


class Decay:
    """A callable lr_lambda with state: LambdaLR saves its ``__dict__``."""

    def __init__(self, base):
        self.base = base

    def __call__(self, epoch):
        return self.base ** epoch


def make_run(seed, scheduler="multistep"):
    """A model with its own dropout generator, SGD with momentum buffers, a scheduler, and a
    NumPy generator, all in a state that depends on `seed`."""
    minidl.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(),
                          nn.Dropout(0.3, generator=minidl.Generator(seed + 100)),
                          nn.Linear(6, 3))
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    sched = (LambdaLR(opt, Decay(0.5 + seed / 100)) if scheduler == "lambda"
             else MultiStepLR(opt, milestones=[1, 2], gamma=0.5))
    data = np.random.default_rng(seed)
    for _ in range(2):
        x = minidl.tensor(data.normal(size=(5, 4)).astype(np.float32))
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
        opt.step()
        sched.step()
    return model, opt, sched, data


def rng_of(model, data):
    return {"default_generator": minidl.default_generator, "module:2": model[2].generator,
            "data": data}


def snapshot(model, opt, sched, data):
    groups = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    buffers = [{k: v.data.copy() for k, v in opt.state[p].items()} for p in model.parameters()]
    gens = {name: (g.get_state() if isinstance(g, minidl.Generator) else g.bit_generator.state)
            for name, g in rng_of(model, data).items()}
    sched_state = sched.state_dict()
    return ({k: v.data.copy() for k, v in model.state_dict().items()}, json.dumps(groups),
            buffers, json.dumps(sched_state, default=lambda o: o.__dict__), json.dumps(gens))


def assert_same(a, b):
    (wa, ga, ba, sa, ra), (wb, gb, bb, sb, rb) = a, b
    assert wa.keys() == wb.keys()
    for k in wa:
        np.testing.assert_array_equal(wa[k], wb[k])
    assert ga == gb and sa == sb and ra == rb
    assert len(ba) == len(bb)
    for x, y in zip(ba, bb):
        assert x.keys() == y.keys()
        for k in x:
            np.testing.assert_array_equal(x[k], y[k])


def checkpoint_parts(seed=1, scheduler="multistep"):
    model, opt, sched, data = make_run(seed, scheduler)
    return dict(model=model.state_dict(), optimizer=opt.state_dict(),
                scheduler=sched.state_dict(), epoch=2, metrics={"acc": 0.5},
                rng={name: (g.get_state() if isinstance(g, minidl.Generator)
                            else g.bit_generator.state)
                     for name, g in rng_of(model, data).items()})


def break_rng(name, change):
    def damage(parts):
        state = parts["rng"][name]
        change(state["bit_generator"] if name != "data" else state)
    return damage


# each: (scheduler kind, how to damage one part, what the error says)
BAD_PARTS = {
    "default generator, bad inner state": (
        "multistep", break_rng("default_generator", lambda s: s.update(state={"state": "x"})),
        "generator 'default_generator'"),
    "default generator, negative seed": (
        "multistep", lambda p: p["rng"]["default_generator"].update(seed=-3),
        "generator 'default_generator'"),
    "module generator, missing field": (
        "multistep", break_rng("module:2", lambda s: s.pop("state")), "generator 'module:2'"),
    "numpy generator, out-of-range state": (
        "multistep", break_rng("data", lambda s: s["state"].update(inc=-1)), "generator 'data'"),
    "lr_lambdas not a list of dicts": (
        "lambda", lambda p: p["scheduler"].update(lr_lambdas=[5]), "lr_lambdas"),
    "lr_lambdas of the wrong length": (
        "lambda", lambda p: p["scheduler"].update(lr_lambdas=[{"base": 0.5}] * 2), "lr_lambdas"),
    "scheduler rate not a number": (
        "multistep", lambda p: p["scheduler"].update(base_lrs=["fast"]), "base_lrs"),
    "optimizer lr a string": (
        "multistep", lambda p: p["optimizer"]["param_groups"][0].update(lr="fast"), "'lr'"),
    "optimizer lr NaN": (
        "multistep", lambda p: p["optimizer"]["param_groups"][0].update(lr=math.nan), "'lr'"),
    "optimizer momentum negative": (
        "multistep", lambda p: p["optimizer"]["param_groups"][0].update(momentum=-0.9),
        "'momentum'"),
    "misspelled momentum_buffer": (
        "multistep", lambda p: p["optimizer"]["state"].update(
            {0: {"momentum_bufer": p["optimizer"]["state"][0]["momentum_buffer"]}}),
        "momentum_bufer"),
    "momentum buffer a string": (
        "multistep", lambda p: p["optimizer"]["state"].update({1: {"momentum_buffer": "zeros"}}),
        "momentum_buffer"),
    "negative epoch": ("multistep", lambda p: p.update(epoch=-1), "epoch"),
    "metrics not a dict": ("multistep", lambda p: p.update(metrics=[1, 2]), "metrics"),
}


@pytest.mark.parametrize("case", BAD_PARTS, ids=list(BAD_PARTS))
def test_a_bad_part_changes_nothing(tmp_path, case):
    kind, damage, message = BAD_PARTS[case]
    parts = checkpoint_parts(seed=1, scheduler=kind)
    damage(parts)
    path = tmp_path / "bad.safetensors"
    save_checkpoint(path, **parts)
    target = make_run(seed=2, scheduler=kind)
    before = snapshot(*target)
    model, opt, sched, data = target
    with pytest.raises(CheckpointError, match=message) as info:
        load_checkpoint(path, model=model, optimizer=opt, scheduler=sched,
                        rng=rng_of(model, data))
    assert str(path) in str(info.value)
    assert_same(snapshot(*target), before)


def test_the_undamaged_checkpoint_loads_everything(tmp_path):
    """The control for the test above: the same parts, undamaged, do load."""
    for kind in ("multistep", "lambda"):
        source = make_run(seed=1, scheduler=kind)
        path = tmp_path / f"{kind}.safetensors"
        save_checkpoint(path, source[0], source[1], source[2], epoch=2,
                        rng=rng_of(source[0], source[3]))
        expected = snapshot(*source)
        target = make_run(seed=2, scheduler=kind)
        model, opt, sched, data = target
        load_checkpoint(path, model=model, optimizer=opt, scheduler=sched,
                        rng=rng_of(model, data))
        assert_same(snapshot(*target), expected)


def test_optimizer_and_scheduler_refuse_bad_values_directly():
    """The same checks in ``load_state_dict`` itself (not only through a checkpoint)."""
    model, opt, sched, _ = make_run(1)
    before = snapshot(*make_run(1))
    for change in (dict(lr="fast"), dict(lr=math.nan), dict(lr=-1.0), dict(nesterov="yes"),
                   dict(weight_decay=math.inf)):
        state = opt.state_dict()
        state["param_groups"] = [dict(state["param_groups"][0], **change)]
        with pytest.raises(ValueError, match=list(change)[0]):
            opt.load_state_dict(state)
    state = opt.state_dict()
    state["state"] = {0: {"momentum_bufer": state["state"][0]["momentum_buffer"]}}
    with pytest.raises(ValueError, match="momentum_bufer"):
        opt.load_state_dict(state)
    for change in (dict(base_lrs=[math.nan]), dict(last_epoch="3"), dict(gamma=None),
                   dict(milestones=[1.5])):
        with pytest.raises(ValueError, match=list(change)[0]):
            sched.load_state_dict(dict(sched.state_dict(), **change))
    assert_same(snapshot(model, opt, sched, make_run(1)[3]), before)
    # a key of the user's own in a group still loads, as in PyTorch
    state = opt.state_dict()
    state["param_groups"][0]["name"] = "backbone"
    opt.load_state_dict(state)
    assert opt.param_groups[0]["name"] == "backbone"


# -- checksums (item 7) --------------------------------------------------------------------

def header_and_data(blob):
    (n,) = struct.unpack("<Q", blob[:8])
    return n, json.loads(blob[8:8 + n])


def test_a_flipped_data_byte_is_caught(tmp_path):
    path = tmp_path / "w.safetensors"
    save({"w": np.arange(64, dtype=np.float32)}, path)
    blob = bytearray(path.read_bytes())
    n, _ = header_and_data(bytes(blob))
    for where in (8 + n, 8 + n + 100, len(blob) - 1):   # first, middle and last data byte
        damaged = bytearray(blob)
        damaged[where] ^= 0x01
        path.write_bytes(bytes(damaged))
        with pytest.raises(CheckpointError, match=r"w\.safetensors.*checksum"):
            load(path)


def test_a_header_change_that_still_parses_is_caught(tmp_path):
    """A learning rate momentum 0.9 -> 0.7 inside the structure JSON: valid JSON, valid safetensors,
    and without the header checksum a different optimizer."""
    model, opt, sched, _ = make_run(1)
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, model, opt, sched, epoch=1)
    blob = path.read_bytes()
    assert blob.count(b'\\"momentum\\":0.9,') >= 1
    path.write_bytes(blob.replace(b'\\"momentum\\":0.9,', b'\\"momentum\\":0.7,', 1))
    with pytest.raises(CheckpointError, match="header does not match its checksum"):
        load(path)


def test_files_without_checksums_still_load(tmp_path):
    """A file from another tool (here: the safetensors package) has no minidl checksum."""
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    path = tmp_path / "other.safetensors"
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    safetensors_numpy.save_file({"w": w}, str(path), metadata={"who": "them"})
    np.testing.assert_array_equal(load(path)["w"].data, w)
    # and minidl's own files read back in that package (the checksums are plain metadata)
    save({"w": w}, tmp_path / "mine.safetensors", metadata={"k": "v"})
    np.testing.assert_array_equal(safetensors_numpy.load_file(str(tmp_path / "mine.safetensors"))
                                  ["w"], w)
    assert serialization.load_metadata(tmp_path / "mine.safetensors") == {"k": "v"}


def test_minidl_checksum_keys_are_reserved(tmp_path):
    with pytest.raises(ValueError, match="minidl's own"):
        save({"w": np.ones(2)}, tmp_path / "x.safetensors",
             metadata={serialization.DATA_CRC_KEY: "0"})


# -- errors that were not CheckpointErrors (item 9) ----------------------------------------

def raw_file(path, header, data=b""):
    head = json.dumps(header).encode() if isinstance(header, dict) else header
    path.write_bytes(struct.pack("<Q", len(head)) + head + data)


@pytest.mark.parametrize("case", ["nested header", "nested structure", "huge zero shape",
                                  "65 dims", "structure a list"])
def test_hostile_headers_are_checkpoint_errors(tmp_path, case):
    path = tmp_path / "hostile.safetensors"
    deep = "[" * 100_000 + "]" * 100_000
    if case == "nested header":
        raw_file(path, ('{"a": ' + deep + "}").encode())
    elif case == "nested structure":
        raw_file(path, {"__metadata__": {serialization.STRUCTURE_KEY: deep}})
    elif case == "huge zero shape":
        raw_file(path, {"a": {"dtype": "F32", "shape": [0, 10 ** 30], "data_offsets": [0, 0]}})
    elif case == "65 dims":
        raw_file(path, {"a": {"dtype": "F32", "shape": [1] * 65, "data_offsets": [0, 4]}},
                 bytes(4))
    else:
        raw_file(path, {"__metadata__": {serialization.STRUCTURE_KEY: "[1, 2]"}})
    with pytest.raises(CheckpointError) as info:
        load(path)
    assert str(path) in str(info.value)
    assert len(str(info.value)) < 400


def test_64_dims_and_empty_shapes_still_load(tmp_path):
    path = tmp_path / "ok.safetensors"
    save({"a": np.zeros((1,) * 64, np.float32), "b": np.zeros((0, 7), np.int8)}, path)
    out = load(path)
    assert out["a"].shape == (1,) * 64 and out["b"].shape == (0, 7)


# -- the property: damage anywhere is an error or nothing, and never a half-load -----------

def _state_dict_file():
    minidl.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    buf = io.BytesIO()
    save(model.state_dict(), buf)
    return buf.getvalue()


def _checkpoint_file():
    model, opt, sched, data = make_run(1)
    buf = io.BytesIO()
    save_checkpoint(buf, model, opt, sched, epoch=2, metrics={"acc": 0.5},
                    rng=rng_of(model, data))
    return buf.getvalue(), snapshot(model, opt, sched, data)


STATE_DICT, (CHECKPOINT, CHECKPOINT_SNAPSHOT) = _state_dict_file(), _checkpoint_file()


@st.composite
def damage(draw, blob):
    """One damaged span: bytes overwritten (a burst of up to 4 bytes, within CRC-32's sure
    reach), a cut, a deletion, or an insertion -- anywhere, the header included."""
    kind = draw(st.sampled_from(["overwrite", "truncate", "delete", "insert"]))
    if kind == "truncate":
        return blob[:draw(st.integers(0, len(blob) - 1))]
    at = draw(st.integers(0, len(blob) - 1))
    if kind == "overwrite":
        new = draw(st.binary(min_size=1, max_size=min(4, len(blob) - at)))
        return blob[:at] + new + blob[at + len(new):]
    if kind == "delete":
        return blob[:at] + blob[at + draw(st.integers(1, 16)):]
    return blob[:at] + draw(st.binary(min_size=1, max_size=16)) + blob[at:]


def same_load(a, b):
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same_load(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same_load, a, b))
    if isinstance(a, minidl.Tensor):
        return (isinstance(b, minidl.Tensor) and a.dtype == b.dtype and a.shape == b.shape
                and a.numpy().tobytes() == b.numpy().tobytes())
    return type(a) is type(b) and (a == b or a != a and b != b)


def check_state_dict_damage(blob):
    try:
        out = load(io.BytesIO(blob))
    except CheckpointError:
        return
    assert same_load(out, load(io.BytesIO(STATE_DICT))), "damage loaded as other weights"


def check_checkpoint_damage(blob, must_be_identical=True):
    target = make_run(seed=2)
    before = snapshot(*target)
    model, opt, sched, data = target
    try:
        load_checkpoint(io.BytesIO(blob), model=model, optimizer=opt, scheduler=sched,
                        rng=rng_of(model, data))
    except CheckpointError:
        assert_same(snapshot(*target), before)   # untouched on error
        return
    if must_be_identical:
        assert_same(snapshot(*target), CHECKPOINT_SNAPSHOT)


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
THOROUGH = settings(max_examples=3000, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.data())
def test_damaged_state_dicts_fail_or_load_identically(data):
    check_state_dict_damage(data.draw(damage(STATE_DICT)))


@FAST
@given(st.data())
def test_damaged_checkpoints_fail_or_load_identically(data):
    check_checkpoint_damage(data.draw(damage(CHECKPOINT)))


def strip_checksums(blob):
    """The same file as an older minidl (or another tool) would have written it."""
    n, header = header_and_data(blob)
    for key in (serialization.HEADER_CRC_KEY, serialization.DATA_CRC_KEY):
        header["__metadata__"].pop(key)
    head = json.dumps(header).encode()
    head += b" " * (-len(head) % 8)
    return struct.pack("<Q", len(head)) + head + blob[8 + n:]


UNCHECKED = strip_checksums(CHECKPOINT)


@FAST
@given(st.data())
def test_damaged_checkpoints_without_checksums_never_half_load(data):
    """Without checksums a damaged value may load (a weight is just other bytes), but the
    validation still holds: a CheckpointError with everything untouched, or a whole load --
    never another exception, never a half-load."""
    check_checkpoint_damage(data.draw(damage(UNCHECKED)), must_be_identical=False)


@pytest.mark.slow
@THOROUGH
@given(st.data())
def test_damaged_files_thoroughly(data):
    which = data.draw(st.sampled_from(["state dict", "checkpoint", "unchecked"]))
    if which == "state dict":
        check_state_dict_damage(data.draw(damage(STATE_DICT)))
    else:
        blob = CHECKPOINT if which == "checkpoint" else UNCHECKED
        check_checkpoint_damage(data.draw(damage(blob)), must_be_identical=which == "checkpoint")
