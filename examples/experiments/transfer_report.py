"""docs/transfer.md from the records alone (transferability.py makes them): the tables, the
paper's findings as paired contrasts under verdict.py's rule, the plot, the data and compute."""
import os

import numpy as np

import verdict as V
from claims_report import data_lines, detectable, verdict_cell
from runner import fmt, mean_std, provenance
from transferability import CURVES, EXPERIMENT, PAPER, SPLIT_SEED, splits


def failed(rec):
    """Diverged, or the final eval-mode training error never left chance."""
    classes = 10 if rec["config"]["target"] == "D" else 5
    return bool(rec["final"].get("diverged")) or rec["final"]["train_err"] > 1 - 1.2 / classes


class Table:
    """(arm, split, target, n) -> {seed: record} of one protocol, from the records."""

    def __init__(self, records, cfg):
        self.all = [r for r in records.by_key.values() if r["experiment"] == EXPERIMENT
                    and r["config"].get("protocol") == cfg["protocol"]]
        self.runs = {}
        for r in self.all:
            c = r["config"]
            key = (r["arm"], c["split"], c["target"], c.get("n"))
            self.runs.setdefault(key, {})[r["seed"]] = r

    def seeds(self, arm, split, target="B", n=None):
        return self.runs.get((arm, split, target, n), {})

    def top1(self, arm, split, target="B", n=None):
        """seed -> test top-1 of the runs that did not fail."""
        return {s: r["final"]["test_top1"] for s, r in self.seeds(arm, split, target, n).items()
                if not failed(r)}

    def stat(self, arm, split, target="B", n=None, key=None):
        runs = [r for r in self.seeds(arm, split, target, n).values() if not failed(r)]
        vals = [r["final"]["test_top1"] if key is None else key(r) for r in runs]
        return mean_std(vals)


def per_seed(fn, seeds):
    """[fn(s)] over the seeds where every value it needs exists (missing or failed: left out)."""
    out = []
    for s in seeds:
        try:
            out.append(fn(s))
        except KeyError:
            pass
    return out


def findings(t, split, cfg):
    """[(name, contrast text, paper text, verdict.Contrast, per-seed differences)]; every
    difference is in top-1 (fraction), written so the paper's effect is positive."""
    ns, seeds = cfg["ns"], cfg["seeds"]
    v = lambda arm, n=None, target="B": t.top1(arm, split, target, n)   # noqa: E731
    base_b = lambda s: t.top1("baseB", split)[s]                       # noqa: E731
    lo, hi = min(ns), max(ns)
    middle = [n for n in ns if 3 <= n <= 5]
    paper = lambda arm, n: PAPER[arm][n - 1]                            # noqa: E731
    out = []
    size = (paper("AnB", lo) - paper("AnB", hi)) / 100
    out.append(("Frozen transfer falls at the top (specificity)", f"AnB(n={lo}) − AnB(n={hi})",
                f"+{100 * size:.1f}", V.Contrast("spec", +1, size),
                per_seed(lambda s: v("AnB", lo)[s] - v("AnB", hi)[s], seeds)))
    out.append(("…and holds for the first layers (no worse than baseB)",
                f"AnB(n={lo}) − baseB", f"{paper('AnB', lo) - PAPER['baseB']:+.1f}; TOST ±1.0",
                V.Contrast("holds", 0, margin=0.01, against=-1),
                per_seed(lambda s: v("AnB", lo)[s] - base_b(s), seeds)))
    if middle:
        ends = [lo, hi]
        size = (np.mean([paper("BnB", n) for n in ends])
                - np.mean([paper("BnB", n) for n in middle])) / 100
        out.append(("BnB dips in the middle (co-adaptation)",
                    f"mean BnB(n={','.join(map(str, ends))}) − mean BnB(n="
                    f"{','.join(map(str, middle))})", f"+{100 * size:.2f}",
                    V.Contrast("dip", +1, size),
                    per_seed(lambda s: np.mean([v("BnB", n)[s] for n in ends])
                             - np.mean([v("BnB", n)[s] for n in middle]), seeds)))
    size = np.mean([paper("AnB+", n) - paper("BnB+", n) for n in ns]) / 100
    out.append(("Transfer boosts generalisation (the paper's control: both arms fine-tuned "
                "as long)", "mean over n of AnB+(n) − BnB+(n)", f"+{100 * size:.2f}",
                V.Contrast("boost", +1, size),
                per_seed(lambda s: np.mean([v("AnB+", n)[s] - v("BnB+", n)[s] for n in ns]),
                         seeds)))
    size = np.mean([paper("AnB+", n) for n in ns]) / 100 - PAPER["baseB"] / 100
    out.append(("AnB+ beats baseB (as in the paper's figure)", "mean over n of AnB+(n) − baseB",
                f"+{100 * size:.2f}", V.Contrast("anb+", +1, size),
                per_seed(lambda s: np.mean([v("AnB+", n)[s] for n in ns]) - base_b(s), seeds)))
    out.append(("Fine-tuning B's own layers gains nothing (BnB+ ≈ baseB)",
                "mean over n of BnB+(n) − baseB",
                f"{np.mean([paper('BnB+', n) for n in ns]) - PAPER['baseB']:+.2f}; TOST ±1.0",
                V.Contrast("bnb+", 0, margin=0.01, against=+1),
                per_seed(lambda s: np.mean([v("BnB+", n)[s] for n in ns]) - base_b(s), seeds)))
    if cfg["digits"] and split == "0-4|5-9":
        base_d = lambda s: t.top1("baseD", "digits", "D")[s]           # noqa: E731
        out.append(("Dissimilar transfer falls further", "mean over n of AnB(n)/baseB − "
                    "AnD(n)/baseD (a ratio, ×100)", "> 0 (no size)", V.Contrast("dis", +1),
                    per_seed(lambda s: np.mean([v("AnB", n)[s] / base_b(s)
                                                - v("AnD", n, "D")[s] / base_d(s)
                                                for n in ns]), seeds)))
    return out


def missing_by_arm(missing):
    """[(arm label, count)] of the missing runs, in the order the runner makes them."""
    counts = {}
    for (arm, split, target, n), _ in missing:
        label = f"{arm}{'' if n is None else f'(n={n})'}" + (f" {split}" if split != "0-4|5-9"
                                                             else "")
        counts[label] = counts.get(label, 0) + 1
    return list(counts.items())


def remaining(t, missing):
    """'About X h ...' for the missing runs at the mean run time of their arm's finished runs."""
    if not t.all:
        return "No run has finished to time them."
    overall = np.mean([r["seconds"] for r in t.all])
    secs = 0.0
    for (arm, split, target, n), _ in missing:
        done = [r["seconds"] for k, runs in t.runs.items() if k[0] == arm
                for r in runs.values()]
        secs += np.mean(done) if done else overall
    return (f"About {secs / 3600:.1f} h of run time to go at the pace of the finished runs "
            "(each at its arm's mean, or the overall mean; the machine's load changes it).")


def plot(t, cfg, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = list(splits(cfg))
    fig, axes = plt.subplots(1, len(names), figsize=(5.6 * len(names), 4.2), squeeze=False)
    style = {"BnB": dict(marker="o", color="#1f4e9c", mfc="white"),
             "BnB+": dict(marker="o", color="#6fa8dc"),
             "AnB": dict(marker="D", color="#b22222", mfc="white"),
             "AnB+": dict(marker="D", color="#f08080")}
    ns = np.array(cfg["ns"])
    for ax, split in zip(axes[0], names):
        bm, bs, bn = t.stat("baseB", split)
        if bn:
            ax.axhline(100 * bm, color="k", lw=1, label="baseB")
            ax.axhspan(100 * (bm - bs), 100 * (bm + bs), color="k", alpha=0.08)
        for i, arm in enumerate(CURVES):
            stats = [t.stat(arm, split, "B", n) for n in ns]
            ax.errorbar(ns + (i - 1.5) * 0.07, [100 * s[0] for s in stats],
                        yerr=[100 * s[1] for s in stats], capsize=3, label=arm, lw=1,
                        **style[arm])
        a, b = splits(cfg)[split]
        ax.set_title(f"A = classes {a}, B = {b}", fontsize=10)
        ax.set_ylabel("top-1 (%) on B's test images")
        ax.set_xlabel("layer n at which the net is chopped")
        ax.set_xticks(range(0, 8))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


def expected(cfg):
    keys = []
    for split in splits(cfg):
        keys += [("baseA", split, "A", None), ("baseB", split, "B", None)]
        keys += [(arm, split, "B", n) for n in cfg["ns"] for arm in CURVES]
        keys += [("probe", split, "B", n) for n in cfg["probe_ns"]]
    if cfg["digits"]:
        keys += [("baseD", "digits", "D", None)]
        keys += [("AnD", "0-4|5-9", "D", n) for n in cfg["ns"]]
        keys += [("probe", "0-4|5-9", "D", n) for n in cfg["probe_ns"]]
    return keys


def write_report(records, cfg, out_dir, command):
    t = Table(records, cfg)
    names = list(splits(cfg))
    os.makedirs(os.path.join(out_dir, "transfer"), exist_ok=True)
    plot(t, cfg, os.path.join(out_dir, "transfer", "transfer.png"))
    seeds, ns = cfg["seeds"], cfg["ns"]
    keys = expected(cfg)
    missing = [(k, s) for k in keys for s in seeds if s not in t.runs.get(k, {})]
    total = len(keys) * len(seeds)
    L = []
    w = L.append
    w("# How transferable are features? (Yosinski et al. 2014), under the paper's protocol\n")
    w(f"Generated by `{command}` from `transfer/records.jsonl`; every number and line below is "
      "read from those records (`--report-only` redraws it)."
      + (" **Quick mode**: a smoke test on a few dozen images a class; the setup lines "
         "describe the full run, this run's sizes are in the data line." if "quick"
         in cfg["protocol"] else "") + "\n")
    w(f"**Status: {total - len(missing)} of {total} runs have records"
      + (" — the study is complete.**\n" if not missing else
         f"; the findings below use the seeds that have finished and await the rest** "
         f"(resume with `{command}` at the commit named below). Missing, by arm: "
         + ", ".join(f"{arm} {count}" for arm, count in missing_by_arm(missing))
         + ". " + remaining(t, missing) + "\n"))
    w("## Data, compute, code\n")
    L.extend(data_lines(t.all))
    w("")
    w(provenance(t.all) + "\n")
    w("## The paper's protocol and this one\n")
    w("| | the paper | here |")
    w("|---|---|---|")
    w("| halves | two random halves of ImageNet's 1,000 classes, ~645,000 images each (equal) "
      f"| Fashion-MNIST classes 0-4 / 5-9"
      + (f" (and a fixed random split, numpy seed {SPLIT_SEED})" if cfg["random_split"] else "")
      + f"; {cfg['train_per_class']:,} training and {cfg['val_per_class']} validation images a "
      "class in each (equal; not all 6,000 a class: the budget); test: " + ("all of the half's test images |"
                                         if cfg["test_per_class"] is None else
                                         f"{cfg['test_per_class']} a class |"))
    w("| net | AlexNet (8 weight layers), 224×224×3 | `alexnet_small` (width 0.25: conv "
      f"24-64-96-96-64, fc {cfg['hidden']}; LRN, groups=2, overlapping pools, dropout 0.5, He "
      "init), 28×28×1 |")
    w("| base nets | trained on their half, lr ÷10 on validation plateaus | trained on their half "
      f"to a plateau of the validation error: lr {cfg['lr']} ÷10 after {cfg['patience']} "
      f"epochs without a new best, at most {cfg['drops']} times; stop at the next plateau or "
      f"{cfg['max_epochs']} epochs |")
    w("| target nets | every BnB, AnB, BnB+, AnB+ trained on B as the base nets were | the same "
      "schedule as the base nets, so baseB trains as long as every arm: each to its plateau |")
    w(f"| n | 1..7 | {ns} (the ends and middle the findings need) |")
    w("| frozen / fine-tuned | frozen copied layers / all layers at the same rate | "
      "`requires_grad_(False)` / all layers at the same rate; the layers above n get a fresh "
      "He init, the same for every arm at a given (seed, n) |")
    w(f"| runs | one net per point (a few repeats) | {len(seeds)} paired seeds {seeds} |")
    w("| SGD | momentum 0.9, weight decay 5e-4, batch 256 | momentum "
      f"{cfg['momentum']}, weight decay {cfg['weight_decay']}, batch {cfg['batch_size']} |")
    w("")
    w("**Every difference:** grey 28×28 clothing halves of five classes instead of ImageNet's "
      "500-class halves; a net 1/4 as wide; "
      f"{5 * cfg['train_per_class']:,} training images a half instead of ~645,000; n at "
      f"{len(ns)} points instead of seven; batch {cfg['batch_size']}. The dissimilar target is scikit-learn's 1,797 8×8 "
      "digits resized to 28×28 (the paper split man-made from natural classes): it cannot reach "
      "10,000 images.\n")
    w("## Top-1 on B's test images (%, mean ± sd over seeds; failed runs left out)\n")
    w("![top-1 vs n](transfer/transfer.png)\n")
    for split in names:
        w(f"### Split {split}: A = {splits(cfg)[split][0]}, B = {splits(cfg)[split][1]}\n")
        w("| arm | " + " | ".join(f"n={n}" for n in ns) + " | epochs trained (mean over n) |")
        w("|---|" + "---|" * (len(ns) + 1))
        for arm in CURVES:
            ep = [r["epochs"] for n in ns for r in t.seeds(arm, split, "B", n).values()]
            w(f"| {arm} | " + " | ".join(fmt(*t.stat(arm, split, "B", n)) for n in ns)
              + f" | {np.mean(ep):.1f} |" if ep else f"| {arm} | " + " | ".join(
                  fmt(*t.stat(arm, split, "B", n)) for n in ns) + " | — |")
        if split == "0-4|5-9":
            for arm in CURVES:
                w(f"| paper {arm} | " + " | ".join(f"{PAPER[arm][n - 1]:.1f}" for n in ns)
                  + " | |")
        w("")
        eb = mean_std([r["epochs"] for r in t.seeds("baseB", split).values()])
        w(f"baseB {fmt(*t.stat('baseB', split))} (epochs trained {eb[0]:.1f}); baseA on A's test "
          f"images {fmt(*t.stat('baseA', split, 'A'))}"
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
    bad = sorted((r["arm"], r["config"]["split"], r["config"].get("n"), r["seed"])
                 for r in t.all if failed(r))
    if bad:
        w("**Failed runs** (left out of the tables and of every contrast they enter): "
          + ", ".join(f"{a} {sp} n={n} seed {s}" for a, sp, n, s in bad) + ".\n")
    w("## The paper's findings, checked\n")
    w(V.RULE_TEXT + " All the findings of all splits below are one Holm family. Differences "
      "are in top-1 points (×100).\n")
    items = [(split, f) for split in names for f in findings(t, split, cfg)]
    results = V.decide([f[3] for _, f in items], [f[4] for _, f in items])
    w("| split | finding | contrast (per seed) | paper | here: mean [95% CI] (seeds) | p | "
      "p (Holm) | detectable (80%) | verdict |")
    w("|---|---|---|---|---|---|---|---|---|")
    for (split, f), res in zip(items, results):
        p = res["tost_p"] if res["tost_p"] is not None else res["p"]
        w(f"| {split} | {f[0]} | {f[1]} | {f[2]} | {V.fmt_ci(res['summary'], 100.0)} | "
          f"{V.fmt_p(p)} | {V.fmt_p(res['p_holm'])} | {detectable(res['summary'], 'points')} | "
          f"{verdict_cell(res)} |")
    w("")
    w("*Detectable (80%)*: the smallest true difference these seeds would find significant "
      "(5%, two-sided, before Holm) four times in five, given the spread seen; where it exceeds "
      "the paper's effect, more seeds are needed to decide.\n")
    w("The test of \"transfer boosts generalisation\" is the paper's own control, AnB+ − BnB+: "
      "both arms are fine-tuned on B for as long, so extra training cannot pass for transfer; "
      "AnB+ − baseB is shown beside it because the paper's figure draws it.")
    with open(os.path.join(out_dir, "transfer.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(L) + "\n")
    return t
