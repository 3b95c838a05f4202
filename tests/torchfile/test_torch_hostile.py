"""Hostile and damaged torch.save files: a CheckpointError every time, never code run, a crash,
a hang or a large allocation."""
import io
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minidl
from minidl import torch_pickle
from minidl.serialization import CheckpointError
from torch_files import (APPEND, BINPERSID, BUILD, EMPTY_DICT, EMPTY_LIST, EMPTY_TUPLE, GLOBAL,
                         MARK, NEWTRUE, PROTO2, REDUCE, SETITEM, STACK_GLOBAL, STOP, TUPLE,
                         integer, ints, legacy_file, ordered_dict, state_dict, tensor, text, tup,
                         zip_file)


def load(blob):
    return minidl.load(io.BytesIO(blob))


def as_zip(pickled, storages=()):
    return zip_file(pickled, storages)


def as_legacy(pickled, storages=()):
    return legacy_file(pickled, {k: (len(v) // 4, v) for k, v in dict(storages).items()})


CONTAINERS = {"zip": as_zip, "legacy": as_legacy}


# -- code that a pickle asks to run ----------------------------------------------------------

def payloads(marker):
    """name the loader must refuse -> a call that makes the real pickle module create `marker`."""
    shell = tup(text(f"touch {marker}"))
    python = tup(text(f"open({str(marker)!r}, 'w').close()"))
    return {
        "os.system": GLOBAL("os", "system") + shell + REDUCE,
        "posix.system": GLOBAL("posix", "system") + shell + REDUCE,
        "builtins.eval": GLOBAL("builtins", "eval") + python + REDUCE,
        "builtins.exec": GLOBAL("builtins", "exec") + python + REDUCE,
        "subprocess.check_call": GLOBAL("subprocess", "check_call")
        + tup(MARK + text("touch") + text(str(marker)) + b"l") + REDUCE,
        "builtins.eval ": STACK_GLOBAL("builtins", "eval") + python + REDUCE,  # protocol 4
        "os.system ": STACK_GLOBAL("os", "system") + shell + REDUCE,
    }


def wrap_in_state_dict(payload):
    return PROTO2 + ordered_dict() + text("w") + payload + SETITEM + STOP


RUN_WITH_PICKLE = textwrap.dedent("""
    import os, pickle, sys
    marker = sys.argv[1]
    for path in sys.argv[2:]:
        pickle.loads(open(path, "rb").read())
        print(os.path.exists(marker))
        if os.path.exists(marker):
            os.remove(marker)
""")


def test_the_payloads_really_run_code_under_the_pickle_module(tmp_path):
    """The test below could fail: Python's own pickle module does run these payloads."""
    marker, paths = tmp_path / "ran", []
    for i, payload in enumerate(payloads(marker).values()):
        paths.append(tmp_path / f"{i}.pkl")
        paths[-1].write_bytes(wrap_in_state_dict(payload))
    run = subprocess.run([sys.executable, "-c", RUN_WITH_PICKLE, str(marker), *map(str, paths)],
                         capture_output=True, text=True, timeout=60)
    assert run.stdout.split() == ["True"] * len(paths), run.stderr[-2000:]


@pytest.mark.parametrize("container", CONTAINERS)
def test_code_calling_pickles_are_refused_and_run_nothing(tmp_path, container):
    marker = tmp_path / "ran"
    for name, payload in payloads(marker).items():
        with pytest.raises(CheckpointError, match=f"refers to {name.strip()}, which a state "
                                                  "dict does not use"):
            load(CONTAINERS[container](wrap_in_state_dict(payload)))
        assert not marker.exists(), name


def test_a_payload_in_a_legacy_header_pickle_is_refused(tmp_path):
    marker = tmp_path / "ran"
    blob = legacy_file(PROTO2 + EMPTY_DICT + STOP)
    start = blob.index(b"\x80\x02", 2)  # the protocol-version pickle
    end = blob.index(STOP, start) + 1
    evil = blob[:start] + PROTO2 + payloads(marker)["os.system"] + STOP + blob[end:]
    with pytest.raises(CheckpointError, match="os.system in a header pickle"):
        load(evil)
    assert not marker.exists()


@pytest.mark.parametrize("module,name", [("torch", "load"), ("torch._utils", "_rebuild_qtensor"),
                                         ("builtins", "getattr"),
                                         ("collections", "OrderedDict.fromkeys"),
                                         ("__builtin__", "set"), ("numpy.core.multiarray",
                                                                  "_reconstruct")])
def test_every_other_name_is_refused_by_name(module, name):
    with pytest.raises(CheckpointError, match=f"refers to {module}.{name}"):
        load(as_zip(wrap_in_state_dict(GLOBAL(module, name) + EMPTY_TUPLE + REDUCE)))


def test_stand_ins_that_are_not_functions_cannot_be_called():
    with pytest.raises(CheckpointError, match="REDUCE calls a StorageType"):
        load(as_zip(wrap_in_state_dict(GLOBAL("torch", "FloatStorage") + EMPTY_TUPLE + REDUCE)))
    with pytest.raises(CheckpointError, match="OrderedDict called with arguments"):
        load(as_zip(wrap_in_state_dict(ordered_dict()[:-2] + tup(integer(1)) + REDUCE)))
    with pytest.raises(CheckpointError, match="BUILD that is not"):
        load(as_zip(wrap_in_state_dict(ordered_dict() + EMPTY_DICT + text("__class__")
                                       + integer(1) + SETITEM + BUILD)))


# -- opcodes and limits ------------------------------------------------------------------------

@pytest.mark.parametrize("op", [b"i", b"o", b"\x81", b"\x92", b"\x82", b"P", b"B", b"\x8b",
                                b"p", b"g", b"0", b"2", b"S", b"I", b"d", b"l", b"\xff"])
def test_opcodes_a_state_dict_does_not_use_are_refused(op):
    with pytest.raises(CheckpointError, match=re.escape(f"opcode {op!r} is not one a state")):
        load(as_zip(PROTO2 + EMPTY_DICT + op + b"0\n" * 4 + STOP))


def test_limits_on_marks_nesting_cycles_and_values(monkeypatch):
    too_many_marks = PROTO2 + MARK * (torch_pickle.MAX_DEPTH + 1) + STOP
    with pytest.raises(CheckpointError, match="MARKs open"):
        load(as_zip(too_many_marks))
    deep = EMPTY_LIST * 70 + APPEND * 69
    with pytest.raises(CheckpointError, match="nested more than 64 deep"):
        load(as_zip(wrap_in_state_dict(deep)))
    cycle = EMPTY_LIST + b"q\x05" + b"h\x05" + APPEND  # a list appended to itself
    with pytest.raises(CheckpointError, match="contains itself"):
        load(as_zip(wrap_in_state_dict(cycle)))
    with pytest.raises(CheckpointError, match="memo entry 9 is read before"):
        load(as_zip(wrap_in_state_dict(b"h\x09")))
    with pytest.raises(CheckpointError, match="GLOBAL name longer"):
        load(as_zip(wrap_in_state_dict(b"c" + b"x" * 300 + b"\nname\n")))
    with pytest.raises(CheckpointError, match="a dict key of type list"):
        load(as_zip(PROTO2 + EMPTY_DICT + EMPTY_LIST + integer(1) + SETITEM + STOP))
    with pytest.raises(CheckpointError, match="STOP with an unfinished stack"):
        load(as_zip(PROTO2 + EMPTY_DICT + EMPTY_DICT + STOP))
    monkeypatch.setattr(torch_pickle, "MAX_VALUES", 1000)
    many = PROTO2 + EMPTY_DICT + text("x") + MARK + NEWTRUE * 2000 + TUPLE + SETITEM + STOP
    with pytest.raises(CheckpointError, match="more than 1000 values"):
        load(as_zip(many))


# -- storages that do not fit ------------------------------------------------------------------

F32 = np.arange(4, dtype="<f4").tobytes()


@pytest.mark.parametrize("container", CONTAINERS)
@pytest.mark.parametrize("numel,offset,size,stride,message", [
    (10 ** 12, 0, (2,), (1,), "need 4000000000000 bytes; the file has"),
    (4, 2, (3,), (1,), "reach element 4; the storage holds 4"),
    (4, 0, (2, 2), (2, 2), "reach element 4"),
    (4, 0, (3,), (0,), "overlaps itself"),
    (4, 0, (2, 2), (1, 1), "overlaps itself"),
    (4, 5, (0,), (1,), "offset 5 past the storage's end"),
])
def test_views_that_do_not_fit_their_storage_are_refused(container, numel, offset, size, stride,
                                                         message):
    legacy = container == "legacy"
    p = state_dict([("w", tensor("FloatStorage", "0", numel, offset, size, stride, legacy))])
    blob = (legacy_file(p, {"0": (numel, F32)}) if legacy else zip_file(p, {"0": F32}))
    with pytest.raises(CheckpointError, match=message):
        load(blob)


def test_storages_whose_bytes_differ_from_the_pickle_are_refused():
    p = state_dict([("w", tensor("FloatStorage", "0", 4, 0, (4,), (1,)))])
    with pytest.raises(CheckpointError, match="storage '0' should hold 4 elements"):
        load(zip_file(p, {"0": F32 + b"\0" * 4}))
    with pytest.raises(CheckpointError, match="has no 'archive/data/0'"):
        load(zip_file(p))
    pl = state_dict([("w", tensor("FloatStorage", "0", 4, 0, (4,), (1,), legacy=True))])
    with pytest.raises(CheckpointError, match="3 elements in the data, 4 in the pickle"):
        load(legacy_file(pl, {"0": (3, F32[:12])}))
    with pytest.raises(CheckpointError, match="key list does not match"):
        load(legacy_file(pl, {"0": (4, F32)}, keys=["0", "1"]))
    with pytest.raises(CheckpointError, match="4 bytes after the last storage"):
        load(legacy_file(pl, {"0": (4, F32)}) + b"\0" * 4)
    two_kinds = state_dict([("a", tensor("FloatStorage", "0", 4, 0, (4,), (1,))),
                            ("b", tensor("IntStorage", "0", 4, 0, (4,), (1,)))])
    with pytest.raises(CheckpointError, match="two types or sizes"):
        load(zip_file(two_kinds, {"0": F32}))
    grad_int = tensor("LongStorage", "0", 2, 0, (2,), (1,)).replace(b"\x89", NEWTRUE)
    with pytest.raises(CheckpointError, match="requires_grad on an integer tensor"):
        load(zip_file(state_dict([("w", grad_int)]), {"0": F32}))
    not_storage = text("w") + GLOBAL("torch._utils", "_rebuild_tensor_v2") + tup(
        tup(text("storage"), integer(1)) + BINPERSID) + REDUCE
    with pytest.raises(CheckpointError, match="persistent id that is not a storage"):
        load(zip_file(PROTO2 + EMPTY_DICT + not_storage + SETITEM + STOP))


# -- every truncation, random mutations (hypothesis), and a memory-capped run -----------------

def valid_files():
    """Small valid files in both formats: hand-made, and torch's when torch is installed."""
    p = state_dict([("w", tensor("FloatStorage", "0", 4, 1, (3,), (1,))),
                    ("m", tensor("BoolStorage", "1", 2, 0, (2,), (1,)))])
    pl = state_dict([("w", tensor("FloatStorage", "0", 4, 1, (3,), (1,), legacy=True)),
                     ("m", tensor("BoolStorage", "1", 2, 0, (2,), (1,), legacy=True))])
    files = {"zip": zip_file(p, {"0": F32, "1": b"\1\0"}),
             "legacy": legacy_file(pl, {"0": (4, F32), "1": (2, b"\1\0")})}
    try:
        import torch
    except ImportError:
        return files
    from torch_files import torch_bytes
    sd = {"w": torch.arange(6.0).view(2, 3)[:, 1:], "n": torch.tensor(3), "h": torch.ones(2).half()}
    files["torch-zip"] = torch_bytes(sd)
    files["torch-legacy"] = torch_bytes(sd, legacy=True)
    return files


FILES = valid_files()
REFERENCE = {name: load(blob) for name, blob in FILES.items()}


def same(a, b):
    return list(a) == list(b) and all(
        x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x.data, y.data)
        for x, y in zip(a.values(), b.values()))


@pytest.mark.parametrize("name", FILES)
def test_every_truncation_is_refused(name):
    blob = FILES[name]
    for n in range(len(blob)):
        with pytest.raises(CheckpointError):
            load(blob[:n])


@st.composite
def mutations(draw):
    name = draw(st.sampled_from(sorted(FILES)))
    blob = bytearray(FILES[name])
    for _ in range(draw(st.integers(1, 4))):
        blob[draw(st.integers(0, len(blob) - 1))] = draw(
            st.one_of(st.integers(0, 255), st.sampled_from([0, 1, 0x7F, 0x80, 0xFF])))
    return name, bytes(blob)


def check_mutation(case):
    name, blob = case
    try:
        out = load(blob)
    except CheckpointError:
        return
    if "zip" in name:  # every byte a zip reader uses is under a CRC: the same, or refused
        assert same(out, REFERENCE[name]) or blob == FILES[name]
    else:  # a legacy file has no checksum: a changed byte may change a value, never more
        assert isinstance(out, dict)
        assert all(isinstance(t, minidl.Tensor) and t.data.nbytes <= 2 * len(blob)
                   for t in out.values())


@settings(max_examples=300, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(mutations())
def test_mutated_files_load_the_same_or_are_refused(case):
    check_mutation(case)


@pytest.mark.slow
@settings(max_examples=3_000, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(mutations())
def test_mutated_files_load_the_same_or_are_refused_many(case):
    check_mutation(case)


CAPPED = textwrap.dedent("""
    import io, random, resource, sys
    import minidl
    from minidl.serialization import CheckpointError
    vm = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (vm + (256 << 20), resource.RLIM_INFINITY))
    rng = random.Random(0)
    for path in sys.argv[1:]:
        blob = open(path, "rb").read()
        for trial in range(150):
            b = bytearray(blob)
            for _ in range(rng.randint(1, 8)):
                i = rng.randrange(len(b))
                b[i:i + 4] = bytes(rng.choice([0, 0x7F, 0xFF, rng.randrange(256)])
                                   for _ in range(rng.choice([1, 4])))[:len(b) - i]
            try:
                minidl.load(io.BytesIO(bytes(b)))
            except CheckpointError:
                pass
    print("ok")
""")


def test_mutations_stay_within_a_256_mb_address_space_cap(tmp_path):
    """A mutated size field must be refused before allocating: the child has 256 MB to spare."""
    paths = []
    for name, blob in FILES.items():
        paths.append(tmp_path / f"{name}.pth")
        paths[-1].write_bytes(blob)
    run = subprocess.run([sys.executable, "-c", CAPPED, *map(str, paths)], capture_output=True,
                         text=True, env=os.environ.copy(), timeout=300)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-3000:]
