"""The JSON-lines log, the curves and filter-grid PNGs, and the plain progress bar."""
import json

import numpy as np
import pytest

from minidl.train.log import JsonLinesLog, read_log
from minidl.train.plot import filter_grid, plot_curves, save_filter_grid
from minidl.train.progress import PlainBar

PNG = b"\x89PNG\r\n\x1a\n"


def test_log_one_json_object_per_line(tmp_path):
    log = JsonLinesLog(tmp_path / "sub" / "log.jsonl")
    log.write({"event": "epoch", "epoch": 1, "val_loss": 0.5})
    log.write({"event": "iteration", "epoch": 2, "iteration": 10, "loss": float("nan")})
    lines = (tmp_path / "sub" / "log.jsonl").read_text().splitlines()
    assert [json.loads(s)["epoch"] for s in lines] == [1, 2]
    assert json.loads(lines[1])["loss"] is None            # NaN is not JSON: written as null
    assert read_log(log.path, event="epoch") == [{"event": "epoch", "epoch": 1, "val_loss": 0.5}]


def test_log_truncate_after_and_torn_line(tmp_path):
    log = JsonLinesLog(tmp_path / "log.jsonl")
    for e in (1, 2, 3):
        log.write({"event": "epoch", "epoch": e})
    with open(log.path, "a") as f:
        f.write('{"event": "iteration", "ep')                 # a run killed mid-write
    assert [r["epoch"] for r in read_log(log.path)] == [1, 2, 3]
    log.truncate_after(2)
    assert [r["epoch"] for r in read_log(log.path)] == [1, 2]


def test_plot_curves_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    history = [{"epoch": e, "lr": 0.01 if e < 3 else 0.001, "train_loss": 1 / e, "train_acc1": 50 + e,
                "val_loss": 1.2 / e, "val_acc1": 48 + e, "val_acc5": 90 + e} for e in (1, 2, 3)]
    plot_curves(history, tmp_path / "curves.png", title="test")
    assert (tmp_path / "curves.png").read_bytes()[:8] == PNG
    plot_curves(history[:1], tmp_path / "one.png")              # a single epoch still plots
    assert (tmp_path / "one.png").read_bytes()[:8] == PNG


def test_filter_grid_layout():
    w = np.arange(5 * 3 * 2 * 2, dtype=np.float32).reshape(5, 3, 2, 2)
    grid = filter_grid(w, ncols=3, pad=1)
    assert grid.shape == (2 * 3 + 1, 3 * 3 + 1, 3)             # 2 rows x 3 columns of 2x2 tiles
    assert grid.min() == 0.0 and grid.max() == 1.0
    tile = grid[1:3, 1:3]                                        # filter 0, each stretched to 0..1
    assert tile.min() == 0.0 and tile.max() == 1.0
    assert np.all(grid[4:6, 7:9] == 1.0)                         # the 6th cell is empty (white)
    gray = filter_grid(np.random.default_rng(0).standard_normal((4, 1, 3, 3)))
    assert np.allclose(gray[..., 0], gray[..., 1])               # one channel: grey


def test_save_filter_grid_png(tmp_path):
    pytest.importorskip("matplotlib")
    save_filter_grid(np.random.default_rng(0).standard_normal((96, 3, 11, 11)), tmp_path / "f.png",
                     title="conv1")
    assert (tmp_path / "f.png").read_bytes()[:8] == PNG


def test_plain_bar_prints_about_ten_lines(capsys):
    bar = PlainBar(range(50), total=50, desc="epoch 1")
    for _ in bar:
        bar.set_postfix(loss=0.5)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 10 and lines[-1] == "epoch 1 50/50 loss=0.5"
