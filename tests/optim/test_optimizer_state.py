"""Optimizer state dicts: PyTorch's layout, exact resume, and mismatches that change nothing."""
import copy

import numpy as np
import pytest

from minidl.optim import SGD

from optim_helpers import cubic_grad, param, set_grad


def make(values=((1.0, 2.0), (0.5,), (-1.0, 0.0, 3.0))):
    ps = [param(v) for v in values]
    opt = SGD([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.01}], lr=0.1, momentum=0.9,
              weight_decay=1e-3)
    return ps, opt


def train(ps, opt, steps):
    for _ in range(steps):
        for p in ps:
            set_grad(p, cubic_grad(p.data))
        opt.step()


def test_layout_is_pytorchs():
    ps, opt = make()
    train(ps, opt, 1)
    sd = opt.state_dict()
    assert sorted(sd) == ["param_groups", "state"]
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sd["param_groups"][1]["lr"] == 0.01 and sd["param_groups"][0]["momentum"] == 0.9
    assert sorted(sd["state"]) == [0, 1, 2]
    assert sd["state"][2]["momentum_buffer"].shape == (3,)


def test_layout_matches_torch():
    torch = pytest.importorskip("torch")
    ps, opt = make()
    tps = [torch.tensor(p.data, requires_grad=True) for p in ps]
    topt = torch.optim.SGD([{"params": tps[:2]}, {"params": tps[2:], "lr": 0.01}], lr=0.1,
                           momentum=0.9, weight_decay=1e-3)
    train(ps, opt, 1)
    for t in tps:
        t.grad = torch.from_numpy(cubic_grad(t.detach().numpy()))
    topt.step()
    ours, theirs = opt.state_dict(), topt.state_dict()
    assert ours["state"].keys() == theirs["state"].keys()
    for k in ours["state"]:
        np.testing.assert_allclose(ours["state"][k]["momentum_buffer"].data,
                                   theirs["state"][k]["momentum_buffer"].numpy(), rtol=1e-6)
    for g, tg in zip(ours["param_groups"], theirs["param_groups"]):
        assert g.items() <= tg.items()  # torch adds options of its own (foreach, maximize...)


def test_resume_gives_identical_updates():
    ps, opt = make()
    train(ps, opt, 3)
    saved_params = [p.data.copy() for p in ps]
    saved_state = copy.deepcopy(opt.state_dict())
    train(ps, opt, 4)  # the uninterrupted run

    ps2, opt2 = make(saved_params)
    opt2.load_state_dict(saved_state)
    train(ps2, opt2, 4)
    for p, p2 in zip(ps, ps2):
        np.testing.assert_array_equal(p.data, p2.data)


def test_loaded_buffers_do_not_alias_the_state_dict():
    ps, opt = make()
    train(ps, opt, 1)
    sd = opt.state_dict()
    ps2, opt2 = make()
    opt2.load_state_dict(sd)
    before = sd["state"][0]["momentum_buffer"].data.copy()
    train(ps2, opt2, 1)
    np.testing.assert_array_equal(sd["state"][0]["momentum_buffer"].data, before)


def test_loading_accepts_string_indices_and_numpy_buffers():
    ps, opt = make()
    train(ps, opt, 1)
    sd = opt.state_dict()
    sd["state"] = {str(k): {"momentum_buffer": v["momentum_buffer"].data.astype(np.float64)}
                   for k, v in sd["state"].items()}
    ps2, opt2 = make()
    opt2.load_state_dict(sd)
    assert opt2.state[ps2[0]]["momentum_buffer"].dtype == np.float32


def bad_group_count(sd):
    sd["param_groups"].pop()


def bad_param_count(sd):
    sd["param_groups"][0]["params"].pop()


def bad_buffer_shape(sd):
    sd["state"][2]["momentum_buffer"] = np.zeros((2, 2), np.float32)


def unknown_param(sd):
    sd["state"][7] = {"momentum_buffer": np.zeros(1, np.float32)}


def missing_option(sd):
    del sd["param_groups"][1]["momentum"]


def not_a_state_dict(sd):
    del sd["state"]


@pytest.mark.parametrize("corrupt, message", [
    (bad_group_count, "1 parameter groups, the optimizer has 2"),
    (bad_param_count, "group 0 has 1 parameters in the state dict, 2 in the optimizer"),
    (bad_buffer_shape, r"momentum_buffer of parameter 2 has shape \(2, 2\).*shape \(3,\)"),
    (unknown_param, "parameter 7"),
    (missing_option, "momentum"),
    (not_a_state_dict, "'state' and 'param_groups'"),
])
def test_mismatched_state_dict_is_refused_and_changes_nothing(corrupt, message):
    ps, opt = make()
    train(ps, opt, 2)
    sd = copy.deepcopy(opt.state_dict())
    # an optimizer in a different state, which a failed load must leave as it is
    ps2, opt2 = make()
    train(ps2, opt2, 1)
    opt2.param_groups[0]["lr"] = 0.5
    groups_before = opt2.param_groups
    buffers_before = {id(p): opt2.state[p]["momentum_buffer"].data.copy() for p in ps2}
    corrupt(sd)
    with pytest.raises(ValueError, match=message):
        opt2.load_state_dict(sd)
    assert opt2.param_groups is groups_before and opt2.param_groups[0]["lr"] == 0.5
    for p in ps2:
        np.testing.assert_array_equal(opt2.state[p]["momentum_buffer"].data, buffers_before[id(p)])


@pytest.mark.parametrize("sd", [
    {"state": [], "param_groups": []},
    {"state": {}, "param_groups": {"lr": 0.1}},
    {"state": {}, "param_groups": [{"lr": 0.1}, {"params": 3}]},
])
def test_malformed_state_dicts_raise_value_errors(sd):
    _, opt = make()
    with pytest.raises(ValueError):
        opt.load_state_dict(sd)


@pytest.mark.skipif(not __import__("minidl").cuda.is_available(), reason="needs a GPU")
def test_sgd_on_the_gpu_matches_the_cpu():
    import minidl
    ps, opt = make()
    gps, gopt = make()
    for p in gps:
        p.data = minidl.tensor(p.data).to("cuda").data
    gopt.load_state_dict(opt.state_dict())
    for _ in range(3):
        for p, g in zip(ps, gps):
            set_grad(p, cubic_grad(p.data))
            g.grad = minidl.tensor(cubic_grad(p.data)).to("cuda")
        opt.step()
        gopt.step()
    for p, g in zip(ps, gps):
        assert g.device == "cuda:0"
        np.testing.assert_allclose(minidl.tensor(g.data).numpy(), p.data, rtol=1e-6)
    # a state dict taken on the GPU loads on the CPU, with the buffers moved
    opt.load_state_dict(gopt.state_dict())
    assert all(s["momentum_buffer"].device == "cpu" for s in opt.state.values())
