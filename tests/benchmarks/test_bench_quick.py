"""The benchmark suite runs, writes its report and notices a busy machine; no timing asserted.

``benchmarks/run.py --smoke`` is the suite's code at toy sizes with one repeat (its numbers mean
nothing); the real ``--quick`` mode takes about two minutes and is not run here. Subprocesses,
as a person runs the suite: it re-executes itself without OPENBLAS_CORETYPE, which must be
loaded before NumPy, so it cannot run inside pytest's process.
"""
import os
import re
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "benchmarks")
sys.path.insert(0, BENCH)

import measure  # noqa: E402


def run_suite(out, *args, env=None):
    proc = subprocess.run([sys.executable, os.path.join(BENCH, "run.py"), "--smoke",
                           "--out", str(out), *args], capture_output=True, text=True,
                          env=env, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return out.read_text(encoding="utf-8")


def table_rows(text, section):
    """The data rows of the first table under the heading `## section...`."""
    part = text.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return [line for line in part.splitlines() if line.startswith("| ") and "---" not in line][1:]


def test_smoke_conv_and_ops_with_blas_override_removed(tmp_path):
    env = dict(os.environ, OPENBLAS_CORETYPE="Haswell", OPENBLAS_L2_SIZE="512")
    text = run_suite(tmp_path / "r.md", "--sections", "conv,ops", env=env)
    assert "Smoke run" in text
    # the suite ran without the override and says so, and which kernel OpenBLAS chose
    assert "OPENBLAS_CORETYPE=Haswell, OPENBLAS_L2_SIZE=512 removed for this run" in text
    assert re.search(r"\| BLAS \(NumPy\) \| \w+ [\d.]+, kernel \w+", text), text
    assert re.search(r"\| Numba threading layer \| \w+, \d+ threads", text)
    for heading in ("Machine", "References measured in this run", "Convolution layers",
                    "LRN, max-pool"):
        assert f"## {heading}" in text
    assert "GFLOP/s" in text and "GB/s" in text
    conv = table_rows(text, "Convolution layers")
    # AlexNet's im2col layers again by percore_cpu.py (auto's choice without AVX-512), below
    assert [(r.split("|")[1].strip(), r.split("|")[3].strip() == "percore (auto without AVX-512)")
            for r in conv] == [("AlexNet conv1", False), ("AlexNet conv1", True),
                               ("AlexNet conv2", False), ("AlexNet conv2", True)]
    ops = table_rows(text, "LRN, max-pool")
    assert len(ops) == 7 and ops[1].startswith("| lrn conv1 | 2×96×55×55 |")
    for row in conv + ops:   # median (min–max) in every timed cell
        assert re.search(r"\d+(\.\d)? \(\d+(\.\d)?–\d+(\.\d)?\)", row), row
    if "PyTorch | not installed" not in text:
        first = text.split("## Targets of the first performance round (issue 6)", 1)[1]
        first = first.split("\n## ", 1)[0]
        # one target row per op (counted at line starts: a timing cell may read "| 4 |" too)
        assert sum(line.startswith("| 4 | ") for line in first.splitlines()) == 7
        assert "| 3 | every AlexNet and VGG-16 conv layer" in first
        second = table_rows(text, "Targets of the second performance round (issue 12)")
        assert any(r.startswith("| 4 | AlexNet conv1 (11×11/4) and conv2") for r in second)
        assert any(r.startswith("| 6 | keep the first round's targets") for r in second)


@pytest.mark.slow
def test_smoke_every_section(tmp_path):
    text = run_suite(tmp_path / "r.md")
    for heading in ("Whole nets", "Peak memory", "Numba's on-disk cache", "GPU"):
        assert f"## {heading}" in text
    assert "training step" in table_rows(text, "Whole nets")[0]
    assert any("minidl" in r and "GiB" in r for r in table_rows(text, "Peak memory"))
    assert "2nd (cache filled: loads)" in text
    busy = table_rows(text, "With a core taken")
    assert [r.split("|")[3].strip() for r in busy][::2] == ["minidl", "minidl, OpenBLAS on 1 thread"]
    if "PyTorch | not installed" not in text:
        assert "| 5 | AlexNet (paper: LRN, groups=2) training step, slowdown" in text


def test_gpu_script_skips_cleanly_without_a_gpu(tmp_path):
    sys.path.insert(0, BENCH)
    import gpu
    if gpu.gpu_or_reason()[0] is not None:
        pytest.skip("a GPU is present: gpu.py would run for real")
    out = tmp_path / "gpu.md"
    proc = subprocess.run([sys.executable, os.path.join(BENCH, "gpu.py"), "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "skipped, no GPU here" in proc.stdout
    assert not out.exists()


def test_busy_machine_is_noticed():
    """A run during which another process spins on a core is flagged as disturbed."""
    if measure.machine_busy() is None:
        pytest.skip("no /proc/stat on this system")
    spin = "import time\nt = time.time()\nwhile time.time() - t < 0.6: pass\n"
    hog = subprocess.Popen([sys.executable, "-c", spin])
    try:
        time.sleep(0.1)   # let it start spinning
        sample = measure._run_once(lambda: time.sleep(0.3), 1)
    finally:
        hog.wait()
    assert not sample.clean
    assert sample.others > 0.5   # at least half a core went to the other process


def test_spinner_load_is_expected_and_other_load_still_noticed():
    """Under contention.Spinner one core's load is allowed; a second hog on top is not."""
    if measure.machine_busy() is None or len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs /proc/stat and 2 cores")
    import contention
    with contention.Spinner():
        assert measure.EXPECTED_OTHERS == 1.0
        quiet = measure._run_once(lambda: time.sleep(0.3), 1)
        spin = "import time\nt = time.time()\nwhile time.time() - t < 0.6: pass\n"
        hog = subprocess.Popen([sys.executable, "-c", spin])
        try:
            time.sleep(0.1)
            extra = measure._run_once(lambda: time.sleep(0.3), 1)
        finally:
            hog.wait()
    assert measure.EXPECTED_OTHERS == 0.0
    assert quiet.others > 0.5            # the spinner's core is counted ...
    assert extra.others > 1.3            # ... and the second hog's on top of it
    assert not extra.clean


def test_compare_interleaves_and_reruns_disturbed_runs(monkeypatch):
    calls = []
    verdicts = iter([False, True] + [True] * 20)   # the first run is disturbed, then clean

    def fake_run_once(fn, inner):
        fn()
        return measure.Sample(0.01, 0.0, next(verdicts))

    monkeypatch.setattr(measure, "_run_once", fake_run_once)
    waits = []
    monkeypatch.setattr(measure, "wait_for_quiet", lambda limit: waits.append(limit) or True)
    monkeypatch.setattr(measure, "settle", lambda: True)
    a, b = measure.compare({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
                           repeat=3, warmup=1, min_run=0)
    assert calls[:2] == ["a", "b"]                            # the warm-ups
    assert calls[2:] == ["a", "a", "b", "b", "a", "a", "b"]   # ABBA; the first "a" rerun
    assert a.rejected == 1 and b.rejected == 0 and len(waits) == 1   # waited before the rerun
    assert len(a.samples) == len(b.samples) == 3 and not a.disturbed
