"""Trainer: training lowers the loss, schedulers step per epoch, NaN stops the run, tuples work."""
import math

import numpy as np
import pytest

import minidl
import minidl.functional as F
from minidl.optim import SGD
from minidl.optim.lr_scheduler import ReduceLROnPlateau, StepLR
from minidl.train import Trainer, TrainingDiverged

from train_helpers import mlp


def quiet_trainer(model, optimizer, **kw):
    return Trainer(model, optimizer, progress=False, verbose=False, **kw)


def test_fit_learns_and_records_history(loaders):
    train, val = loaders
    model = mlp()
    t = quiet_trainer(model, SGD(model.parameters(), lr=0.1, momentum=0.9))
    before = t.evaluate(val)
    history = t.fit(train, val, epochs=3)
    assert [r["epoch"] for r in history] == [1, 2, 3] and t.epoch == 3
    assert history[-1]["val_loss"] < before["loss"]
    assert history[-1]["val_acc1"] > 90 and history[-1]["val_acc5"] == 100.0   # 3 classes: top-5 = all
    expected = {"train_loss", "train_acc1", "train_time_s", "train_images_per_s", "lr", "best"}
    assert expected <= set(history[0])


def test_step_scheduler_steps_once_per_epoch(loaders):
    model = mlp()
    opt = SGD(model.parameters(), lr=0.1)
    t = quiet_trainer(model, opt, scheduler=StepLR(opt, step_size=1, gamma=0.5))
    history = t.fit(*loaders, epochs=3)
    assert [r["lr"] for r in history] == pytest.approx([0.1, 0.05, 0.025])   # the rate each epoch used
    assert opt.param_groups[0]["lr"] == pytest.approx(0.0125)


class Recording(ReduceLROnPlateau):
    seen = ()

    def step(self, metrics):
        self.seen = self.seen + (metrics,)
        super().step(metrics)


@pytest.mark.parametrize("mode, key", [("max", "val_acc1"), ("min", "val_loss")])
def test_plateau_scheduler_gets_the_validation_metric(loaders, mode, key):
    model = mlp()
    opt = SGD(model.parameters(), lr=0.1)
    sched = Recording(opt, mode=mode)
    history = quiet_trainer(model, opt, scheduler=sched).fit(*loaders, epochs=2)
    assert sched.seen == tuple(r[key] for r in history)


def test_nan_loss_stops_with_a_message(loaders, capsys):
    model = mlp()
    calls = []

    def loss_fn(outputs, target):
        calls.append(1)
        loss = minidl.nn.CrossEntropyLoss()(outputs, target)
        return loss * float("nan") if len(calls) == 3 else loss

    t = Trainer(model, SGD(model.parameters(), lr=0.1), loss_fn, progress=False, verbose=False)
    with pytest.raises(TrainingDiverged, match=r"loss became nan at epoch 1, iteration 3"):
        t.fit(loaders[0], epochs=1)
    assert "Training diverged" in capsys.readouterr().err          # printed, not only raised
    assert all(np.isfinite(p.data).all() for p in model.parameters())  # the bad step was not taken


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # NumPy's overflow warnings on the way
def test_inf_loss_from_a_huge_rate_stops(loaders):
    model = mlp()
    t = quiet_trainer(model, SGD(model.parameters(), lr=1e6, momentum=0.9))
    with pytest.raises(TrainingDiverged, match=r"became (inf|nan)"):
        t.fit(loaders[0], epochs=5)


class TwoHeads(minidl.nn.Module):
    """Returns (main, aux) while training and main alone in eval mode, as GoogLeNet does."""

    def __init__(self):
        super().__init__()
        self.body, self.aux = mlp(), mlp()

    def forward(self, x):
        return (self.body(x), self.aux(x)) if self.training else self.body(x)


def test_tuple_outputs_through_loss_fn(loaders):
    model = TwoHeads()
    ce = minidl.nn.CrossEntropyLoss()

    def loss_fn(outputs, target):
        if isinstance(outputs, tuple):
            main, aux = outputs
            return ce(main, target) + 0.3 * ce(aux, target)
        return ce(outputs, target)

    t = quiet_trainer(model, SGD(model.parameters(), lr=0.1, momentum=0.9), loss_fn=loss_fn)
    history = t.fit(*loaders, epochs=2)
    assert history[-1]["val_acc1"] > 80
    assert math.isfinite(history[-1]["train_loss"])


def test_evaluate_with_predict_has_no_loss(loaders):
    model = mlp()
    t = quiet_trainer(model, SGD(model.parameters(), lr=0.1))
    out = t.evaluate(loaders[1], predict=lambda m, x: F.softmax(m(x), -1))
    assert out["loss"] is None and out["images"] == 48 and 0 <= out["acc1"] <= 100
