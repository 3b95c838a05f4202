"""Schedules against sequences worked out by hand and torch.optim.lr_scheduler."""
import copy

import numpy as np
import pytest

import minidl
from minidl.optim import SGD
from minidl.optim.lr_scheduler import MultiStepLR, ReduceLROnPlateau, StepLR

from optim_helpers import param


def make_opt(lrs=(0.1,)):
    return SGD([{"params": [param([1.0])], "lr": lr} for lr in lrs], lr=lrs[0], momentum=0.9)


def lrs_over(sched, epochs, metrics=None):
    """The first group's lr during each epoch (read before the end-of-epoch step)."""
    out = []
    for e in range(epochs):
        out.append(sched.optimizer.param_groups[0]["lr"])
        sched.step() if metrics is None else sched.step(metrics[e])
    return out


def test_steplr_by_hand():
    sched = StepLR(make_opt(), step_size=3, gamma=0.1)
    np.testing.assert_allclose(lrs_over(sched, 8), [0.1] * 3 + [0.01] * 3 + [0.001] * 2)
    assert sched.last_epoch == 8
    assert sched.get_last_lr() == [sched.optimizer.param_groups[0]["lr"]]


def test_multisteplr_by_hand():
    sched = MultiStepLR(make_opt((0.1, 1.0)), milestones=[2, 5, 5], gamma=0.5)
    np.testing.assert_allclose(lrs_over(sched, 7), [0.1, 0.1, 0.05, 0.05, 0.05, 0.0125, 0.0125])
    assert sched.get_last_lr()[1] == pytest.approx(0.125)


def test_initial_lr_is_recorded_once():
    opt = make_opt((0.1, 0.2))
    sched = StepLR(opt, step_size=1)
    sched.step()
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]
    assert sched.base_lrs == [0.1, 0.2]
    StepLR(opt, step_size=5)  # a second scheduler keeps the recorded value
    assert opt.param_groups[0]["initial_lr"] == 0.1


def test_resuming_with_last_epoch_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        StepLR(make_opt(), step_size=2, last_epoch=4)


def test_plateau_by_hand():
    # patience 1: the lr drops after the second epoch in a row without improvement
    sched = ReduceLROnPlateau(make_opt(), mode="min", factor=0.1, patience=1)
    metrics = [1.0, 0.9, 0.95, 0.92, 0.91, 0.5, 0.6, 0.7]
    lrs = lrs_over(sched, len(metrics), metrics)
    np.testing.assert_allclose(lrs, [0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.01])
    np.testing.assert_allclose(sched.get_last_lr(), [0.001])
    assert sched.best == 0.5


def test_plateau_threshold_rel_and_abs():
    rel = ReduceLROnPlateau(make_opt(), threshold=0.1, patience=0)
    rel.step(1.0)
    rel.step(0.95)  # less than 10% better: not an improvement
    assert rel.best == 1.0 and rel.get_last_lr() == [pytest.approx(0.01)]
    ab = ReduceLROnPlateau(make_opt(), mode="max", threshold=0.5, threshold_mode="abs",
                           patience=0)
    ab.step(1.0)
    ab.step(1.6)
    assert ab.best == 1.6 and ab.get_last_lr() == [0.1]


def test_plateau_cooldown_min_lr_eps():
    sched = ReduceLROnPlateau(make_opt(), patience=0, cooldown=2, min_lr=0.002)
    lrs = lrs_over(sched, 7, [1.0] * 7)
    # epoch 1 is bad -> 0.01; two cooldown epochs; epoch 4 bad -> max(0.001, 0.002)
    np.testing.assert_allclose(lrs, [0.1, 0.1, 0.01, 0.01, 0.01, 0.002, 0.002])
    tiny = ReduceLROnPlateau(make_opt((1e-8,)), patience=0)
    tiny.step(1.0)
    tiny.step(1.0)
    assert tiny.get_last_lr() == [1e-8]  # a change below eps is skipped


def test_plateau_nan_is_never_better():
    sched = ReduceLROnPlateau(make_opt(), patience=0)
    sched.step(1.0)
    sched.step(float("nan"))
    assert sched.best == 1.0 and sched.get_last_lr() == [pytest.approx(0.01)]


def test_plateau_accepts_a_tensor_metric():
    sched = ReduceLROnPlateau(make_opt())
    sched.step(minidl.tensor(0.5))
    assert sched.best == 0.5


@pytest.mark.parametrize("kwargs, message", [
    (dict(factor=1.0), "factor"), (dict(mode="up"), "mode"), (dict(threshold_mode="x"), "rel"),
    (dict(min_lr=[0.1, 0.2]), "min_lrs"),
])
def test_plateau_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ReduceLROnPlateau(make_opt(), **kwargs)


# -- state dicts ---------------------------------------------------------------------------

SCHEDULERS = [
    (lambda o: StepLR(o, step_size=2, gamma=0.5), None),
    (lambda o: MultiStepLR(o, milestones=[1, 3, 4], gamma=0.3), None),
    (lambda o: ReduceLROnPlateau(o, patience=1, cooldown=1, factor=0.5),
     [3.0, 2.0, 2.5, 2.4, 2.3, 1.0, 1.5, 1.4, 1.3, 1.2]),
]


@pytest.mark.parametrize("build, metrics", SCHEDULERS)
def test_scheduler_resume_continues_the_same_schedule(build, metrics):
    metrics = metrics or [None] * 10
    step = lambda s, m: s.step() if m is None else s.step(m)  # noqa: E731
    opt = make_opt((0.1, 0.3))
    sched = build(opt)
    for m in metrics[:4]:
        step(sched, m)
    opt_state, sched_state = copy.deepcopy(opt.state_dict()), copy.deepcopy(sched.state_dict())
    rest = []
    for m in metrics[4:]:
        step(sched, m)
        rest.append(sched.get_last_lr())

    opt2 = make_opt((0.7, 0.7))
    sched2 = build(opt2)
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(sched_state)
    rest2 = []
    for m in metrics[4:]:
        step(sched2, m)
        rest2.append(sched2.get_last_lr())
    assert rest2 == rest


def test_scheduler_state_is_plain_data():
    import json
    for build, _ in SCHEDULERS:
        state = build(make_opt()).state_dict()
        json.dumps(state)  # inf (plateau's best) is the only non-JSON value Python allows


def test_scheduler_state_mismatch_changes_nothing():
    sched = StepLR(make_opt((0.1, 0.2)), step_size=2)
    sched.step()
    other = StepLR(make_opt(), step_size=3).state_dict()
    with pytest.raises(ValueError, match="base_lrs has 1 entries, the optimizer has 2"):
        sched.load_state_dict(other)
    del other["step_size"]
    with pytest.raises(ValueError, match="missing"):
        sched.load_state_dict(other)
    assert sched.step_size == 2 and sched.last_epoch == 1
    plateau = ReduceLROnPlateau(make_opt())
    state = plateau.state_dict()
    state["mode"] = "sideways"
    with pytest.raises(ValueError, match="mode"):
        plateau.load_state_dict(state)
    assert plateau.mode == "min"


# -- against PyTorch ---------------------------------------------------------------------------

def torch_twin(torch, lrs):
    ps = [torch.zeros(1, requires_grad=True) for _ in lrs]
    return torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(ps, lrs)], lr=lrs[0],
                           momentum=0.9)


@pytest.mark.parametrize("name, kwargs", [
    ("StepLR", dict(step_size=3, gamma=0.1)),
    ("StepLR", dict(step_size=1, gamma=0.7)),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.1)),
])
def test_schedules_match_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    import warnings
    ours = getattr(minidl.optim.lr_scheduler, name)(make_opt((0.1, 0.05)), **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(torch_twin(torch, (0.1, 0.05)), **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns that optimizer.step() was never called
        for _ in range(12):
            ours.step()
            theirs.step()
            assert ours.get_last_lr() == theirs.get_last_lr()
            assert ours.last_epoch == theirs.last_epoch


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(mode="max", patience=2, threshold=0.05, cooldown=1),
    dict(patience=0, threshold_mode="abs", threshold=0.1, min_lr=[0.0, 0.004], factor=0.5),
])
def test_plateau_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    metrics = np.cumsum(rng.normal(0, 1, size=40)).tolist()
    ours = ReduceLROnPlateau(make_opt((0.1, 0.05)), **kwargs)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(torch_twin(torch, (0.1, 0.05)), **kwargs)
    for m in metrics:
        ours.step(m)
        theirs.step(m)
        assert ours.get_last_lr() == theirs.get_last_lr()
        assert (ours.best, ours.num_bad_epochs) == (theirs.best, theirs.num_bad_epochs)
    assert ours.get_last_lr()[0] < 0.1  # the walk did trigger reductions
