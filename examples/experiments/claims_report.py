"""docs/reproduction.md from the records alone: every line, the data line and the compute
included, is read from ``reproduction/records.jsonl`` (the claims' texts are claims_spec.py, the
rule verdict.py). Runs that have not finished are listed, and each claim says whether its
records are complete."""
import math
import os

import numpy as np

import verdict as V
from claims_spec import CLAIMS, epochs_to, last_sub_err
from runner import fmt, mean_std, provenance

CHANCE = 0.1


def verdict_cell(res):
    """The verdict in bold; a contrast with no finished seed yet is *awaiting runs*."""
    return "*awaiting runs*" if res["summary"].n == 0 else f"**{res['word']}**"


def failed(rec):
    """Diverged, or its final eval-mode training error never left chance (10 classes)."""
    return bool(rec["final"].get("diverged")) or rec["final"]["train_err"] > 1 - 1.2 * CHANCE


class Index:
    """{(experiment, arm): {seed: record}} of one protocol; claim 1's main runs at the rate the
    sweep chose for each arm."""

    def __init__(self, records, cfg):
        self.cfg = cfg
        self.all = [r for r in records.by_key.values()
                    if r["config"].get("protocol") == cfg["protocol"]]
        runs = {}
        for r in self.all:
            runs.setdefault((r["experiment"], r["arm"]), []).append(r)
        self.sweeps = {act: {r["lr"]: r for r in runs.get(("claim1-sweep", act), [])}
                       for act in ("relu", "tanh")}
        self.best_lr = {act: self.sweep_winner(act) for act in ("relu", "tanh")}
        for act, lr in self.best_lr.items():     # claim 1's runs at the chosen rate only
            runs[("claim1", act)] = [r for r in runs.get(("claim1", act), []) if r["lr"] == lr]
        self.by = {k: {r["seed"]: r for r in v} for k, v in runs.items()}

    def sweep(self, act):
        """{lr: record} of claim 1's sweep for one activation."""
        return self.sweeps[act]

    def sweep_winner(self, act):
        runs = self.sweep(act)
        if not runs or set(runs) != set(self.cfg["c1_lrs"]):
            return None
        hard, easy = min(self.cfg["c1_thresholds"]), max(self.cfg["c1_thresholds"])
        return min((epochs_to(r, hard)[0], epochs_to(r, easy)[0],
                    last_sub_err(r), lr) for lr, r in runs.items())[3]

    def arm(self, ref):
        experiment, arm = ref.split(":", 1)
        return self.by.get((experiment, arm), {})


CENSOR_RULE = (
    "Times to a threshold: a run that never reaches it counts its length, a lower bound. A seed "
    "where both arms never reached it says nothing and leaves the contrast (counted); where one "
    "arm never reached it, the verdict may not lean on the bound: if the arm the paper says is "
    "slower is censored, *excluded* becomes *inconclusive*; if the faster one is, *reproduced* "
    "becomes *inconclusive*.")


def censoring(index, spec, seeds):
    """(both censored, only the slow arm b censored, only the fast arm a censored) seeds."""
    if spec["censor"] is None:
        return [], [], []
    ra, rb = index.arm(spec["a"]), index.arm(spec["b"])
    both, only_b, only_a = [], [], []
    for s in seeds:
        ca, cb = epochs_to(ra[s], spec["censor"])[1], epochs_to(rb[s], spec["censor"])[1]
        (both if ca and cb else only_b if cb else only_a if ca else []).append(s)
    return both, only_b, only_a


def contrast_diffs(index, spec):
    """(paired differences, seeds used, seeds left out because a run failed or, for a time
    to a threshold, neither arm reached it)."""
    rb = index.arm(spec["b"])
    ra = rb if spec["a"] is None else index.arm(spec["a"])
    both = set(censoring(index, spec, sorted(set(ra) & set(rb)))[0])
    diffs, used, out = [], [], []
    for s in sorted(set(ra) & set(rb)):
        if (not spec["keep_failed"] and (failed(ra[s]) or failed(rb[s]))) or s in both:
            out.append(s)
            continue
        value = spec["fn"](rb[s]) if spec["a"] is None else spec["fn"](rb[s]) - spec["fn"](ra[s])
        diffs.append(value)
        used.append(s)
    return diffs, used, out


def show(summary, unit):
    if unit == "ratio":       # differences of logs: show the ratio and its interval
        if summary.n == 0:
            return "—"
        if summary.n == 1:
            return f"{math.exp(summary.mean):.2f}× (1 seed)"
        return (f"{math.exp(summary.mean):.2f}× [{math.exp(summary.lo):.2f}, "
                f"{math.exp(summary.hi):.2f}] ({summary.n})")
    return V.fmt_ci(summary, 100.0)


def detectable(summary, unit):
    d = summary.mde()
    if not math.isfinite(d):
        return "—"
    return f"{math.exp(d):.2f}×" if unit == "ratio" else f"{100 * d:.2f}"


def decide_all(index, claims):
    """[(claim, spec, result, seeds used, failed seeds)] for every contrast of the report,
    decided together (one Holm family)."""
    items = [(claim, spec) for claim in claims for spec in CLAIMS[claim]["contrasts"]]
    found = [contrast_diffs(index, spec) for _, spec in items]
    results = V.decide([spec["contrast"] for _, spec in items], [f[0] for f in found])
    for (_, spec), res, f in zip(items, results, found):
        _, only_b, only_a = censoring(index, spec, f[1])
        res["censored"] = (len(only_b), len(only_a))
        if (only_b and res["word"] == "excluded") or (only_a and res["word"] == "reproduced"):
            res["word"] = "inconclusive"
            res["why"] = "a censored time"
    return [(claim, spec, res, f[1], f[2])
            for (claim, spec), res, f in zip(items, results, found)]


def expected_runs(cfg, claim):
    refs = [ref for _, ref in CLAIMS[claim]["arms"]]
    return [(ref, s) for ref in refs for s in cfg["seeds"]]


def remaining(index, togo):
    """'N runs to go, about X h ...': each missing run at the mean run time of its arm's
    finished runs (or of all finished runs when its arm has none)."""
    if not index.all:
        return f"{len(togo)} runs to go (claim 1's sweep apart); no run has finished to time them."
    overall = np.mean([r["seconds"] for r in index.all])
    secs = 0.0
    for ref, _ in togo:
        done = [r["seconds"] for r in index.arm(ref).values()]
        secs += np.mean(done) if done else overall
    return (f"{len(togo)} runs to go, about {secs / 3600:.1f} h of run time at the pace of the "
            "finished runs (each at its arm's mean, or the overall mean where its arm has none "
            "yet; the machine's load changes it).")


def plot_claim(claim, spec, index, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    if spec["plot"] == "curves":
        for i, (label, ref) in enumerate(spec["arms"]):
            for j, rec in enumerate(sorted(index.arm(ref).values(), key=lambda r: r["seed"])):
                xs = [h["epoch"] for h in rec["history"] if "train_sub_err" in h]
                ys = [h["train_sub_err"] for h in rec["history"] if "train_sub_err" in h]
                ax.plot(xs, ys, color=colors[i], lw=1, alpha=0.8,
                        label=f"{label} (each seed)" if j == 0 else None)
        ax.set_xlabel("epoch")
        ax.set_ylabel("training error (eval mode, fixed subset)")
    else:
        metrics = [m for m in spec["metrics"] if m[2] == "points"]
        width = 0.8 / max(1, len(spec["arms"]))
        for i, (label, ref) in enumerate(spec["arms"]):
            runs = [r for r in index.arm(ref).values() if not failed(r)]
            stats = [mean_std([fn(r) for r in runs]) for _, fn, _ in metrics]
            x = np.arange(len(metrics)) + (i - (len(spec["arms"]) - 1) / 2) * width
            ax.bar(x, [s[0] for s in stats], width, yerr=[s[1] for s in stats], capsize=3,
                   color=colors[i % len(colors)], label=label)
        ax.set_xticks(np.arange(len(metrics)))
        ax.set_xticklabels([m[0] for m in metrics], fontsize=8)
        ax.set_ylabel("error (mean ± sd over seeds)")
    ax.set_title(f"Claim {claim}: {spec['title']}", fontsize=9)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def arm_table(spec, index):
    S = ["| arm | seeds (failed) | " + " | ".join(m[0] for m in spec["metrics"]) + " |",
         "|---|---|" + "---|" * len(spec["metrics"])]
    for label, ref in spec["arms"]:
        runs = list(index.arm(ref).values())
        bad = [r for r in runs if failed(r)]
        good = [r for r in runs if not failed(r)]
        cells = []
        for _, fn, unit in spec["metrics"]:
            m, sd, n = mean_std([fn(r) for r in good])
            cells.append(fmt(m, sd, n) if unit == "points" else
                         ("—" if n == 0 else f"{m:.2f} ± {sd:.2f}"))
        S.append(f"| {label} | {len(runs)} ({len(bad)}) | " + " | ".join(cells) + " |")
    S.append("\nMean ± sample sd over the seeds that did not fail; errors in %, epochs as "
             "read from the records (fractions of an epoch).")
    for label, ref in spec["arms"]:
        for r in sorted(index.arm(ref).values(), key=lambda r: r["seed"]):
            if failed(r):
                S.append(f"- **Failed run** ({label}, seed {r['seed']}): "
                         + ("diverged" if r["final"].get("diverged") else
                            f"final training error {100 * r['final']['train_err']:.1f}%, "
                            "never left chance") + f"; test error {100 * r['final']['test_err']:.1f}%.")
    return S


def sweep_table(index, cfg):
    hard, easy = min(cfg["c1_thresholds"]), max(cfg["c1_thresholds"])
    S = [f"**The learning-rate sweep** (seed {cfg['c1_sweep_seed']}, one run per rate; "
         "epochs to each threshold, '≥' when never reached):\n",
         "| arm | lr | epochs to 25% | epochs to 12% | last training error | chosen |",
         "|---|---|---|---|---|---|"]
    for act in ("relu", "tanh"):
        for lr, r in sorted(index.sweep(act).items()):
            cells = []
            for thr in (easy, hard):
                e, cens = epochs_to(r, thr)
                cells.append(("≥ " if cens else "") + f"{e:.2f}")
            S.append(f"| {act} | {lr} | {cells[0]} | {cells[1]} | "
                     + ("diverged" if r["final"].get("diverged") else
                        f"{100 * last_sub_err(r):.1f}%") + " | "
                     f"{'**yes**' if index.best_lr[act] == lr else ''} |")
    return S + [""]


def data_lines(recs):
    """The data and compute paragraph, from the records."""
    if not recs:
        return ["No records yet."]
    sets = {}
    for r in recs:
        d = r["dataset"]
        sets.setdefault((d["name"], tuple(sorted(d["files"].items()))), []).append(r)
    L = []
    for (name, files), rs in sets.items():
        sizes = sorted({(r["train_images"], r["test_images"], r["config"].get("val_images"))
                        for r in rs})
        L.append(f"- Data ({len(rs)} run{'s' * (len(rs) != 1)}): {name}; files read and their SHA-256: "
                 + ", ".join(f"`{f}` {h[:16]}…" for f, h in files) + ". Training / test / "
                 "validation images per run: " + "; ".join(f"{a:,} / {b:,} / {c:,}"
                                                          for a, b, c in sizes) + ".")
    secs = sum(r["seconds"] for r in recs)
    threads = sorted({str(r["threads"].get("numba")) for r in recs})
    vers = sorted({(r["versions"]["minidl"], r["versions"]["numpy"], r["versions"]["numba"])
                   for r in recs})
    stamps = sorted(r["finished"] for r in recs)
    plateau = [r for r in recs if r["schedule"].get("kind") == "plateau"]
    capped = [r for r in plateau if r["history"] and not r["history"][-1].get("plateau_stop")]
    if plateau:
        L.append(f"- Plateaus: {len(plateau) - len(capped)} of {len(plateau)} runs under the "
                 "plateau schedule stopped at their last plateau; "
                 + (f"{len(capped)} reached the epoch cap first ("
                    + ", ".join(sorted({f"{r['claim']} {r['arm']}" for r in capped})) + ")."
                    if capped else "none reached the epoch cap first."))
    L.append(f"- Compute: {len(recs)} run{'s' * (len(recs) != 1)}, {secs / 3600:.2f} h of wall-clock run time in all "
             f"(Numba threads per run: {', '.join(threads)}; a 2-core machine shared with "
             f"other jobs), finished between {stamps[0]} and {stamps[-1]}.")
    L.append("- Versions (minidl commit, NumPy, Numba): "
             + "; ".join(f"{a}, {b}, {c}" for a, b, c in vers) + ".")
    return L


def write_report(records, cfg, claims, out_dir, command):
    folder = os.path.join(out_dir, "reproduction")
    os.makedirs(folder, exist_ok=True)
    index = Index(records, cfg)
    decided = decide_all(index, [c for c in claims if CLAIMS[c]["contrasts"]])
    L = []
    w = L.append
    w("# The papers' claims, under the papers' protocols where testable\n")
    w(f"Generated by `{command}` from `reproduction/records.jsonl` (one JSON line per run: "
      "every setting, the data's SHA-256, versions, threads, per-epoch history, final "
      "results); every number and line here is read from those records and "
      "`--report-only` redraws it."
      + (" **Quick mode**: a smoke test on a few hundred images; the protocol tables describe "
         "the full run, this run's sizes are in the data line." if "quick" in cfg["protocol"]
         else "") + "\n")
    status = []
    for claim in claims:
        if not CLAIMS[claim]["contrasts"]:
            status.append((claim, "not testable here", 0, 0))
            continue
        exp = expected_runs(cfg, claim)
        have = sum(1 for ref, s in exp if s in index.arm(ref))
        status.append((claim, "full records" if have == len(exp) else
                       "awaiting runs" if have == 0 else "partial", have, len(exp)))
    w("## Status\n")
    w("| claim | records | runs finished |")
    w("|---|---|---|")
    for claim, word, have, total in status:
        w(f"| {claim} | {word} | {have} of {total} |" if total else f"| {claim} | {word} | — |")
    waiting = [str(c) for c, word, _, _ in status if word in ("awaiting runs", "partial")]
    w("")
    if waiting:
        togo = [(ref, s) for c in claims if CLAIMS[c]["contrasts"]
                for ref, s in expected_runs(cfg, c) if s not in index.arm(ref)]
        w(f"**Claims {', '.join(waiting)} await runs**: their verdicts below use only the seeds "
          f"that have finished (the rule needs at least 2). Resume with `{command}` at the "
          f"commit named below. {remaining(index, togo)}\n")
    w("## Data, compute, code\n")
    L.extend(data_lines(index.all))
    w("")
    w(provenance(index.all) + "\n")
    w("## Verdict rule\n")
    w(V.RULE_TEXT + " " + CENSOR_RULE + "\n")
    w("## Summary\n")
    w("| claim | contrast | paper | here: mean [95% CI] (seeds) | p | p (Holm) | detectable "
      "(80%) | verdict |")
    w("|---|---|---|---|---|---|---|---|")
    for claim, spec, res, used, out in decided:
        w(f"| {claim} | {spec['label']} | {spec['paper']} | {show(res['summary'], spec['unit'])}"
          f"{f'; {len(out)} seed(s) out (failed run, or neither reached)' if out else ''}"
          f"{'; censored: %d slow, %d fast' % res['censored'] if any(res['censored']) else ''} | "
          f"{V.fmt_p(res['tost_p'] if res['tost_p'] is not None else res['p'])} | "
          f"{V.fmt_p(res['p_holm'])} | {detectable(res['summary'], spec['unit'])} | "
          f"{verdict_cell(res)} |")
    for claim in claims:
        for what, why in CLAIMS[claim].get("not_testable", []):
            w(f"| {claim} | {what} | — | no run | — | — | — | **not testable here** |")
    w("")
    w("Differences are in points of error (×100) unless marked ×, a ratio (computed on logs, "
      "its interval transformed back). For a no-better contrast the p column is TOST's. "
      "*Detectable (80%)*: the smallest true difference these seeds would find significant "
      "(5%, two-sided, before Holm) four times in five, given the spread seen: the power. "
      "Where it exceeds the paper's effect, more seeds are needed to decide; the seeds that "
      "would bring it to the paper's size scale as (detectable ÷ paper)² × seeds.\n")
    for claim in claims:
        spec = CLAIMS[claim]
        S = [f"## Claim {claim}: {spec['title']}\n", f"**Paper.** {spec['paper']}\n"]
        for what, why in spec.get("not_testable", []):
            S.append(f"**Not testable here — {what}:** {why}. No run was spent on it.\n")
        if spec["rows"]:
            S += ["| | the paper | here |", "|---|---|---|"]
            S += [f"| {a} | {p} | {h} |" for a, p, h in spec["rows"]]
            S.append("")
            S.append("**Every difference:** " + "; ".join(spec["differences"]) + ".\n")
        if claim == 1:
            S += sweep_table(index, cfg)
        if spec["arms"]:
            S += arm_table(spec, index)
            S += ["", "| contrast (per seed) | paper | here: mean [95% CI] (seeds) | verdict |",
                  "|---|---|---|---|"]
            for c, sp, res, used, out in decided:
                if c == claim:
                    S.append(f"| {sp['label']} | {sp['paper']} | {show(res['summary'], sp['unit'])}"
                             f" | {verdict_cell(res)} |")
            png = f"claim{claim}.png"
            plot_claim(claim, spec, index, os.path.join(folder, png))
            S.append(f"\n![claim {claim}](reproduction/{png})\n")
        L.append("\n".join(S))
    with open(os.path.join(out_dir, "reproduction.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(L) + "\n")
