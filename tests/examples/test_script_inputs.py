"""Inputs that used to end the example scripts in a traceback (issue 24, item 10): a negative
--seed, a dataset whose images are all one colour. The scripts' parsers and data detection run
in this process (``common``), as ``test_script_errors_files`` does."""
import os
import sys

import numpy as np
import pytest

from script_helpers import ROOT

sys.path.insert(0, os.path.join(ROOT, "examples"))
import common  # noqa: E402  (examples/common.py)


@pytest.mark.parametrize("seed", ["-1", str(2 ** 64), "x"])
def test_a_seed_out_of_range_is_a_usage_error(seed, capsys):
    parser = common.make_parser("train a net", ["alexnet"], "alexnet", epochs=1, batch_size=8,
                                lr=0.01, patience=1, workers=0)
    with pytest.raises(SystemExit) as e:
        common.parse_args(parser, ["--seed", seed, "--out", "/tmp/unused-by-this-test"])
    assert e.value.code == 2
    assert "--seed" in capsys.readouterr().err


def test_seed_zero_and_large_seeds_parse():
    parser = common.make_parser("train a net", ["alexnet"], "alexnet", epochs=1, batch_size=8,
                                lr=0.01, patience=1, workers=0)
    for seed in (0, 2 ** 63 - 1):
        assert common.parse_args(parser, ["--seed", str(seed), "-e", "--resume",
                                          __file__]).seed == seed


def cifar_of_constant_images(root, value):
    rec = np.zeros((10, 3073), np.uint8)
    rec[:, 0] = np.arange(10)
    rec[:, 1:] = value
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        rec.tofile(root / name)


@pytest.mark.parametrize("value", [0, 128, 255])
def test_a_dataset_of_one_colour_normalises_without_dividing_by_zero(tmp_path, value):
    cifar_of_constant_images(tmp_path, value)
    data = common.find_data(str(tmp_path))
    assert data.std == (1.0, 1.0, 1.0)          # a constant channel: mean subtracted, not scaled
    normalize, to_tensor = common.finish_steps(data)
    x = to_tensor(normalize(np.full((32, 32, 3), value, np.uint8)))
    assert np.all(np.isfinite(x)) and np.abs(x).max() < 1e-6
