"""A rank that leaves early, for any reason, ends the job with a non-zero status and a message,
without a hang, and the job leaves nothing behind in /dev/shm or its TMPDIR (issue 24, item 8).

Each job runs under ``mpiexec -n 2``, one thread per rank.
"""
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MPIEXEC = shutil.which("mpiexec")

pytestmark = pytest.mark.skipif(MPIEXEC is None,
                                reason="mpiexec not installed (pip install -e '.[mpi]')")
pytest.importorskip("mpi4py")


def run_job(*args, timeout=90):
    """(returncode, stdout, stderr, seconds) of ``mpiexec -n 2 python ARGS``; a hang fails.
    Afterwards nothing the job's ranks reported (``shm: ...``, ``hydra: ...``, see
    leave_cases.py) may be left: MPICH's segments in /dev/shm, the launcher's topology file."""
    env = dict(os.environ, OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))
    before = set(glob.glob("/tmp/hydra_hwloc_xmlfile_*"))
    t0 = time.monotonic()
    proc = subprocess.Popen([MPIEXEC, "-n", "2", sys.executable, *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"the job hung for {timeout} s:\n{out}\n{err}")
    seconds = time.monotonic() - t0
    time.sleep(0.5)   # the launcher's own clean-up, after its exit
    files = {p for line in out.splitlines() for part in line.split("; ")[1:]
             for p in part.split(": ", 1)[1].split()}
    left = [p for p in files - before if os.path.exists(p)]
    assert left == [], f"left behind: {left}"
    return proc.returncode, out, err, seconds


@pytest.mark.slow   # each case starts two Python processes under mpiexec: a few seconds
@pytest.mark.parametrize("case, message", [
    ("exit0", r"rank 1 left the job"),
    ("osexit0", r"\[rank 1\] .*ended without finishing"),
    ("late0", r"\[rank 1\] .*ended without finishing"),
    ("raise", r"\[rank 1\] ValueError: rank 1 broke on purpose"),
    ("kill9", r"\[rank 1\] this rank was killed by SIGKILL"),
])
def test_a_rank_that_leaves_early_ends_the_job_with_an_error(tmp_path, case, message):
    code, out, err, seconds = run_job(os.path.join(HERE, "leave_cases.py"), case)
    assert code != 0, out + err
    assert re.search(message, err), err
    if case != "late0":    # late0: rank 1 goes after the last collective, rank 0 finishes
        assert "rank 0 finished" not in out
    assert seconds < 60


@pytest.mark.slow
def test_ranks_that_finish_end_the_job_with_status_0(tmp_path):
    code, out, err, _ = run_job(os.path.join(HERE, "leave_cases.py"), "finish")
    assert code == 0, out + err
    assert out.count("finished") == 2 and "left the job" not in err


@pytest.mark.slow
def test_a_missing_data_folder_on_every_rank_ends_in_one_line_each(tmp_path):
    script = os.path.join(ROOT, "examples", "train_alexnet.py")
    code, out, err, _ = run_job(script, "--distributed", "--data", "/nonexistent",
                                "--no-progress", "--out", str(tmp_path / "out"))
    assert code != 0 and "--data /nonexistent: not a folder" in err, err
    assert "Traceback" not in err
