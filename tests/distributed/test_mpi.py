"""Runs the two-rank cases under ``mpiexec -n 2`` (skipped when mpiexec or mpi4py is absent).

Each rank runs single-threaded (OMP/NUMBA/OPENBLAS_NUM_THREADS=1), as the README's command does
on a 2-core machine. A job that hangs is killed at the timeout, which fails the test.
"""
import contextlib
import os
import select
import shutil
import signal
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
MPIEXEC = shutil.which("mpiexec")

pytestmark = pytest.mark.skipif(MPIEXEC is None,
                                reason="mpiexec not installed (pip install -e '.[mpi]')")
pytest.importorskip("mpi4py")


def env():
    e = dict(os.environ, OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    e["PYTHONPATH"] = os.pathsep.join(filter(None, [os.path.dirname(os.path.dirname(HERE)),
                                                    os.environ.get("PYTHONPATH")]))
    return e


def start(*args):
    return subprocess.Popen([MPIEXEC, "-n", "2", sys.executable, *args], env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def finish(proc, timeout):
    """(returncode, stdout, stderr, seconds); kills the whole job if it outlives `timeout`."""
    t0 = time.monotonic()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"the job hung for {timeout} s:\n{out}\n{err}")
    return proc.returncode, out, err, time.monotonic() - t0


@pytest.mark.slow   # ~15-30 s: two ranks compile and run every case
def test_two_rank_cases_pass():
    """DDP == one process at twice the batch, collectives, mismatches, two-tower AlexNet."""
    proc = start("-m", "pytest", os.path.join(HERE, "mpi_cases.py"), "-q", "-x",
                 "-p", "no:cacheprovider")
    code, out, err, _ = finish(proc, timeout=180)
    assert code == 0, out[-4000:] + err[-4000:]
    assert out.count(" passed") == 2          # both ranks ran them all


@pytest.fixture(autouse=True)
def mpich_segments_of_aborted_jobs():
    """MPICH unlinks its shared-memory segment (/dev/shm/mpich_shm_*, 2 MB) at MPI_Finalize; a
    job ended by MPI_Abort leaves it behind (measured: a clean job leaves none; minidl now unlinks
    it once every rank has mapped it, so this is a safety net). Remove the
    ones this test's jobs left, so CI's /dev/shm does not fill."""
    shm = "/dev/shm"
    before = set(os.listdir(shm)) if os.path.isdir(shm) else set()
    yield
    if os.path.isdir(shm):
        for name in set(os.listdir(shm)) - before:
            if name.startswith("mpich_shm_"):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(shm, name))


@pytest.mark.parametrize("case, message", [("raise", "ValueError: rank 1 broke on purpose"),
                                           ("exit", "error: rank 1 stopped on purpose")])
def test_a_failing_rank_ends_every_rank_with_its_error(case, message):
    proc = start(os.path.join(HERE, "fault_cases.py"), case)
    code, out, err, seconds = finish(proc, timeout=60)
    assert code != 0
    assert f"[rank 1] {message}" in err, err
    assert "should not happen" not in out
    assert seconds < 30


def test_ctrl_c_ends_every_rank():
    proc = start(os.path.join(HERE, "fault_cases.py"), "sigint")
    try:
        interrupt_when_ready(proc)
    finally:                     # never leave a job behind, whatever failed above
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def interrupt_when_ready(proc):
    deadline, seen = time.monotonic() + 60, ""
    while seen.count("ready") < 2 and time.monotonic() < deadline:   # both ranks started
        if select.select([proc.stdout], [], [], 1.0)[0]:
            seen += os.read(proc.stdout.fileno(), 1000).decode()
    time.sleep(1)                                                  # ... and in their loops
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    code, out, err, _ = finish(proc, timeout=60)
    assert code != 0
    assert "interrupted" in err, err
    assert time.monotonic() - t0 < 30


@pytest.mark.slow   # ~20-40 s: the README's MPI command, shortened, then resumed in one process
def test_train_alexnet_distributed_then_resume_in_one_process(tmp_path):
    script = os.path.join(os.path.dirname(os.path.dirname(HERE)), "examples", "train_alexnet.py")
    flags = ["--limit", "64", "-b", "32", "--out", str(tmp_path), "--no-progress"]
    proc = start(script, "--distributed", "--epochs", "1", *flags)
    code, out, err, _ = finish(proc, timeout=240)
    assert code == 0, out[-3000:] + err[-3000:]
    assert "distributed: 2 ranks (MPI), batch 16 per rank = 32 per step" in out
    assert out.count("epoch 1 |") == 1                          # only rank 0 prints
    resumed = subprocess.run([sys.executable, script, "--epochs", "2", "--resume", str(tmp_path),
                              *flags], env=env(), capture_output=True, text=True, timeout=240)
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert "resumed from" in resumed.stdout and "epoch 2 |" in resumed.stdout


@pytest.mark.slow   # ~20-40 s: a one-epoch source net, then fine-tuned on two ranks
def test_finetune_distributed_from_a_train_alexnet_checkpoint(tmp_path):
    examples = os.path.join(os.path.dirname(os.path.dirname(HERE)), "examples")
    flags = ["--limit", "64", "-b", "32", "--epochs", "1", "--no-progress"]
    src = subprocess.run([sys.executable, os.path.join(examples, "train_alexnet.py"), *flags,
                          "--out", str(tmp_path / "src")], env=env(), capture_output=True,
                         text=True, timeout=240)
    assert src.returncode == 0, src.stderr[-3000:]
    weights = str(tmp_path / "src" / "checkpoint_best.safetensors")
    proc = start(os.path.join(examples, "finetune.py"), "--distributed", "--weights", weights,
                 "--classes", "5-9", "--out", str(tmp_path / "ft"), *flags)
    code, out, err, _ = finish(proc, timeout=240)
    assert code == 0, out[-3000:] + err[-3000:]
    assert "distributed: 2 ranks (MPI), batch 16 per rank = 32 per step" in out
    assert out.count("epoch 1 |") == 1 and "classes [5, 6, 7, 8, 9]" in out
    assert os.path.exists(tmp_path / "ft" / "checkpoint_best.safetensors")
    # the linear probe is one process's job: refused in one line, not run on every rank
    proc = start(os.path.join(examples, "finetune.py"), "--distributed", "--mode", "linear",
                 "--weights", weights)
    code, out, err, _ = finish(proc, timeout=120)
    assert code != 0 and "linear probe and -e run in one process" in err
