"""Issue 6's figures, one function per section of RESULTS.md; `run.py` calls them in order.

Every timed figure goes through `measure` (reruns when other processes used the CPU) and,
where PyTorch is installed, is interleaved with the same work in PyTorch, so that each ratio
compares two runs made side by side on the same machine at the same time.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

import layer_ops
import nets
from conv_layers import ALEXNET, VGG16, layer_flops
from measure import compare, run_clean, time_figure
from report import Section, Target, others, spread

HERE = os.path.dirname(os.path.abspath(__file__))
GIB = 2 ** 30


def _time(cfg, fns, repeat=None, warmup=1):
    """compare() when there is more than one callable, else time_figure; a list of Timings."""
    repeat = repeat or cfg.repeat
    kw = dict(repeat=repeat, warmup=warmup, attempts=cfg.attempts, budget=cfg.budget)
    if len(fns) == 1:
        (name, fn), = fns.items()
        return [time_figure(name, fn, **kw)]
    return compare(fns, **kw)


def _ratio(a, b):
    return a.median / b.median


def _met(value, goal, below=True):
    return value <= goal if below else value >= goal


# ---------------------------------------------------------------------------------------------
# References: the machine's GEMM rate and memory bandwidth, measured in this run


def references(cfg):
    n = cfg.gemm_n
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    out = np.empty_like(a)
    src = np.ones(cfg.copy_mb << 18, np.float32)
    dst = np.empty_like(src)
    gemm, copy = _time(cfg, {"gemm": lambda: np.matmul(a, a, out=out)}) + \
        _time(cfg, {"copy": lambda: np.copyto(dst, src)})
    cfg.gemm_rate = 2.0 * n ** 3 / gemm.median
    cfg.bandwidth = 2.0 * src.nbytes / copy.median
    return Section(
        "References measured in this run",
        "The yardsticks the conv and op figures are stated against.",
        ["what", "ms median (min–max)", "rate", "others' CPU (cores) / reruns"],
        [[f"NumPy float32 GEMM {n}×{n} (`np.matmul`)", spread(gemm),
          f"**{cfg.gemm_rate / 1e9:.0f} GFLOP/s**", others(gemm)],
         [f"NumPy copy of {cfg.copy_mb} MiB float32 (read + write)", spread(copy),
          f"**{cfg.bandwidth / 1e9:.1f} GB/s**", others(copy)]])


# ---------------------------------------------------------------------------------------------
# Whole nets (targets 1 and 2)


NET_FIGURES = [  # target number, arch, batch attribute of cfg, kind, goal
    ("1", "alexnet", "alexnet_batch", "train", 1.0),
    ("2", "alexnet", "alexnet_batch", "infer", 1.2),
    ("2", "vgg16", "vgg_batch", "train", 1.3),
]
NAMES = {"alexnet": "AlexNet (paper: LRN, groups=2)", "vgg16": "VGG-16"}


def net_figures(cfg):
    sec = Section(
        "Whole nets, 224×224, float32",
        "Training step = zero_grad, forward, cross-entropy, backward, SGD (momentum 0.9, weight "
        "decay 5e-4). Inference = eval-mode forward without a graph. Both frameworks run the same "
        "weights on the same batch; their runs are interleaved.",
        ["net", "batch", "work", "minidl ms", "PyTorch ms", "ratio", "goal",
         "others' CPU / reruns"])
    for arch in ("alexnet", "vgg16"):
        figures = [f for f in NET_FIGURES if f[1] == arch and f[1] in cfg.nets]
        if not figures:
            continue
        n = getattr(cfg, figures[0][2])
        x, y = nets.batch(n)
        mnet = nets.minidl_net(arch)
        tnet = nets.torch_net(arch, mnet) if cfg.torch else None
        if tnet is not None:
            diff = nets.check_same_function(mnet, tnet, x[:2])
            sec.notes.append(f"{NAMES[arch]}: minidl's and PyTorch's logits agree to "
                             f"{diff:.1e} (max difference / max logit) before timing.")
        for number, _, _, kind, goal in figures:
            fns = {"minidl": (nets.minidl_train_step(mnet, x, y) if kind == "train"
                              else nets.minidl_inference(mnet, x))}
            if tnet is not None:
                fns["torch"] = (nets.torch_train_step(tnet, x, y) if kind == "train"
                                else nets.torch_inference(tnet, x))
            ts = _time(cfg, fns, cfg.net_repeat if arch == "alexnet" else cfg.vgg_repeat)
            work = "training step" if kind == "train" else "inference"
            row = [NAMES[arch], n, work, spread(ts[0])]
            if tnet is not None:
                r = _ratio(*ts)
                row += [spread(ts[1]), f"**{r:.2f}**", f"≤ {goal}", others(*ts)]
                sec.targets.append(Target(number, f"{NAMES[arch]} {work}, batch {n}",
                                          f"minidl/PyTorch ≤ {goal}", f"{r:.2f}",
                                          _met(r, goal)))
            else:
                row += ["–", "–", f"≤ {goal}", others(*ts)]
            sec.rows.append(row)
        del mnet, tnet
    return sec


# ---------------------------------------------------------------------------------------------
# Conv layers against the GEMM rate (target 3)


def _minidl_conv(N, C, OC, k, s, p, g, size, first):
    import minidl.kernels as kernels
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, size, size), dtype=np.float32)
    w = rng.standard_normal((OC, C // g, k, k), dtype=np.float32) * 0.01
    b = np.zeros(OC, np.float32)
    conv = kernels.select("conv", x)
    args = ((s, s), (p, p), (1, 1), g)
    gy = rng.standard_normal(conv.conv2d_forward(x, w, b, *args).shape, dtype=np.float32)

    def step():
        conv.conv2d_forward(x, w, b, *args)
        conv.conv2d_backward(gy, x, w, *args, not first, True, True)
    return step


def _torch_conv(N, C, OC, k, s, p, g, size, first):
    import torch
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(N, C, size, size, generator=gen, requires_grad=not first)
    w = (torch.randn(OC, C // g, k, k, generator=gen) * 0.01).requires_grad_()
    b = torch.zeros(OC, requires_grad=True)
    gy = torch.randn_like(torch.nn.functional.conv2d(x.detach(), w.detach(), None, s, p, 1, g))

    def step():
        x.grad = w.grad = b.grad = None
        torch.nn.functional.conv2d(x, w, b, s, p, 1, g).backward(gy)
    return step


def conv_figures(cfg):
    from minidl.kernels.shapes import conv_output_size
    sec = Section(
        "Convolution layers, forward + backward, float32",
        "minidl's conv kernels (im2col + OpenBLAS GEMM) as the autograd node calls them, and "
        "`torch.nn.functional.conv2d` with autograd. FLOPs: 2 per multiply-add; backward adds "
        "the weight gradient and (except for a net's first layer, whose input needs no "
        "gradient) the input gradient, each as many FLOPs as the forward. % GEMM = the "
        f"layer's rate over this run's {cfg.gemm_rate / 1e9:.0f} GFLOP/s 4096² sgemm.",
        ["layer", "in → out, k/s/p, groups", "minidl ms", "GFLOP/s", "% GEMM", "PyTorch ms",
         "GFLOP/s", "ratio", "others' CPU / reruns"])
    worst = []
    for net, layers, n in (("AlexNet", ALEXNET, cfg.alexnet_batch),
                           ("VGG-16", VGG16, cfg.vgg_batch)):
        if net not in cfg.conv_nets:
            continue
        with_torch = cfg.torch and net in cfg.conv_torch
        for i, (name, C, OC, k, s, p, g, size) in enumerate(layers[:cfg.conv_layers]):
            first = i == 0
            geo = (n, C, OC, k, s, p, g, size, first)
            fns = {"minidl": _minidl_conv(*geo)}
            if with_torch:
                fns["torch"] = _torch_conv(*geo)
            ts = _time(cfg, fns, cfg.repeat if net == "AlexNet" else cfg.vgg_repeat)
            oh = conv_output_size(size, k, s, p)
            flops = layer_flops(n, C, OC, k, g, oh, oh) * (2 if first else 3)
            rate = flops / ts[0].median
            frac = rate / cfg.gemm_rate
            worst.append((frac, f"{net} {name.split()[0]}"))
            row = [f"{net} {name}", f"{C}×{size}² → {OC}×{oh}², {k}/{s}/{p}, g{g}",
                   spread(ts[0]), f"{rate / 1e9:.0f}", f"**{100 * frac:.0f}%**"]
            if with_torch:
                row += [spread(ts[1]), f"{flops / ts[1].median / 1e9:.0f}",
                        f"{_ratio(*ts):.2f}"]
            else:
                row += ["–", "–", "–"]
            sec.rows.append(row + [others(*ts)])
    if worst:
        low = sorted(worst)[0]
        below = [name for frac, name in sorted(worst) if frac < 0.7]
        sec.targets.append(Target(
            "3", "every AlexNet and VGG-16 conv layer, fwd+bwd", "≥ 70% of the GEMM rate",
            f"lowest {100 * low[0]:.0f}% ({low[1]})", not below,
            ("below: " + ", ".join(below)) if below else ""))
    return sec


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
        x = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
        fns = {"minidl": layer_ops.minidl_step(name, x)}
        if cfg.torch:
            fns["torch"] = layer_ops.torch_step(name, x)
        ts = _time(cfg, fns, cfg.op_repeat)
        nbytes = x.size * bytes_per
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


def _child(args, env=None):
    cmd = [sys.executable, os.path.join(HERE, "child.py")] + args
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def memory_figures(cfg):
    sec = Section(
        "Peak memory of a training step",
        "Each figure is its own process running a few training steps with only that framework "
        "imported; peak RSS is the process's high-water mark, VmHWM (imports, weights, batch, activations, "
        "gradients, momentum buffers); 'before' is the RSS just before the first step.",
        ["net", "batch", "framework", "peak RSS", "RSS before the first step"])
    runs = [("alexnet", cfg.alexnet_batch, "minidl"), ("alexnet", cfg.alexnet_batch, "torch"),
            ("vgg16", cfg.vgg_batch, "minidl"), ("vgg16", cfg.vgg_batch, "torch")]
    peaks = {}
    for arch, n, fw in runs:
        if arch not in cfg.nets or fw == "torch" and not cfg.torch:
            continue
        if (arch, fw) == ("vgg16", "torch") and not cfg.rss_vgg_torch:
            continue
        out = _child(["rss", "--framework", fw, "--arch", arch, "--batch", str(n),
                      "--steps", str(cfg.rss_steps)])
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
        ["process", "import s", "first step s", "warm step s (median)", "first / warm",
         "others' CPU / reruns"])
    args = ["cache", "--arch", "alexnet", "--batch", str(cfg.cache_batch), "--steps", "3"]
    fresh = tempfile.mkdtemp(prefix="minidl-numba-cache-")
    env = dict(os.environ, NUMBA_CACHE_DIR=fresh)
    if cfg.cache_fresh:
        first, t1 = run_clean(lambda: _child(args, env), 1, cfg.budget)
        compile_s = first["first_step"] - first["warm_step"]
        sec.rows.append(["1st (empty cache: compiles)", f"{first['import']:.2f}",
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
    sec.rows.append(["2nd (cache filled: loads)", f"{second['import']:.2f}",
                     f"{second['first_step']:.2f}", f"{second['warm_step']:.2f}",
                     f"**{r:.2f}**", others(t2)])
    sec.targets.append(Target("6", "second process's first AlexNet step / a warm step",
                              "≤ 2", f"{r:.2f}", r <= 2.0))
    return sec


# ---------------------------------------------------------------------------------------------
# Where the AlexNet step's time goes (the profile behind a missed target)


def profile_figures(cfg):
    import profile_step
    n, steps = cfg.alexnet_batch, cfg.profile_steps
    rows, total = profile_step.minidl_profile("alexnet", n, steps)
    sec = Section(
        f"Profile: where the AlexNet training step's time goes (batch {n})",
        f"minidl: {total * 1e3:.0f} ms per step under the timers (mean of {steps} steps after a "
        "warm-up); each autograd node's forward and backward, charged to its layer. "
        "Wall-clock, so on a busy machine these grow with the others' CPU.",
        ["layer", "op", "forward ms", "backward ms", "share of the step"])
    for layer, op, f, b in sorted(rows, key=lambda r: -(r[2] + r[3])):
        if f + b >= 0.0005 * total:
            sec.rows.append([layer, op, f"{f * 1e3:.1f}", f"{b * 1e3:.1f}",
                             f"{100 * (f + b) / total:.0f}%"])
    if cfg.torch:
        trows, ttotal, _ = profile_step.torch_profile("alexnet", n, steps)
        lines = [f"PyTorch, the same step: {ttotal * 1e3:.0f} ms under torch.profiler; self CPU "
                 "time of its busiest ops (its LRN is avg_pool3d, pow, mul, add and div):", "",
                 "| aten op | ms per step | calls |", "|---|---|---|"]
        lines += [f"| {key} | {sec_ * 1e3:.1f} | {calls} |" for key, sec_, calls in trows]
        sec.notes.append("\n".join(lines))
    return sec
