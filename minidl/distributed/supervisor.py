"""A rank's process that ends without finishing is reported, and ends the job with an error.

A rank may vanish with no chance to say so: ``os._exit(0)`` skips every Python clean-up,
and MPICH's launcher then ends the job with the status of that process -- 0 -- though the
other ranks never finished. So ``init_process_group`` (under ``mpiexec``, before MPI starts)
forks: the child goes on as the rank; the parent, the process the launcher started, waits for
it and exits with

- the child's status, if it finished the job in order (``departures.Departures.leave_in_order``
  tells the parent through a pipe) or failed with a non-zero status (having said why);
- status 1 and a line ``[rank r] this rank ended without finishing ...`` if it ended with
  status 0 but without finishing; 128 + N if a signal N killed it.

The launcher then sees a failed rank and ends the others. The parent forwards the signals the
launcher sends it (Ctrl-C, SIGTERM) to the child (a terminal's Ctrl-C reaches both, and is not
forwarded twice); the child stays in the parent's process group (job control, Ctrl-Z, works as
before) and dies with its parent (Linux's ``PR_SET_PDEATHSIG``). ``MINIDL_RANK_SUPERVISOR=0``
turns this off.
"""
import ctypes
import os
import signal
import sys

_pipe = None   # in the child: the write end of the pipe to the parent


def wanted():
    """Whether to supervise: Linux, under a PMI launcher (mpiexec, srun) with several ranks,
    MPI not yet started in this process, and not turned off."""
    size = os.environ.get("PMI_SIZE", "1")
    return (sys.platform.startswith("linux") and hasattr(os, "fork")
            and os.environ.get("MINIDL_RANK_SUPERVISOR", "1") != "0"
            and "mpi4py.MPI" not in sys.modules and size.isdigit() and int(size) > 1)


def start():
    """Fork (see the module docstring). Returns in the child only."""
    global _pipe
    if not wanted() or _pipe is not None:
        return
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _pipe = write_end
        _die_with(parent)
        return
    os.close(write_end)
    _supervise(pid, read_end)


def finished():
    """In the rank: tell the parent the job ended in order (so status 0 is the truth)."""
    if _pipe is not None:
        try:
            os.write(_pipe, b"F")
        except OSError:
            pass


def _die_with(parent):
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:          # the parent died before prctl took effect
        os._exit(1)


def _supervise(child, read_end):
    """The parent: forward signals, wait for the child, exit as the module docstring says."""
    def forward(signum, frame):
        if signum == signal.SIGINT and _from_terminal():
            return   # a terminal's Ctrl-C went to the whole foreground group: the child has it
        try:
            os.kill(child, signum)
        except ProcessLookupError:
            pass
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
              signal.SIGUSR2):
        signal.signal(s, forward)
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except ChildProcessError:
            status = 0
            break
        except InterruptedError:
            continue
    done = b""
    os.set_blocking(read_end, False)
    try:
        done = os.read(read_end, 16)
    except OSError:
        pass
    rank = os.environ.get("PMI_RANK", "?")
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        _say(f"[rank {rank}] this rank was killed by {signal.Signals(sig).name}; ending every "
             "rank")
        os._exit(128 + sig)
    code = os.waitstatus_to_exitcode(status)
    if code == 0 and not done:
        _say(f"[rank {rank}] this rank ended without finishing the job (exit status 0 while "
             "the other ranks were not done: os._exit(), or an exit that skipped "
             "minidl.distributed's clean-up); ending every rank")
        os._exit(1)
    os._exit(code)


def _from_terminal():
    """Whether this process is in its terminal's foreground group (so a Ctrl-C there reached
    the child as well)."""
    for fd in (0, 1, 2):
        try:
            return os.tcgetpgrp(fd) == os.getpgrp()
        except OSError:
            continue
    return False


def _say(line):
    try:
        os.write(2, (line + "\n").encode())
    except OSError:
        pass
