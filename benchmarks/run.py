"""minidl's benchmark suite: every figure its targets name, minidl and PyTorch side by side.

    python benchmarks/run.py            # the full suite, under 15 minutes on 2 cores
    python benchmarks/run.py --quick    # fewer repeats, no profile: under 2 minutes
    python benchmarks/run.py --out /tmp/r.md --sections nets,ops
    python benchmarks/run.py --peers    # and JAX, tinygrad (pip install 'minidl[peers]')
    python benchmarks/run.py --sections peers --peers=tinygrad --nets alexnet --alexnet-batch 2

Writes benchmarks/RESULTS.md: the machine (CPU, cores, BLAS and which of its kernels ran, Numba's
threading layer), the versions, every figure as median (min–max) over several runs after a
warm-up, the ratios, and the targets with whether each is met.

**The BLAS kernel.** OpenBLAS picks its GEMM kernel for the CPU it finds, unless
OPENBLAS_CORETYPE forces one (CI sets it to Haswell so results reproduce across machines; on
this AVX-512 machine that halves the GEMM rate). Users do not set it, so the suite re-runs
itself in a child process with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from the
environment of that command alone, and reports the kernel that loaded (threadpoolctl).

**A shared machine.** Each run records how much CPU other processes took while it was timed;
a disturbed run is thrown away and run again (see `measure.py`). A figure that never came out
clean before the time allowance ran out is kept and marked †.

PyTorch (optional) runs with as many threads as the machine has cores (2 here): the same as
minidl's Numba and OpenBLAS pools.
"""
import argparse
import contextlib
import importlib.util
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
CLEAN_FLAG = "MINIDL_BENCH_REEXEC"   # set in the child: the environment is already clean
SECTIONS = ("references", "nets", "peers", "contention", "conv", "ops", "memory", "cache",
            "profile")   # peers: only with --peers or when named in --sections
SECTION_FUNCTIONS = {"references": lambda f: f.references, "nets": lambda f: f.net_figures,
                     "conv": lambda f: f.conv_figures, "ops": lambda f: f.op_figures,
                     "memory": lambda f: f.memory_figures, "cache": lambda f: f.cache_figures,
                     "contention": lambda f: __import__("contention").contention_figures,
                     "profile": lambda f: f.profile_figures,
                     "peers": lambda f: __import__("peer_figures").peer_figures}


class Config:
    """What each mode runs: sizes are the targets'; quick and smoke cut repeats (and smoke sizes)."""

    def __init__(self, mode, torch_available, budget):
        self.mode, self.torch, self.budget = mode, torch_available, budget
        self.nets = ("alexnet", "vgg16")
        self.contention_nets = self.nets
        self.contention_diagnosis = True     # the OpenBLAS-on-1-thread row (a third process)
        self.alexnet_batch, self.vgg_batch, self.op_batch = 32, 8, 32
        self.gemm_n, self.copy_mb = 4096, 256
        self.repeat, self.net_repeat, self.op_repeat, self.attempts = 5, 5, 7, 4
        self.min_run = 0.25   # seconds: short figures loop, so a run is not all cold caches
        self.vgg_repeat = 5                      # VGG-16's step and conv layers (slow ones)
        self.conv_nets, self.conv_layers = ("AlexNet", "VGG-16"), 99   # all layers
        self.conv_torch = ("AlexNet", "VGG-16")  # which nets' conv layers PyTorch also times
        self.rss_steps, self.rss_vgg_torch = 3, True
        self.cache_batch, self.cache_fresh = 32, True
        self.profile_steps = 3
        if mode == "quick":
            self.repeat, self.net_repeat, self.op_repeat, self.attempts = 3, 3, 3, 2
            self.min_run = 0.15
            self.vgg_repeat = 2
            self.contention_nets = ("alexnet",)
            self.contention_diagnosis = False
            self.conv_torch = ("AlexNet",)
            self.rss_steps, self.rss_vgg_torch = 2, False
            self.cache_fresh = False
            self.profile_steps = 2
        elif mode == "smoke":   # the code paths in seconds, for CI: the numbers mean nothing
            self.nets = self.contention_nets = ("alexnet",)
            self.alexnet_batch, self.vgg_batch, self.op_batch = 1, 1, 2
            self.gemm_n, self.copy_mb = 256, 8
            self.repeat, self.net_repeat, self.op_repeat, self.attempts = 1, 1, 1, 1
            self.min_run = 0.05
            self.vgg_repeat = 1
            self.conv_nets, self.conv_layers = ("AlexNet",), 2
            self.rss_steps, self.rss_vgg_torch = 1, False
            self.cache_batch, self.cache_fresh = 1, False
            self.profile_steps = 1
        self.gemm_rate = self.bandwidth = None   # filled by the references section


def reexec_without_blas_overrides(argv, script=__file__):
    """Run `script` (this suite, or another benchmark) again with OPENBLAS_CORETYPE/
    OPENBLAS_L2_SIZE unset; None when the environment is already clean (then it runs in this
    process)."""
    found = {k: os.environ[k] for k in BLAS_VARS if k in os.environ}
    if os.environ.get(CLEAN_FLAG) or not found:
        return None
    env = {k: v for k, v in os.environ.items() if k not in BLAS_VARS}
    env[CLEAN_FLAG] = ", ".join(f"{k}={v}" for k, v in found.items())
    return subprocess.call([sys.executable, os.path.abspath(script)] + list(argv), env=env)


def env_note():
    removed = os.environ.get(CLEAN_FLAG)
    if removed:
        return (f"{removed} removed for this run (the caller's environment had them); "
                "OpenBLAS chose its kernel for this CPU")
    return "OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE not set; OpenBLAS chose its kernel"


def parse(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="fewer repeats: under 2 minutes")
    mode.add_argument("--smoke", action="store_true",
                      help="tiny sizes, one repeat: checks that the suite runs (CI); the "
                           "numbers mean nothing")
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--sections", default=None,
                    help=f"comma-separated subset of {','.join(SECTIONS)} (default: all; "
                         "--quick leaves out profile)")
    ap.add_argument("--no-torch", action="store_true", help="minidl only")
    ap.add_argument("--peers", nargs="?", const="jax,tinygrad", default=None,
                    help="add the peers section: JAX (jit) and tinygrad (TinyJit) training steps "
                         "against minidl's, each in its own process (those installed); "
                         "--peers=jax for one of them")
    ap.add_argument("--nets", default=None,
                    help="comma-separated subset of alexnet,vgg16 for the nets, peers and "
                         "contention sections (default: the mode's)")
    ap.add_argument("--alexnet-batch", type=int, default=None,
                    help="AlexNet's batch in every section that runs AlexNet (default: the "
                         "mode's, 32 in full and quick; the targets are stated at 32)")
    ap.add_argument("--budget", type=float, default=None,
                    help="seconds after which disturbed runs are no longer rerun "
                         "(default: 80 quick, 600 full, 0 smoke)")
    args = ap.parse_args(argv)
    args.mode = "quick" if args.quick else "smoke" if args.smoke else "full"
    if args.sections is None:
        args.sections = ",".join(s for s in SECTIONS if (args.mode != "quick" or s != "profile")
                                 and s != "peers")
    args.sections = [s for s in args.sections.split(",") if s]
    if args.peers and "peers" not in args.sections:
        args.sections.append("peers")
    args.peers = [p for p in (args.peers or "jax,tinygrad").split(",") if p]
    if set(args.peers) - {"jax", "tinygrad"}:
        ap.error(f"--peers: choose among jax,tinygrad, got {args.peers}")
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        ap.error(f"unknown sections {sorted(unknown)}; choose from {','.join(SECTIONS)}")
    return args


def main(argv=None):
    args = parse(argv)
    code = reexec_without_blas_overrides(sys.argv[1:] if argv is None else argv)
    if code is not None:
        return code
    sys.path.insert(0, HERE)
    import figures
    from machine import describe
    from measure import Budget
    from report import Section, Target, render
    from workers import Worker

    start = time.monotonic()
    use_torch = not args.no_torch and importlib.util.find_spec("torch") is not None
    seconds = args.budget if args.budget is not None else \
        {"quick": 80, "full": 600, "smoke": 0}[args.mode]
    cfg = Config(args.mode, use_torch, Budget(seconds))
    cfg.peers = args.peers
    if args.alexnet_batch:
        cfg.alexnet_batch = args.alexnet_batch
    if args.nets:
        cfg.nets = tuple(n for n in cfg.nets if n in args.nets.split(","))
        cfg.contention_nets = tuple(n for n in cfg.contention_nets if n in cfg.nets)
    sections = []
    with tempfile.TemporaryDirectory(prefix="minidl-bench-") as tmp, \
            Worker("minidl") as cfg.minidl, \
            (Worker("torch", os.cpu_count()) if use_torch else contextlib.nullcontext()) as tw:
        cfg.torch_worker, cfg.tmp = tw, tmp
        machine = describe(env_note())
        for w in (cfg.minidl, tw):
            if w is not None:
                machine.update(w.call("info")["info"])
        if not use_torch:
            machine["PyTorch"] = "not used" if args.no_torch else "not installed"
        order = ["references"] + [s for s in SECTIONS[1:] if s in args.sections]
        for name in order:
            t = time.monotonic()
            print(f"[bench] {name} ...", flush=True)
            result = SECTION_FUNCTIONS[name](figures)(cfg)   # a Section, or a list of them
            sections.extend(result if isinstance(result, list) else [result])
            print(f"[bench] {name}: {time.monotonic() - t:.0f} s", flush=True)
    sections.append(Section("GPU", gpu_note(), targets=[Target(
        "7", "GPU: AlexNet training step on CuPy, batch 128", "within 2× PyTorch's cuDNN",
        "see RESULTS_GPU.md" if gpu_count() else "no GPU on this machine", None, round=2)]))
    notes = os.path.join(HERE, "NOTES.md")
    if args.mode != "smoke" and os.path.exists(notes):
        with open(notes, encoding="utf-8") as f:
            sections.append(Section("Notes on the targets missed or at the limit", f.read()))
    elapsed = time.monotonic() - start
    preamble = [f"Mode: **{args.mode}**, {elapsed / 60:.1f} minutes, written "
                f"{time.strftime('%Y-%m-%d %H:%M %Z')}. Times in milliseconds: median (min–max) "
                "after a warm-up. Ratio = minidl / PyTorch (below 1: minidl is faster). "
                "'others' CPU / reruns': the most CPU (in cores) other processes used during a "
                "kept run, and how many disturbed runs were thrown away and rerun; † marks a "
                "figure with a run that stayed disturbed after its reruns.", ""]
    if args.mode == "smoke":
        preamble.insert(0, "**Smoke run: tiny sizes, one repeat. These numbers mean nothing.**\n")
    text = render("minidl benchmarks", machine, sections, preamble)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"[bench] wrote {args.out} in {elapsed:.0f} s")
    return 0


def gpu_count():
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount()
    except Exception:   # no CuPy, no driver, or no device
        return 0


def gpu_note():
    if gpu_count():
        return ("A GPU is present: run `python benchmarks/gpu.py` for target 7 (AlexNet step on "
                "CuPy vs PyTorch cuDNN, batch 128); it writes `benchmarks/RESULTS_GPU.md`.")
    return ("Not measured: this machine has no GPU (target 7 is skipped). On a machine with one, "
            "`python benchmarks/gpu.py` times the AlexNet training step at batch 128 on CuPy and "
            "in PyTorch with cuDNN, and writes `benchmarks/RESULTS_GPU.md`.")


if __name__ == "__main__":
    sys.exit(main())
