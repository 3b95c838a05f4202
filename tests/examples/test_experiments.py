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
    base = dict(epochs=1, train_images=10, test_images=5, dataset={"name": "x", "files": {}},
                init="kaiming", threshold=None, momentum=0.9, weight_decay=0.0,
                schedule={"kind": "constant"}, augment=None)

    def fn():
        calls.append(1)
        return {"history": [{"epoch": 1, "train_loss": 0.5, "train_err": 0.2}],
                "final": {"test_top1": 0.75}}

    rec = runner.Records(path)
    first = rec.run("exp", "arm", dict(base, lr=0.1), 0, fn, log=lambda *a, **k: None)
    rec.run("exp", "arm", dict(base, lr=0.1), 0, fn, log=lambda *a, **k: None)
    assert len(calls) == 1
    rec.run("exp", "arm", dict(base, lr=0.1), 1, fn, log=lambda *a, **k: None)   # another seed: runs
    rec.run("exp", "arm", dict(base, lr=0.2), 0, fn, log=lambda *a, **k: None)   # another config: runs
    assert len(calls) == 3
    with open(path, "a") as f:
        f.write('{"experiment": "exp", "arm"')                          # a run killed mid-write
    again = runner.Records(path)
    assert len(again.by_key) == 3
    assert again.get("exp", "arm", dict(base, lr=0.1), 0)["final"] == first["final"]
    again.run("exp", "arm", dict(base, lr=0.1), 0, fn, log=lambda *a, **k: None)
    assert len(calls) == 3
    assert len(again.select("exp", lr=0.1)) == 2


def test_mean_std_and_paired():
    m, s, n = runner.mean_std([0.1, 0.2, 0.3, float("nan")])
    assert (round(m, 10), round(s, 10), n) == (0.2, 0.1, 3)
    assert runner.mean_std([0.5])[1:] == (0.0, 1)
    assert runner.paired([{"seed": 0, "v": 1}, {"seed": 1, "v": 2}],
                         [{"seed": 1, "v": 5}, {"seed": 2, "v": 9}], lambda r: r["v"]) == [3]


def test_records_refuse_a_config_without_the_required_fields(tmp_path):
    rec = runner.Records(tmp_path / "records.jsonl")
    with pytest.raises(ValueError, match="lacks"):
        rec.run("exp", "arm", {"lr": 0.1}, 0, lambda: {"final": {}}, log=lambda *a, **k: None)


def test_plateau_schedule_divides_the_rate_and_stops():
    """A validation error that never improves after epoch 0: lr / 10 after `patience` epochs,
    at most `drops` times, then the run stops at the next plateau."""
    minidl.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 3))
    X = np.random.default_rng(0).normal(size=(16, 4)).astype(np.float32)
    y = np.arange(16) % 3
    Xv = np.zeros((6, 4), np.float32)           # the same prediction for all: error fixed
    yv = np.array([0, 1, 2, 0, 1, 2])
    h = runner.train(net, X, y, epochs=20, lr=0.1, seed=0, batch_size=8, lr_drop=None,
                     epoch_evals={"val_err": (Xv, yv)}, evals={"sub": (X[:4], y[:4])},
                     plateau=dict(on="val_err", patience=2, drops=1))
    # val error 4/6 whatever the net: best at epoch 0; epochs 1, 2 without a new best -> lr / 10
    # from epoch 3; epochs 3, 4 without -> the second plateau, past `drops`: stop after epoch 4
    assert [r["lr"] for r in h] == [0.1, 0.1, 0.1, 0.01, 0.01]
    assert h[-1].get("plateau_stop") and "val_err" in h[0] and "sub" in h[0]


def test_train_updates_only_parameters_that_require_grad():
    minidl.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    net[0].requires_grad_(False)
    frozen = net[0].weight.data.copy()
    head = net[2].weight.data.copy()
    X = np.random.default_rng(0).normal(size=(40, 4)).astype(np.float32)
    y = np.arange(40) % 3
    history = runner.train(net, X, y, epochs=2, lr=0.1, seed=0, batch_size=8,
                           records_per_epoch=2, evals={"sub": (X[:10], y[:10])},
                           epoch_evals={"val": (X[10:], y[10:])})
    assert [h["epoch"] for h in history] == [0.4, 1.0, 1.4, 2.0]   # 5 steps an epoch, cut after 2 and 5
    assert all("sub" in h for h in history)
    assert ["val" in h for h in history] == [False, True, False, True]   # epoch ends only
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


# -- the quick modes, end to end (the default suite runs them: seconds each) --------------------
def _records(path):
    return [json.loads(line) for line in open(path, encoding="utf-8")]


FIELDS = ("claim", "arm", "seed", "lr", "epochs", "train_images", "test_images", "dataset",
          "init", "threshold", "momentum", "weight_decay", "schedule", "augment", "threads",
          "versions", "history")


def _check_fields(recs):
    for r in recs:
        missing = [k for k in FIELDS if k not in r]
        assert not missing, (r["arm"], missing)
        assert len(r["dataset"]["files"]) == 4
        assert all(len(h) == 64 for h in r["dataset"]["files"].values())    # SHA-256 hex
        assert set(r["versions"]) >= {"minidl", "numpy", "numba"}
        assert r["history"] and "epoch" in r["history"][0]


def _report_only_redraws(script, out, name):
    before = (out / name).read_text()
    pngs = {p.name: p.read_bytes() for p in (out / name.replace(".md", "")).glob("*.png")}
    for p in (out / name.replace(".md", "")).glob("*.png"):
        p.unlink()
    (out / name).write_text("")
    run_script(script, "--quick", "--out", out, "--report-only", timeout=300)
    assert (out / name).read_text() == before
    assert {p.name: p.read_bytes() for p in (out / name.replace(".md", "")).glob("*.png")} == pngs


def test_transferability_quick_writes_the_report_from_its_records(tmp_path):
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    text = run_script("experiments/transferability.py", "--quick", "--out", tmp_path, timeout=600)
    assert "wrote" in text
    report = (tmp_path / "transfer.md").read_text()
    assert (tmp_path / "transfer" / "transfer.png").read_bytes()[:8] == PNG
    recs = _records(tmp_path / "transfer" / "records.jsonl")
    _check_fields(recs)
    arms = {r["arm"] for r in recs}
    assert arms == {"baseA", "baseB", "BnB", "AnB", "BnB+", "AnB+", "baseD", "AnD", "probe"}
    assert "the study is complete" in report
    # equal halves, and baseB trained by the same schedule as every arm on B
    sizes = {(r["config"]["target"], r["train_images"]) for r in recs if r["arm"] != "probe"}
    assert ("A", 60) in sizes and ("B", 60) in sizes
    base_b = [r for r in recs if r["arm"] == "baseB"]
    assert all(r["schedule"] == base_b[0]["schedule"] for r in recs
               if r["config"]["target"] == "B" and r["arm"] != "probe")
    # the numbers in the report are the records' numbers (runs that failed are left out)
    import transfer_report as TR
    anb = {}
    for r in recs:
        if r["arm"] == "AnB" and r["config"]["target"] == "B" and not TR.failed(r):
            anb.setdefault(r["config"]["n"], []).append(r["final"]["test_top1"])
    row = re.search(r"^\| AnB \| (.*) \|$", report, re.M).group(1).split(" | ")[:3]
    assert row == [runner.fmt(*runner.mean_std(anb.get(n, []))) for n in (1, 3, 7)]
    assert "AnB+(n) − BnB+(n)" in report and "Holm" in report
    # a rerun resumes: nothing is trained again; --report-only redraws byte for byte
    text = run_script("experiments/transferability.py", "--quick", "--out", tmp_path, timeout=600)
    assert " seed 0: " not in text
    assert len(_records(tmp_path / "transfer" / "records.jsonl")) == len(recs)
    _report_only_redraws("experiments/transferability.py", tmp_path, "transfer.md")


def test_paper_claims_quick_writes_the_report_from_its_records(tmp_path):
    pytest.importorskip("matplotlib")
    text = run_script("experiments/paper_claims.py", "--quick", "--out", tmp_path, timeout=600)
    assert "wrote" in text
    report = (tmp_path / "reproduction.md").read_text()
    for claim in (1, 2):
        assert f"## Claim {claim}:" in report
        assert (tmp_path / "reproduction" / f"claim{claim}.png").read_bytes()[:8] == PNG
    assert "## Claim 3:" not in report
    recs = _records(tmp_path / "reproduction" / "records.jsonl")
    _check_fields(recs)
    assert {(r["experiment"], r["arm"]) for r in recs} == {
        ("claim1-sweep", "relu"), ("claim1-sweep", "tanh"), ("claim1", "relu"),
        ("claim1", "tanh"), ("alexnet", "plain"), ("claim2", "no LRN")}
    assert len([r for r in recs if r["experiment"] == "claim1-sweep"]) == 4   # 2 rates × 2
    # claim 1: constant rate, no weight decay, eval-mode training error on the subset
    for r in recs:
        if r["experiment"].startswith("claim1"):
            assert r["schedule"] == {"kind": "constant"} and r["weight_decay"] == 0.0
            assert r["threshold"] == [0.25, 0.12] and "train_sub_err" in r["history"][0]
    import claims_report as CR
    no_lrn = [r["final"]["test_err"] for r in recs if r["arm"] == "no LRN" and not CR.failed(r)]
    row = re.search(r"^\| no LRN \| 2 \(\d\) \| (.*) \|$", report, re.M).group(1).split(" | ")
    assert row[0] == runner.fmt(*runner.mean_std(no_lrn))
    assert "| 1 | full records | 4 of 4 |" in report     # 2 arms × 2 seeds (the sweep apart)
    assert "| 2 | full records | 4 of 4 |" in report
    text = run_script("experiments/paper_claims.py", "--quick", "--out", tmp_path, timeout=600)
    assert " seed 0: " not in text
    assert len(_records(tmp_path / "reproduction" / "records.jsonl")) == len(recs)
    _report_only_redraws("experiments/paper_claims.py", tmp_path, "reproduction.md")


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


def test_claim1_sweep_reads_a_diverged_run_as_the_worst():
    import claims_spec as S
    ok = {"history": [{"epoch": 0.5, "train_sub_err": 0.3}, {"epoch": 1.0, "train_sub_err": 0.2}],
          "final": {"diverged": False}}
    bad = {"history": [{"epoch": 0.5, "train_sub_err": 0.2},
                       {"epoch": 0.6, "train_loss": float("nan"), "diverged": True}],
           "final": {"diverged": True}}
    assert S.last_sub_err(ok) == 0.2 and S.last_sub_err(bad) == 1.0
    assert S.epochs_to(bad, 0.25) == (0.5, False)       # it got there before it diverged
    assert S.epochs_to(bad, 0.1) == (0.6, True)         # never: its length, censored
