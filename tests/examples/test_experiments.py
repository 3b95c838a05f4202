"""The experiment scripts (examples/experiments/): their shared pieces, and both quick modes end to
end -- the report is written, its numbers are the records' numbers, and a rerun resumes."""
import json
import math
import os
import re
import sys

import numpy as np
import pytest

from script_helpers import PNG, ROOT, run_script

sys.path.insert(0, os.path.join(ROOT, "examples", "experiments"))
import augment  # noqa: E402
import runner  # noqa: E402

import minidl  # noqa: E402
from minidl import nn  # noqa: E402
from minidl.data.transforms.resize import resize_bilinear  # noqa: E402


# -- runner --------------------------------------------------------------------------------------
def test_records_skip_finished_runs_and_survive_a_cut_line(tmp_path):
    path = tmp_path / "records.jsonl"
    calls = []

    def fn():
        calls.append(1)
        return {"history": [{"epoch": 1, "train_loss": 0.5, "train_err": 0.2}],
                "final": {"test_top1": 0.75}}

    rec = runner.Records(path)
    first = rec.run("exp", "arm", {"lr": 0.1}, 0, fn, log=lambda *a, **k: None)
    rec.run("exp", "arm", {"lr": 0.1}, 0, fn, log=lambda *a, **k: None)
    assert len(calls) == 1
    rec.run("exp", "arm", {"lr": 0.1}, 1, fn, log=lambda *a, **k: None)   # another seed: runs
    rec.run("exp", "arm", {"lr": 0.2}, 0, fn, log=lambda *a, **k: None)   # another config: runs
    assert len(calls) == 3
    with open(path, "a") as f:
        f.write('{"experiment": "exp", "arm"')                          # a run killed mid-write
    again = runner.Records(path)
    assert len(again.by_key) == 3
    assert again.get("exp", "arm", {"lr": 0.1}, 0)["final"] == first["final"]
    again.run("exp", "arm", {"lr": 0.1}, 0, fn, log=lambda *a, **k: None)
    assert len(calls) == 3
    assert len(again.select("exp", lr=0.1)) == 2


def test_mean_std_and_the_verdict_rule():
    m, s, n = runner.mean_std([0.1, 0.2, 0.3, float("nan")])
    assert (round(m, 10), round(s, 10), n) == (0.2, 0.1, 3)
    assert runner.mean_std([0.5])[1:] == (0.0, 1)
    # mean 2, sd 0.1, se 0.0577: decisive either way
    assert runner.paired_verdict([1.9, 2.0, 2.1], +1)[0] == "reproduced"
    assert runner.paired_verdict([1.9, 2.0, 2.1], -1)[0] == "not reproduced"
    # mean 0.1, sd 1: within the spread
    assert runner.paired_verdict([-0.9, 0.1, 1.1], +1)[0] == "inconclusive"
    assert runner.paired_verdict([5.0], +1)[0] == "inconclusive"          # one seed
    # the boundary: |m| must exceed 2 se strictly
    d = [1.0, 2.0, 3.0]                                                   # m 2, se 0.577
    verdict, m, se, n = runner.paired_verdict(d, +1)
    assert verdict == "reproduced" and math.isclose(se, 1 / math.sqrt(3)) and n == 3
    assert runner.paired([{"seed": 0, "v": 1}, {"seed": 1, "v": 2}],
                         [{"seed": 1, "v": 5}, {"seed": 2, "v": 9}], lambda r: r["v"]) == [3]


def test_train_updates_only_parameters_that_require_grad():
    minidl.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    net[0].requires_grad_(False)
    frozen = net[0].weight.data.copy()
    head = net[2].weight.data.copy()
    X = np.random.default_rng(0).normal(size=(40, 4)).astype(np.float32)
    y = np.arange(40) % 3
    history = runner.train(net, X, y, epochs=2, lr=0.1, seed=0, batch_size=8,
                           records_per_epoch=2)
    assert [h["epoch"] for h in history] == [0.4, 1.0, 1.4, 2.0]   # 5 steps an epoch, cut after 2 and 5
    assert np.array_equal(net[0].weight.data, frozen)
    assert not np.allclose(net[2].weight.data, head)
    assert 0 <= runner.evaluate(net, X, y) <= 1


# -- augmentations -------------------------------------------------------------------------------
def test_resize_batch_matches_minidl_resize():
    x = np.random.default_rng(1).normal(size=(3, 2, 9, 9)).astype(np.float32)
    out = augment.resize_batch(x, 13)
    for i in range(3):
        ref = resize_bilinear(x[i].transpose(1, 2, 0), 13, 13).transpose(2, 0, 1)
        np.testing.assert_allclose(out[i], ref, rtol=1e-5, atol=1e-5)


def test_crops_flips_scales_and_intensity_keep_shapes_and_content():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 1, 8, 8)).astype(np.float32)
    out = augment.pad_crop_flip(2, [-1.0])(x, np.random.default_rng(0))
    assert out.shape == x.shape
    # every output is a shifted (maybe mirrored) copy: its values are the image's or the fill
    for o, i in zip(out, x):
        assert set(np.round(o.ravel(), 5)) <= set(np.round(i.ravel(), 5)) | {-1.0}
    out = augment.scale_crop_flip(8, 8, 12)(x, np.random.default_rng(0))
    assert out.shape == x.shape
    same = augment.scale_crop_flip(8, 8, 8)(x, np.random.default_rng(0))   # S = size: flips only
    for o, i in zip(same, x):
        assert np.array_equal(o, i) or np.array_equal(o, i[..., ::-1])
    shift = augment.intensity_pca([0.04], [[1.0]], [0.5])(x, np.random.default_rng(0)) - x
    per_image = shift.reshape(6, -1)
    assert np.allclose(per_image, per_image[:, :1], atol=1e-6)   # one offset per image
    assert np.abs(per_image).max() < 0.04 * 0.1 * 6 / 0.5             # a ~ N(0, 0.1), 6 sigma


# -- the transferability surgery -----------------------------------------------------------------
def test_transplant_copies_and_freezes_the_first_n_layers():
    import transferability as T
    cfg = dict(T.QUICK)
    base = T.new_net(cfg, 5, init_seed=0)
    state = {k: v.data.copy() for k, v in base.state_dict().items()}
    net = T.transplant(T.new_net(cfg, 5, init_seed=1), state, 3, freeze=True)
    for i, name in enumerate(T.LAYERS):
        layer = net.get_submodule(name)
        same = np.array_equal(layer.weight.data, state[name + ".weight"])
        assert same == (i < 3), name
        assert layer.weight.requires_grad == (i >= 3), name
    X = np.random.default_rng(0).normal(size=(16, 1, 28, 28)).astype(np.float32)
    runner.train(net, X, np.arange(16) % 5, epochs=1, lr=0.05, seed=0, batch_size=8)
    assert np.array_equal(net.get_submodule("features.8").weight.data, state["features.8.weight"])
    assert not np.array_equal(net.get_submodule("features.10").weight.data,
                              state["features.10.weight"])
    f = T.features_at(base, X, 6)
    assert f.shape == (16, cfg["hidden"]) and (f >= 0).all()


def test_claim_surgery_replaces_modules_in_place():
    import paper_claims as P
    net = minidl.models.alexnet_small(10)
    assert P.replace_modules(net, lambda m: isinstance(m, nn.ReLU), lambda m: nn.Tanh()) == 7
    assert not any(isinstance(m, nn.ReLU) for m in net.modules())
    assert P.replace_modules(net, lambda m: isinstance(m, nn.MaxPool2d),
                             lambda m: nn.MaxPool2d(2, 2)) == 3

    class D:
        channels, size = 1, 28
    P.refit_fc6(net, D)
    assert net.classifier[0].in_features == 64 * 3 * 3
    assert net(minidl.Tensor(np.zeros((2, 1, 28, 28), np.float32))).shape == (2, 10)


# -- the quick modes, end to end -----------------------------------------------------------------
def _records(path):
    return [json.loads(line) for line in open(path, encoding="utf-8")]


@pytest.mark.slow
def test_transferability_quick_writes_the_report_from_its_records(tmp_path):
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    text = run_script("experiments/transferability.py", "--quick", "--out", tmp_path, timeout=600)
    assert "wrote" in text
    report = (tmp_path / "transfer.md").read_text()
    assert (tmp_path / "transfer" / "transfer.png").read_bytes()[:8] == PNG
    recs = _records(tmp_path / "transfer" / "records.jsonl")
    arms = {r["arm"] for r in recs}
    assert arms == {"baseA", "baseB", "BnB", "AnB", "BnB+", "AnB+", "baseD", "AnD", "probe"}
    assert "Missing runs" not in report
    # the numbers in the report are the records' numbers
    base_b = [r for r in recs if r["arm"] == "baseB" and r["config"]["split"] == "0-4|5-9"][0]
    assert f"baseB {100 * base_b['final']['test_top1']:.1f} ± 0.0" in report
    anb = {r["config"]["n"]: r["final"]["test_top1"] for r in recs
           if r["arm"] == "AnB" and r["config"]["split"] == "0-4|5-9"}
    row = re.search(r"^\| AnB \| (.*) \|$", report, re.M).group(1).split(" | ")
    assert row == [f"{100 * anb[n]:.1f} ± 0.0" for n in sorted(anb)]
    for word in ("reproduced", "inconclusive"):
        assert word in report
    # a rerun resumes: nothing is trained again
    text = run_script("experiments/transferability.py", "--quick", "--out", tmp_path, timeout=600)
    assert " seed 0: " not in text
    assert len(_records(tmp_path / "transfer" / "records.jsonl")) == len(recs)


@pytest.mark.slow
def test_paper_claims_quick_writes_the_report_from_its_records(tmp_path):
    pytest.importorskip("matplotlib")
    text = run_script("experiments/paper_claims.py", "--quick", "--out", tmp_path, timeout=600)
    assert "wrote" in text
    report = (tmp_path / "reproduction.md").read_text()
    for claim in (1, 9):
        assert f"## Claim {claim}:" in report
        assert (tmp_path / "reproduction" / f"claim{claim}.png").read_bytes()[:8] == PNG
    assert "## Claim 2:" not in report
    recs = _records(tmp_path / "reproduction" / "records.jsonl")
    assert {(r["experiment"], r["arm"]) for r in recs} == {
        ("claim1", "relu"), ("claim1", "tanh"), ("claim9", "fixed S"),
        ("claim9", "scale jittering")}
    tanh = [r for r in recs if r["arm"] == "tanh"][0]
    row = re.search(r"^\| tanh \| 1 \| (.*) \|$", report, re.M).group(1).split(" | ")
    assert row[1] == f"{100 * tanh['final']['test_err']:.1f} ± 0.0"
    jit = [r for r in recs if r["arm"] == "scale jittering"][0]
    row = re.search(r"^\| scale jittering \| 1 \| (.*) \|$", report, re.M).group(1).split(" | ")
    assert row == [f"{100 * jit['final'][k]:.1f} ± 0.0"
                   for k in ("single_err", "multi_crop_err", "dense_err", "multi+dense_err")]
    assert "**inconclusive**" in report     # one seed decides nothing, by the rule
    text = run_script("experiments/paper_claims.py", "--quick", "--out", tmp_path, timeout=600)
    assert " seed 0: " not in text
    assert len(_records(tmp_path / "reproduction" / "records.jsonl")) == len(recs)


def test_paper_claims_rejects_unknown_claims(tmp_path):
    import subprocess
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "experiments",
                                                         "paper_claims.py"), "--claims", "0,11",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "the claims are 1..10" in proc.stderr


@pytest.mark.parametrize("numpy_first, expected", [(False, "1"), (True, "None")])
def test_runner_sets_thread_counts_only_before_numpy_loads(numpy_first, expected):
    """Before NumPy: one thread per library (the scripts). After (a test process): nothing, so
    Numba's running thread pool and NUMBA_NUM_THREADS never disagree."""
    import subprocess
    code = ("import os, sys\n" + ("import numpy\n" if numpy_first else "")
            + f"sys.path.insert(0, {os.path.join(ROOT, 'examples', 'experiments')!r})\n"
            "import runner\nprint(os.environ.get('NUMBA_NUM_THREADS'))\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_NUM_THREADS", "MINIDL_EXPERIMENT_THREADS")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-1] == expected
