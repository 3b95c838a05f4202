"""A third process spinning on one core, for the figures "with a core taken" (target 5).

    with Spinner():          # one core busy until the block ends
        ...time something...

The spinner is a Python busy loop pinned to one core (the last one this process may use), the
way a browser tab or a second job takes a core from a training run. While it spins,
`measure.EXPECTED_OTHERS` is 1, so the runs it disturbs on purpose are not thrown away as
disturbed (other, unexpected load above that still is).
"""
import contextlib
import os
import subprocess
import sys
import time

import measure

SPIN = "import os, sys\nos.sched_setaffinity(0, {int(sys.argv[1])})\nwhile True:\n    pass\n"


class Spinner:
    def __init__(self, core=None):
        cores = sorted(os.sched_getaffinity(0))
        self.core = cores[-1] if core is None else core
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", SPIN, str(self.core)])
        time.sleep(0.3)                     # it is spinning before the first timed run
        if self.proc.poll() is not None:
            raise RuntimeError(f"the spinner process exited with {self.proc.returncode}")
        self._old, measure.EXPECTED_OTHERS = measure.EXPECTED_OTHERS, 1.0
        return self

    def __exit__(self, *exc):
        measure.EXPECTED_OTHERS = self._old
        self.proc.kill()
        self.proc.wait()
        return False


def contention_figures(cfg):
    """Target 5: each net's training step quiet and with one core taken, in each framework's
    worker, plus minidl with OpenBLAS on one thread (the diagnosis: see the section's notes)."""
    from figures import NAMES, _time
    from report import Section, Target, others, spread
    from workers import Worker
    sec = Section(
        "With a core taken: training steps while a third process spins on one core (target 5)",
        "The same training steps as the whole-net table (same weights, batch and recipe), timed "
        "twice in each framework's own process: on the quiet machine, then while `contention.py`'s "
        "spinner (a busy loop pinned to one of the 2 cores) runs for the whole measurement. "
        "slowdown = one core taken / quiet, median over median. The row 'minidl, OpenBLAS on 1 "
        "thread' (full mode) is minidl in a process started with OPENBLAS_NUM_THREADS=1 (its "
        "Numba threads unchanged): a diagnosis, not a setting minidl makes.",
        ["net", "batch", "process", "quiet ms", "one core taken ms", "slowdown",
         "others' CPU / reruns"])
    diagnosis = Worker("minidl", env={"OPENBLAS_NUM_THREADS": "1"},
                       label="minidl, OpenBLAS on 1 thread") if cfg.contention_diagnosis \
        else contextlib.nullcontext()
    with diagnosis as one:
        for arch in cfg.contention_nets:
            n = cfg.alexnet_batch if arch == "alexnet" else cfg.vgg_batch
            weights = os.path.join(cfg.tmp, f"contention-weights-{arch}.npz")   # one per net
            spec = ("net", arch, n, "train", weights if cfg.torch else None)
            key = f"{arch}-contended"
            workers = [cfg.minidl] + ([cfg.torch_worker] if cfg.torch else []) + \
                ([one] if one is not None else [])
            for w in workers:   # minidl first: it writes the weights PyTorch's net loads
                w.setup(key, spec)
            repeat = cfg.net_repeat if arch == "alexnet" else cfg.vgg_repeat
            try:
                runners = {w.label: w.runner(key) for w in workers}
                quiet = _time(cfg, runners, repeat)
                with Spinner():
                    busy = _time(cfg, runners, repeat)
            finally:
                for w in workers:
                    w.free(key)
            slow = {w.label: b.median / q.median for w, q, b in zip(workers, quiet, busy)}
            for w, q, b in zip(workers, quiet, busy):
                sec.rows.append([NAMES[arch], n, "PyTorch" if w.label == "torch" else w.label,
                                 spread(q), spread(b),
                                 f"**{slow[w.label]:.2f}**", others(q, b)])
            if cfg.torch:
                m, t = slow["minidl"], slow["torch"]
                contended = busy[0].median / busy[1].median
                sec.targets.append(Target(
                    "5", f"{NAMES[arch]} training step, slowdown with a core taken",
                    "minidl's ≤ PyTorch's", f"{m:.2f} vs {t:.2f}", m <= t,
                    f"minidl/PyTorch {quiet[0].median / quiet[1].median:.2f} quiet, "
                    f"{contended:.2f} with a core taken", round=2))
    sec.notes.append(
        "others' CPU counts the spinner's core in the contended runs (about 1.0 there); a run in "
        "which anything else took more than the usual allowance on top is rerun as usual.")
    return sec
