"""Figures that need a process of their own; `run.py` starts this script and reads its JSON.

    python benchmarks/child.py rss   --framework minidl|torch --arch alexnet|vgg16 --batch 32
    python benchmarks/child.py cache --arch alexnet --batch 32
    python benchmarks/child.py conv-error --layers '[[3, 96, 11, 4, 2, 1, 224], ...]'

rss: peak resident memory (VmHWM) of a process that builds the net and runs
`--steps` training steps, with only that framework imported (PyTorch alone takes a few hundred
MB, which must not count against minidl). Also the RSS before the first step (imports, weights,
the batch), so the step's own share shows.

cache: how much Numba's on-disk cache saves. The caller sets NUMBA_CACHE_DIR: a fresh folder
for the first process (everything compiles and is written there), the same folder for the
second (everything loads). Reports the seconds of import, of the first training step and the
median of the warm steps after it.

conv-error: for each layer (C, OC, k, stride, padding, groups, size) at batch 1, the algorithm
the dispatch picks and its float32 error against float64 im2col, normwise
(||y32 - y64|| / ||y64||): forward, and the worst of the input and weight gradients.
"""
import argparse
import importlib
import json
import os
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nets  # noqa: E402


def current_rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss():
    """The high-water mark of this process's resident memory, in bytes.

    /proc/self/status's VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over from
    the parent through fork and exec, so a child of a big benchmark process would report the
    parent's peak. VmHWM belongs to the memory map exec created, which starts empty.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024   # KiB on Linux


def rss(framework, arch, n, steps):
    x, y = nets.batch(n)
    if framework == "torch":
        import torch
        torch.set_num_threads(int(os.environ.get("BENCH_TORCH_THREADS", "2")))
        step = nets.torch_train_step(nets.torch_net(arch), x, y)
    else:
        step = nets.minidl_train_step(nets.minidl_net(arch), x, y)
    before = current_rss()
    for _ in range(steps):
        step()
    return {"peak_rss": peak_rss(), "rss_before_steps": before}


def cache(arch, n, steps):
    t0 = time.perf_counter()
    importlib.import_module("minidl")   # numba, and the kernels' cached machine code
    t1 = time.perf_counter()
    x, y = nets.batch(n)
    step = nets.minidl_train_step(nets.minidl_net(arch), x, y)
    t2 = time.perf_counter()
    step()
    t3 = time.perf_counter()
    warm = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        warm.append(time.perf_counter() - t)
    hits, misses = numba_cache_counts()
    return {"import": t1 - t0, "build": t2 - t1, "first_step": t3 - t2,
            "warm_step": float(np.median(warm)), "cache_hits": hits, "compiled": misses,
            "cache_dir": os.environ.get("NUMBA_CACHE_DIR")}


def numba_cache_counts():
    """(kernel versions loaded from the on-disk cache, kernel versions compiled) so far."""
    from numba.core.registry import CPUDispatcher
    hits = misses = 0
    for name, module in list(sys.modules.items()):
        if not name.startswith("minidl.kernels"):
            continue
        for obj in vars(module).values():
            if isinstance(obj, CPUDispatcher):
                hits += sum(obj.stats.cache_hits.values())
                misses += sum(obj.stats.cache_misses.values())
    return hits, misses


def conv_error(layers):
    from minidl.kernels.conv import cpu
    from minidl.kernels.conv.dispatch import choose, conv_kernels
    from minidl.kernels.conv.spec import make_spec
    out = []
    for C, OC, k, s, p, g, size in layers:
        rng = np.random.default_rng(0)
        x = rng.standard_normal((1, C, size, size))
        w = rng.standard_normal((OC, C // g, k, k)) * (2.0 / (C // g * k * k)) ** 0.5
        args = make_spec(x.shape, w.shape, s, p, 1, g)
        y = cpu.conv2d_forward(x, w, None, args)
        gy = rng.standard_normal(y.shape)
        exact = (y,) + cpu.conv2d_backward(gy, x, w, args, (True, True, False))[:2]
        x32, w32, gy32 = (a.astype(np.float32) for a in (x, w, gy))
        conv = conv_kernels(x32, args)
        got = (conv.conv2d_forward(x32, w32, None, args),) + \
            conv.conv2d_backward(gy32, x32, w32, args, (True, True, False))[:2]
        err = [float(np.linalg.norm(a - e) / np.linalg.norm(e)) for a, e in zip(got, exact)]
        out.append({"algo": choose(x.shape, args), "forward": err[0],
                    "backward": max(err[1:])})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["rss", "cache", "conv-error"])
    ap.add_argument("--layers", default="[]", help="conv-error: a JSON list of layers")
    ap.add_argument("--framework", choices=["minidl", "torch"], default="minidl")
    ap.add_argument("--arch", choices=["alexnet", "vgg16"], default="alexnet")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=3)
    args = ap.parse_args()
    if args.what == "rss":
        out = rss(args.framework, args.arch, args.batch, args.steps)
    elif args.what == "cache":
        out = cache(args.arch, args.batch, args.steps)
    else:
        out = conv_error(json.loads(args.layers))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
