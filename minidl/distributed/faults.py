"""One rank failing ends every rank, with that rank's error -- never a silent hang.

Without this, a rank that raises simply exits, and the others wait forever in their next
collective for a peer that is gone. So after ``init_process_group``:

- an exception nobody catches (``sys.excepthook``) prints ``[rank r]`` and its traceback,
  then ends the rank with a non-zero status after telling every peer (``departures.py``):
  the launcher ends the other ranks, and a peer waiting in a collective ends itself;
- a script can wrap its work in ``abort_on_error()`` to do the same for ``SystemExit`` with a
  non-zero status (a script's one-line errors) and for Ctrl-C (``KeyboardInterrupt``; mpiexec
  forwards the signal to every rank, and whichever rank is stuck in a collective is freed by
  the others' abort).

An exit with status 0 is orderly only if every rank reaches it: ``departures.py`` checks.

Why not ``MPI_Abort``: MPICH's launcher, ended that way, leaves its topology file
(``$TMPDIR/hydra_hwloc_xmlfile_*``) behind; a rank that exits with a non-zero status makes
it end the job and clean up.
"""
import signal
import contextlib
import os
import sys
import time
import traceback

_previous_hook = None


def _rank():
    from . import process_group
    return process_group._group.rank if process_group._group is not None else None


def abort(code=1, message=None):
    """Print `message` (prefixed with the rank) and end every rank of the job with `code`."""
    from . import process_group
    with contextlib.suppress(ValueError):   # a second Ctrl-C must not interrupt the abort
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    rank = _rank()
    if message:
        print("\n".join(f"[rank {rank}] {line}" for line in message.rstrip().splitlines()),
              file=sys.stderr, flush=True)
    sys.stdout.flush()
    if process_group._group is None:
        raise SystemExit(code)
    sys.stderr.flush()
    group = process_group._group
    if group.departures is not None:   # peers waiting in a collective end themselves
        group.departures.announce(code or 1)
        group.departures.flush(1.0)
    # give mpiexec a moment to forward what was just printed: once this rank's exit reaches
    # it, it kills every rank and may exit before draining their pipes (measured with
    # MPI_Abort: the error was lost about one time in three without this)
    time.sleep(0.5)
    os._exit(code or 1)


def _excepthook(kind, value, tb):
    if issubclass(kind, KeyboardInterrupt):
        abort(130, "interrupted (Ctrl-C): ending every rank")
    abort(1, "".join(traceback.format_exception(kind, value, tb)) +
          "this rank failed: ending every rank")


def install():
    global _previous_hook
    if _previous_hook is None:
        _previous_hook, sys.excepthook = sys.excepthook, _excepthook


def uninstall():
    global _previous_hook
    if _previous_hook is not None:
        sys.excepthook, _previous_hook = _previous_hook, None


@contextlib.contextmanager
def abort_on_error():
    """Inside it, in a job of more than one rank, any way out but success ends the whole job:
    an exception (its traceback printed), ``SystemExit(non-zero)`` (its message printed),
    Ctrl-C. Outside a process group (or with one rank) it changes nothing."""
    from . import process_group
    try:
        yield
    except SystemExit as e:
        if e.code in (None, 0) or process_group._group is None or process_group._group.size == 1:
            raise
        code = e.code if isinstance(e.code, int) else 1
        abort(code, None if isinstance(e.code, int) else str(e.code))
    except KeyboardInterrupt:
        if process_group._group is None or process_group._group.size == 1:
            raise
        abort(130, "interrupted (Ctrl-C): ending every rank")
    except BaseException as e:
        if process_group._group is None or process_group._group.size == 1:
            raise
        abort(1, "".join(traceback.format_exception(type(e), e, e.__traceback__)) +
              "this rank failed: ending every rank")
