"""What a damaged or odd checkpoint says (issue 24, items 11 and 12): the exception a caller
catches (CheckpointError naming the file), messages of bounded length whatever the file holds,
the file a save could not write named as the user gave it, and dtypes cast as PyTorch casts."""
import io
import json
import os

import numpy as np
import pytest

from minidl import nn
from minidl.checkpoint import check_model_state
from minidl.serialization import CheckpointError, load, save


def safetensors_bytes(header, data=b""):
    head = json.dumps(header).encode()
    return len(head).to_bytes(8, "little") + head + data


@pytest.mark.parametrize("dtype", [["F32"], {"F32": 1}, 3, None])
def test_a_dtype_that_is_not_a_string_is_a_checkpoint_error_naming_the_file(tmp_path, dtype):
    path = tmp_path / "odd.safetensors"
    path.write_bytes(safetensors_bytes({"w": {"dtype": dtype, "shape": [1],
                                              "data_offsets": [0, 4]}}, b"\0" * 4))
    with pytest.raises(CheckpointError, match="odd.safetensors"):
        load(str(path))


def test_a_megabyte_tensor_name_is_quoted_short():
    name = "n" * 3_000_000
    blob = safetensors_bytes({name: {"dtype": "F99", "shape": [1], "data_offsets": [0, 4]}},
                             b"\0" * 4)
    with pytest.raises(CheckpointError) as e:
        load(io.BytesIO(blob))
    assert len(str(e.value)) < 1000


def test_saving_onto_a_folder_names_the_folder_not_a_temporary_file(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(IsADirectoryError) as e:
        save({"w": np.ones(2, np.float32)}, str(tmp_path / "out"))
    assert ".tmp" not in str(e.value) and e.value.filename == str(tmp_path / "out")
    assert os.listdir(tmp_path) == ["out"] and os.listdir(tmp_path / "out") == []


def test_check_model_state_lets_dtypes_differ_and_load_casts_as_pytorch_does():
    torch = pytest.importorskip("torch")
    state = {"weight": np.linspace(-1, 1, 6).reshape(2, 3) + 1e-9, "bias": np.arange(2)}
    model = nn.Linear(3, 2)
    check_model_state(model, state, "x")   # float64 and int64 into float32: no complaint
    model.load_state_dict(state)
    reference = torch.nn.Linear(3, 2)
    reference.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    for k, v in reference.state_dict().items():
        got = model.state_dict()[k].numpy()
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, v.numpy())
    assert "cast" in check_model_state.__doc__ and "dtypes" not in check_model_state.__doc__.split(
        "\n")[0]


def test_check_model_state_quotes_megabyte_keys_short():
    state = {"k" * 3_000_000: np.ones(1, np.float32)}
    with pytest.raises(CheckpointError) as e:
        check_model_state(nn.Linear(1, 1), state, "f.safetensors")
    assert len(str(e.value)) < 2000
