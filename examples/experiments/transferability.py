"""Yosinski, Clune, Bengio & Lipson (2014), "How transferable are features in deep neural
networks?", at small scale: Fashion-MNIST halves and the small AlexNet.

    python examples/experiments/transferability.py            # full run -> docs/transfer.md
    python examples/experiments/transferability.py --quick    # a minute: tiny subsets, 1 seed
    python examples/experiments/transferability.py --report-only   # redraw from the records

The paper's design, here:
    A, B      two halves of the classes: 0-4 / 5-9, and one fixed random split
    baseA/B   the small AlexNet (8 weight layers: conv1-5, fc6-8) trained on A (or B)
    BnB, AnB  the first n = 1..7 weight layers copied from baseB / baseA and FROZEN
              (requires_grad_(False)); the layers above re-initialised and trained on B
    BnB+, AnB+  the same, but every layer fine-tuned at the same rate
    AnD       a dissimilar target: scikit-learn's 8x8 digits resized to 28x28, frozen first n
              layers of baseA (the paper's man-made -> natural split stands behind this)
    probe     a linear classifier on baseA's frozen features (pool5, fc6, fc7), the DeCAF-style
              baseline

Every run is a record in ``docs/transfer/records.jsonl`` (see runner.py); rerunning skips the runs
that finished, so an interrupted run resumes. The report takes its numbers from those records.
"""
import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runner  # noqa: E402  (first: sets the thread count before numpy/minidl load)
from runner import Records, fmt, mean_std, paired_verdict, run_key  # noqa: E402

import numpy as np  # noqa: E402

import minidl  # noqa: E402
from minidl.models import alexnet_small  # noqa: E402
from minidl.nn import Linear  # noqa: E402
from minidl.ops import flatten  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXPERIMENT = "transfer"
# the small AlexNet's weight layers in order: n copies the first n of them
LAYERS = ["features.0", "features.4", "features.8", "features.10", "features.12",
          "classifier.0", "classifier.3", "classifier.6"]
LAYER_NAMES = ["conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8"]

# The paper's Table (top-1 % on B, mean of runs; baseB 62.5), from the issue.
PAPER = {"baseB": 62.5,
         "BnB": [62.7, 62.4, 62.1, 60.5, 59.4, 61.9, 62.3],
         "AnB": [62.8, 62.4, 61.9, 60.0, 57.8, 58.1, 54.3],
         "BnB+": [61.8, 62.2, 63.1, 62.9, 63.0, 62.8, 62.7],
         "AnB+": [63.7, 63.6, 64.3, 64.0, 64.5, 64.6, 64.7]}
CURVES = ["BnB", "BnB+", "AnB", "AnB+"]

FULL = dict(a_per_class=1000, b_per_class=200, test_per_class=None, digits_train_per_class=100,
            base_epochs=5, target_epochs=6, probe_epochs=30, lr=0.01, batch_size=64, width=0.25,
            hidden=512, ns=[1, 2, 3, 4, 5, 6, 7], probe_ns=[5, 6, 7], seeds=[0, 1, 2],
            random_split=True, digits=True)
QUICK = dict(FULL, a_per_class=60, b_per_class=20, test_per_class=40, digits_train_per_class=10,
             base_epochs=1, target_epochs=1, probe_epochs=3, ns=[1, 4, 7], probe_ns=[7],
             seeds=[0], random_split=True, digits=True)

SPLIT_SEED = 2014      # the fixed random split of the classes
SUBSET_SEED = 0        # which images make the reduced training sets (the same for every seed)


# -- data ----------------------------------------------------------------------------------------
def random_split_classes():
    perm = np.random.default_rng(SPLIT_SEED).permutation(10)
    return sorted(int(c) for c in perm[:5]), sorted(int(c) for c in perm[5:])


def splits(cfg):
    out = {"0-4|5-9": ([0, 1, 2, 3, 4], [5, 6, 7, 8, 9])}
    if cfg["random_split"]:
        out["random"] = random_split_classes()
    return out


def task(images, labels, test_images, test_labels, classes, train_count, test_count, rng):
    """(X, y, X_test, y_test) of the images of `classes`, labels renumbered 0..len-1."""
    remap = np.full(10, -1)
    remap[classes] = np.arange(len(classes))
    tr = runner.per_class(labels, classes, train_count, rng)
    te = runner.per_class(test_labels, classes, test_count, rng)
    return (runner.normalize(images[tr]), remap[labels[tr]],
            runner.normalize(test_images[te]), remap[test_labels[te]])


def digits_task(cfg, rng):
    """scikit-learn's bundled 8x8 digits (1,797 images, values 0..16) resized to 28x28:
    `digits_train_per_class` a class for training, the rest for testing."""
    from sklearn.datasets import load_digits
    from minidl.data.transforms import Resize
    d = load_digits()
    small = np.rint(d.images * (255.0 / 16.0)).astype(np.uint8)[..., None]
    resize = Resize((28, 28))
    images = np.stack([resize(im)[..., 0] for im in small])
    labels = d.target.astype(np.int64)
    tr = runner.per_class(labels, range(10), cfg["digits_train_per_class"], rng)
    rest = np.setdiff1d(np.arange(len(labels)), tr)
    te = rest if cfg["test_per_class"] is None else rest[
        runner.per_class(labels[rest], range(10), cfg["test_per_class"], rng)]
    return (runner.normalize(images[tr]), labels[tr], runner.normalize(images[te]), labels[te])


def load_tasks(cfg, root):
    images, labels = runner.load_idx_split(root, True)
    test_images, test_labels = runner.load_idx_split(root, False)
    rng = np.random.default_rng(SUBSET_SEED)
    tasks = {}
    for name, (a, b) in splits(cfg).items():
        tasks[(name, "A")] = task(images, labels, test_images, test_labels, a,
                                  cfg["a_per_class"], cfg["test_per_class"], rng)
        tasks[(name, "B")] = task(images, labels, test_images, test_labels, b,
                                  cfg["b_per_class"], cfg["test_per_class"], rng)
    if cfg["digits"]:
        tasks[("digits", "D")] = digits_task(cfg, rng)
    return tasks


# -- nets and surgery ----------------------------------------------------------------------------
def new_net(cfg, classes, init_seed):
    minidl.manual_seed(init_seed)
    return alexnet_small(classes, in_channels=1, input_size=28, width=cfg["width"],
                         hidden=cfg["hidden"])


def weight_layer(net, i):
    return net.get_submodule(LAYERS[i])


def transplant(net, base_state, n, freeze):
    """Copy the first n weight layers of `base_state` into `net` (load_state_dict(strict=False)
    with only those keys), freezing them if `freeze`. The layers above keep `net`'s fresh init."""
    keep = tuple(LAYERS[i] + "." for i in range(n))
    part = {k: v for k, v in base_state.items() if k.startswith(keep)}
    result = net.load_state_dict(part, strict=False)
    assert not result.unexpected_keys, result.unexpected_keys
    copied = {k for k in net.state_dict() if k.startswith(keep)}
    assert copied == set(part), (sorted(copied), sorted(part))
    if freeze:
        for i in range(n):
            weight_layer(net, i).requires_grad_(False)
    return net


def features_at(net, X, n, batch_size=500):
    """Outputs of weight layer n (5: pool5 flattened, 6: fc6 + ReLU, 7: fc7 + ReLU) in eval
    mode, no graph: (N, d) float32."""
    if n not in (5, 6, 7):
        raise ValueError(f"features_at: n must be 5, 6 or 7, got {n}")
    net.eval()
    out = []
    with minidl.no_grad():
        for i in range(0, len(X), batch_size):
            h = flatten(net.features(minidl.Tensor(X[i:i + batch_size])), 1)
            for j in range((n - 5) * 3):        # fc6, ReLU, dropout (eval: identity), fc7, ...
                h = net.classifier[j](h)
            out.append(h.data)
    return np.concatenate(out)


# -- the runs ------------------------------------------------------------------------------------
class Experiment:
    def __init__(self, cfg, tasks, records, cache, log=print):
        self.cfg, self.tasks, self.records, self.cache, self.log = cfg, tasks, records, cache, log
        self.settings = {k: cfg[k] for k in ("a_per_class", "b_per_class", "test_per_class",
                                             "digits_train_per_class", "base_epochs",
                                             "target_epochs", "lr", "batch_size", "width",
                                             "hidden")}
        os.makedirs(cache, exist_ok=True)

    def config(self, **extra):
        return dict(self.settings, **extra)

    def fit(self, net, data, epochs, seed):
        X, y, Xt, yt = data
        history = runner.train(net, X, y, epochs=epochs, lr=self.cfg["lr"], seed=seed,
                               batch_size=self.cfg["batch_size"], records_per_epoch=1)
        final = {"test_top1": runner.evaluate(net, Xt, yt), "train_images": int(len(X)),
                 "test_images": int(len(Xt)), "diverged": runner.diverged(history)}
        return {"history": history, "final": final}

    def base(self, split, half, seed):
        """baseA / baseB of `split` for `seed`: its state dict (trained now or read back)."""
        arm, config = f"base{half}", self.config(split=split, target=half)
        path = os.path.join(self.cache, run_key(EXPERIMENT, arm, config, seed) + ".safetensors")
        data = self.tasks[(split, half)]

        def fn():
            net = new_net(self.cfg, 5, init_seed=seed)
            out = self.fit(net, data, self.cfg["base_epochs"], seed)
            minidl.save(net.state_dict(), path)
            return out

        self.records.run(EXPERIMENT, arm, config, seed, fn, log=self.log)
        if not os.path.exists(path):  # a record from another machine: retrain the weights
            self.log(f"  {arm} {split} seed {seed}: weights not cached, retraining", flush=True)
            fn()
        return minidl.load(path)

    def transfer(self, arm, split, target, n, seed, base_state):
        """BnB / AnB (frozen) or BnB+ / AnB+ (fine-tuned) or AnD on `target`."""
        fine_tune = arm.endswith("+")
        config = self.config(split=split, target=target, n=n)
        data = self.tasks[(split, "B") if target == "B" else ("digits", "D")]
        classes = int(data[1].max()) + 1

        def fn():
            # the re-initialised layers: the same init for every arm at this (seed, n)
            net = new_net(self.cfg, classes, init_seed=1000 + 100 * seed + n)
            transplant(net, base_state, n, freeze=not fine_tune)
            return self.fit(net, data, self.cfg["target_epochs"], seed)

        return self.records.run(EXPERIMENT, arm, config, seed, fn, log=self.log)

    def target_base(self, seed):
        """baseD: the net trained from scratch on the digits' training images."""
        config = self.config(split="digits", target="D")

        def fn():
            net = new_net(self.cfg, 10, init_seed=seed)
            return self.fit(net, self.tasks[("digits", "D")], self.cfg["target_epochs"], seed)

        return self.records.run(EXPERIMENT, "baseD", config, seed, fn, log=self.log)

    def probe(self, split, target, n, seed, base_state):
        """A linear classifier on baseA's frozen layer-n features (computed once)."""
        config = self.config(split=split, target=target, n=n, probe_epochs=self.cfg["probe_epochs"])
        data = self.tasks[(split, "B") if target == "B" else ("digits", "D")]

        def fn():
            X, y, Xt, yt = data
            net = new_net(self.cfg, 5, init_seed=seed)
            net.load_state_dict(base_state)
            f, ft = features_at(net, X, n), features_at(net, Xt, n)
            mu, sd = f.mean(axis=0), f.std(axis=0) + 1e-6    # standardise on the training set
            f, ft = (f - mu) / sd, (ft - mu) / sd
            minidl.manual_seed(1000 + 100 * seed + n)
            head = Linear(f.shape[1], int(y.max()) + 1)
            history = runner.train(head, f.astype(np.float32), y,
                                   epochs=self.cfg["probe_epochs"], lr=self.cfg["lr"], seed=seed,
                                   batch_size=self.cfg["batch_size"])
            final = {"test_top1": runner.evaluate(head, ft.astype(np.float32), yt),
                     "features": int(f.shape[1]), "train_images": int(len(X)),
                     "test_images": int(len(Xt)), "diverged": runner.diverged(history)}
            return {"history": history, "final": final}

        return self.records.run(EXPERIMENT, "probe", config, seed, fn, log=self.log)

    def run_split(self, split, seed, with_digits):
        base_a = self.base(split, "A", seed)
        base_b = self.base(split, "B", seed)
        for n in self.cfg["ns"]:
            for arm, state in (("BnB", base_b), ("AnB", base_a), ("BnB+", base_b),
                               ("AnB+", base_a)):
                self.transfer(arm, split, "B", n, seed, state)
        for n in self.cfg["probe_ns"]:
            self.probe(split, "B", n, seed, base_a)
        if with_digits:
            self.target_base(seed)
            for n in self.cfg["ns"]:
                self.transfer("AnD", split, "D", n, seed, base_a)
            for n in self.cfg["probe_ns"]:
                self.probe(split, "D", n, seed, base_a)


# -- the report ----------------------------------------------------------------------------------
class Table:
    """Final top-1 by (arm, split, target, n) -> {seed: value}, from the records."""

    def __init__(self, records, settings):
        self.values = {}
        for r in records.select(EXPERIMENT, **settings):
            c = r["config"]
            key = (r["arm"], c["split"], c["target"], c.get("n"))
            self.values.setdefault(key, {})[r["seed"]] = r["final"]["test_top1"]

    def seeds(self, arm, split, target="B", n=None):
        return self.values.get((arm, split, target, n), {})

    def stat(self, arm, split, target="B", n=None):
        return mean_std(self.seeds(arm, split, target, n).values())

    def per_seed(self, fn, seeds):
        """fn(seed) for each seed where every value it needs exists (KeyError: skipped)."""
        out = []
        for s in seeds:
            try:
                out.append(fn(s))
            except KeyError:
                pass
        return out


def findings(t, split, ns, seeds):
    """The paper's four findings as per-seed paired contrasts (see the rule in the report)."""
    v = lambda arm, n=None, target="B": (  # noqa: E731
        lambda s: t.seeds(arm, split, target, n)[s])
    base = lambda target="B": (  # noqa: E731  (baseD is stored under split "digits")
        lambda s: t.seeds(f"base{target}", split if target == "B" else "digits", target)[s])
    lo, hi = min(ns), max(ns)
    middle = [n for n in ns if 3 <= n <= 5]
    ends = [lo, hi]
    out = []
    d = t.per_seed(lambda s: v("AnB", hi)(s) - v("AnB", lo)(s), seeds)
    out.append(("Frozen transfer falls at the top (specificity)",
                f"AnB(n={hi}) − AnB(n={lo})", PAPER["AnB"][hi - 1] - PAPER["AnB"][lo - 1],
                -1, d))
    d = t.per_seed(lambda s: v("AnB", lo)(s) - base()(s), seeds)
    out.append(("…and holds for the first layers",
                f"AnB(n={lo}) − baseB", PAPER["AnB"][lo - 1] - PAPER["baseB"], 0, d))
    if middle:
        d = t.per_seed(lambda s: np.mean([v("BnB", n)(s) for n in middle])
                       - np.mean([v("BnB", n)(s) for n in ends]), seeds)
        paper = (np.mean([PAPER["BnB"][n - 1] for n in middle])
                 - np.mean([PAPER["BnB"][n - 1] for n in ends]))
        out.append(("BnB dips in the middle (co-adaptation)",
                    f"mean BnB(n={','.join(map(str, middle))}) − mean BnB(n={lo},{hi})",
                    paper, -1, d))
    per_n = []
    for n in ns:
        d = t.per_seed(lambda s, n=n: v("AnB+", n)(s) - base()(s), seeds)
        per_n.append((n, d))
    d = t.per_seed(lambda s: np.mean([v("AnB+", n)(s) for n in ns]) - base()(s), seeds)
    out.append(("AnB+ beats baseB at every n",
                "mean over n of AnB+(n) − baseB (and each n)",
                np.mean([PAPER["AnB+"][n - 1] for n in ns]) - PAPER["baseB"], +1, d, per_n))
    if ("baseD", "digits", "D", None) in t.values or any(k[0] == "AnD" for k in t.values):
        d = t.per_seed(lambda s: np.mean([v("AnB", n)(s) / base()(s)
                                          - v("AnD", n, "D")(s) / base("D")(s) for n in ns]),
                       seeds)
        out.append(("Dissimilar transfer falls further",
                    "mean over n of AnB(n)/baseB − AnD(n)/baseD", None, +1, d))
    return out


def verdict_of(finding):
    name, what, paper, sign, d = finding[:5]
    if sign == 0:  # "holds": reproduced unless decisively lower
        verdict, m, se, n = paired_verdict(d, +1)
        if verdict == "not reproduced":
            return "not reproduced", m, se, n
        return ("reproduced" if n >= 2 else "inconclusive"), m, se, n
    verdict, m, se, n = paired_verdict(d, sign)
    if len(finding) > 5 and verdict == "reproduced":  # every n must be decisively above too
        each = [paired_verdict(dn, sign)[0] for _, dn in finding[5]]
        if any(e == "not reproduced" for e in each):
            return "not reproduced", m, se, n
        if not all(e == "reproduced" for e in each):
            return "inconclusive", m, se, n
    return verdict, m, se, n


def plot(t, cfg, split_names, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    panels = list(split_names) + (["relative"] if cfg["digits"] else [])
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.2), squeeze=False)
    style = {"BnB": dict(marker="o", color="#1f4e9c", mfc="white"),
             "BnB+": dict(marker="o", color="#6fa8dc"),
             "AnB": dict(marker="D", color="#b22222", mfc="white"),
             "AnB+": dict(marker="D", color="#f08080")}
    ns = np.array(cfg["ns"])
    for ax, split in zip(axes[0], panels):
        if split == "relative":
            for sp, arm, target, base, kw in [
                    ("0-4|5-9", "AnB", "B", "baseB", dict(marker="D", color="#b22222")),
                    ("random", "AnB", "B", "baseB", dict(marker="s", color="#888888")),
                    ("0-4|5-9", "AnD", "D", "baseD", dict(marker="^", color="#2e8b57"))]:
                bm = t.stat(base, sp if target == "B" else "digits", target)[0]
                ys = [[x / bm for x in t.seeds(arm, sp, target, n).values()] for n in ns]
                m = [np.mean(y) if y else np.nan for y in ys]
                s = [np.std(y, ddof=1) if len(y) > 1 else 0 for y in ys]
                label = (f"{arm} / {base} ({'digits' if target == 'D' else sp})")
                ax.errorbar(ns, m, yerr=s, capsize=3, label=label, **kw)
            for target, kw in (("B", dict(color="#b22222")), ("D", dict(color="#2e8b57"))):
                sp_base = "baseB" if target == "B" else "baseD"
                bm = t.stat(sp_base, "0-4|5-9" if target == "B" else "digits", target)[0]
                pn = cfg["probe_ns"]
                pm = [t.stat("probe", "0-4|5-9", target, n)[0] / bm for n in pn]
                ax.plot(pn, pm, ls="none", marker="*", ms=11, label=f"linear probe ({target})",
                        **kw)
            ax.axhline(1.0, color="k", lw=1)
            ax.set_title("relative top-1: similar (B) vs dissimilar (digits)")
            ax.set_ylabel("top-1 / base net's top-1")
        else:
            bm, bs, bn = t.stat("baseB", split)
            bm, bs = 100 * bm, 100 * bs             # percent, as the paper's axes
            if bn:
                ax.axhline(bm, color="k", lw=1, label="baseB")
                ax.axhspan(bm - bs, bm + bs, color="k", alpha=0.08)
                ax.errorbar([0], [bm], yerr=[bs], marker="o", color="k", mfc="white", capsize=3)
            for i, arm in enumerate(CURVES):
                stats = [t.stat(arm, split, "B", n) for n in ns]
                m = [100 * s[0] for s in stats]
                s = [100 * s[1] for s in stats]
                ax.errorbar(ns + (i - 1.5) * 0.07, m, yerr=s, capsize=3, label=arm, lw=1,
                            **style[arm])
            a, b = splits(cfg)[split]
            ax.set_title(f"A = classes {a}, B = {b}", fontsize=10)
            ax.set_ylabel("top-1 (%) on B's test images")
        ax.set_xlabel("layer n at which the net is chopped")
        ax.set_xticks(range(0, 8))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def timing(records, settings):
    """'X min of run time, first finished ..., last ...' from the records."""
    recs = records.select(EXPERIMENT, **settings)
    stamps = sorted(r["finished"] for r in recs)
    return (f"{sum(r['seconds'] for r in recs) / 60:.1f} min of wall-clock run time, one thread on a shared 2-core machine; first "
            f"finished {stamps[0]}, last {stamps[-1]}")


def write_report(records, cfg, out_dir, data_desc, quick, elapsed=None):
    settings = {k: cfg[k] for k in ("a_per_class", "b_per_class", "test_per_class",
                                    "digits_train_per_class", "base_epochs", "target_epochs",
                                    "lr", "batch_size", "width", "hidden")}
    t = Table(records, settings)
    names = list(splits(cfg))
    os.makedirs(os.path.join(out_dir, "transfer"), exist_ok=True)
    plot(t, cfg, names, os.path.join(out_dir, "transfer", "transfer.png"))
    seeds, ns = cfg["seeds"], cfg["ns"]
    expected = []  # every run the full command makes, to list what is missing
    for split in names:
        expected += [("baseA", split, "A", None), ("baseB", split, "B", None)]
        expected += [(arm, split, "B", n) for n in ns for arm in CURVES]
        expected += [("probe", split, "B", n) for n in cfg["probe_ns"]]
    if cfg["digits"]:
        expected += [("baseD", "digits", "D", None)]
        expected += [("AnD", "0-4|5-9", "D", n) for n in ns]
        expected += [("probe", "0-4|5-9", "D", n) for n in cfg["probe_ns"]]
    missing = [(k, s) for k in expected for s in seeds if s not in t.values.get(k, {})]
    done = sum(len(t.values.get(k, {})) for k in expected)
    L = []
    w = L.append
    w("# How transferable are features? (Yosinski et al. 2014) at small scale\n")
    w("Generated by `python examples/experiments/transferability.py"
      + (" --quick" if quick else "") + "` from the records in `transfer/records.jsonl`; "
      "every number below is read from those records (rerun with `--report-only` to redraw). "
      f"{done} of {len(expected) * len(seeds)} runs finished"
      + (f" ({timing(records, settings)})" if done else "")
      + (f"; this sitting took {elapsed / 60:.1f} min" if elapsed else "") + ".\n")
    if missing:
        w(f"**Missing runs ({len(missing)})** — rerun the command to finish them: "
          + ", ".join(f"{a}{'' if n is None else f'(n={n})'} {sp}/{tg} seed {s}"
                      for (a, sp, tg, n), s in missing[:40])
          + (" …" if len(missing) > 40 else "") + "\n")
    if not quick:
        w(runner.provenance(list(records.by_key.values())) + "\n")
    w("## Setup (and what was scaled down)\n")
    a, b = splits(cfg)["0-4|5-9"]
    w(f"- Data: {data_desc}. Halves A = classes {a}, B = {b}"
      + (f"; the fixed random split (numpy seed {SPLIT_SEED}) is A = {splits(cfg)['random'][0]}, "
         f"B = {splits(cfg)['random'][1]}" if cfg["random_split"] else "") + ".")
    w(f"- Training sets reduced: A {cfg['a_per_class']} images a class, B {cfg['b_per_class']} "
      "a class (the paper's halves had ~1,300 a class; small B is where transfer matters). "
      "The images are drawn once (numpy seed 0) and are the same for every seed. "
      + ("Test: all of B's test images (1,000 a class). " if cfg["test_per_class"] is None else
         f"Test: {cfg['test_per_class']} of B's test images a class. "))
    w(f"- Net: `alexnet_small` (width {cfg['width']}: conv 24-64-96-96-64, fc6/fc7 "
      f"{cfg['hidden']} units, LRN, groups=2, overlapping pools, dropout 0.5, He init); its 8 "
      "weight layers conv1–conv5, fc6–fc8 are n = 1..8. The paper's nets were full AlexNets on "
      "ImageNet trained for 90 epochs.")
    w(f"- Training: SGD momentum 0.9, weight decay 5e-4, batch {cfg['batch_size']}, lr "
      f"{cfg['lr']} divided by 10 for the last quarter of the epochs; base nets "
      f"{cfg['base_epochs']} epochs, every net trained on B (and on the digits) "
      f"{cfg['target_epochs']} epochs. Fine-tuned arms (`+`) train every layer at that same rate.")
    w("- Frozen = `requires_grad_(False)` on the copied layers (SGD gets only the rest); copied "
      "= `load_state_dict(strict=False)` with the first n layers' keys; the layers above n get "
      "a fresh He init, the same one for every arm at a given (seed, n). Dropout in frozen fc "
      "layers stays on in training, as in the paper (only weights were frozen).")
    if cfg["digits"]:
        w(f"- Dissimilar target (D): scikit-learn's bundled 8×8 digits (1,797 images) resized "
          f"to 28×28 (bilinear); {cfg['digits_train_per_class']} a class for training, the rest "
          "for testing. AnD = baseA's first n layers frozen, the rest trained on the digits; "
          "baseD = the net trained on the digits alone.")
    w(f"- Linear probe: baseA's features at n = {cfg['probe_ns']} (5 = pool5, 6 = fc6, 7 = fc7, "
      "each after its ReLU; eval mode, computed once, standardised on the training set) and a "
      f"linear classifier trained {cfg['probe_epochs']} epochs with the same SGD.")
    w(f"- Seeds: {seeds}. Seed s sets the base nets' init, the data order and dropout; each "
      "arm at seed s uses the base nets of seed s, so arms are paired by seed.\n")

    w("## Top-1 on B's test images (%, mean ± std over seeds)\n")
    w("![top-1 vs n](transfer/transfer.png)\n")
    for split in names:
        w(f"### Split {split}: A = {splits(cfg)[split][0]}, B = {splits(cfg)[split][1]}\n")
        w("| arm | " + " | ".join(f"n={n}" for n in ns) + " |")
        w("|---|" + "---|" * len(ns))
        for arm in CURVES:
            w(f"| {arm} | " + " | ".join(fmt(*t.stat(arm, split, "B", n)) for n in ns) + " |")
        if split == "0-4|5-9":
            for arm in CURVES:
                w(f"| paper {arm} | " + " | ".join(f"{PAPER[arm][n - 1]:.1f}" for n in ns) + " |")
        w("")
        w(f"baseB {fmt(*t.stat('baseB', split))}; baseA on A's test images "
          f"{fmt(*t.stat('baseA', split, 'A'))}"
          + ("; paper baseB 62.5" if split == "0-4|5-9" else "") + ". Linear probe on baseA's "
          "features: " + ", ".join(f"n={n} {fmt(*t.stat('probe', split, 'B', n))}"
                                   for n in cfg["probe_ns"]) + ".\n")
    if cfg["digits"]:
        w("### Dissimilar target: digits\n")
        w("| arm | " + " | ".join(f"n={n}" for n in ns) + " |")
        w("|---|" + "---|" * len(ns))
        w("| AnD | " + " | ".join(fmt(*t.stat("AnD", "0-4|5-9", "D", n)) for n in ns) + " |")
        w("")
        w(f"baseD {fmt(*t.stat('baseD', 'digits', 'D'))}. Linear probe on baseA's features: "
          + ", ".join(f"n={n} {fmt(*t.stat('probe', '0-4|5-9', 'D', n))}"
                      for n in cfg["probe_ns"]) + ".\n")

    w("## The paper's findings, checked\n")
    w(runner.VERDICT_RULE + " For the finding that frozen transfer *holds* for the first "
      "layers the paper's difference is about zero, so it is **reproduced** unless the "
      "difference is decisively negative (then **not reproduced**); for *AnB+ beats baseB at "
      "every n* the mean over n must be decisively positive and so must each n's difference "
      "(any n decisively negative: **not reproduced**; some n undecided: **inconclusive**). "
      "Differences are in top-1 points (×100) except the dissimilar one, a ratio.\n")
    text = []
    for split in names:
        fs = findings(t, split, ns, seeds)
        if split != "0-4|5-9":
            fs = [f for f in fs if not f[0].startswith("Dissimilar")]
        w(f"### Split {split}\n")
        w("| finding | contrast (per seed) | paper | here: mean ± se (seeds) | verdict |")
        w("|---|---|---|---|---|")
        for f in fs:
            verdict, m, se, n = verdict_of(f)
            scale = 1.0 if f[0].startswith("Dissimilar") else 100.0
            paper = "—" if f[2] is None else f"{f[2]:+.1f}"
            here = "—" if n == 0 else (f"{m * scale:+.2f} ± {se * scale:.2f} ({n})" if n > 1
                                       else f"{m * scale:+.2f} (1)")
            w(f"| {f[0]} | {f[1]} | {paper} | {here} | **{verdict}** |")
            if len(f) > 5:
                each = [(n_, paired_verdict(dn, +1)) for n_, dn in f[5]]
                w("| ↳ each n | AnB+(n) − baseB | +1.2…+2.2 | "
                  + "; ".join(f"n={n_}: {v[1] * 100:+.1f}" if v[3] else f"n={n_}: —"
                              for n_, v in each) + " | "
                  + f"{sum(v[0] == 'reproduced' for _, v in each)} of {len(each)} decisive |")
            text.append((split, f[0], verdict, m, se, n, f[2], f[3], scale))
        w("")
    w("### In words\n")
    for split in names:
        rows = [x for x in text if x[0] == split]
        if not rows:
            continue
        w(f"On the {split} split:\n")
        for _, name, verdict, m, se, n, paper, sign, scale in rows:
            unit = "" if scale == 1.0 else " points"
            if n == 0:
                w(f"- *{name}*: not run yet.")
                continue
            here = f"{m * scale:+.2f}{unit}" + (f" ± {se * scale:.2f} (se, {n} seeds)" if n > 1
                                                 else " (1 seed)")
            ref = "" if paper is None else f" (paper {paper:+.1f}{unit})"
            if sign == 0:
                direction = ("no loss, as in the paper" if m >= 0 or verdict == "reproduced"
                             else "a loss the paper did not see")
            else:
                direction = ("the paper's direction" if m * sign > 0 else
                             "the opposite of the paper's direction")
            plain = {"reproduced": "reproduced",
                     "not reproduced": "**did not reproduce**",
                     "inconclusive": ("inconclusive: within the seeds' spread" if n > 1
                                      else "inconclusive: one seed only")}[verdict]
            w(f"- *{name}*: {here}{ref} — {direction}; {plain}.")
        failed = [x[1] for x in rows if x[2] == "not reproduced"]
        unseen = [x[1] for x in rows if x[2] == "inconclusive" and x[5] > 0]
        w("\n" + ("**Did not reproduce** (decisively against the paper): "
                  + "; ".join(f"*{x}*" for x in failed) + ". " if failed else
                  "No finding went decisively against the paper on this split. ")
          + ("**Not reproduced either** (no decisive effect in the paper's direction): "
             + "; ".join(f"*{x}*" for x in unseen) + "." if unseen else "") + "\n")
    w("Scale matters for reading these: the paper's nets were trained on ~645,000 images "
      "a half for 90 epochs and its A and B were random halves of 1,000 ImageNet classes; "
      "here the halves are five clothing classes each, B has a few hundred images a class "
      "and every net trains for a few epochs, so the base nets are far less specialised "
      "than the paper's and an effect of one or two points can hide in the seeds' spread.")
    with open(os.path.join(out_dir, "transfer.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(L) + "\n")
    return t


def main(argv=None):
    # every option's default is None or False and its help says what that means
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="tiny subsets of the embedded Fashion-MNIST, 1 seed, n in {1,4,7}: "
                        "about a minute; writes to a temporary folder unless --out is given")
    p.add_argument("--out", default=None, help="where transfer.md and transfer/ go "
                                               "(default: docs/, or a temp folder with --quick)")
    p.add_argument("--data", default=None, help="a Fashion-MNIST IDX folder (default: the full "
                                                "set when installed, else the embedded subset)")
    p.add_argument("--cache", default=None, help="where base nets' weights are kept "
                                                 "(default: runs/experiments/transfer)")
    p.add_argument("--seeds", type=int, default=None, help="number of seeds (default 3; quick 1)")
    p.add_argument("--report-only", action="store_true", help="redraw the report from the records")
    args = p.parse_args(argv)
    cfg = dict(QUICK if args.quick else FULL)
    if args.seeds is not None:
        cfg["seeds"] = list(range(args.seeds))
    out = args.out or (tempfile.mkdtemp(prefix="transfer-quick-") if args.quick
                       else os.path.join(ROOT, "docs"))
    cache = args.cache or (os.path.join(out, "transfer", "weights") if args.quick
                           else os.path.join(ROOT, "runs", "experiments", "transfer"))
    root, data_desc = runner.fashion_root(args.data, args.quick)
    records = Records(os.path.join(out, "transfer", "records.jsonl"))
    start = time.time()
    if not args.report_only:
        print(f"transferability: data {data_desc}; records in {records.path}", flush=True)
        tasks = load_tasks(cfg, root)
        exp = Experiment(cfg, tasks, records, cache)
        for split in splits(cfg):
            for seed in cfg["seeds"]:
                exp.run_split(split, seed, with_digits=cfg["digits"] and split == "0-4|5-9")
                write_report(records, cfg, out, data_desc, args.quick, time.time() - start)
    write_report(records, cfg, out, data_desc, args.quick,
                 None if args.report_only else time.time() - start)
    print(f"transferability: wrote {os.path.join(out, 'transfer.md')}", flush=True)


if __name__ == "__main__":
    main()
