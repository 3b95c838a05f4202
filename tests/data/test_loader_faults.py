"""DataLoader faults that used to hang or leak: each runs in a child Python with a time limit, so
a regression fails in seconds instead of stopping the test run.

What every child shares: a loader over a small dataset with two worker processes. The checks look
at the child's own process tree (``/proc``) and at ``/dev/shm`` blocks named ``minidl_<pid>_...``
(the names minidl's shared batches use, ``shared_batch.block_prefix``).
"""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads /proc and /dev/shm")

PRELUDE = """
import os, signal, sys, threading, time
import numpy as np
from minidl.data import DataLoader, Dataset

class Numbered(Dataset):
    def __init__(self, n=64, slow=0.0, stuck_at=None, die_at=None):
        self.n, self.slow, self.stuck_at, self.die_at = n, slow, stuck_at, die_at
    def __len__(self):
        return self.n
    def __getitem__(self, i):
        if i == self.stuck_at:
            time.sleep(600)
        if i == self.die_at:
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(self.slow)
        return np.full((3, 8, 8), i, np.float32), i
"""


def child_code(body):
    return PRELUDE + textwrap.dedent(body)


def shm_blocks(pid):
    """minidl's shared-memory blocks of the process ``pid``."""
    return sorted(n for n in os.listdir("/dev/shm") if n.startswith(f"minidl_{pid}_"))


def children_of(pid):
    """Pids whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def running(pid):
    """True while ``pid`` exists and is not a zombie (an orphan may wait unreaped under init)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until_gone(pids, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(map(running, pids)):
        time.sleep(0.05)
    return [p for p in pids if running(p)]


@pytest.fixture
def reaper():
    """Kills whatever a test's child left behind (itself, its workers, their blocks)."""
    pids, owners = [], []
    yield pids, owners
    for pid in pids:
        if running(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    for owner in owners:
        for name in shm_blocks(owner):
            try:
                os.unlink(os.path.join("/dev/shm", name))
            except FileNotFoundError:
                pass


def run_child(body, timeout):
    """Run the child to the end; a hang is a failure here, not a stuck test. The child gets a
    process group of its own, so a hang's leftovers (its workers too) are killed with it."""
    child = subprocess.Popen([sys.executable, "-c", child_code(body)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        out, err = child.communicate()
        pytest.fail(f"the child did not finish in {timeout} s (a hang):\n{out}\n{err}")
    finally:
        try:
            os.killpg(child.pid, signal.SIGKILL)   # workers a failing run left behind
        except ProcessLookupError:
            pass
        for name in shm_blocks(child.pid):    # only a failing run leaves any
            os.unlink(os.path.join("/dev/shm", name))
    return subprocess.CompletedProcess(child.args, child.returncode, out, err)


@pytest.mark.parametrize("what", ["threading.Lock()", "lambda: 0"])
def test_a_batch_that_cannot_be_sent_back_raises_naming_worker_and_batch(what):
    result = run_child(f"""
        def collate(samples):
            return {{"x": np.stack([s[0] for s in samples]), "extra": {what}}}
        loader = DataLoader(Numbered(8), batch_size=2, num_workers=2, collate_fn=collate)
        try:
            for batch in loader:
                pass
        except Exception as e:
            print("RAISED", type(e).__name__, "|", e)
        print("BLOCKS", [n for n in os.listdir("/dev/shm") if n.startswith(f"minidl_{{os.getpid()}}_")])
    """, timeout=20)
    assert result.returncode == 0, result.stderr
    assert "RAISED DataLoaderWorkerError" in result.stdout, result.stdout + result.stderr
    message = result.stdout.split("|", 1)[1]
    assert "worker" in message and "batch 0" in message and "cannot be sent" in message
    assert "BLOCKS []" in result.stdout


def test_workers_exit_and_free_their_blocks_when_the_main_process_is_killed(reaper):
    pids, owners = reaper
    child = subprocess.Popen([sys.executable, "-c", child_code("""
        loader = DataLoader(Numbered(64, slow=0.01), batch_size=4, num_workers=2)
        it = iter(loader)
        next(it)
        print("READY", flush=True)
        time.sleep(600)
    """)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pids.append(child.pid)
    owners.append(child.pid)
    try:
        line = child.stdout.readline()
        assert line.startswith("READY"), line + child.stderr.read()
        family = children_of(child.pid)       # the two workers and the resource tracker
        pids.extend(family)
        assert len(family) >= 2 and shm_blocks(child.pid)
        child.kill()
        child.wait(5)
        assert wait_until_gone(family, 5) == []
        assert shm_blocks(child.pid) == []
    finally:
        child.kill()
        child.wait(5)
        child.stdout.close()
        child.stderr.close()


def test_timeout_raises_on_time_and_stops_the_stuck_workers():
    result = run_child("""
        import multiprocessing as mp
        loader = DataLoader(Numbered(64, stuck_at=8), batch_size=2, num_workers=2, timeout=1)
        start = time.monotonic()
        try:
            for batch in loader:
                start = time.monotonic()      # the wait for the next batch starts now
        except Exception as e:
            print("RAISED", type(e).__name__, isinstance(e, RuntimeError), round(time.monotonic() - start, 2))
        print("CHILDREN", len([p for p in mp.active_children() if p.name.startswith("minidl")]))
        print("BLOCKS", [n for n in os.listdir("/dev/shm") if n.startswith(f"minidl_{os.getpid()}_")])
    """, timeout=15)
    assert result.returncode == 0, result.stderr
    words = result.stdout.split("RAISED", 1)[1].split()
    assert words[:2] == ["DataLoaderTimeoutError", "True"], result.stdout   # a TimeoutError too
    assert float(words[2]) < 3.0, f"timeout=1 raised after {words[2]} s"
    assert "CHILDREN 0" in result.stdout and "BLOCKS []" in result.stdout


def test_a_dead_workers_blocks_are_freed_when_it_dies_not_at_exit():
    result = run_child("""
        loader = DataLoader(Numbered(64, die_at=21), batch_size=2, num_workers=2)
        try:
            for batch in loader:
                pass
        except Exception as e:
            print("RAISED", type(e).__name__, "|", e)
        print("BLOCKS", [n for n in os.listdir("/dev/shm") if n.startswith(f"minidl_{os.getpid()}_")])
    """, timeout=20)
    assert result.returncode == 0, result.stderr
    assert "RAISED DataLoaderWorkerError" in result.stdout and "exited unexpectedly" in result.stdout
    assert "BLOCKS []" in result.stdout
    assert "leaked shared_memory" not in result.stderr


def test_ctrl_c_stops_workers_quietly(reaper):
    """Ctrl-C reaches the whole foreground process group: the workers must not each print a
    traceback; the main process's KeyboardInterrupt is the script's to report (one line)."""
    pids, owners = reaper
    child = subprocess.Popen([sys.executable, "-c", child_code("""
        # as in a script run from a terminal, whatever this test was started under (a shell's
        # background job inherits SIGINT ignored, and Python then installs no handler)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        loader = DataLoader(Numbered(64, slow=0.02), batch_size=2, num_workers=2)
        try:
            while True:
                for k, batch in enumerate(loader):
                    if k == 1:
                        print("READY", flush=True)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
    """)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    pids.append(child.pid)
    owners.append(child.pid)
    try:
        line = child.stdout.readline()
        assert line.startswith("READY"), line + child.stderr.read()
        family = children_of(child.pid)
        pids.extend(family)
        os.killpg(child.pid, signal.SIGINT)          # what the terminal does on Ctrl-C
        out, err = child.communicate(timeout=10)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.communicate()
    assert out.strip().splitlines()[-1] == "interrupted"
    assert err.strip() == "", err
    assert wait_until_gone(family, 5) == []
    assert shm_blocks(child.pid) == []


def test_a_forked_copy_of_the_loader_leaves_its_workers_alone():
    """A process forked from the main one (by user code) holds a copy of the loader; when that
    copy is collected, it must not stop the original's persistent workers."""
    result = run_child("""
        import gc
        loader = DataLoader(Numbered(16), batch_size=2, num_workers=2, persistent_workers=True,
                            timeout=5)
        first = len(list(loader))
        pid = os.fork()
        if pid == 0:
            del loader
            gc.collect()
            os._exit(0)
        os.waitpid(pid, 0)
        print("EPOCHS", first, len(list(loader)))
    """, timeout=20)
    assert "EPOCHS 8 8" in result.stdout, result.stdout + result.stderr


def test_an_error_while_another_worker_is_creating_a_block_arrives_as_itself():
    """The race CI once hit: batch 0 fails while the other worker has opened its next block but
    not sized it yet; the loader then kills it and frees its blocks. The user must get the
    dataset's error (not "cannot mmap an empty file"), and no block may be left behind.
    Made deterministic: a worker's ftruncate announces itself and then hangs, and batch 0 raises
    only once a block is half-made."""
    result = run_child("""
        import multiprocessing as mp
        main, half_made, ftruncate = os.getpid(), mp.get_context("fork").Event(), os.ftruncate

        def hanging_ftruncate(fd, size):
            if os.getpid() != main:        # in a worker: the block is opened, not sized yet
                half_made.set()
                time.sleep(60)
            return ftruncate(fd, size)

        os.ftruncate = hanging_ftruncate   # workers are forked: they inherit it

        class FailsFirst(Numbered):
            def __getitem__(self, i):
                if i == 0:
                    half_made.wait(10)
                    raise KeyError("sample 0 is corrupt")
                return super().__getitem__(i)

        loader = DataLoader(FailsFirst(16), batch_size=2, num_workers=2, timeout=20)
        try:
            for batch in loader:
                pass
        except Exception as e:
            print("RAISED", type(e).__name__, "|", e, "|", half_made.is_set())
        print("BLOCKS", [n for n in os.listdir("/dev/shm") if n.startswith(f"minidl_{main}_")])
    """, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "RAISED KeyError | 'sample 0 is corrupt' | True" in result.stdout, result.stdout + result.stderr
    assert "BLOCKS []" in result.stdout
    assert "leaked shared_memory" not in result.stderr and "Traceback" not in result.stderr, result.stderr
