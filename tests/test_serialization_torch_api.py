"""minidl.save/load take torch.save/torch.load's forms: file objects, map_location,
weights_only; `minidl.checkpoint` is there after a plain `import minidl`."""
import io

import numpy as np
import pytest

import minidl


def _state():
    minidl.manual_seed(0)
    return {"w": minidl.randn(2, 3), "b": minidl.zeros(3, dtype=minidl.float64),
            "meta": {"lr": 0.1, "milestones": (1, 2)}}


def test_save_to_and_load_from_a_file_object():
    buf = io.BytesIO()
    minidl.save(_state(), buf)
    buf.seek(0)
    out = minidl.load(buf)
    np.testing.assert_array_equal(out["w"].numpy(), _state()["w"].numpy())
    assert out["b"].dtype == minidl.float64 and out["meta"] == {"lr": 0.1, "milestones": (1, 2)}


def test_a_file_object_and_a_path_hold_the_same_bytes(tmp_path):
    buf = io.BytesIO()
    minidl.save(_state(), buf)
    minidl.save(_state(), tmp_path / "s.safetensors")
    assert (tmp_path / "s.safetensors").read_bytes() == buf.getvalue()
    with open(tmp_path / "s.safetensors", "rb") as f:
        assert minidl.load(f)["w"].shape == (2, 3)


def test_map_location_and_weights_only_are_accepted():
    buf = io.BytesIO()
    minidl.save(_state(), buf)
    for kwargs in ({"map_location": "cpu"}, {"map_location": minidl.device("cpu")},
                   {"weights_only": True}, {"weights_only": False}):
        out = minidl.load(io.BytesIO(buf.getvalue()), **kwargs)
        assert out["w"].device == "cpu"
    if not minidl.cuda.is_available():
        with pytest.raises(RuntimeError, match="cuda:0 requested but CuPy"):
            minidl.load(io.BytesIO(buf.getvalue()), map_location="cuda")
    with pytest.raises(ValueError, match="unknown device"):
        minidl.load(io.BytesIO(buf.getvalue()), map_location="tpu")


@pytest.mark.parametrize("data", [b"", b"garbage", b"\x10" + b"\x00" * 7 + b"{}"])
def test_a_corrupt_file_object_is_a_checkpoint_error(data):
    with pytest.raises(minidl.CheckpointError, match="BytesIO"):
        minidl.load(io.BytesIO(data))


def test_checkpoint_module_is_reachable_from_the_package():
    assert minidl.checkpoint.save_checkpoint and minidl.checkpoint.load_checkpoint


def test_a_state_dict_of_another_net_gives_a_short_error_with_the_full_lists():
    from minidl.models import alexnet_small, googlenet_small
    net = googlenet_small()
    with pytest.raises(minidl.nn.StateDictError) as info:
        net.load_state_dict(alexnet_small().state_dict())
    err = info.value
    assert len(str(err)) < 2000 and "more" in str(err)
    assert len(err.missing_keys) == len(net.state_dict()) > 100
    assert err.unexpected_keys and all(k not in net.state_dict() for k in err.unexpected_keys)
