"""``Adam``/``AdamW`` step by step against ``torch.optim`` on the same parameters and gradients,
options included (amsgrad, weight_decay, maximize), and their state dicts in PyTorch's layout."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl.nn import Parameter

torch = pytest.importorskip("torch")

CASES = [dict(), dict(amsgrad=True), dict(weight_decay=0.1), dict(maximize=True),
         dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.3, amsgrad=True)]


def run_both(kind, options, dtype, steps=8, seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (5,)]
    start = [rng.standard_normal(s).astype(dtype) for s in shapes]
    ours = [Parameter(a.copy()) for a in start]
    theirs = [torch.nn.Parameter(torch.tensor(a.copy())) for a in start]
    opt = getattr(minidl.optim, kind)(ours, **options)
    topt = getattr(torch.optim, kind)(theirs, **options)
    for _ in range(steps):
        for p, t in zip(ours, theirs):
            g = (p.data ** 3 - 0.5 * p.data + rng.standard_normal(p.shape)).astype(dtype)
            p.grad, t.grad = minidl.tensor(g), torch.tensor(g)
        opt.step()
        topt.step()
        yield ours, theirs, opt, topt


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("options", CASES)
@pytest.mark.parametrize("kind", ["Adam", "AdamW"])
def test_every_step_matches_torch(kind, options, dtype):
    tol = 1e-12 if dtype == np.float64 else 2e-6
    for ours, theirs, _, _ in run_both(kind, options, dtype):
        for p, t in zip(ours, theirs):
            assert p.dtype == dtype
            np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("kind", ["Adam", "AdamW"])
def test_state_dict_has_torchs_layout_and_round_trips(kind):
    *_, (ours, theirs, opt, topt) = run_both(kind, dict(amsgrad=True), np.float64, steps=3)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sd["param_groups"] == tsd["param_groups"]
    assert set(sd["state"]) == set(tsd["state"]) == {0, 1}
    for i in (0, 1):
        assert list(sd["state"][i]) == list(tsd["state"][i])
        for key, value in tsd["state"][i].items():
            np.testing.assert_allclose(sd["state"][i][key].numpy(), value.numpy(), rtol=1e-12)
        assert sd["state"][i]["step"].shape == () and sd["state"][i]["step"].dtype == np.float32

    # torch's state dict, converted to arrays, loads into a fresh minidl optimizer and continues
    fresh = [Parameter(t.detach().numpy().copy()) for t in theirs]
    opt2 = getattr(minidl.optim, kind)(fresh, amsgrad=True)
    opt2.load_state_dict({"state": {i: {k: v.numpy().copy() for k, v in s.items()}
                                    for i, s in tsd["state"].items()},
                          "param_groups": tsd["param_groups"]})
    g = [np.full(p.shape, 0.3) for p in fresh]
    for p, t, gi in zip(fresh, theirs, g):
        p.grad, t.grad = minidl.tensor(gi), torch.tensor(gi)
    opt2.step()
    topt.step()
    for p, t in zip(fresh, theirs):
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-12)


def test_defaults_and_errors_are_torchs():
    p = [Parameter(np.zeros(2))]
    assert minidl.optim.AdamW(p).defaults["weight_decay"] == 0.01
    assert minidl.optim.Adam(p).defaults["weight_decay"] == 0
    for bad in (dict(lr=-1), dict(eps=-1), dict(betas=(1.0, 0.9)), dict(weight_decay=-1)):
        with pytest.raises(ValueError):
            minidl.optim.Adam(p, **bad)
        with pytest.raises(ValueError):
            torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))], **bad)


@settings(max_examples=15, deadline=None)
@given(st.floats(1e-4, 0.5), st.floats(0.0, 0.95), st.floats(0.5, 0.9999), st.floats(0.0, 0.5),
       st.booleans(), st.booleans(), st.sampled_from(["Adam", "AdamW"]), st.integers(0, 99))
def test_random_options_match_torch(lr, beta1, beta2, wd, amsgrad, maximize, kind, seed):
    options = dict(lr=lr, betas=(beta1, beta2), weight_decay=wd, amsgrad=amsgrad,
                   maximize=maximize)
    for ours, theirs, _, _ in run_both(kind, options, np.float64, steps=4, seed=seed):
        pass
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-10, atol=1e-12)
