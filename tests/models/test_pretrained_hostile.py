"""Weight files that look right and are not (issue 24, items 5 and 7): a CheckpointError naming
the file and the key, never an IndexError, a reshape's ValueError or a silently zeroed net."""
import numpy as np
import pytest

import minidl
from minidl import models
from minidl.models import pretrained
from minidl.serialization import CheckpointError


def timm_file(tmp_path, **weights):
    """A timm-layout file: `weights` maps a key with dots written as __ to an array."""
    state = {k.replace("__", "."): np.asarray(v, np.float32) for k, v in weights.items()}
    path = tmp_path / "model.safetensors"
    minidl.save(state, str(path))
    return str(path)


@pytest.mark.parametrize("weights", [
    {"head__fc__weight": np.float32(1.0)},                      # 0-d
    {"pre_logits__fc1__weight": np.zeros((0, 3))},               # (0, 3)
    {"pre_logits__fc1__weight": np.zeros(5)},                    # 1-d
])
def test_timm_heads_of_odd_shapes_are_named(tmp_path, weights):
    path = timm_file(tmp_path, **weights)
    with pytest.raises(CheckpointError) as e:
        models.vgg11(weights=path, width=0.125)
    key = next(iter(weights)).replace("__", ".")
    assert path in str(e.value) and key in str(e.value), str(e.value)


def test_from_timm_reshapes_the_convolutional_fc_layers():
    fc1 = np.arange(2 * 3 * 2 * 2, dtype=np.float32).reshape(2, 3, 2, 2)
    out = pretrained.from_timm({"pre_logits.fc1.weight": fc1, "head.fc.bias": np.ones(2)})
    np.testing.assert_array_equal(out["classifier.0.weight"], fc1.reshape(2, 12))
    assert set(out) == {"classifier.0.weight", "classifier.6.bias"}


def test_module_prefix_that_collides_with_a_plain_key_is_refused_by_name(tmp_path):
    path = tmp_path / "dp.safetensors"
    minidl.save({"module.fc.weight": np.ones((2, 2), np.float32),
                 "fc.weight": np.zeros((2, 2), np.float32)}, str(path))
    with pytest.raises(CheckpointError) as e:
        pretrained.read_state_dict(str(path))
    assert "'module.fc.weight'" in str(e.value) and "'fc.weight'" in str(e.value)
    assert str(path) in str(e.value)


def test_module_prefix_alone_is_taken_off(tmp_path):
    path = tmp_path / "dp.safetensors"
    minidl.save({"module.fc.weight": np.ones((2, 2), np.float32),
                 "module.fc.bias": np.ones(2, np.float32)}, str(path))
    assert set(pretrained.read_state_dict(str(path))) == {"fc.weight", "fc.bias"}


def test_a_megabyte_key_is_quoted_short(tmp_path):
    path = tmp_path / "long.safetensors"
    minidl.save({"k" * 3_000_000: np.ones(1, np.float32)}, str(path))
    with pytest.raises(CheckpointError) as e:
        models.vgg11(weights=str(path), width=0.125)
    assert len(str(e.value)) < 2000
