"""SGD against values worked out by hand, the AlexNet paper's rule, and torch.optim.SGD."""
import numpy as np
import pytest

from minidl.optim import SGD

from optim_helpers import cubic_grad, param, set_grad


def run(opt, p, grads):
    out = []
    for g in grads:
        set_grad(p, g)
        opt.step()
        out.append(p.data.copy())
    return out


# -- by hand -------------------------------------------------------------------------------------

def test_plain_sgd_by_hand():
    p = param([1.0, -2.0], np.float64)
    (after,) = run(SGD([p], lr=0.1), p, [[0.5, -1.0]])
    np.testing.assert_allclose(after, [0.95, -1.9])


def test_momentum_by_hand():
    # g = 1 every step, lr 0.1, momentum 0.9: buf = 1, 1.9, 2.71; p = 0.9, 0.71, 0.439
    p = param([1.0], np.float64)
    out = run(SGD([p], lr=0.1, momentum=0.9), p, [[1.0]] * 3)
    np.testing.assert_allclose(np.concatenate(out), [0.9, 0.71, 0.439])


def test_nesterov_by_hand():
    # buf = 1 then 1.9; step uses g + 0.9 * buf = 1.9 then 2.71
    p = param([1.0], np.float64)
    out = run(SGD([p], lr=0.1, momentum=0.9, nesterov=True), p, [[1.0]] * 2)
    np.testing.assert_allclose(np.concatenate(out), [0.81, 0.539])


def test_dampening_skips_first_step_by_hand():
    # buf = g on the first step (no dampening), then 0.9 * 1 + 0.5 * 1 = 1.4
    p = param([1.0], np.float64)
    out = run(SGD([p], lr=0.1, momentum=0.9, dampening=0.5), p, [[1.0]] * 2)
    np.testing.assert_allclose(np.concatenate(out), [0.9, 0.76])


def test_weight_decay_by_hand():
    # zero gradient: p <- p - lr * wd * p = 0.99 p each step
    p = param([1.0, -3.0], np.float64)
    out = run(SGD([p], lr=0.1, weight_decay=0.1), p, [[0.0, 0.0]] * 2)
    np.testing.assert_allclose(out[1], [0.9801, -3 * 0.9801])
    assert p.grad.data.tolist() == [0.0, 0.0]  # the decay never lands in p.grad


def test_param_groups_use_their_own_options():
    a, b = param([1.0], np.float64), param([1.0], np.float64)
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert opt.param_groups[0]["momentum"] == 0 and opt.param_groups[1]["lr"] == 0.5
    for _ in range(2):
        set_grad(a, [1.0])
        set_grad(b, [1.0])
        opt.step()
    np.testing.assert_allclose(a.data, [0.8])           # 1 - 0.1 - 0.1
    np.testing.assert_allclose(b.data, [1 - 0.5 - 0.95])  # bufs 1, 1.9


def test_params_without_grad_are_skipped():
    a, b = param([1.0]), param([2.0])
    set_grad(a, [1.0])
    SGD([a, b], lr=0.1, momentum=0.9).step()
    assert b.data.tolist() == [2.0]


def test_float32_stays_float32_and_updates_in_place():
    p = param(np.ones((2, 3)), np.float32)
    array = p.data
    opt = SGD([p], lr=0.1, momentum=0.9, weight_decay=1e-4, nesterov=True)
    run(opt, p, [np.ones((2, 3))] * 2)
    assert p.data is array and p.dtype == np.float32
    assert opt.state[p]["momentum_buffer"].dtype == np.float32


def test_lr_changed_between_steps_takes_effect():
    p = param([1.0], np.float64)
    opt = SGD([p], lr=0.1)
    opt.param_groups[0]["lr"] = np.float64(0.01)  # a NumPy scalar must not upcast either
    run(opt, p, [[1.0]])
    np.testing.assert_allclose(p.data, [0.99])


def test_step_returns_closure_loss():
    p = param([3.0], np.float64)
    opt = SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 9.0
    np.testing.assert_allclose(p.data, [3.0 - 0.1 * 6.0])


def test_zero_grad():
    p = param([1.0, 2.0])
    opt = SGD([p], lr=0.1)
    set_grad(p, [1.0, 1.0])
    opt.zero_grad(set_to_none=False)
    assert p.grad.data.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


@pytest.mark.parametrize("kwargs, message", [
    (dict(lr=-1.0), "learning rate"),
    (dict(lr=0.1, momentum=-0.5), "momentum"),
    (dict(lr=0.1, weight_decay=-1.0), "weight_decay"),
    (dict(lr=0.1, nesterov=True), "Nesterov"),
    (dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov"),
])
def test_bad_options_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SGD([param([1.0])], **kwargs)


def test_bad_params_are_refused():
    p = param([1.0])
    with pytest.raises(TypeError, match="single Tensor"):
        SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="empty"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    assert SGD([p]).param_groups[0]["lr"] == 1e-3     # torch's default since 2.x
    with pytest.raises(ValueError, match="non-leaf"):
        SGD([p * 2], lr=0.1)


def test_add_param_group_takes_defaults():
    a, b = param([1.0]), param([1.0])
    opt = SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": [b], "lr": 0.01})
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["lr"] == 0.01
    with pytest.raises(ValueError, match="more than one"):
        opt.add_param_group({"params": [a]})


# -- the AlexNet paper's rule -------------------------------------------------------------------

def paper_rule(w, grads, lrs):
    """Krizhevsky et al. 2012, section 5: v <- 0.9 v - 0.0005 lr w - lr g;  w <- w + v."""
    v = np.zeros_like(w)
    out = []
    for g, lr in zip(grads, lrs):
        v = 0.9 * v - 0.0005 * lr * w - lr * g
        w = w + v
        out.append(w.copy())
    return out


def test_alexnet_rule_matches_while_lr_is_constant_and_not_after_it_changes():
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=5)
    grads = [rng.normal(size=5) for _ in range(6)]
    lrs = [0.01] * 3 + [0.001] * 3  # "divided by 10" after three steps
    p = param(w0, np.float64)
    opt = SGD([p], lr=0.01, momentum=0.9, weight_decay=0.0005)
    ours = []
    for g, lr in zip(grads, lrs):
        opt.param_groups[0]["lr"] = lr
        set_grad(p, g)
        opt.step()
        ours.append(p.data.copy())
    paper = paper_rule(w0, grads, lrs)
    np.testing.assert_allclose(ours[:3], paper[:3], rtol=1e-12)
    # PyTorch rescales the whole velocity by the new lr; the paper's v remembers the old lr
    assert not np.allclose(ours[3], paper[3], rtol=1e-6)


# -- against PyTorch ---------------------------------------------------------------------------

CONFIGS = [
    dict(lr=0.1),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, weight_decay=5e-4),
    dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=1e-2),
    dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
]


@pytest.mark.parametrize("config", CONFIGS)
def test_matches_torch_over_several_steps(config):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    inits = [rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=4).astype(np.float32)]
    ours = [param(x) for x in inits]
    theirs = [torch.tensor(x, requires_grad=True) for x in inits]
    groups = lambda ps: [{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.02}]  # noqa: E731
    opt = SGD(groups(ours), **config)
    topt = torch.optim.SGD(groups(theirs), **config)
    for step in range(8):
        if step == 5:  # an lr change halfway, as a scheduler would make
            for g in opt.param_groups + topt.param_groups:
                g["lr"] *= 0.1
        for p, t in zip(ours, theirs):
            set_grad(p, cubic_grad(p.data))
            t.grad = torch.from_numpy(cubic_grad(t.detach().numpy()))
        opt.step()
        topt.step()
        for p, t in zip(ours, theirs):
            np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-6, atol=1e-7)
