"""The AlexNet, VGG and GoogLeNet papers' claims, each a paired experiment under the paper's own
protocol where a 28×28 grey-scale dataset allows it.

    python examples/experiments/paper_claims.py                  # all claims -> docs/reproduction.md
    python examples/experiments/paper_claims.py --claims 1,4     # some of them
    python examples/experiments/paper_claims.py --quick          # claims 1 and 2, tiny, 2 seeds
    python examples/experiments/paper_claims.py --report-only    # redraw the report from records

Each claim compares arms trained with the same seed (same data order, same dropout stream, the
same initial weights wherever the shapes agree). Every run is a record in
``docs/reproduction/records.jsonl`` (see runner.py): rerunning skips what finished, so the full
run resumes across sittings. Claims run one after another, all seeds of one before the next, so
a run cut short leaves some claims complete rather than every claim at two seeds. What each claim
reports, and the paper's protocol beside this one, is claims_spec.py; the report claims_report.py.
"""
import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runner  # noqa: E402  (first: sets the thread count before numpy/minidl load)
from augment import pad_crop_flip  # noqa: E402
from runner import Records  # noqa: E402

import numpy as np  # noqa: E402

import minidl  # noqa: E402
from minidl import nn  # noqa: E402
from minidl.models import (AlexNet, alexnet_small, googlenet_loss, googlenet_small,  # noqa: E402
                           init_from, ten_crop_predict, vgg_small)
from minidl.models._init import init_weights  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The full protocol (fixed before the runs). 1,000 training images a class (10,000) rather than
# 60,000: six times the budget otherwise; 500 a class more (5,000) are the validation split that
# decides the plateaus; every test image (10,000).
FULL = dict(train_per_class=1000, val_per_class=500, test_per_class=None, subset=1000,
            lr=0.01, batch_size=64, momentum=0.9, weight_decay=5e-4, width=0.25, hidden=512,
            max_epochs=20, patience=2, drops=2, seeds=[0, 1, 2, 3, 4],
            c1_lrs=[0.003, 0.01, 0.03, 0.1], c1_batch=128, c1_epochs=15, c1_sweep_seed=100,
            c1_thresholds=[0.25, 0.12], c1_per_epoch=10, c4_threshold=0.15, c8_threshold=0.5,
            protocol="issue-22 full")
QUICK = dict(FULL, train_per_class=20, val_per_class=10, test_per_class=20, subset=50,
             max_epochs=2, patience=1, drops=1, seeds=[0, 1], c1_lrs=[0.01, 0.03],
             c1_epochs=2, c1_per_epoch=2, protocol="issue-22 quick")
ORDER = [1, 2, 4, 3, 6, 5, 7, 8, 10]       # the full run's order: cheap and shared runs first
QUICK_CLAIMS = [1, 2]
NOT_TESTABLE = [9]                          # and parts of 5 and 7: see claims_spec.py


# -- data ----------------------------------------------------------------------------------------
class Data:
    """Train / validation / test as normalised float32 (N, 1, 28, 28), a fixed training subset
    for eval-mode training error, and what the records say of the data."""

    def __init__(self, data_dir, cfg, quick):
        root, desc = runner.fashion_root(data_dir, quick)
        self.desc = desc
        images, labels = runner.load_idx_split(root, True)
        test_images, test_labels = runner.load_idx_split(root, False)
        rng = np.random.default_rng(0)   # the same images for every seed and claim
        tr = runner.per_class(labels, range(10), cfg["train_per_class"], rng)
        rest = np.setdiff1d(np.arange(len(labels)), tr)
        va = rest[runner.per_class(labels[rest], range(10), cfg["val_per_class"], rng)]
        te = runner.per_class(test_labels, range(10), cfg["test_per_class"], rng)
        self.X, self.y = runner.normalize(images[tr]), labels[tr]
        self.Xv, self.yv = runner.normalize(images[va]), labels[va]
        self.Xt, self.yt = runner.normalize(test_images[te]), test_labels[te]
        k = min(cfg["subset"], len(tr))
        self.Xs, self.ys = self.X[:k], self.y[:k]            # tr is shuffled: a fixed sample
        self.channels, self.size = 1, 28
        self.fill = (0.0 - runner.FASHION_MEAN) / runner.FASHION_STD   # a black pixel
        self.id = dict(runner.dataset_id(root, desc), train_per_class=cfg["train_per_class"],
                       val_images=int(len(va)), test_per_class=cfg["test_per_class"],
                       draw="numpy default_rng(0), per class")


# -- nets ----------------------------------------------------------------------------------------
def replace_modules(model, match, make):
    """Swap every submodule m with match(m) for make(m), in place (keeps its name)."""
    targets = [(parent, name) for _, parent in model.named_modules()
               for name, child in parent.named_children() if match(child)]
    for parent, name in targets:
        setattr(parent, name, make(getattr(parent, name)))
    return len(targets)


def refit_fc6(net, data):
    """After a change of the conv part's output size: a new fc6 of the right width (He init)."""
    with minidl.no_grad():
        shape = net.features(minidl.Tensor(np.zeros((1, data.channels, data.size, data.size),
                                                    np.float32))).shape[1:]
    net.feature_shape = tuple(shape)
    old = net.classifier[0]
    fc6 = nn.Linear(int(np.prod(shape)), old.out_features)
    nn.init.kaiming_normal_(fc6.weight, mode="fan_in", nonlinearity="relu")
    nn.init.zeros_(fc6.bias)
    net.classifier[0] = fc6
    return net


def four_layer(activation):
    """Claim 1's net, after Krizhevsky's four-layer CIFAR net: three 5×5 conv layers (32, 32,
    64 maps) each followed by the activation and a 3×3 stride-2 max-pool, and one fully
    connected layer; no LRN, no dropout. 28 -> 13 -> 6 -> 2."""
    act = {"relu": nn.ReLU, "tanh": nn.Tanh}[activation]
    net = nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), act(), nn.MaxPool2d(3, 2),
                        nn.Conv2d(32, 32, 5, padding=2), act(), nn.MaxPool2d(3, 2),
                        nn.Conv2d(32, 64, 5, padding=2), act(), nn.MaxPool2d(3, 2),
                        nn.Flatten(), nn.Linear(64 * 2 * 2, 10))
    layers = [m for m in net if isinstance(m, (nn.Conv2d, nn.Linear))]
    init_weights(layers, "kaiming", output=layers[-1])
    return net


def alex(cfg, **kw):
    return alexnet_small(10, 1, 28, width=cfg["width"], hidden=cfg["hidden"], **kw)


def pooled(cfg, data, z):
    """alexnet_small with every pool z×z stride 2, sized so both arms give 14 -> 7 -> 3 maps
    (3×3 pools round up, 2×2 pools round down): fc6 sees 64×3×3 in both."""
    net = alex(cfg)
    replace_modules(net, lambda m: isinstance(m, nn.MaxPool2d),
                    lambda m: nn.MaxPool2d(z, 2, ceil_mode=(z == 3)))
    return refit_fc6(net, data)


def one_tower(cfg):
    """AlexNet's footnote: half the kernels in conv1-conv4, conv5 and fc as they are, one group."""
    c = [m.out_channels for m in alex(cfg).conv_layers()]
    return AlexNet(10, 1, 28, channels=(c[0] // 2, c[1] // 2, c[2] // 2, c[3] // 2, c[4]),
                   hidden=cfg["hidden"], conv1=(5, 1, 2), groups=1, init="kaiming")


def googlenet(cfg, aux):
    net = googlenet_small(10, True, 1, width=cfg["width"])
    if not aux:  # built with the heads and then cut, so the shared layers start the same
        net.aux_logits = False
        del net.aux1
        del net.aux2
    return net


# -- runs ----------------------------------------------------------------------------------------
class Runs:
    def __init__(self, cfg, data, records, cache, log=print):
        self.cfg, self.data, self.records, self.cache, self.log = cfg, data, records, cache, log
        os.makedirs(cache, exist_ok=True)

    def config(self, **over):
        c = self.cfg
        plateau = {"kind": "plateau", "on": "val_err (eval mode, validation split, each epoch)",
                   "patience": c["patience"], "drops": c["drops"], "factor": 0.1}
        base = dict(lr=c["lr"], epochs=c["max_epochs"], train_images=len(self.data.X),
                    test_images=len(self.data.Xt), val_images=len(self.data.Xv),
                    dataset=self.data.id, init="kaiming (He normal, fan_in; output N(0, 0.01²))",
                    threshold=None, momentum=c["momentum"], weight_decay=c["weight_decay"],
                    schedule=plateau, augment=None, batch_size=c["batch_size"],
                    width=c["width"], hidden=c["hidden"], subset=len(self.data.Xs),
                    protocol=c["protocol"])
        base.update(over)
        return base

    def run(self, experiment, arm, seed, fn, **over):
        return self.records.run(experiment, arm, self.config(**over), seed, fn, log=self.log)

    def fit(self, net, seed, config, augment=None, loss_fn=None, per_epoch=4, extra=None,
            stop=None, save=None):
        """Train by `config` (its lr, epochs, batch, momentum, weight decay, schedule); the
        history has the running error, eval-mode error on the fixed training subset at each
        record and on the validation split at each epoch's end."""
        d = self.data
        plateau = config["schedule"]["kind"] == "plateau"
        history = runner.train(
            net, d.X, d.y, epochs=config["epochs"], lr=config["lr"], seed=seed,
            batch_size=config["batch_size"], momentum=config["momentum"],
            weight_decay=config["weight_decay"], lr_drop=None, augment=augment,
            loss_fn=loss_fn, records_per_epoch=per_epoch, stop=stop,
            evals={"train_sub_err": (d.Xs, d.ys)}, epoch_evals={"val_err": (d.Xv, d.yv)},
            plateau=dict(on="val_err", patience=config["schedule"]["patience"],
                         drops=config["schedule"]["drops"]) if plateau else None)
        final = {"test_err": 1 - runner.evaluate(net, d.Xt, d.yt),
                 "train_err": 1 - runner.evaluate(net, d.X, d.y),
                 "diverged": runner.diverged(history)}
        final["gap"] = final["test_err"] - final["train_err"]
        if extra is not None:
            final.update(extra(net))
        if save:
            minidl.save(net.state_dict(), save)
        return {"history": history, "final": final}

    def seeded(self, seed, build):
        minidl.manual_seed(seed)
        return build()

    def plain(self, seed):
        """The unmodified alexnet_small: the reference arm of claims 2, 4, 5 and 6 (trained once
        per seed, experiment "alexnet")."""
        conf = self.config()
        return self.run("alexnet", "plain", seed,
                        lambda: self.fit(self.seeded(seed, lambda: alex(self.cfg)), seed, conf))

    def weights(self, experiment, arm, seed):
        conf = self.config()
        return os.path.join(self.cache, runner.run_key(experiment, arm, conf, seed)
                            + ".safetensors")


def c1_stop(threshold):
    return lambda history: history[-1]["train_sub_err"] <= threshold


def claim1_config(r, lr):
    c = r.cfg
    return dict(lr=lr, epochs=c["c1_epochs"], threshold=c["c1_thresholds"], weight_decay=0.0,
                schedule={"kind": "constant"}, batch_size=c["c1_batch"],
                net="four-layer: conv5×5 32, conv5×5 32, conv5×5 64 (each + act + pool 3/2), fc 10")


def claim1_best_lr(records, cfg, act, config_of):
    """The sweep's winner for `act`: fewest epochs to the harder threshold, then to 25%, then
    the lower final training error (censored runs count their length). None until every rate
    of the sweep has a record."""
    from claims_spec import epochs_to, last_sub_err
    scores = []
    for lr in cfg["c1_lrs"]:
        rec = records.get("claim1-sweep", act, config_of(lr), cfg["c1_sweep_seed"])
        if rec is None:
            return None
        hard, easy = min(cfg["c1_thresholds"]), max(cfg["c1_thresholds"])
        scores.append((epochs_to(rec, hard)[0], epochs_to(rec, easy)[0],
                       last_sub_err(rec), lr))
    return min(scores)[3]


def claim1(r, seed):
    hard = min(r.cfg["c1_thresholds"])
    for act in ("relu", "tanh"):
        for lr in r.cfg["c1_lrs"]:      # the sweep (its own seed), once
            conf = claim1_config(r, lr)
            r.run("claim1-sweep", act, r.cfg["c1_sweep_seed"],
                  lambda act=act, conf=conf: r.fit(
                      r.seeded(r.cfg["c1_sweep_seed"], lambda: four_layer(act)),
                      r.cfg["c1_sweep_seed"], r.config(**conf), per_epoch=r.cfg["c1_per_epoch"],
                      stop=c1_stop(hard)), **conf)
        lr = claim1_best_lr(r.records, r.cfg, act, lambda lr: r.config(**claim1_config(r, lr)))
        conf = claim1_config(r, lr)
        r.run("claim1", act, seed,
              lambda act=act, conf=conf: r.fit(r.seeded(seed, lambda: four_layer(act)), seed,
                                               r.config(**conf),
                                               per_epoch=r.cfg["c1_per_epoch"],
                                               stop=c1_stop(hard)), **conf)


def claim2(r, seed):
    r.plain(seed)

    def no_lrn():
        net = r.seeded(seed, lambda: alex(r.cfg))
        replace_modules(net, lambda m: isinstance(m, nn.LocalResponseNorm), lambda m: nn.Identity())
        return r.fit(net, seed, r.config())
    r.run("claim2", "no LRN", seed, no_lrn)


def claim3(r, seed):
    for arm, z in (("overlapping 3/2", 3), ("non-overlapping 2/2", 2)):
        r.run("claim3", arm, seed,
              lambda z=z: r.fit(r.seeded(seed, lambda: pooled(r.cfg, r.data, z)), seed,
                                r.config()), net=f"alexnet_small, pools {z}×{z} stride 2")


def claim4(r, seed):
    r.plain(seed)
    r.run("claim4", "no dropout", seed,
          lambda: r.fit(r.seeded(seed, lambda: alex(r.cfg, dropout=0.0)), seed, r.config()))


def claim5(r, seed):
    d = r.data
    r.plain(seed)

    def ten_crop(net):
        big = np.full(d.Xt.shape[:2] + (d.size + 4, d.size + 4), d.fill, np.float32)
        big[:, :, 2:-2, 2:-2] = d.Xt
        probs = np.concatenate([ten_crop_predict(net, big[i:i + 250], d.size).data
                                for i in range(0, len(big), 250)])
        return {"ten_crop_err": 1 - runner.accuracy(probs, d.yt)}

    aug = {"kind": "pad 2 with black, random 28×28 crop, horizontal flip p=0.5"}
    r.run("claim5", "crops + flips", seed,
          lambda: r.fit(r.seeded(seed, lambda: alex(r.cfg)), seed, r.config(augment=aug),
                        augment=pad_crop_flip(2, d.fill), extra=ten_crop), augment=aug)


def claim6(r, seed):
    r.plain(seed)
    r.run("claim6", "one tower, half the kernels", seed,
          lambda: r.fit(r.seeded(seed, lambda: one_tower(r.cfg)), seed, r.config()))


def vgg_a(r, seed):
    """Net A (He init), its weights kept for D and E (retrained when the cache is gone)."""
    path = r.weights("claim7", "A", seed)
    fn = lambda: r.fit(r.seeded(seed, lambda: vgg_small("A", 10, 1, 28, r.cfg["width"],  # noqa
                                                        r.cfg["hidden"])),
                       seed, r.config(), per_epoch=2, save=path)
    r.run("claim7", "A", seed, fn)
    if not os.path.exists(path):
        r.log(f"  claim7 A seed {seed}: weights not cached, retraining", flush=True)
        fn()
    return path


def from_a(r, seed, config, path):
    def build():
        net = vgg_small(config, 10, 1, 28, r.cfg["width"], r.cfg["hidden"])
        net_a = vgg_small("A", 10, 1, 28, r.cfg["width"], r.cfg["hidden"])
        net_a.load_state_dict(minidl.load(path))
        init_from(net, net_a)
        return net
    return r.seeded(seed, build)


FROM_A = "net A's first four conv and three fc layers (init_from), the rest He"


def claim7(r, seed):
    path = vgg_a(r, seed)
    r.run("claim7", "A-LRN", seed,
          lambda: r.fit(r.seeded(seed, lambda: vgg_small("A-LRN", 10, 1, 28, r.cfg["width"],
                                                          r.cfg["hidden"])), seed, r.config(),
                        per_epoch=2))
    for config in ("D", "E"):
        r.run("claim7", f"{config} (from A)", seed,
              lambda config=config: r.fit(from_a(r, seed, config, path), seed,
                                          r.config(init=FROM_A), per_epoch=2), init=FROM_A)


def claim8(r, seed):
    # the from-A arm is claim 7's "D (from A)" record (made here if claim 7 has not run)
    path = vgg_a(r, seed)
    r.run("claim7", "D (from A)", seed,
          lambda: r.fit(from_a(r, seed, "D", path), seed, r.config(init=FROM_A), per_epoch=2),
          init=FROM_A)
    init = "paper: every weight N(0, 0.01²), biases 0"
    r.run("claim8", "D from N(0, 0.01²)", seed,
          lambda: r.fit(r.seeded(seed, lambda: vgg_small("D", 10, 1, 28, r.cfg["width"],
                                                          r.cfg["hidden"], init="paper")),
                        seed, r.config(init=init, threshold=r.cfg["c8_threshold"]), per_epoch=2),
          init=init, threshold=r.cfg["c8_threshold"])


def claim10(r, seed):
    for arm, aux in (("auxiliary heads", True), ("no auxiliary heads", False)):
        r.run("claim10", arm, seed,
              lambda aux=aux: r.fit(r.seeded(seed, lambda: googlenet(r.cfg, aux)), seed,
                                    r.config(init="xavier (googlenet_small's default)"),
                                    loss_fn=googlenet_loss, per_epoch=1),
              init="xavier (googlenet_small's default)")


RUN = {1: claim1, 2: claim2, 3: claim3, 4: claim4, 5: claim5, 6: claim6, 7: claim7, 8: claim8,
       10: claim10}


def parse_claims(text):
    import claims_spec
    try:
        claims = sorted({int(c) for c in text.split(",") if c.strip()})
    except ValueError:
        raise SystemExit(f"paper_claims: --claims takes numbers 1..10 separated by commas, "
                         f"got {text!r}")
    bad = [c for c in claims if c not in claims_spec.CLAIMS]
    if bad or not claims:
        raise SystemExit(f"paper_claims: no claim {bad or text!r}; the claims are 1..10")
    return claims


def main(argv=None):
    import claims_report
    # every option's default is None or False and its help says what that means
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--claims", default=None,
                   help="comma-separated claim numbers (default: all; quick: 1,2)")
    p.add_argument("--quick", action="store_true",
                   help="a few hundred images of the embedded Fashion-MNIST, 1-2 epochs, 2 "
                        "seeds; writes to a temporary folder unless --out is given")
    p.add_argument("--data", default=None, help="a Fashion-MNIST IDX folder (default: the full "
                                                "set when installed)")
    p.add_argument("--out", default=None, help="folder for reproduction.md and reproduction/ "
                                               "(default: docs/)")
    p.add_argument("--cache", default=None, help="where net A's weights are kept (default: "
                                                 "runs/experiments/claims)")
    p.add_argument("--report-only", action="store_true", help="redraw the report from records")
    args = p.parse_args(argv)
    cfg = dict(QUICK if args.quick else FULL)
    claims = parse_claims(args.claims) if args.claims else (QUICK_CLAIMS if args.quick
                                                            else list(range(1, 11)))
    out = args.out or (tempfile.mkdtemp(prefix="claims-quick-") if args.quick
                       else os.path.join(ROOT, "docs"))
    records = Records(os.path.join(out, "reproduction", "records.jsonl"))
    command = ("python examples/experiments/paper_claims.py" + (" --quick" if args.quick else "")
               + (f" --claims {args.claims}" if args.claims else ""))
    if not args.report_only:
        start = time.time()
        runner.code_commit()   # read once, now: the records name the code this process loaded
        data = Data(args.data, cfg, args.quick)
        cache = args.cache or (os.path.join(out, "reproduction", "weights") if args.quick
                               else os.path.join(ROOT, "runs", "experiments", "claims"))
        print(f"paper_claims: claims {claims}, data {data.desc}; records in {records.path}",
              flush=True)
        r = Runs(cfg, data, records, cache)
        for claim in [c for c in ORDER if c in claims]:
            for seed in cfg["seeds"]:
                RUN[claim](r, seed)
            claims_report.write_report(records, cfg, claims, out, command)
        print(f"paper_claims: this sitting took {(time.time() - start) / 60:.1f} min", flush=True)
    claims_report.write_report(records, cfg, claims, out, command)
    print(f"paper_claims: wrote {os.path.join(out, 'reproduction.md')}", flush=True)


if __name__ == "__main__":
    main()
