"""minidl.optim against torch.optim: SGD's new options and validation, schedulers' sequences,
step(epoch), last_epoch resumes and state-dict round trips."""
import warnings

import numpy as np
import pytest

from minidl.optim import SGD, lr_scheduler as ours
from optim_helpers import cubic_grad, param

torch = pytest.importorskip("torch")
theirs = torch.optim.lr_scheduler


def run_both(steps=5, **options):
    """The same parameter and cubic loss under minidl's and torch's SGD; both trajectories."""
    start = np.array([0.7, -1.2, 0.3], np.float64)
    p, q = param(start, np.float64), torch.tensor(start, requires_grad=True)
    a, b = SGD([p], **options), torch.optim.SGD([q], **options)
    for _ in range(steps):
        p.grad = cubic_grad(p.detach())
        q.grad = (q ** 3 - 0.5 * q).detach()
        a.step()
        b.step()
    return p.detach().numpy(), q.detach().numpy()


@pytest.mark.parametrize("options", [
    dict(), dict(lr=0.1, maximize=True), dict(lr=0.1, momentum=0.9, weight_decay=0.01, maximize=True),
    dict(lr=0.05, momentum=0.9, nesterov=True, maximize=True), dict(lr=0.1, dampening=0.3, momentum=0.5),
    dict(lr=0.1, foreach=False), dict(lr=0.1, fused=True),
])
def test_sgd_matches_torch(options):
    ours_p, torch_p = run_both(**options)
    np.testing.assert_allclose(ours_p, torch_p, rtol=1e-12, atol=1e-12)


def test_sgd_defaults_and_group_keys_match_torch():
    p, q = param([1.0]), torch.zeros(1, requires_grad=True)
    a, b = SGD([p]), torch.optim.SGD([q])
    assert a.defaults == b.defaults
    assert set(a.param_groups[0]) == set(b.param_groups[0])


@pytest.mark.parametrize("kwargs", [
    dict(lr=-0.1), dict(momentum=-0.1), dict(weight_decay=-1e-4), dict(nesterov=True),
    dict(nesterov=True, momentum=0.9, dampening=0.1),
])
def test_sgd_validation_raises_value_error_like_torch(kwargs):
    with pytest.raises(ValueError):
        torch.optim.SGD([torch.zeros(1, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError):
        SGD([param([1.0])], **kwargs)


def test_sgd_refuses_differentiable_and_fused_combinations():
    with pytest.raises(NotImplementedError, match="differentiable"):
        SGD([param([1.0])], differentiable=True)
    with pytest.raises(RuntimeError, match="fused"):
        SGD([param([1.0])], fused=True, foreach=True)


def test_state_dict_from_before_maximize_still_loads():
    p = param([1.0, 2.0])
    opt = SGD([p], lr=0.1, momentum=0.9)
    state = opt.state_dict()
    for key in ("maximize", "foreach", "differentiable", "fused"):
        del state["param_groups"][0][key]
    fresh = SGD([p], lr=0.5)
    fresh.load_state_dict(state)
    assert fresh.param_groups[0]["maximize"] is False and fresh.param_groups[0]["lr"] == 0.1


# -- schedulers ----------------------------------------------------------------------------------
SCHEDULES = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=4, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[3, 7, 7, 20], gamma=0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda e: 1.0 / (1 + e)),
    "LambdaLR_per_group": lambda m, o: m.LambdaLR(o, [lambda e: 0.95 ** e, lambda e: 1 + e % 3]),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=8),
}


def optimizers():
    a = SGD([{"params": [param([1.0])]}, {"params": [param([1.0])], "lr": 0.5}], lr=0.1)
    b = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)]},
                         {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.5}], lr=0.1)
    return a, b


def lrs(opt):
    return [g["lr"] for g in opt.param_groups]


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedule_matches_torch_over_40_epochs_with_a_state_dict_round_trip(name):
    make = SCHEDULES[name]
    (a, b) = optimizers()
    sa, sb = make(ours, a), make(theirs, b)
    assert sa.get_last_lr() == pytest.approx(sb.get_last_lr())
    for epoch in range(40):
        b.step()   # torch warns when the scheduler steps before the optimizer
        if epoch == 17:   # a resumed run: new optimizer and scheduler, then both loaded
            saved_opt, saved = a.state_dict(), sa.state_dict()
            a, _ = optimizers()
            sa = make(ours, a)
            a.load_state_dict(saved_opt)
            sa.load_state_dict(saved)
        sa.step()
        sb.step()
        assert lrs(a) == pytest.approx(lrs(b), rel=1e-12), (name, epoch)
        assert sa.get_last_lr() == pytest.approx(sb.get_last_lr(), rel=1e-12)
        assert sa.last_epoch == sb.last_epoch


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_step_with_an_epoch_warns_and_uses_the_closed_form_like_torch(name):
    (a, b) = optimizers()
    sa, sb = SCHEDULES[name](ours, a), SCHEDULES[name](theirs, b)
    b.step()
    for epoch in (5, 12, 3, 30):
        with pytest.warns(UserWarning, match="epoch parameter"):
            sa.step(epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sb.step(epoch)
        assert lrs(a) == pytest.approx(lrs(b), rel=1e-12) and sa.last_epoch == epoch


RESUMED = {   # the schedules of SCHEDULES, created with last_epoch=6
    "StepLR": lambda m, o: m.StepLR(o, 4, 0.5, last_epoch=6),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, 0.9, last_epoch=6),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, 10, 0.001, last_epoch=6),
    "LinearLR": lambda m, o: m.LinearLR(o, 0.25, 0.9, 8, last_epoch=6),
}


@pytest.mark.parametrize("name", sorted(RESUMED))
def test_last_epoch_resume_matches_torch(name):
    a, b = optimizers()
    for g in a.param_groups + b.param_groups:
        g["initial_lr"] = g["lr"]
        g["lr"] *= 0.5   # the rate reached before the stop
    sa, sb = RESUMED[name](ours, a), RESUMED[name](theirs, b)
    for _ in range(12):
        assert lrs(a) == pytest.approx(lrs(b), rel=1e-12) and sa.last_epoch == sb.last_epoch
        b.step()
        sa.step()
        sb.step()


def test_resuming_without_initial_lr_is_a_key_error():
    a, _ = optimizers()
    with pytest.raises(KeyError, match="initial_lr"):
        ours.ExponentialLR(a, 0.9, last_epoch=3)


def test_lambda_lr_state_dict_keeps_callable_objects_state():
    class Warmup:
        def __init__(self):
            self.scale = 1.0

        def __call__(self, epoch):
            return self.scale * min(1.0, (epoch + 1) / 5)

    a, _ = optimizers()
    fn = Warmup()
    sched = ours.LambdaLR(a, [fn, lambda e: 1.0])
    fn.scale = 0.5
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"scale": 0.5}, None]
    other = Warmup()
    ours.LambdaLR(optimizers()[0], [other, lambda e: 1.0]).load_state_dict(state)
    assert other.scale == 0.5


def test_verbose_is_accepted_with_a_deprecation_warning():
    a, _ = optimizers()
    with pytest.warns(UserWarning, match="verbose"):
        ours.StepLR(a, 3, verbose=True)
    with pytest.warns(UserWarning, match="verbose"):
        ours.ReduceLROnPlateau(a, verbose=False)


def test_reduce_on_plateau_step_with_epoch_matches_torch():
    a, b = optimizers()
    sa = ours.ReduceLROnPlateau(a, patience=1, factor=0.5)
    sb = theirs.ReduceLROnPlateau(b, patience=1, factor=0.5)
    metrics = [1.0, 0.9, 0.95, 0.97, 0.98, 0.5, 0.6, 0.7, 0.8]
    for k, m in enumerate(metrics):
        epoch = 10 + 2 * k if k % 2 else None
        if epoch is None:
            sa.step(m)
            sb.step(m)
        else:
            with pytest.warns(UserWarning, match="epoch parameter"):
                sa.step(m, epoch)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sb.step(m, epoch)
        assert sa.last_epoch == sb.last_epoch and sa.get_last_lr() == pytest.approx(sb.get_last_lr())
