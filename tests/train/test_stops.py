"""How a run stops early: Ctrl-C (what the Trainer says about resuming) and weights that the
last steps of an epoch made non-finite (a divergence the per-step loss check cannot see)."""
import math
import os

import numpy as np
import pytest

import minidl
from minidl import nn
from minidl.checkpoint import save_checkpoint
from minidl.data import DataLoader
from minidl.optim import SGD
from minidl.train import LAST, Trainer, TrainingDiverged
from minidl.train.checkpointing import load_weights
from train_helpers import blobs, mlp


class InterruptAt:
    """A loader that raises KeyboardInterrupt (as Ctrl-C does) at batch `at` of epoch `epoch`."""

    def __init__(self, loader, epoch, at=1):
        self.loader, self.epoch, self.at, self.current = loader, epoch, at, 0

    def set_epoch(self, epoch):
        self.current = epoch
        self.loader.set_epoch(epoch)

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        for i, batch in enumerate(self.loader):
            if self.current == self.epoch and i == self.at:
                raise KeyboardInterrupt
            yield batch


@pytest.mark.parametrize("epoch, message", [
    (0, "interrupted in epoch 1, before the first checkpoint was written: nothing to resume"),
    (1, "interrupted in epoch 2; continue with --resume {} (it holds epoch 1)"),
])
def test_ctrl_c_says_whether_there_is_a_checkpoint(loaders, tmp_path, capsys, epoch, message):
    train, val = loaders
    model = mlp()
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), out_dir=tmp_path, progress=False)
    with pytest.raises(KeyboardInterrupt):
        trainer.fit(InterruptAt(train, epoch), val, epochs=3)
    assert message.format(os.path.join(str(tmp_path), LAST)) in capsys.readouterr().out
    assert os.path.exists(tmp_path / LAST) == (epoch > 0)


def test_non_finite_weights_after_an_epoch_stop_the_run(loaders, tmp_path, capsys):
    """Every training loss finite, but the last step overflowed the weights: the validation
    loss is NaN. The run stops with TrainingDiverged and checkpoints nothing of that epoch (no
    NaN net saved as 'best')."""
    train, val = loaders
    model = mlp()
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), out_dir=tmp_path, progress=False)
    trainer.fit(train, val, epochs=1)
    good = (tmp_path / LAST).read_bytes()
    trainer.optimizer.param_groups[0]["lr"] = 1e38      # one step to inf ...
    one_batch = DataLoader(blobs(16, seed=0), batch_size=16, seed=train.seed)   # ... the last
    with np.errstate(all="ignore"), pytest.raises(TrainingDiverged,
                                                  match=r"validation loss is (nan|inf) after "
                                                        r"epoch 2.*were not saved.*last good"):
        trainer.fit(one_batch, val, epochs=2)
    assert (tmp_path / LAST).read_bytes() == good
    assert trainer.epoch == 1 and len(trainer.history) == 1
    assert "Training diverged" in capsys.readouterr().err


def test_finite_validation_loss_is_not_a_divergence(loaders):
    train, val = loaders
    model = mlp()
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), progress=False, verbose=False)
    history = trainer.fit(train, val, epochs=2)
    assert all(math.isfinite(r["val_loss"]) for r in history)


def test_load_weights_takes_checkpoints_and_state_dicts(tmp_path):
    minidl.manual_seed(1)
    source = mlp()
    minidl.save(source.state_dict(), tmp_path / "plain.safetensors")
    save_checkpoint(tmp_path / "ckpt.safetensors", model=source, epoch=4)
    for name in ("plain.safetensors", "ckpt.safetensors"):
        minidl.manual_seed(2)
        target = load_weights(tmp_path / name, mlp())
        for k, v in source.state_dict().items():
            np.testing.assert_array_equal(target.state_dict()[k].numpy(), v.numpy())


def test_load_weights_of_another_net_is_short_and_loads_nothing(tmp_path):
    big = nn.Sequential(*[nn.Linear(4, 4) for _ in range(20)])
    minidl.save(big.state_dict(), tmp_path / "big.safetensors")
    model = mlp()
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    with pytest.raises(minidl.CheckpointError) as info:
        load_weights(tmp_path / "big.safetensors", model)
    message = str(info.value)
    assert "big.safetensors" in message and "and 33 more" in message and len(message) < 800
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])
