"""Training checkpoints: exact resume, and checkpoints that do not fit change nothing."""
import json
import os

import numpy as np
import pytest

import minidl
from minidl import nn
from minidl.checkpoint import load_checkpoint, save_checkpoint
from minidl.optim import SGD
from minidl.optim.lr_scheduler import MultiStepLR, ReduceLROnPlateau
from minidl.serialization import CheckpointError


def make_model(hidden=16, seed=0):
    minidl.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, hidden), nn.ReLU(), nn.Linear(hidden, 3))


def make_training(hidden=16, seed=0, groups=2):
    model = make_model(hidden, seed)
    params = list(model.parameters())
    if groups == 2:
        opt = SGD([{"params": params[:2]}, {"params": params[2:], "lr": 0.05}], lr=0.1,
                  momentum=0.9, weight_decay=5e-4)
    else:
        opt = SGD(params, lr=0.1, momentum=0.9)
    return model, opt, MultiStepLR(opt, milestones=[2, 3], gamma=0.5)


def train_epochs(model, opt, sched, data_rng, epochs):
    """Each epoch: batches drawn from data_rng, input noise from the default generator."""
    for _ in range(epochs):
        for _ in range(3):
            x = minidl.tensor(data_rng.normal(size=(8, 4)).astype(np.float32))
            x = x + 0.1 * minidl.randn(8, 4)  # like dropout: randomness from the default generator
            y = minidl.tensor(data_rng.normal(size=(8, 3)).astype(np.float32))
            opt.zero_grad()
            ((model(x) - y) ** 2).mean().backward()
            opt.step()
        sched.step()


def weights(model):
    return {k: v.data.copy() for k, v in model.state_dict().items()}


def snapshot(model, opt, sched):
    """Everything a failed load must leave alone."""
    return (weights(model), json.dumps(sched.state_dict(), default=str),
            [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups],
            {id(p): s["momentum_buffer"].data.copy() for p, s in opt.state.items()})


def assert_unchanged(before, model, opt, sched):
    w, sched_state, groups, buffers = before
    for k, v in weights(model).items():
        np.testing.assert_array_equal(v, w[k])
    assert json.dumps(sched.state_dict(), default=str) == sched_state
    assert [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups] == groups
    assert set(buffers) == {id(p) for p in opt.state}
    for p, s in opt.state.items():
        np.testing.assert_array_equal(s["momentum_buffer"].data, buffers[id(p)])


@pytest.fixture
def trained(tmp_path):
    """A run stopped after 2 epochs, its checkpoint, and its generators at that moment."""
    model, opt, sched = make_training()
    data_rng = np.random.default_rng(42)
    train_epochs(model, opt, sched, data_rng, 2)
    path = tmp_path / "ckpt.safetensors"
    save_checkpoint(path, model=model, optimizer=opt, scheduler=sched, epoch=2,
                    metrics={"loss": 0.5, "best": float("inf")}, rng={"data": data_rng},
                    extra={"arch": "mlp", "mean": np.ones(4, np.float32)})
    return path, (model, opt, sched, data_rng)


def test_resume_continues_exactly(trained):
    path, (model, opt, sched, data_rng) = trained
    train_epochs(model, opt, sched, data_rng, 3)  # the uninterrupted run
    expected = weights(model)

    model2, opt2, sched2 = make_training(seed=123)  # other weights, other generator state
    data_rng2 = np.random.default_rng(0)
    info = load_checkpoint(path, model=model2, optimizer=opt2, scheduler=sched2,
                           rng={"default_generator": minidl.default_generator, "data": data_rng2})
    assert info["epoch"] == 2 and info["metrics"] == {"loss": 0.5, "best": float("inf")}
    assert info["extra"]["arch"] == "mlp" and info["extra"]["mean"].shape == (4,)
    assert sched2.last_epoch == 2 and opt2.param_groups[1]["lr"] == 0.025
    train_epochs(model2, opt2, sched2, data_rng2, 3)
    for k, v in weights(model2).items():
        np.testing.assert_array_equal(v, expected[k])


def test_without_restoring_rng_the_run_differs(trained):
    path, (model, opt, sched, data_rng) = trained
    train_epochs(model, opt, sched, data_rng, 1)
    model2, opt2, sched2 = make_training(seed=123)
    load_checkpoint(path, model=model2, optimizer=opt2, scheduler=sched2)
    train_epochs(model2, opt2, sched2, np.random.default_rng(42), 1)
    ours, theirs = model2.state_dict()["0.weight"], model.state_dict()["0.weight"]
    assert not np.array_equal(ours.data, theirs.data)


def test_the_file_is_plain_safetensors(trained):
    path, (model, opt, _, _) = trained
    st = pytest.importorskip("safetensors.numpy")
    arrays = st.load_file(str(path))
    np.testing.assert_array_equal(arrays["model.0.weight"], model.state_dict()["0.weight"].data)
    assert arrays["optimizer.state.0.momentum_buffer"].shape == (16, 4)
    assert "extra.mean" in arrays


def test_default_generator_state_is_saved(trained):
    path, _ = trained
    state = minidl.default_generator.get_state()
    minidl.default_generator.np.normal(size=10)
    info = load_checkpoint(path, rng={"default_generator": minidl.default_generator})
    assert info["rng"]["default_generator"] == state == minidl.default_generator.get_state()


def test_rng_may_be_given_as_states(tmp_path):
    g = minidl.Generator(5)
    save_checkpoint(tmp_path / "c.safetensors", rng={"mine": g.get_state()})
    g2 = minidl.Generator(9)
    load_checkpoint(tmp_path / "c.safetensors", rng={"mine": g2})
    assert g2.get_state() == g.get_state()


def test_a_tiny_duck_typed_model_works(tmp_path):
    class Tiny:
        def __init__(self, value):
            self.w = minidl.tensor(np.full(3, value, np.float32))

        def state_dict(self):
            return {"w": self.w}

        def load_state_dict(self, sd, strict=True):
            self.w = minidl.tensor(sd["w"].data)

    save_checkpoint(tmp_path / "c.safetensors", model=Tiny(2.0), epoch=0)
    t = Tiny(0.0)
    load_checkpoint(tmp_path / "c.safetensors", model=t)
    assert t.w.tolist() == [2.0, 2.0, 2.0]


# -- checkpoints that do not fit -------------------------------------------------------------

def other_training(kind):
    """A model/optimizer/scheduler that the checkpoint from `trained` does not fit in one way."""
    if kind == "model shapes":
        return make_training(hidden=8)
    if kind == "optimizer groups":
        return make_training(groups=1)
    model, opt, _ = make_training()
    if kind == "scheduler":
        return model, opt, ReduceLROnPlateau(opt)
    raise AssertionError(kind)


@pytest.mark.parametrize("kind, message", [
    ("model shapes", r"0\.weight: checkpoint \(16, 4\), model \(8, 4\)"),
    ("optimizer groups", "2 parameter groups, the optimizer has 1"),
    ("scheduler", "missing"),
])
def test_mismatch_raises_and_loads_nothing(trained, kind, message):
    path, _ = trained
    model, opt, sched = other_training(kind)
    train_epochs(model, opt, sched if kind != "scheduler" else MultiStepLR(opt, [9]),
                 np.random.default_rng(1), 1)
    before = snapshot(model, opt, sched)
    rng_before = minidl.default_generator.get_state()
    with pytest.raises(CheckpointError, match=message) as info:
        load_checkpoint(path, model=model, optimizer=opt, scheduler=sched,
                        rng={"default_generator": minidl.default_generator})
    assert str(path) in str(info.value)
    assert_unchanged(before, model, opt, sched)
    assert minidl.default_generator.get_state() == rng_before


def test_buffer_shape_mismatch_loads_nothing(tmp_path):
    model, opt, sched = make_training()
    train_epochs(model, opt, sched, np.random.default_rng(1), 1)
    # a checkpoint whose weights fit but whose optimizer buffers were written for other shapes
    bad = opt.state_dict()
    first = next(iter(bad["state"]))
    bad["state"][first] = {"momentum_buffer": np.zeros((2, 2), np.float32)}
    save_checkpoint(tmp_path / "c.safetensors", model=model, optimizer=bad)
    model2, opt2, sched2 = make_training(seed=7)
    train_epochs(model2, opt2, sched2, np.random.default_rng(2), 1)
    before = snapshot(model2, opt2, sched2)
    with pytest.raises(CheckpointError, match=r"momentum_buffer of parameter 0 has shape \(2, 2\)"):
        load_checkpoint(tmp_path / "c.safetensors", model=model2, optimizer=opt2)
    assert_unchanged(before, model2, opt2, sched2)


def test_missing_and_unexpected_keys(tmp_path):
    model = make_model()
    sd = dict(model.state_dict())
    sd["extra.weight"] = sd.pop("2.bias")
    save_checkpoint(tmp_path / "c.safetensors", model=sd)
    target = make_model(seed=3)
    before = weights(target)
    with pytest.raises(CheckpointError, match=r"missing keys \['2.bias'\].*unexpected keys "
                                              r"\['extra.weight'\]"):
        load_checkpoint(tmp_path / "c.safetensors", model=target)
    for k, v in weights(target).items():
        np.testing.assert_array_equal(v, before[k])


def test_missing_sections_and_generators(trained, tmp_path):
    path, _ = trained
    save_checkpoint(tmp_path / "bare.safetensors", epoch=1)
    model, opt, _ = make_training()
    with pytest.raises(CheckpointError, match="holds no model state"):
        load_checkpoint(tmp_path / "bare.safetensors", model=model)
    with pytest.raises(CheckpointError, match="no state for generator 'loader'"):
        load_checkpoint(path, rng={"loader": np.random.default_rng()})
    with pytest.raises(CheckpointError, match="does not suit a Generator"):
        load_checkpoint(path, rng={"data": np.random.Generator(np.random.MT19937(0))})


def test_plain_state_dict_file_is_not_a_checkpoint(tmp_path):
    minidl.serialization.save(make_model().state_dict(), tmp_path / "weights.safetensors")
    with pytest.raises(CheckpointError, match="weights.safetensors: not a minidl training"):
        load_checkpoint(tmp_path / "weights.safetensors", model=make_model())


def test_corrupt_checkpoint_loads_nothing(trained):
    path, (model, opt, sched, _) = trained
    blob = path.read_bytes()
    before = snapshot(model, opt, sched)
    for broken in (blob[: len(blob) // 2], blob[:100], b"\x00" * 3, blob[:8] + b"[" + blob[9:]):
        path.write_bytes(broken)
        with pytest.raises(CheckpointError, match="ckpt.safetensors"):
            load_checkpoint(path, model=model, optimizer=opt, scheduler=sched)
        assert_unchanged(before, model, opt, sched)


def test_crash_while_saving_keeps_the_last_good_checkpoint(trained, monkeypatch):
    from minidl import serialization
    path, (model, opt, sched, _) = trained
    good = path.read_bytes()

    def crash(f, a):
        raise OSError("killed")

    monkeypatch.setattr(serialization, "_write_array", crash)
    with pytest.raises(OSError):
        save_checkpoint(path, model=model, optimizer=opt, scheduler=sched, epoch=3)
    assert path.read_bytes() == good
    assert os.listdir(path.parent) == [path.name]


def test_plateau_scheduler_survives_the_file(tmp_path):
    model, opt, _ = make_training()
    sched = ReduceLROnPlateau(opt, patience=1, factor=0.5)
    for metric in [1.0, 0.8, 0.9]:
        sched.step(metric)
    save_checkpoint(tmp_path / "c.safetensors", model=model, optimizer=opt, scheduler=sched)
    model2, opt2, _ = make_training(seed=5)
    sched2 = ReduceLROnPlateau(opt2, patience=7, mode="max")
    load_checkpoint(tmp_path / "c.safetensors", model=model2, optimizer=opt2, scheduler=sched2)
    assert sched2.state_dict() == sched.state_dict()
    for s in (sched, sched2):
        s.step(0.95)  # the second bad epoch in a row: the rate halves
    assert sched2.get_last_lr() == sched.get_last_lr() == [0.05, 0.025]
    fresh = ReduceLROnPlateau(make_training()[1])
    save_checkpoint(tmp_path / "fresh.safetensors", scheduler=fresh)  # best is still +inf
    assert load_checkpoint(tmp_path / "fresh.safetensors")["scheduler"]["best"] == float("inf")
