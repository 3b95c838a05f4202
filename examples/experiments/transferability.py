"""Yosinski, Clune, Bengio & Lipson (2014), "How transferable are features in deep neural
networks?", under the paper's protocol at small scale: equal Fashion-MNIST halves, the small
AlexNet, every net trained to a plateau on a validation split.

    python examples/experiments/transferability.py                # full run -> docs/transfer.md
    python examples/experiments/transferability.py --quick        # seconds: tiny halves, 2 seeds
    python examples/experiments/transferability.py --report-only  # redraw from the records

The paper's design, here:
    A, B      two halves of the classes, 0-4 / 5-9 (and, with --random-split, one fixed random
              split), of EQUAL size: 2,000 training and 500 validation images a class each
    baseA/B   the small AlexNet (8 weight layers: conv1-5, fc6-8) trained on A (or B) to a
              plateau of its validation error (lr / 10 on a plateau, twice; stop at the third)
    BnB, AnB  the first n weight layers copied from baseB / baseA and FROZEN
              (requires_grad_(False)); the layers above re-initialised and trained on B by the
              same schedule as the base nets (so baseB trains as long as every arm: to a plateau)
    BnB+, AnB+  the same, every layer fine-tuned at the same rate; AnB+ - BnB+ is the paper's
              own control for "transfer boosts generalisation" (both have the extra training)
    AnD       a dissimilar target: scikit-learn's 8x8 digits resized to 28x28, frozen first n
              layers of baseA (the paper's man-made -> natural split stands behind this)
    probe     a linear classifier on baseA's frozen features (pool5, fc6, fc7)

Every run is a record in ``docs/transfer/records.jsonl`` (see runner.py); rerunning skips the runs
that finished, so an interrupted run resumes. transfer_report.py writes the report from them.
"""
import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runner  # noqa: E402  (first: sets the thread count before numpy/minidl load)
from runner import Records, run_key  # noqa: E402

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

# Fixed before the runs. Equal halves of 10,000 training images (2,000 a class; the paper's were
# ~645,000 each, equal); every test image of the half (5,000). ns: the ends and middle of the
# paper's n = 1..7 (its findings need those); all seven is --ns 1,2,3,4,5,6,7.
FULL = dict(train_per_class=2000, val_per_class=500, test_per_class=None,
            digits_train_per_class=100, max_epochs=20, patience=2, drops=2, probe_epochs=30,
            lr=0.01, batch_size=64, momentum=0.9, weight_decay=5e-4, width=0.25, hidden=512,
            ns=[1, 3, 5, 7], probe_ns=[5, 6, 7], seeds=[0, 1, 2, 3, 4], random_split=False,
            digits=True, protocol="issue-22 full")
QUICK = dict(FULL, train_per_class=12, val_per_class=4, test_per_class=10,
             digits_train_per_class=5, max_epochs=1, patience=1, drops=0, probe_epochs=2,
             ns=[1, 3, 7], probe_ns=[7], seeds=[0, 1], random_split=False, digits=True,
             protocol="issue-22 quick")

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


def task(images, labels, test_images, test_labels, classes, cfg, rng):
    """(X, y, X_val, y_val, X_test, y_test) of the images of `classes`, labels renumbered
    0..len-1: `train_per_class` and `val_per_class` (disjoint) of the training images, and
    `test_per_class` of the test images (all when None)."""
    remap = np.full(10, -1)
    remap[classes] = np.arange(len(classes))
    tr = runner.per_class(labels, classes, cfg["train_per_class"], rng)
    rest = np.setdiff1d(np.arange(len(labels)), tr)
    va = rest[runner.per_class(labels[rest], classes, cfg["val_per_class"], rng)]
    te = runner.per_class(test_labels, classes, cfg["test_per_class"], rng)
    return (runner.normalize(images[tr]), remap[labels[tr]],
            runner.normalize(images[va]), remap[labels[va]],
            runner.normalize(test_images[te]), remap[test_labels[te]])


def digits_task(cfg, rng):
    """scikit-learn's bundled 8x8 digits (1,797 images, values 0..16) resized to 28x28:
    `digits_train_per_class` a class for training, 30 a class of the rest for validation, the
    rest for testing."""
    from sklearn.datasets import load_digits
    from minidl.data.transforms import Resize
    d = load_digits()
    small = np.rint(d.images * (255.0 / 16.0)).astype(np.uint8)[..., None]
    resize = Resize((28, 28))
    images = np.stack([resize(im)[..., 0] for im in small])
    labels = d.target.astype(np.int64)
    tr = runner.per_class(labels, range(10), cfg["digits_train_per_class"], rng)
    rest = np.setdiff1d(np.arange(len(labels)), tr)
    va = rest[runner.per_class(labels[rest], range(10), 30, rng)]
    rest = np.setdiff1d(rest, va)
    te = rest if cfg["test_per_class"] is None else rest[
        runner.per_class(labels[rest], range(10), cfg["test_per_class"], rng)]
    return (runner.normalize(images[tr]), labels[tr], runner.normalize(images[va]), labels[va],
            runner.normalize(images[te]), labels[te])


def load_tasks(cfg, root):
    images, labels = runner.load_idx_split(root, True)
    test_images, test_labels = runner.load_idx_split(root, False)
    rng = np.random.default_rng(SUBSET_SEED)
    tasks = {}
    for name, (a, b) in splits(cfg).items():
        tasks[(name, "A")] = task(images, labels, test_images, test_labels, a, cfg, rng)
        tasks[(name, "B")] = task(images, labels, test_images, test_labels, b, cfg, rng)
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
    def __init__(self, cfg, tasks, records, cache, dataset, log=print):
        self.cfg, self.tasks, self.records, self.cache, self.log = cfg, tasks, records, cache, log
        self.dataset = dataset
        os.makedirs(cache, exist_ok=True)

    def config(self, data, **extra):
        c = self.cfg
        schedule = {"kind": "plateau", "on": "val_err (eval mode, the task's validation split, "
                    "each epoch)", "patience": c["patience"], "drops": c["drops"],
                    "factor": 0.1}
        base = dict(lr=c["lr"], epochs=c["max_epochs"], train_images=int(len(data[0])),
                    val_images=int(len(data[2])), test_images=int(len(data[4])),
                    dataset=self.dataset, init="kaiming (He normal, fan_in; fc8 N(0, 0.01²))",
                    threshold=None, momentum=c["momentum"], weight_decay=c["weight_decay"],
                    schedule=schedule, augment=None, batch_size=c["batch_size"],
                    width=c["width"], hidden=c["hidden"], protocol=c["protocol"])
        base.update(extra)
        return base

    def fit(self, net, data, seed, config):
        X, y, Xv, yv, Xt, yt = data
        history = runner.train(net, X, y, epochs=config["epochs"], lr=config["lr"], seed=seed,
                               batch_size=config["batch_size"], momentum=config["momentum"],
                               weight_decay=config["weight_decay"], lr_drop=None,
                               records_per_epoch=1, epoch_evals={"val_err": (Xv, yv)},
                               plateau=dict(on="val_err", patience=config["schedule"]["patience"],
                                            drops=config["schedule"]["drops"]))
        final = {"test_top1": runner.evaluate(net, Xt, yt),
                 "train_err": 1 - runner.evaluate(net, X, y),
                 "diverged": runner.diverged(history)}
        return {"history": history, "final": final}

    def base(self, split, half, seed):
        """baseA / baseB of `split` for `seed`: its state dict (trained now or read back)."""
        data = self.tasks[(split, half)]
        arm, config = f"base{half}", self.config(data, split=split, target=half)
        path = os.path.join(self.cache, run_key(EXPERIMENT, arm, config, seed) + ".safetensors")

        def fn():
            net = new_net(self.cfg, 5, init_seed=seed)
            out = self.fit(net, data, seed, config)
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
        data = self.tasks[(split, "B") if target == "B" else ("digits", "D")]
        config = self.config(data, split=split, target=target, n=n,
                             init=f"first {n} weight layers copied from the base net"
                                  f"{'' if fine_tune else ' and frozen'}; the rest He normal")
        classes = int(data[1].max()) + 1

        def fn():
            # the re-initialised layers: the same init for every arm at this (seed, n)
            net = new_net(self.cfg, classes, init_seed=1000 + 100 * seed + n)
            transplant(net, base_state, n, freeze=not fine_tune)
            return self.fit(net, data, seed, config)

        return self.records.run(EXPERIMENT, arm, config, seed, fn, log=self.log)

    def target_base(self, seed):
        """baseD: the net trained from scratch on the digits' training images."""
        data = self.tasks[("digits", "D")]
        config = self.config(data, split="digits", target="D")
        return self.records.run(
            EXPERIMENT, "baseD", config, seed,
            lambda: self.fit(new_net(self.cfg, 10, init_seed=seed), data, seed, config),
            log=self.log)

    def probe(self, split, target, n, seed, base_state):
        """A linear classifier on baseA's frozen layer-n features (computed once)."""
        data = self.tasks[(split, "B") if target == "B" else ("digits", "D")]
        config = self.config(data, split=split, target=target, n=n,
                             epochs=self.cfg["probe_epochs"], schedule={"kind": "constant"},
                             init="linear head, minidl's default Linear init")

        def fn():
            X, y, _, _, Xt, yt = data
            net = new_net(self.cfg, 5, init_seed=seed)
            net.load_state_dict(base_state)
            f, ft = features_at(net, X, n), features_at(net, Xt, n)
            mu, sd = f.mean(axis=0), f.std(axis=0) + 1e-6    # standardise on the training set
            f, ft = (f - mu) / sd, (ft - mu) / sd
            minidl.manual_seed(1000 + 100 * seed + n)
            head = Linear(f.shape[1], int(y.max()) + 1)
            history = runner.train(head, f.astype(np.float32), y, epochs=config["epochs"],
                                   lr=config["lr"], seed=seed, lr_drop=None,
                                   batch_size=config["batch_size"])
            final = {"test_top1": runner.evaluate(head, ft.astype(np.float32), yt),
                     "train_err": 1 - runner.evaluate(head, f.astype(np.float32), y),
                     "features": int(f.shape[1]), "diverged": runner.diverged(history)}
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


def main(argv=None):
    import transfer_report
    # every option's default is None or False and its help says what that means
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="a few dozen images a class of the embedded Fashion-MNIST, 2 seeds, "
                        "n in {1,3,7}, 1 epoch; writes to a temporary folder unless --out")
    p.add_argument("--out", default=None, help="where transfer.md and transfer/ go "
                                               "(default: docs/, or a temp folder with --quick)")
    p.add_argument("--data", default=None, help="a Fashion-MNIST IDX folder (default: the full "
                                                "set when installed, else the embedded subset)")
    p.add_argument("--cache", default=None, help="where base nets' weights are kept "
                                                 "(default: runs/experiments/transfer)")
    p.add_argument("--random-split", action="store_true",
                   help="also the fixed random split of the classes (doubles the runs)")
    p.add_argument("--report-only", action="store_true", help="redraw the report from the records")
    args = p.parse_args(argv)
    cfg = dict(QUICK if args.quick else FULL)
    cfg["random_split"] = cfg["random_split"] or args.random_split
    out = args.out or (tempfile.mkdtemp(prefix="transfer-quick-") if args.quick
                       else os.path.join(ROOT, "docs"))
    cache = args.cache or (os.path.join(out, "transfer", "weights") if args.quick
                           else os.path.join(ROOT, "runs", "experiments", "transfer"))
    records = Records(os.path.join(out, "transfer", "records.jsonl"))
    command = ("python examples/experiments/transferability.py" + (" --quick" if args.quick
                                                                   else "")
               + (" --random-split" if args.random_split else ""))
    if not args.report_only:
        start = time.time()
        runner.code_commit()   # read once, now: the records name the code this process loaded
        root, data_desc = runner.fashion_root(args.data, args.quick)
        print(f"transferability: data {data_desc}; records in {records.path}", flush=True)
        tasks = load_tasks(cfg, root)
        dataset = dict(runner.dataset_id(root, data_desc), train_per_class=cfg["train_per_class"],
                       val_per_class=cfg["val_per_class"], test_per_class=cfg["test_per_class"],
                       draw=f"numpy default_rng({SUBSET_SEED}), per class",
                       digits="scikit-learn load_digits (8×8, resized to 28×28)"
                       if cfg["digits"] else None)
        exp = Experiment(cfg, tasks, records, cache, dataset)
        for split in splits(cfg):
            for seed in cfg["seeds"]:
                exp.run_split(split, seed, with_digits=cfg["digits"] and split == "0-4|5-9")
                transfer_report.write_report(records, cfg, out, command)
        print(f"transferability: this sitting took {(time.time() - start) / 60:.1f} min",
              flush=True)
    transfer_report.write_report(records, cfg, out, command)
    print(f"transferability: wrote {os.path.join(out, 'transfer.md')}", flush=True)


if __name__ == "__main__":
    main()
