"""Timing on a shared machine: medians over repeats, and a check that nobody else used the CPU.

Each timed run reads two clocks around it:

* the machine's busy CPU time, from the first line of /proc/stat (user + nice + system + irq
  + softirq + steal, all cores; steal is time the hypervisor gave our cores to someone else);
* this process's own CPU time (all its threads) and its finished children's, from getrusage.

busy minus own is what *other* processes took while the run was timed. A run in which others
took more than `MAX_OTHERS` of the machine's cores (plus `SLACK` seconds, the tick-sized
rounding of /proc/stat) is disturbed: it is thrown away and, once the machine has been quiet
for half a second (or a few seconds have passed), run again, up to `attempts` times.
If it never comes out clean, the cleanest attempt is kept and the figure is flagged, so a
report never silently mixes a busy machine into its medians.

    with Budget(seconds=120) as budget:               # stop rerunning when time runs out
        t = time_figure("relu", fn, repeat=5, budget=budget)
        print(t.median, t.others, t.disturbed)

    a, b = compare({"minidl": f, "torch": g}, repeat=5)   # interleaved: f g g f f g ...

f and g may also run in other processes (`workers.py`): then each run is measured there.

Short calls are looped within one run (`min_run` seconds at least): the clocks tick in 10 ms.
"""
import os
import resource
import time
from dataclasses import dataclass, field

import numpy as np

MAX_OTHERS = 0.05     # others may use at most this fraction of all cores during a run ...
SLACK = 0.02          # ... plus this many CPU-seconds (a 10 ms tick of /proc/stat per core)
SETTLE = 0.5          # at most this many seconds of waiting for the machine to go idle between
                      # runs of different callables in compare()
EXPECTED_OTHERS = 0.0  # cores another process is *meant* to take (the contention figures'
                       # spinner, `contention.py`): allowed on top of MAX_OTHERS


def machine_busy():
    """CPU-seconds all cores have spent busy since boot, or None where /proc/stat is missing."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu():
    """CPU-seconds used by this process (every thread) and its waited-for children."""
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


class Budget:
    """A wall-clock allowance for reruns: once spent, disturbed runs are kept (and flagged)."""

    def __init__(self, seconds=None):
        self.deadline = None if seconds is None else time.monotonic() + seconds

    def left(self):
        return float("inf") if self.deadline is None else self.deadline - time.monotonic()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@dataclass
class Sample:
    seconds: float      # per call
    others: float       # CPU-seconds other processes used during the run, per wall second
    clean: bool


@dataclass
class Timing:
    """The accepted runs of one figure and how disturbed the machine was while they ran."""
    name: str
    samples: list = field(default_factory=list)
    rejected: int = 0   # disturbed runs that were thrown away and rerun

    @property
    def times(self):
        return [s.seconds for s in self.samples]

    @property
    def median(self):
        return float(np.median(self.times))

    @property
    def min(self):
        return float(np.min(self.times))

    @property
    def max(self):
        return float(np.max(self.times))

    @property
    def others(self):
        """The most that other processes took during an accepted run, in cores."""
        known = [s.others for s in self.samples if s.others is not None]
        return max(known) if known else None

    @property
    def disturbed(self):
        return any(not s.clean for s in self.samples)


def wait_for_quiet(limit, window=0.5):
    """Sleep until other processes leave the machine nearly idle for `window` seconds (their
    busy share under MAX_OTHERS), or `limit` seconds have passed. True if it got quiet."""
    ncpu = os.cpu_count() or 1
    end = time.monotonic() + max(0.0, limit)
    while True:
        b0, c0 = machine_busy(), own_cpu()
        time.sleep(window)
        if b0 is None:
            return True
        if (machine_busy() - b0) - (own_cpu() - c0) <= _allowed(ncpu) * window + SLACK:
            return True
        if time.monotonic() >= end:
            return False


def _allowed(ncpu):
    """Cores other processes may take during a clean run."""
    return MAX_OTHERS * ncpu + EXPECTED_OTHERS


def settle():
    """Between runs of different callables: the previous one's threads may still be spinning
    (in another process they count as others' CPU); give them a moment to go to sleep."""
    return wait_for_quiet(SETTLE, window=0.05)


def _run_once(fn, inner):
    """Time `inner` calls of fn and what others used meanwhile. A run of several (short) calls
    starts with one untimed call: after a pause the first call is slow (threads asleep, caches
    cold; measured +10-80% on a 50 ms conv layer), which a loop that never pauses never sees."""
    ncpu = os.cpu_count() or 1
    if inner > 1:
        fn()
    b0, c0, t0 = machine_busy(), own_cpu(), time.perf_counter()
    for _ in range(inner):
        fn()
    wall = time.perf_counter() - t0
    b1, c1 = machine_busy(), own_cpu()
    if b0 is None:
        return Sample(wall / inner, None, True)
    others = max(0.0, (b1 - b0) - (c1 - c0))
    clean = others <= _allowed(ncpu) * wall + SLACK
    return Sample(wall / inner, others / wall, clean)


def _sample(fn, inner):
    """One run of `fn`: a local callable, or a runner with sample() (another process)."""
    return fn.sample(inner) if hasattr(fn, "sample") else _run_once(fn, inner)


def _calibrate(fn, min_run):
    return fn.calibrate(min_run) if hasattr(fn, "calibrate") else _calls_per_run(fn, min_run)


def _clean_sample(fn, inner, attempts, budget, timing):
    best = None
    for attempt in range(attempts):
        s = _sample(fn, inner)
        if s.clean:
            return s
        timing.rejected += 1
        if best is None or s.others < best.others:
            best = s
        if budget is not None and budget.left() <= 0:
            break
        wait_for_quiet(min(5.0 * (attempt + 1), budget.left() if budget else 10.0))
    timing.rejected -= 1                  # the one we keep is reported, flagged, not rejected
    return best


def _calls_per_run(fn, min_run):
    """Call fn (a warm-up) and return how many calls make a run of at least min_run s."""
    once = float("inf")
    for _ in range(2):   # the first call may fault in fresh pages: time the second as well
        t = time.perf_counter()
        fn()
        once = min(once, time.perf_counter() - t)
        if once > 5 * min_run:   # long enough that one call is a run
            break
    return max(1, int(np.ceil(min_run / max(once, 1e-6))))


def time_figure(name, fn, repeat=5, warmup=1, min_run=0.1, attempts=4, budget=None):
    """Time `fn()`: `warmup` untimed calls, then `repeat` clean runs (see the module docstring)."""
    inner = 1
    for _ in range(max(1, warmup)):
        inner = _calibrate(fn, min_run)
    timing = Timing(name)
    for _ in range(repeat):
        timing.samples.append(_clean_sample(fn, inner, attempts, budget, timing))
    return timing


def compare(fns, repeat=5, warmup=1, min_run=0.1, attempts=4, budget=None):
    """Time several callables (or runners: objects with calibrate(min_run) and sample(inner),
    such as `workers.RemoteRunner`) with their runs interleaved (ABBA order), so drift in the
    machine's speed falls on all of them alike. Returns one Timing per name, in order."""
    names = list(fns)
    inner = {}
    for n in names:
        for _ in range(max(1, warmup)):
            inner[n] = _calibrate(fns[n], min_run)
    timings = {n: Timing(n) for n in names}
    for r in range(repeat):
        for n in (names if r % 2 == 0 else names[::-1]):
            settle()
            timings[n].samples.append(
                _clean_sample(fns[n], inner[n], attempts, budget, timings[n]))
    return [timings[n] for n in names]


def run_clean(fn, attempts=3, budget=None):
    """Call `fn()` once per attempt until a call is undisturbed; returns (its value, a Timing
    holding that one run). For work timed inside a child process, whose result is the value."""
    timing = Timing(getattr(fn, "__name__", "run"))
    best = None
    for attempt in range(attempts):
        box = []
        s = _run_once(lambda: box.append(fn()), 1)
        if s.clean:
            timing.samples.append(s)
            return box[0], timing
        if best is None or s.others < best[1].others:
            best = (box[0], s)
        if budget is not None and budget.left() <= 0 or attempt == attempts - 1:
            break
        timing.rejected += 1
        wait_for_quiet(min(5.0 * (attempt + 1), budget.left() if budget else 10.0))
    timing.samples.append(best[1])
    return best[0], timing
