"""Hand finished batches from worker processes to the loader through reused shared memory.

    worker:  Outbox(slots).pack(arrays) -> desc    copy the arrays into the worker's next block
    loader:  Inbox().unpack(desc) -> arrays         copy them out of that block (kept mapped)

``desc = (worker_id, slot, block name, [(shape, dtype, offset), ...])`` is all that travels on
the ``multiprocessing.Queue``. Block names are ``minidl_<main pid>_<pool>_<worker>_<n>``: the
worker's ``n``-th block, counted from 0, so ``ls /dev/shm`` shows whose a block is.

Why not put the arrays on the queue: that pickles them and pushes every byte through a pipe. Why
*reused* blocks: a fresh block per batch costs a page fault per 4 KiB page on both sides -- for
an AlexNet-sized batch (32 x 3 x 224 x 224 float32, 19 MB) about 30 ms each way, as long as the
augmentation itself; a block written before costs two plain memcpy's (a few ms).

When may a worker overwrite slot ``j``? The loader keeps at most ``depth`` batches in flight
(submitted, not yet handed out), copies a batch out as soon as it arrives, and hands batches out
in order; a worker serves its tasks in submission order. If the worker's batch ``m`` were still
unread when it starts batch ``m + depth``, batches ``m .. m + depth`` -- ``depth + 1`` of them --
would all be in flight. So a ring of ``slots = depth`` blocks per worker is never overwritten
unread.

Who frees a block? The worker that made it, when it stops normally (``Outbox.close``), and also
when its parent is gone (``Outbox.unlink_all``: no one else is left to). When the loader had to
kill a worker (stuck, timed out, interrupted) or the worker died, the loader frees the worker's
blocks itself once it is dead (``Inbox.release``): the ones it has seen, and the worker's next
``unseen`` numbers -- blocks made for batches the loader had not received yet. The same counting
as above bounds those: at most ``depth`` of the worker's batches are in flight, and each makes at
most one block, so ``unseen = depth`` finds every one. Without this a killed worker's blocks
would stay in ``/dev/shm`` until the main process exits. A worker killed between creating a
block and sizing it leaves an *empty* block, which cannot be mapped: ``release`` removes its name
without attaching (this once replaced a worker's own error with "cannot mmap an empty file").
"""
import os
import secrets
import threading
from multiprocessing import resource_tracker, shared_memory

try:
    import _posixshmem   # what shared_memory itself uses on POSIX: unlink a name unmapped
except ImportError:      # Windows: no fork, so no process workers either
    _posixshmem = None

import numpy as np

_ALIGN = 64


def ensure_tracker():
    """Start the resource tracker in the parent *before* forking, so the children share it: a
    block a worker creates and unlinks is then registered and unregistered in one place."""
    resource_tracker.ensure_running()


def block_prefix():
    """``minidl_<main pid>_<random>_``: the start of every block name of one pool."""
    return f"minidl_{os.getpid()}_{secrets.token_hex(3)}_"


def block_name(prefix, worker_id, number):
    return f"{prefix}{worker_id}_{number}"


def _layout(arrays):
    layout, offset = [], 0
    for a in arrays:
        layout.append((a.shape, a.dtype.str, offset))
        offset += -(-a.nbytes // _ALIGN) * _ALIGN
    return layout, max(offset, 1)


def _views(shm, layout):
    return [np.ndarray(shape, dtype, buffer=shm.buf, offset=off) for shape, dtype, off in layout]


class Outbox:
    """A worker's ring of ``slots`` blocks, each grown when a batch does not fit."""

    def __init__(self, worker_id, slots, prefix=None):
        self.worker_id, self.blocks, self.count = worker_id, [None] * slots, 0
        self.prefix, self.created = prefix or block_prefix(), 0
        self.lock = threading.Lock()   # unlink_all may run in the worker's watchdog thread

    def pack(self, arrays):
        layout, size = _layout(arrays)
        slot = self.count % len(self.blocks)
        self.count += 1
        shm = self.blocks[slot]
        if shm is None or shm.size < size:
            with self.lock:   # a block is always listed in self.blocks by the time it exists
                if shm is not None:   # already read by the loader (module docstring): free it
                    _free(shm)
                    self.blocks[slot] = None
                name = block_name(self.prefix, self.worker_id, self.created)
                self.created += 1
                shm = self.blocks[slot] = shared_memory.SharedMemory(name, create=True, size=size)
        for view, a in zip(_views(shm, layout), arrays):
            view[...] = a
        return self.worker_id, slot, shm.name, layout

    def close(self):
        with self.lock:
            for shm in self.blocks:
                if shm is not None:
                    _free(shm)
            self.blocks = []

    def unlink_all(self):
        """Remove every block's name without unmapping it (another thread may be writing into
        one): for a worker about to exit because its parent is gone."""
        with self.lock:
            for shm in self.blocks:
                if shm is not None:
                    _unlink(shm)
            self.blocks = []


class Inbox:
    """The loader's side: keeps each worker's blocks mapped, copies batches out, and frees a
    dead worker's blocks (``release``). ``prefix``: the pool's ``block_prefix()``."""

    def __init__(self, prefix=None):
        self.prefix = prefix
        self.mapped = {}   # (worker_id, slot) -> SharedMemory
        self.newest = {}   # worker_id -> the highest block number seen from it

    def unpack(self, desc):
        worker_id, slot, name, layout = desc
        shm = self.mapped.get((worker_id, slot))
        if shm is None or shm.name != name:   # first use of the slot, or the worker grew it
            if shm is not None:
                shm.close()
            shm = self.mapped[(worker_id, slot)] = shared_memory.SharedMemory(name=name)
            number = int(name.rsplit("_", 1)[1])
            self.newest[worker_id] = max(number, self.newest.get(worker_id, -1))
        return tuple(v.copy() for v in _views(shm, layout))

    def release(self, worker_id, unseen):
        """Free the blocks of worker ``worker_id``, which must be dead: those seen, and the next
        ``unseen`` it may have made since (module docstring)."""
        for key in [k for k in self.mapped if k[0] == worker_id]:
            _free(self.mapped.pop(key))
        if self.prefix is None:
            return
        first = self.newest.get(worker_id, -1) + 1
        for number in range(first, first + unseen):
            name = block_name(self.prefix, worker_id, number)
            try:
                shm = shared_memory.SharedMemory(name=name)
            except FileNotFoundError:
                continue
            except ValueError:   # "cannot mmap an empty file": killed before it sized the block
                _unlink_name(name)
                continue
            _free(shm)

    def close(self):
        for shm in self.mapped.values():
            shm.close()
        self.mapped = {}


def _unlink(shm):
    try:
        shm.unlink()   # also tells the resource tracker it is gone
    except FileNotFoundError:
        pass


def _unlink_name(name):
    """Remove a block that cannot be attached: the worker was killed between creating it and
    sizing it, so it is empty and was never registered with the resource tracker."""
    try:
        _posixshmem.shm_unlink("/" + name)
    except FileNotFoundError:
        pass


def _free(shm):
    shm.close()
    _unlink(shm)
