"""The peers section (`run.py --peers`): minidl's training step against JAX's and tinygrad's.

Each peer runs in a worker process of its own (`workers.py`; JAX with JAX_PLATFORMS=cpu,
tinygrad with DEV=CPU), builds the suite's net from minidl's weights (`peers/arch.py` and its
`jax_nets.py` / `tinygrad_nets.py`), and is checked before anything is timed:

* logits: the eval-mode forward on two images, max |Δ| / max |logit| < 1e-3;
* one step: the gradients and weight updates of one SGD step (dropout off, fresh momentum) on
  the timed batch, sampled at fixed positions: all parameters together normwise < 1e-3, each
  parameter < 5e-2 (`peers/check.py` says why), from a freshly built net.

Then minidl, PyTorch (when installed) and the peers are timed interleaved, in one `compare`,
so every ratio in the table comes from runs made side by side. A peer that is not installed
(or, for tinygrad, has no clang) gets a one-line reason in the section instead of a column.
"""
import contextlib
import importlib.util
import os
import shutil

from measure import compare
from report import Section, Target, others, spread
from workers import PEERS, Worker

NAMES = {"alexnet": "AlexNet (paper: LRN, groups=2)", "vgg16": "VGG-16"}
LABELS = {"minidl": "minidl", "torch": "PyTorch", "jax": "JAX (jit, XLA)",
          "tinygrad": "tinygrad (TinyJit)"}
GOAL = 1.0   # the target: minidl's step ≤ 1.0× every peer's


def _ratio_text(r):
    """Two decimals, or two significant digits below 0.1 (tinygrad's ratios are ~0.004)."""
    return f"{r:.2f}" if r >= 0.1 else f"{r:.2g}"


def missing(peer):
    """Why `peer` cannot run here (one line), or None."""
    if importlib.util.find_spec(peer) is None:
        return f"{peer} is not installed (pip install 'minidl[peers]')"
    if peer == "tinygrad" and shutil.which(os.environ.get("CC", "clang")) is None:
        return "tinygrad's CPU device compiles with clang, which is not installed (apt-get install clang)"
    return None


def check_peer(cfg, key, arch, peer, ref_logits, ref_updates):
    """(logit error, total update/gradient error, (worst parameter's error, its name));
    raises when the nets differ."""
    import numpy as np
    from peers import check
    w = cfg.peer_workers[peer]
    logit = check.logit_error(np.array(w.call("logits", key=key)["logits"]), ref_logits)
    got = w.call("updates", key=key)["updates"]
    total, update = check.total_error(got, ref_updates), check.update_error(got, ref_updates)
    if not (logit < check.LOGIT_TOL and total < check.UPDATE_TOL and
            update[0] < check.PARAM_TOL):
        raise RuntimeError(f"{arch}: {peer}'s net is not minidl's: logits differ by {logit:.1e}, "
                           f"one step's gradients and updates by {total:.1e} (worst parameter: "
                           f"{update[0]:.1e}, {update[1]})")
    return logit, total, update


def peer_figures(cfg):
    asked = [p for p in PEERS if p in getattr(cfg, "peers", PEERS)]
    reasons = {p: missing(p) for p in asked}
    peers = [p for p in asked if reasons[p] is None]
    sec = Section(
        "Peers: JAX and tinygrad, training step, 224×224, float32",
        "The nets section's training step (same nets, same weights, same batch; cross-entropy, "
        "SGD momentum 0.9, weight decay 5e-4) in JAX (one `jax.jit` step: forward, grad, SGD; "
        "NHWC, XLA's CPU layout; parameters donated) and tinygrad (a `TinyJit` step, its SGD; "
        "CPU device through clang), each in a process of its own, on the machine's cores. "
        "Each peer's logits and one SGD step's weight updates are checked against minidl's "
        "before timing. All columns are timed interleaved in one run. Ratio = minidl / peer "
        "(below 1: minidl is faster).")
    for p in asked:
        if reasons[p]:
            sec.notes.append(f"{LABELS[p]}: skipped, {reasons[p]}.")
    if not peers:
        return sec
    others_cols = (["torch"] if cfg.torch else []) + peers
    sec.header = ["net", "batch", "minidl ms"] + [
        h for p in others_cols for h in (f"{LABELS[p]} ms", f"minidl/{LABELS[p].split()[0]}")] \
        + ["others' CPU / reruns"]
    with contextlib.ExitStack() as stack:
        cfg.peer_workers = {p: stack.enter_context(Worker(p)) for p in peers}
        for p, w in cfg.peer_workers.items():
            print(f"[bench] peers: {w.call('info')['info']}", flush=True)
        for arch in cfg.nets:
            sec.rows.append(_peer_row(cfg, sec, arch, others_cols, peers))
    return sec


def _peer_row(cfg, sec, arch, others_cols, peers):
    import numpy as np
    n = cfg.alexnet_batch if arch == "alexnet" else cfg.vgg_batch
    weights = os.path.join(cfg.tmp, f"peers-{arch}.npz")   # new: minidl's worker builds a
    # fresh net (an earlier section's has trained, and may have died) and writes its weights
    spec = ("net", arch, n, "train", weights)
    key = f"peers-{arch}"
    workers = {"minidl": cfg.minidl}
    if cfg.torch:
        workers["torch"] = cfg.torch_worker
    workers.update(cfg.peer_workers)
    set_up = []
    try:
        for name, w in workers.items():   # minidl first: it writes the weights the others load
            print(f"[bench] peers: {arch} in {name} ...", flush=True)
            w.setup(key, spec)
            set_up.append(w)
        ref_logits = np.array(cfg.minidl.call("logits", key=key)["logits"])
        ref_updates = cfg.minidl.call("updates", key=key)["updates"]
        for p in peers:
            logit, total, (update, param) = check_peer(cfg, key, arch, p, ref_logits,
                                                       ref_updates)
            sec.notes.append(f"{NAMES[arch]}, {LABELS[p]}: logits agree with minidl's to "
                             f"{logit:.1e} (max |Δ| / max |logit|), one SGD step's gradients "
                             f"and weight updates to {total:.1e} (normwise, all parameters), "
                             f"{update:.1e} in the worst one ({param}).")
        repeat = cfg.net_repeat if arch == "alexnet" else cfg.vgg_repeat
        ts = compare({name: w.runner(key) for name, w in workers.items()}, repeat=repeat,
                     warmup=1, attempts=cfg.attempts, budget=cfg.budget, min_run=cfg.min_run)
    finally:
        for w in set_up:
            w.free(key)
    by = dict(zip(workers, ts))
    row = [NAMES[arch], n, spread(by["minidl"])]
    for p in others_cols:
        r = by["minidl"].median / by[p].median
        row += [spread(by[p]), f"**{_ratio_text(r)}**"]
        if p in peers:
            sec.targets.append(Target(
                "3", f"{NAMES[arch]} training step, batch {n}, against {LABELS[p]}",
                f"minidl/{LABELS[p].split()[0]} ≤ {GOAL}", _ratio_text(r), r <= GOAL, round=3))
    return row + [others(*ts)]
