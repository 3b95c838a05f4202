"""Ranks that leave: each says so on its way out, and no rank waits for one that has gone.

MPI gives a rank no way to learn that a peer's process ended: a rank that returns from its
script early (``sys.exit(0)`` in one branch, a loop that ran one step fewer) leaves the
others in their next collective until the timeout, and its own ``MPI_Finalize`` waits for
them too -- the job hangs. So each rank keeps a second communicator for *departure
notices*, one small message per peer carrying an exit status:

- on its way out (``atexit``, or ``destroy_process_group``) a rank sends status 0 to every
  peer, then waits until every peer has sent its own: when all have, the job is ending in
  order and MPI is finalized; if a peer's notice says it failed, this rank ends at once with
  status 1;
- a rank that fails (``faults.abort``) sends its non-zero status before it exits;
- while waiting in a collective (``_MPIGroup.wait``) a rank checks the notices: a peer that
  failed ends it at once; a peer that left in order while this rank still needs it ends it
  after a short grace (the peer's last collective may still be completing here), with a
  message naming the peer and the collective.

A rank's process that ends with no notice at all (``os._exit``, a signal) is the business of
``supervisor.py``. ``unlink_shared_memory`` removes MPICH's ``/dev/shm/mpich_shm_*`` segment
once every rank has mapped it, so no way of ending leaves it behind.
"""
import contextlib
import os
import sys
import time

import numpy as np

TAG = 24          # the notices' tag, on their own communicator
GRACE_S = 2.0     # how long a peer's orderly notice may precede the end of our collective


class Departures:
    """The notices of one group: ``poll()`` the peers that have left, ``announce(code)``."""

    def __init__(self, MPI, rank, size):
        self.MPI, self.rank, self.size = MPI, rank, size
        self.comm = MPI.COMM_WORLD.Dup()
        self.peers = [r for r in range(size) if r != rank]
        self.codes = {r: np.full(1, -1, np.int32) for r in self.peers}
        self.pending = {r: self.comm.Irecv(self.codes[r], source=r, tag=TAG)
                        for r in self.peers}
        self.left = {}               # peer -> the exit status it announced
        self.sends, self.announced = [], False

    def poll(self):
        """{peer: status} of every peer that has announced its departure so far."""
        for r, request in list(self.pending.items()):
            if request.Test():
                self.left[r] = int(self.codes[r][0])
                del self.pending[r]
        return self.left

    def announce(self, code):
        """Tell every peer this rank is leaving with exit status `code` (once)."""
        if self.announced:
            return
        self.announced = True
        self._buffer = np.full(1, code, np.int32)
        self.sends = [self.comm.Isend(self._buffer, dest=r, tag=TAG) for r in self.peers]

    def flush(self, seconds):
        """Give the notices up to `seconds` to leave (a peer may already be gone)."""
        deadline = time.monotonic() + seconds
        while self.sends and not self.MPI.Request.Testall(self.sends):
            if time.monotonic() > deadline:
                return
            time.sleep(1e-3)

    def leave_in_order(self, timeout_s):
        """Announce status 0 and wait for every peer's notice: True when all left in order.
        A peer that failed ends this rank (status 1); so does the wait passing `timeout_s`."""
        self.announce(0)
        deadline = time.monotonic() + timeout_s
        while len(self.poll()) < len(self.peers):
            if any(self.left.values()):
                break
            if time.monotonic() > deadline:
                _end(1, f"rank {self.rank}: the other ranks did not finish within "
                        f"{timeout_s:.0f} s of this one; ending every rank")
            time.sleep(1e-3)
        failed = {r: c for r, c in self.left.items() if c}
        if failed:   # that rank printed why; the job is ending
            _end(1, None)
        self.flush(5.0)
        return True

    def check(self, what, grace_until):
        """Called while waiting in collective `what`: end this rank if a peer has left (see
        the module docstring); returns the new grace deadline (None: no peer has left)."""
        left = self.poll()
        if not left:
            return None
        failed = {r: c for r, c in left.items() if c}
        if failed:
            r, c = next(iter(failed.items()))
            _abort(1, f"rank {r} failed (exit status {c}) while this rank waits in {what}; "
                      "ending every rank")
        now = time.monotonic()
        if grace_until is None:
            return now + GRACE_S
        if now > grace_until:
            r = next(iter(left))
            _abort(1, f"rank {r} left the job (its script ended) while this rank waits in "
                      f"{what}: the ranks did not call the same collectives (an early exit or "
                      "return on one rank?); ending every rank")
        return grace_until

    def free(self):
        for request in self.pending.values():
            with contextlib.suppress(Exception):
                request.Cancel()
                request.Wait()
        self.pending = {}
        with contextlib.suppress(Exception):
            self.comm.Free()


def _abort(code, message):
    from .faults import abort
    abort(code, message)


def _end(code, message):
    """End this rank now, quietly but for `message` (no notices: the job is ending already)."""
    if message:
        print(message, file=sys.stderr, flush=True)
    sys.stdout.flush()
    os._exit(code)


def shared_memory_segments():
    """The MPICH shared-memory files this process maps (``/dev/shm/mpich_shm_*``)."""
    try:
        with open("/proc/self/maps") as f:
            names = {line.split()[-1] for line in f if "/dev/shm/mpich_shm_" in line}
    except OSError:
        return []
    return sorted(n for n in names if n.startswith("/dev/shm/"))


def unlink_shared_memory():
    """Remove MPICH's segment files now that every rank has mapped them (call after a barrier):
    the mappings live on, and a job that ends by a kill or an abort leaves nothing in /dev/shm
    (MPICH unlinks them only in MPI_Finalize)."""
    for path in shared_memory_segments():
        with contextlib.suppress(OSError):
            os.unlink(path)
