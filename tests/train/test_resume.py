"""Checkpoints: what fit writes, the best kept, and kill-and-resume giving identical weights."""
import json

import numpy as np
import pytest

import minidl
from minidl.data import DataLoader
from minidl.optim import SGD
from minidl.optim.lr_scheduler import ReduceLROnPlateau, StepLR
from minidl.train import BEST, LAST, Trainer, read_log
from minidl.train import checkpointing

from train_helpers import blobs, tiny_convnet


def make_run(out_dir, seed=0, scheduler="step"):
    """Everything a training script builds, from scratch, as a fresh process would."""
    minidl.manual_seed(seed)
    model = tiny_convnet(dropout=0.5)         # dropout: the default generator matters
    opt = SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    sched = (StepLR(opt, step_size=1, gamma=0.5) if scheduler == "step"
             else ReduceLROnPlateau(opt, mode="max", patience=0))
    train = DataLoader(blobs(64, seed=0, augment=True), batch_size=16, shuffle=True, seed=7)
    val = DataLoader(blobs(32, seed=1), batch_size=16, seed=7)
    trainer = Trainer(model, opt, scheduler=sched, out_dir=out_dir, log_every=2, progress=False,
                      verbose=False, plot=False)
    return trainer, train, val


def weights(trainer):
    return {k: v.data.copy() for k, v in trainer.model.state_dict().items()}


def momentum(trainer):
    return [trainer.optimizer.state[p]["momentum_buffer"].data.copy()
            for g in trainer.optimizer.param_groups for p in g["params"]]


@pytest.mark.parametrize("scheduler", ["step", "plateau"])
def test_kill_and_resume_gives_identical_weights(tmp_path, scheduler):
    straight, train, val = make_run(tmp_path / "straight", scheduler=scheduler)
    straight.fit(train, val, epochs=3)

    first, train, val = make_run(tmp_path / "stopped", scheduler=scheduler)
    first.fit(train, val, epochs=1)                        # "killed" after epoch 1
    # a new process: other initial weights, other default-generator state, fresh loaders
    resumed, train, val = make_run(tmp_path / "stopped", seed=123, scheduler=scheduler)
    resumed.fit(train, val, epochs=3, resume=tmp_path / "stopped" / LAST)

    a, b = weights(straight), weights(resumed)
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)   # bit for bit
    for x, y in zip(momentum(straight), momentum(resumed)):
        np.testing.assert_array_equal(x, y)
    assert straight.lr == resumed.lr
    assert straight.scheduler.state_dict() == resumed.scheduler.state_dict()
    def no_timing(history):
        return [{k: v for k, v in r.items() if "time" not in k and "per_s" not in k} for r in history]
    assert no_timing(straight.history) == no_timing(resumed.history)
    # the log of the resumed run has each epoch once, in order
    assert [r["epoch"] for r in read_log(tmp_path / "stopped" / "log.jsonl", "epoch")] == [1, 2, 3]


def test_resume_without_the_random_state_would_differ(tmp_path, monkeypatch):
    """The control: skip restoring the generators and dropout draws other masks."""
    straight, train, val = make_run(tmp_path / "straight")
    straight.fit(train, val, epochs=2)
    first, train, val = make_run(tmp_path / "stopped")
    first.fit(train, val, epochs=1)
    monkeypatch.setattr(checkpointing, "generators", lambda model: {})   # restore no generator
    resumed, train, val = make_run(tmp_path / "stopped", seed=123)
    resumed.fit(train, val, epochs=2, resume=tmp_path / "stopped")   # a folder: its last checkpoint
    a, b = weights(straight), weights(resumed)
    assert any(not np.array_equal(a[k], b[k]) for k in a)


def test_fit_writes_log_curves_and_checkpoints(tmp_path):
    pytest.importorskip("matplotlib")
    trainer, train, val = make_run(tmp_path)
    trainer.plot = True
    trainer.fit(train, val, epochs=2)
    for name in ("log.jsonl", "curves.png", LAST, BEST):
        assert (tmp_path / name).is_file(), name
    lines = [json.loads(s) for s in (tmp_path / "log.jsonl").read_text().splitlines()]
    epochs = [r for r in lines if r["event"] == "epoch"]
    iterations = [r for r in lines if r["event"] == "iteration"]
    assert [r["epoch"] for r in epochs] == [1, 2]
    assert [(r["epoch"], r["iteration"]) for r in iterations] == [(1, 2), (1, 4), (2, 2), (2, 4)]
    assert {"lr", "train_loss", "train_acc1", "val_loss", "val_acc1", "val_acc5"} <= set(epochs[0])


def test_best_checkpoint_keeps_the_best_epoch(tmp_path):
    trainer, train, val = make_run(tmp_path)
    scripted = iter([50.0, 70.0, 60.0])            # validation top-1 of epochs 1, 2, 3
    snapshots = {}

    def fake_evaluate(loader, predict=None, desc=""):
        acc = next(scripted)
        snapshots[acc] = weights(trainer)
        return {"loss": 1.0, "acc1": acc, "acc5": 100.0}

    trainer.evaluate = fake_evaluate
    history = trainer.fit(train, val, epochs=3)
    assert [r["best"] for r in history] == [True, True, False]

    best, _, _ = make_run(tmp_path / "other", seed=5)
    best.load_checkpoint(tmp_path / BEST)
    assert best.epoch == 2 and best.best_acc1 == 70.0
    for k, v in weights(best).items():
        np.testing.assert_array_equal(v, snapshots[70.0][k])
    last, _, _ = make_run(tmp_path / "other", seed=5)
    last.load_checkpoint(tmp_path / LAST)
    assert last.epoch == 3 and last.best_acc1 == 70.0


def test_resume_when_already_done_trains_nothing(tmp_path, capsys):
    trainer, train, val = make_run(tmp_path)
    trainer.fit(train, val, epochs=1)
    again, train, val = make_run(tmp_path, seed=3)
    again.verbose = True
    again.fit(train, val, epochs=1, resume=tmp_path / LAST)
    assert again.epoch == 1 and "nothing to do" in capsys.readouterr().out


def test_resume_with_another_data_seed_warns(tmp_path, capsys):
    trainer, train, val = make_run(tmp_path)
    trainer.fit(train, val, epochs=1)
    again, train, val = make_run(tmp_path)
    train.seed = 8                                     # not the order the first epoch used
    again.verbose = True
    again.fit(train, val, epochs=2, resume=tmp_path)
    assert "DataLoader seed 7, this loader has 8" in capsys.readouterr().out
