"""Crafted torch.save files that ask for more than they hold: overlapping zip members, storages
whose total exceeds the file, views NumPy cannot describe. Each is refused (or read right)
before any large allocation, with a CheckpointError naming the file."""
import io
import tracemalloc

import numpy as np
import pytest

import minidl
from minidl.serialization import CheckpointError
from torch_files import (legacy_file, overlapping_zip, raw_zip, state_dict, tensor,
                         text, zip_file)

NESTED = [f"archive/data/{i}" for i in range(4)]


def byte_storages(sizes):
    """A state dict pickle of one uint8 tensor per storage ``i`` of ``sizes[i]`` bytes."""
    return state_dict([(f"t{i}", tensor("ByteStorage", str(i), n, 0, (n,), (1,)))
                       for i, n in enumerate(sizes)])


def overlapping(payload_size):
    """Four storages, each one zip member, all four overlapping on one payload."""
    sizes = [payload_size + sum(30 + len(n) for n in NESTED[i + 1:]) for i in range(len(NESTED))]
    pickled = byte_storages(sizes)
    return overlapping_zip([("archive/data.pkl", pickled)], NESTED, b"\x07" * payload_size)


def peak_bytes(fn):
    """The most memory Python and NumPy held at once while `fn` ran (tracemalloc)."""
    tracemalloc.start()
    try:
        fn()
    except CheckpointError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_overlapping_members_are_refused_before_allocating():
    blob = overlapping(1 << 20)
    with pytest.raises(CheckpointError, match="overlap"):
        minidl.load(io.BytesIO(blob))
    assert peak_bytes(lambda: minidl.load(io.BytesIO(blob))) < 2 * len(blob)


def test_storages_may_not_total_more_than_the_file():
    # the same bytes claimed by two storages: each fits in the file, their sum does not
    blob = overlapping(1000)
    with pytest.raises(CheckpointError) as e:
        minidl.load(io.BytesIO(blob))
    assert "<BytesIO>" in str(e.value)


def test_a_plain_zip_with_separate_members_still_loads():
    pickled = byte_storages([3, 5])
    blob = raw_zip([("archive/data.pkl", pickled), ("archive/data/0", b"abc"),
                    ("archive/data/1", b"defgh")])
    sd = minidl.load(io.BytesIO(blob))
    assert bytes(sd["t0"].numpy()) == b"abc" and bytes(sd["t1"].numpy()) == b"defgh"


@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("size", [(0, 2 ** 40, 2 ** 40), (0, 2 ** 61), (2 ** 31, 0, 2 ** 31)])
def test_empty_shapes_numpy_cannot_describe_are_a_checkpoint_error(size, legacy):
    blob = file_with(size, (1,) * len(size), legacy)
    with pytest.raises(CheckpointError, match="too large"):
        minidl.load(io.BytesIO(blob))


@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("size, stride", [((0, 3), (2 ** 61, 1)), ((1, 3), (2 ** 61, 1)),
                                          ((3, 1), (1, 2 ** 61 - 1)), ((0,), (2 ** 61,)),
                                          ((1, 1, 3), (2 ** 60, 2 ** 61, 1))])
def test_huge_strides_on_dims_that_never_step_load_as_pytorch_does(size, stride, legacy):
    sd = minidl.load(io.BytesIO(file_with(size, stride, legacy)))
    expected = np.arange(6, dtype=np.float32)[:int(np.prod(size))].reshape(size)
    np.testing.assert_array_equal(sd["w"].numpy(), expected)
    assert sd["w"].shape == size


def file_with(size, stride, legacy):
    p = state_dict([("w", tensor("FloatStorage", "0", 6, 0, size, stride, legacy=legacy))])
    data = np.arange(6, dtype="<f4").tobytes()
    return legacy_file(p, {"0": (6, data)}) if legacy else zip_file(p, {"0": data})


def test_an_empty_zip_says_so():
    blob = raw_zip([])
    with pytest.raises(CheckpointError, match="empty zip") as e:
        minidl.load(io.BytesIO(blob))
    assert "101010256" not in str(e.value)


def test_a_legacy_key_list_that_differs_names_the_keys():
    p = state_dict([("w", tensor("FloatStorage", "0", 1, 0, (1,), (1,), legacy=True))])
    blob = legacy_file(p, {"0": (1, b"\0" * 4)}, keys=["zzz"])
    with pytest.raises(CheckpointError) as e:
        minidl.load(io.BytesIO(blob))
    assert "(1 vs 1)" not in str(e.value) and "'zzz'" in str(e.value) and "'0'" in str(e.value)


@pytest.mark.parametrize("legacy", [False, True])
def test_a_megabyte_key_is_quoted_short(legacy):
    key = "k" * 3_000_000
    p = state_dict([("w", tensor("FloatStorage", key, 1, 0, (1,), (1,), legacy=legacy))])
    blob = (legacy_file(p, {key: (2, b"\0" * 8)}) if legacy
            else zip_file(p, {}))   # no member of that name (zip names stop at 64 KiB)
    with pytest.raises(CheckpointError) as e:
        minidl.load(io.BytesIO(blob))
    assert len(str(e.value)) < 1000, len(str(e.value))


def test_a_bit_flip_in_legacy_data_loads_as_in_pytorch_and_the_docs_say_so():
    """Legacy files have no checksum: minidl, like PyTorch, loads a flipped bit silently (a
    zip file's CRC catches it). The reader's documentation must say so."""
    import minidl.torch_format as tf
    p = state_dict([("w", tensor("FloatStorage", "0", 4, 0, (4,), (1,), legacy=True))])
    data = bytearray(np.arange(4, dtype="<f4").tobytes())
    data[5] ^= 0x10
    blob = legacy_file(p, {"0": (4, bytes(data))})
    flipped = minidl.load(io.BytesIO(blob))["w"].numpy()
    assert flipped[1] != 1.0 and np.array_equal(flipped[[0, 2, 3]], [0, 2, 3])
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(torch.load(io.BytesIO(blob), weights_only=True)["w"].numpy(),
                                  flipped)
    doc = " ".join(tf.__doc__.split())
    assert "legacy file carries none" in doc and "load silently" in doc
    zipped = bytearray(zip_file(state_dict([("w", tensor("FloatStorage", "0", 4, 0, (4,),
                                                          (1,)))]),
                                {"0": np.arange(4, dtype="<f4").tobytes()}))
    at = bytes(zipped).index(np.arange(4, dtype="<f4").tobytes())
    zipped[at + 5] ^= 0x10
    with pytest.raises(CheckpointError):
        minidl.load(io.BytesIO(bytes(zipped)))


def test_a_megabyte_global_name_is_quoted_short():
    from torch_files import PROTO2, SETITEM, STACK_GLOBAL, STOP, ordered_dict
    p = PROTO2 + ordered_dict() + text("w") + STACK_GLOBAL("os", "x" * 3_000_000) + SETITEM + STOP
    with pytest.raises(CheckpointError) as e:
        minidl.load(io.BytesIO(zip_file(p)))
    assert len(str(e.value)) < 1000
