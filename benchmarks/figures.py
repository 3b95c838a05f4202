"""The figures, one function per section of RESULTS.md; `run.py` calls them in order.

Every timed figure is built in a worker process per framework (`workers.py`, `workloads.py`),
goes through `measure` (reruns when other processes used the CPU) and, where PyTorch is
installed, is interleaved with the same work in PyTorch's worker, so that each ratio compares
runs made side by side on the same machine at the same time.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

import layer_ops
from conv_layers import ALEXNET, VGG16, layer_flops
from measure import compare, run_clean, time_figure
from report import Section, Target, ms, others, spread

HERE = os.path.dirname(os.path.abspath(__file__))
GIB = 2 ** 30


def _time(cfg, fns, repeat=None, warmup=1):
    """compare() when there is more than one runner, else time_figure; a list of Timings."""
    repeat = repeat or cfg.repeat
    kw = dict(repeat=repeat, warmup=warmup, attempts=cfg.attempts, budget=cfg.budget,
              min_run=cfg.min_run)
    if len(fns) == 1:
        (name, fn), = fns.items()
        return [time_figure(name, fn, **kw)]
    return compare(fns, **kw)


def _side_by_side(cfg, key, spec, repeat=None):
    """Build `spec` in each framework's worker, time it (interleaved), free it: Timings."""
    workers = [cfg.minidl] + ([cfg.torch_worker] if cfg.torch else [])
    for w in workers:
        w.setup(key, spec)
    try:
        return _time(cfg, {w.framework: w.runner(key) for w in workers}, repeat)
    finally:
        for w in workers:
            w.free(key)


def _ratio(a, b):
    return a.median / b.median


def _met(value, goal, below=True):
    return value <= goal if below else value >= goal


# ---------------------------------------------------------------------------------------------
# References: the machine's GEMM rate and memory bandwidth, measured in this run


def references(cfg):
    n, mib = cfg.gemm_n, cfg.copy_mb
    (gemm,) = _minidl_only(cfg, ("gemm", n))
    (copy,) = _minidl_only(cfg, ("copy", mib))
    cfg.gemm_rate = 2.0 * n ** 3 / gemm.median
    cfg.bandwidth = 2.0 * (mib << 20) / copy.median
    return Section(
        "References measured in this run",
        "The yardsticks the conv and op figures are stated against, timed in minidl's process "
        "(the NumPy and OpenBLAS minidl uses).",
        ["what", "ms median (min–max)", "rate", "others' CPU (cores) / reruns"],
        [[f"NumPy float32 GEMM {n}×{n} (`np.matmul`)", spread(gemm),
          f"**{cfg.gemm_rate / 1e9:.0f} GFLOP/s**", others(gemm)],
         [f"NumPy copy of {mib} MiB float32 (read + write)", spread(copy),
          f"**{cfg.bandwidth / 1e9:.1f} GB/s**", others(copy)]])


def _minidl_only(cfg, spec, repeat=None):
    key = spec[0]
    cfg.minidl.setup(key, spec)
    try:
        return _time(cfg, {"minidl": cfg.minidl.runner(key)}, repeat)
    finally:
        cfg.minidl.free(key)


# ---------------------------------------------------------------------------------------------
# Whole nets (targets 1 and 2)


NET_FIGURES = [  # target number, arch, kind, goal; inference first: it leaves the weights as
    ("2", "alexnet", "infer", 1.2),   # they were, so the training figure's net is the one the
    ("1", "alexnet", "train", 1.0),   # logits were checked on
    ("2", "vgg16", "train", 1.3),
]
TIGHT_NET_GOALS = {  # the tightened targets on the same figures: (arch, kind) -> (number, goal)
    ("vgg16", "train"): ("1", 0.80), ("alexnet", "train"): ("3", 0.70),
    ("alexnet", "infer"): ("3", 0.80)}
NAMES = {"alexnet": "AlexNet (paper: LRN, groups=2)", "vgg16": "VGG-16"}


def _same_function(cfg, key, arch):
    """Both workers' logits on the same two images agree (else the ratio would be moot)."""
    a = np.array(cfg.minidl.call("logits", key=key)["logits"])
    b = np.array(cfg.torch_worker.call("logits", key=key)["logits"])
    diff = float(np.abs(a - b).max()) / max(float(np.abs(b).max()), 1e-12)
    if not diff < 1e-3:
        raise RuntimeError(f"{arch}: minidl's and PyTorch's logits differ by {diff:.1e} "
                           "(relative): the two nets are not the same function")
    return diff


def net_figures(cfg):
    sec = Section(
        "Whole nets, 224×224, float32",
        "Training step = zero_grad, forward, cross-entropy, backward, SGD (momentum 0.9, weight "
        "decay 5e-4). Inference = eval-mode forward without a graph. Each framework runs in a "
        "process of its own (`workers.py`), with the same weights and the same batch; their "
        "runs are interleaved.",
        ["net", "batch", "work", "minidl ms", "PyTorch ms", "ratio", "goal",
         "others' CPU / reruns"])
    checked = set()
    for number, arch, kind, goal in NET_FIGURES:
        if arch not in cfg.nets:
            continue
        n = cfg.alexnet_batch if arch == "alexnet" else cfg.vgg_batch
        weights = os.path.join(cfg.tmp, f"weights-{arch}.npz")   # one file per net: the
        spec = ("net", arch, n, kind, weights if cfg.torch else None)   # next one's is not reused
        key = f"{arch}-{kind}"
        workers = [cfg.minidl] + ([cfg.torch_worker] if cfg.torch else [])
        for w in workers:   # minidl first: it writes the weights PyTorch's net loads
            w.setup(key, spec)
        try:
            if cfg.torch and arch not in checked:
                checked.add(arch)
                diff = _same_function(cfg, key, arch)   # once per net, before it is trained
                sec.notes.append(f"{NAMES[arch]}: minidl's and PyTorch's logits agree to "
                                 f"{diff:.1e} (max difference / max logit) before timing.")
            ts = _time(cfg, {w.framework: w.runner(key) for w in workers},
                       cfg.net_repeat if arch == "alexnet" else cfg.vgg_repeat)
        finally:
            for w in workers:
                w.free(key)
        work = "training step" if kind == "train" else "inference"
        row = [NAMES[arch], n, work, spread(ts[0])]
        if cfg.torch:
            r = _ratio(*ts)
            row += [spread(ts[1]), f"**{r:.2f}**", f"≤ {goal}", others(*ts)]
            sec.targets.append(Target(number, f"{NAMES[arch]} {work}, batch {n}",
                                      f"minidl/PyTorch ≤ {goal}", f"{r:.2f}", _met(r, goal)))
            number2, goal2 = TIGHT_NET_GOALS[arch, kind]
            sec.targets.append(Target(number2, f"{NAMES[arch]} {work}, batch {n}",
                                      f"minidl/PyTorch ≤ {goal2}", f"{r:.2f}", _met(r, goal2),
                                      round=2))
        else:
            row += ["–", "–", f"≤ {goal}", others(*ts)]
        sec.rows.append(row)
    sec.rows.sort(key=lambda r: (r[0] != NAMES["alexnet"], r[2] != "training step"))
    return sec


# ---------------------------------------------------------------------------------------------
# Conv layers against the GEMM rate (target 3)


def conv_figures(cfg):
    from minidl.kernels.shapes import conv_output_size
    sec = Section(
        "Convolution layers, forward + backward, float32",
        "minidl's conv kernels as the autograd node calls them (the algorithm the dispatch "
        f"picks, conv_algo={_conv_algo()}: im2col + OpenBLAS GEMM, or Winograd "
        "F(2×2, 3×3)), and `torch.nn.functional.conv2d` with autograd. FLOPs: 2 per "
        "multiply-add of the direct convolution, whatever the algorithm; backward adds the "
        "weight gradient and (except for a net's first layer, whose input needs no gradient) "
        "the input gradient, each as many FLOPs as the forward. % GEMM = the layer's rate over "
        f"this run's {cfg.gemm_rate / 1e9:.0f} GFLOP/s 4096² sgemm. error: the algorithm's "
        "float32 result against float64, normwise, at batch 1 (forward / the worse of the "
        "input and weight gradients).",
        ["layer", "in → out, k/s/p, groups", "algorithm", "error fwd / bwd", "minidl ms",
         "GFLOP/s", "% GEMM", "its GEMMs alone ms (share)", "PyTorch ms", "GFLOP/s", "ratio",
         "others' CPU / reruns"])
    worst, ratios = [], {}
    errors = _conv_errors(cfg)
    for net, layers, n in (("AlexNet", ALEXNET, cfg.alexnet_batch),
                           ("VGG-16", VGG16, cfg.vgg_batch)):
        if net not in cfg.conv_nets:
            continue
        with_torch = cfg.torch and net in cfg.conv_torch
        for i, (name, C, OC, k, s, p, g, size) in enumerate(layers[:cfg.conv_layers]):
            first = i == 0
            spec = ("conv", n, C, OC, k, s, p, g, size, first)
            repeat = cfg.repeat if net == "AlexNet" else cfg.vgg_repeat
            ts = _side_by_side(cfg, "conv", spec, repeat) if with_torch else \
                _minidl_only(cfg, spec, repeat)
            err = errors[net, name]
            gemms = None
            if err["algo"] == "im2col":   # the im2col GEMMs; Winograd's are 16 smaller ones
                (gemms,) = _minidl_only(cfg, ("conv-gemms",) + spec[1:], repeat)
            oh = conv_output_size(size, k, s, p)
            flops = layer_flops(n, C, OC, k, g, oh, oh) * (2 if first else 3)
            rate = flops / ts[0].median
            frac = rate / cfg.gemm_rate
            worst.append((frac, f"{net} {name.split()[0]}"))
            row = [f"{net} {name}", f"{C}×{size}² → {OC}×{oh}², {k}/{s}/{p}, g{g}",
                   err["algo"], f"{err['forward']:.1e} / {err['backward']:.1e}",
                   spread(ts[0]), f"{rate / 1e9:.0f}", f"**{100 * frac:.0f}%**",
                   f"{ms(gemms.median)} ({100 * gemms.median / ts[0].median:.0f}%)"
                   if gemms is not None else "–"]
            if with_torch:
                ratios[net, name.split()[0]] = (_ratio(*ts), err["algo"])
                row += [spread(ts[1]), f"{flops / ts[1].median / 1e9:.0f}",
                        f"{_ratio(*ts):.2f}"]
            else:
                row += ["–", "–", "–"]
            sec.rows.append(row + [others(*ts, *([gemms] if gemms is not None else []))])
            if net == "AlexNet" and name in ("conv1", "conv2") and err["algo"] != "percore":
                sec.rows.append(_percore_row(cfg, name, spec, with_torch, repeat, flops, ratios))
    if any(k[1].endswith("percore") for k in ratios):
        sec.targets.append(_first_convs_target(ratios))
    sec.notes.append(
        "'its GEMMs alone': the same GEMMs on the same chunk shapes, with im2col, col2im and "
        "the layout copies left out; the rest of the layer's time is those passes over memory "
        "(and the threads' start and stop around each). A layer whose GEMMs alone already take "
        "more than 70% of the GEMM rate's time cannot reach the target by copying faster.")
    if worst:
        low = sorted(worst)[0]
        below = [name for frac, name in sorted(worst) if frac < 0.7]
        sec.targets.append(Target(
            "3", "every AlexNet and VGG-16 conv layer, fwd+bwd", "≥ 70% of the GEMM rate",
            f"lowest {100 * low[0]:.0f}% ({low[1]})", not below,
            ("below: " + ", ".join(below)) if below else ""))
    sec.targets += _per_layer_conv_targets(ratios)
    return sec


def _percore_row(cfg, name, spec, with_torch, repeat, flops, ratios):
    """AlexNet conv1/conv2 again by kernels/conv/percore_cpu.py (one image per core), in a run
    of its own beside PyTorch's."""
    pspec = spec + ("percore",)
    ts = _side_by_side(cfg, "conv", pspec, repeat) if with_torch else \
        _minidl_only(cfg, pspec, repeat)
    rate = flops / ts[0].median
    row = [f"AlexNet {name}", "the same", "percore (auto without AVX-512)", "as im2col",
           spread(ts[0]),
           f"{rate / 1e9:.0f}", f"{100 * rate / cfg.gemm_rate:.0f}%", "–"]
    if with_torch:
        ratios["AlexNet", name + " percore"] = (_ratio(*ts), "percore")
        row += [spread(ts[1]), f"{flops / ts[1].median / 1e9:.0f}", f"{_ratio(*ts):.2f}"]
    else:
        row += ["–", "–", "–"]
    return row + [others(*ts)]


def _first_convs_target(ratios):
    """AlexNet conv1 and conv2 ≤ 1.0× PyTorch, judged on the dispatch's own algorithm (auto's:
    the direct loop on an AVX-512 CPU); percore's row, auto's choice on other CPUs, beside it."""
    parts, judged = [], []
    for layer in ("conv1", "conv2"):
        got = [(r, a) for k, (r, a) in ratios.items() if k[0] == "AlexNet" and
               k[1].split()[0] == layer]
        if got:
            parts.append(f"{layer} " + ", ".join(f"{r:.2f} ({a})" for r, a in got))
        judged += [r for k, (r, a) in ratios.items() if k == ("AlexNet", layer)]
    return Target("1", "AlexNet conv1 (11×11/4) and conv2 (5×5, groups 2), fwd+bwd",
                  "each minidl/PyTorch ≤ 1.0", "; ".join(parts),
                  len(judged) == 2 and max(judged) <= 1.0,
                  "judged on auto's algorithm (the first of each layer's figures); percore is "
                  "auto's choice on a CPU without AVX-512", round=3)


def _per_layer_conv_targets(ratios):
    """The tightened per-layer goals on the ratios above: {(net, layer): (ratio, algorithm)}."""
    groups = [("2", "every VGG-16 3×3 layer conv1_2 … conv5_x, fwd+bwd", 0.85,
               [k for k in ratios if k[0] == "VGG-16" and k[1] != "conv1_1"]),
              ("4", "AlexNet conv1 (11×11/4) and conv2 (5×5, groups 2), fwd+bwd", 1.0,
               [k for k in ratios if k[0] == "AlexNet" and k[1] in ("conv1", "conv2")]),
              ("4", "AlexNet conv3–conv5, fwd+bwd", 1.0,
               [k for k in ratios if k[0] == "AlexNet" and k[1] in ("conv3", "conv4", "conv5")])]
    out = []
    for number, what, goal, keys in groups:
        if not keys:
            continue
        got = ", ".join(f"{k[1]} {ratios[k][0]:.2f} ({ratios[k][1]})" for k in keys)
        missed = [k[1] for k in keys if ratios[k][0] > goal]
        out.append(Target(number, what, f"each minidl/PyTorch ≤ {goal}", got, not missed,
                          f"missed on {len(missed)} of {len(keys)}: {', '.join(missed)}"
                          if missed else "", round=2))
    return out


def _conv_algo():
    from minidl.kernels import current
    return current().conv_algo


def _conv_errors(cfg):
    """{(net, layer name): {"algo", "forward", "backward"}} from one child process (batch 1)."""
    keys, layers = [], []
    for net, table in (("AlexNet", ALEXNET), ("VGG-16", VGG16)):
        if net in cfg.conv_nets:
            for name, C, OC, k, s, p, g, size in table[:cfg.conv_layers]:
                keys.append((net, name))
                layers.append([C, OC, k, s, p, g, size])
    return dict(zip(keys, _child(["conv-error", "--layers", json.dumps(layers)])))


# ---------------------------------------------------------------------------------------------
# LRN, max-pool, ReLU, dropout (target 4)


def op_figures(cfg):
    sec = Section(
        "LRN, max-pool, ReLU, dropout on AlexNet's activation sizes, forward + backward",
        "minidl's kernels as the autograd nodes call them; PyTorch's `torch.nn.functional` ops "
        "with autograd. % bw: the bytes each op must move at least (read x, write y, read gy, "
        "write gx, and what backward reads back) over this run's copy bandwidth "
        f"({cfg.bandwidth / 1e9:.1f} GB/s).",
        ["op", "shape", "minidl ms", "% bw", "PyTorch ms", "% bw", "ratio", "goal",
         "others' CPU / reruns"])
    for name, shape, bytes_per in layer_ops.CASES:
        shape = (cfg.op_batch,) + tuple(shape[1:])
        ts = _side_by_side(cfg, "op", ("op", name, shape), cfg.op_repeat)
        nbytes = int(np.prod(shape)) * bytes_per
        goal = 1 / 3 if name.startswith("lrn") else 1.0
        row = [name, "×".join(map(str, shape)), spread(ts[0]),
               f"{100 * nbytes / ts[0].median / cfg.bandwidth:.0f}%"]
        if cfg.torch:
            r = _ratio(*ts)
            row += [spread(ts[1]), f"{100 * nbytes / ts[1].median / cfg.bandwidth:.0f}%",
                    f"**{r:.2f}**", f"≤ {goal:.2g}"]
            what = "3× faster than PyTorch" if goal < 1 else "as fast as PyTorch"
            sec.targets.append(Target("4", f"{name}, fwd+bwd", f"ratio ≤ {goal:.2g} ({what})",
                                      f"{r:.2f}", _met(r, goal)))
        else:
            row += ["–", "–", "–", f"≤ {goal:.2g}"]
        sec.rows.append(row + [others(*ts)])
    return sec


# ---------------------------------------------------------------------------------------------
# Child processes: peak memory (target 5) and Numba's on-disk cache (target 6)


def _child_cmd(args):
    return [sys.executable, os.path.join(HERE, "child.py")] + list(args)


def _child_result(cmd, proc, stdout, stderr):
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{stderr[-3000:]}")
    return json.loads(stdout.strip().splitlines()[-1])


def _child(args, env=None):
    cmd = _child_cmd(args)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    return _child_result(cmd, proc, proc.stdout, proc.stderr)


def _children_at_once(arg_lists):
    """Run child.py once per argument list, all at the same time (for figures that are not
    times: a process's peak memory does not depend on sharing the cores); their results."""
    cmds = [_child_cmd(a) for a in arg_lists]
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for c in cmds]
    return [_child_result(c, p, *p.communicate()) for c, p in zip(cmds, procs)]


def memory_figures(cfg):
    sec = Section(
        "Peak memory of a training step",
        "Each figure is its own process running a few training steps with only that framework "
        "imported (the processes run side by side); peak RSS is the process's high-water mark, "
        "VmHWM (imports, weights, batch, activations, gradients, momentum buffers); 'before' is "
        "the RSS just before the first step.",
        ["net", "batch", "framework", "peak RSS", "RSS before the first step"])
    runs = []
    for arch, n, fw in [("alexnet", cfg.alexnet_batch, "minidl"),
                        ("alexnet", cfg.alexnet_batch, "torch"),
                        ("vgg16", cfg.vgg_batch, "minidl"), ("vgg16", cfg.vgg_batch, "torch")]:
        if arch not in cfg.nets or fw == "torch" and not cfg.torch:
            continue
        if (arch, fw) == ("vgg16", "torch") and not cfg.rss_vgg_torch:
            continue
        runs.append((arch, n, fw))
    outs = _children_at_once([["rss", "--framework", fw, "--arch", arch, "--batch", str(n),
                               "--steps", str(cfg.rss_steps)] for arch, n, fw in runs])
    peaks = {}
    for (arch, n, fw), out in zip(runs, outs):
        peaks[arch, fw] = out["peak_rss"]
        sec.rows.append([NAMES[arch], n, fw, f"{out['peak_rss'] / GIB:.2f} GiB",
                         f"{out['rss_before_steps'] / GIB:.2f} GiB"])
    if ("alexnet", "torch") in peaks:
        r = peaks["alexnet", "minidl"] / peaks["alexnet", "torch"]
        sec.targets.append(Target("5", f"AlexNet training step peak RSS, batch {cfg.alexnet_batch}",
                                  "minidl/PyTorch ≤ 1.2", f"{r:.2f}", r <= 1.2))
    if ("vgg16", "minidl") in peaks:
        p = peaks["vgg16", "minidl"] / GIB
        sec.targets.append(Target("5", f"VGG-16 training step, batch {cfg.vgg_batch}",
                                  "peak RSS ≤ 4 GiB", f"{p:.2f} GiB", p <= 4.0))
    return sec


def cache_figures(cfg):
    sec = Section(
        "Numba's on-disk cache",
        "Each row is a new process that imports minidl, builds AlexNet and runs training steps "
        f"at batch {cfg.cache_batch}. The first process gets an empty NUMBA_CACHE_DIR, so every "
        "kernel compiles (and is written to it); the second uses the same folder and loads them.",
        ["process", "kernels loaded from the cache / compiled", "import s", "first step s",
         "warm step s (median)", "first / warm", "others' CPU / reruns"])
    args = ["cache", "--arch", "alexnet", "--batch", str(cfg.cache_batch), "--steps", "3"]
    fresh = tempfile.mkdtemp(prefix="minidl-numba-cache-")
    env = dict(os.environ, NUMBA_CACHE_DIR=fresh)
    if cfg.cache_fresh:
        first, t1 = run_clean(lambda: _child(args, env), 1, cfg.budget)
        compile_s = first["first_step"] - first["warm_step"]
        sec.rows.append(["1st (empty cache: compiles)",
                         f"{first['cache_hits']} / {first['compiled']}", f"{first['import']:.2f}",
                         f"{first['first_step']:.2f}", f"{first['warm_step']:.2f}",
                         f"{first['first_step'] / first['warm_step']:.1f}", others(t1)])
        sec.notes.append(f"Compilation in the first process: about **{compile_s:.0f} s** "
                         "(its first step minus a warm step).")
    else:
        env = dict(os.environ)   # the cache this run's own kernels already filled
        sec.notes.append("--quick: the first (compiling) process is skipped; the second process "
                         "loads the cache this run's own kernels used. Run the full suite for the "
                         "compile time.")
    second, t2 = run_clean(lambda: _child(args, env), cfg.attempts, cfg.budget)
    r = second["first_step"] / second["warm_step"]
    sec.rows.append(["2nd (cache filled: loads)",
                     f"{second['cache_hits']} / {second['compiled']}", f"{second['import']:.2f}",
                     f"{second['first_step']:.2f}", f"{second['warm_step']:.2f}",
                     f"**{r:.2f}**", others(t2)])
    sec.notes.append(
        "What the second process's first step pays beyond a warm one, measured by hand: Numba's "
        "import (minidl loads its kernels lazily, at the first call) and Numba's one-time setup "
        "of its typing registries (which imports SciPy when installed), together about 0.5 s on "
        "this machine; loading the cached machine code itself is a few ms per kernel.")
    sec.targets.append(Target("6", "second process's first AlexNet step / a warm step",
                              "≤ 2", f"{r:.2f}", r <= 2.0,
                              f"{second['compiled']} kernels compiled in the 2nd process"))
    return sec


# ---------------------------------------------------------------------------------------------
# Where the AlexNet step's time goes (the profile behind a missed target)


def profile_figures(cfg):
    """One section per net of the suite (AlexNet, then VGG-16): where its step's time goes."""
    return [_profile(cfg, arch) for arch in cfg.nets]


PROFILE_NAMES = {"alexnet": "AlexNet", "vgg16": "VGG-16"}


def _profile(cfg, arch):
    n, steps = (cfg.alexnet_batch if arch == "alexnet" else cfg.vgg_batch), cfg.profile_steps
    out = cfg.minidl.call("profile", args=[arch, n, steps])
    rows, total = out["rows"], out["total"]
    sec = Section(
        f"Profile: where the {PROFILE_NAMES[arch]} training step's time goes (batch {n})",
        f"minidl: {total * 1e3:.0f} ms per step under the timers (mean of {steps} steps after a "
        "warm-up); each autograd node's forward and backward, charged to its layer "
        "(`profile_step.py`). Wall-clock, so on a busy machine these grow with the others' CPU.",
        ["layer", "op", "forward ms", "backward ms", "share of the step"])
    for layer, op, f, b in sorted(rows, key=lambda r: -(r[2] + r[3])):
        if f + b >= 0.0005 * total:
            sec.rows.append([layer, op, f"{f * 1e3:.1f}", f"{b * 1e3:.1f}" if b else "–",
                             f"{100 * (f + b) / total:.0f}%"])
    if cfg.torch:
        out = cfg.torch_worker.call("profile", args=[arch, n, steps])
        lrn = " (its LRN is avg_pool3d, pow, mul, add and div)" if arch == "alexnet" else ""
        lines = [f"PyTorch, the same step: {out['total'] * 1e3:.0f} ms under torch.profiler; self "
                 f"CPU time of its busiest ops{lrn}:", "",
                 "| aten op | ms per step | calls |", "|---|---|---|"]
        lines += [f"| {key} | {sec_ * 1e3:.1f} | {calls} |" for key, sec_, calls in out["rows"]]
        sec.notes.append("\n".join(lines))
    return sec
