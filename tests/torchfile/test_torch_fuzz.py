"""Property test of the crafted-.pth class (issue 24, items 2 and 4): zip members that overlap
or repeat, storages that claim more than the file, views with huge, negative or pointless
strides and shapes with 0- and 1-sized dims. Whatever the file, ``minidl.load`` returns a
state dict whose tensors have the declared shapes or raises CheckpointError -- no other
exception -- and never holds more memory than a small multiple of the file's size."""
import io
import tracemalloc

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minidl
from minidl.serialization import CheckpointError
from torch_files import overlapping_zip, raw_zip, state_dict, tensor

EXTENTS = [0, 1, 2, 3, 7, 2 ** 20, 2 ** 31, 2 ** 40, 2 ** 61, -1]
STRIDES = [0, 1, 2, 3, 4, 2 ** 20, 2 ** 31, 2 ** 61, 2 ** 62 - 1, -1, -3]
NUMELS = [0, 1, 4, 16, 64, 1000, 2 ** 20, 2 ** 40]

views = st.tuples(
    st.integers(0, 2),                                        # which storage
    st.sampled_from([0, 1, 3, 2 ** 20, 2 ** 62 - 1]),          # offset
    st.lists(st.sampled_from(EXTENTS), max_size=4),            # size
    st.lists(st.sampled_from(STRIDES), max_size=4),            # stride
)


@st.composite
def crafted_files(draw):
    layout = draw(st.sampled_from(["separate", "overlapping", "duplicated", "short"]))
    itemsize = {"FloatStorage": 4, "ByteStorage": 1, "DoubleStorage": 8}
    if layout == "overlapping":   # four byte storages sharing one payload, all sizes exact
        payload = draw(st.sampled_from([0, 8, 1 << 18]))
        names = [f"archive/data/{i}" for i in range(4)]
        storages = [payload + sum(30 + len(n) for n in names[i + 1:]) for i in range(4)]
        kinds = ["ByteStorage"] * 4
    else:
        storages = draw(st.lists(st.sampled_from(NUMELS), min_size=1, max_size=3))
        kinds = draw(st.lists(st.sampled_from(sorted(itemsize)), min_size=len(storages),
                              max_size=len(storages)))
        names = [f"archive/data/{i}" for i in range(len(storages))]
    entries = []
    for i, (key, offset, size, stride) in enumerate(draw(st.lists(views, min_size=1,
                                                                  max_size=4))):
        key %= len(storages)
        if draw(st.booleans()):   # strides of the right length (else often refused for that)
            stride = (stride + [1] * len(size))[:len(size)]
        entries.append((f"t{i}", tensor(kinds[key], str(key), storages[key], offset,
                                        tuple(size), tuple(stride))))
    pickled = state_dict(entries)
    if layout == "overlapping":
        return overlapping_zip([("archive/data.pkl", pickled)], names, b"\x01" * payload)
    members = [("archive/data.pkl", pickled)]
    for name, numel, kind in zip(names, storages, kinds):
        n = min(numel * itemsize[kind], 1 << 16)
        n = n if layout != "short" else draw(st.integers(0, max(n - 1, 0)))
        members.append((name, bytes(range(256)) * (n // 256) + bytes(n % 256)))
    if layout == "duplicated":
        members += members[1:]
    return raw_zip(members)


def _warm_up():
    """Import and compile what loading needs, so tracemalloc sees only the load itself."""
    blob = raw_zip([("archive/data.pkl", state_dict([("w", tensor("FloatStorage", "0", 1, 0,
                                                                   (1,), (1,)))])),
                    ("archive/data/0", bytes(4))])
    minidl.load(io.BytesIO(blob))


_warm_up()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(crafted_files())
def test_crafted_files_load_right_or_fail_cleanly_in_bounded_memory(blob):
    tracemalloc.start()
    try:
        try:
            sd = minidl.load(io.BytesIO(blob))
        except CheckpointError as e:
            assert len(str(e)) < 2000
            sd = None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * len(blob) + (256 << 10), (peak, len(blob))
    if sd is not None:
        for value in sd.values():   # views of storages that the file holds
            a = value.numpy()
            assert a.ndim <= 4 and (a.size == 0 or a.size <= len(blob))
