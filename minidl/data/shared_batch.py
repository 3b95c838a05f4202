"""Hand finished batches from worker processes to the loader through reused shared memory.

    worker:  Outbox(slots).pack(arrays) -> desc    copy the arrays into the worker's next block
    loader:  Inbox().unpack(desc) -> arrays         copy them out of that block (kept mapped)

``desc = (worker_id, slot, block name, [(shape, dtype, offset), ...])`` is all that travels on
the ``multiprocessing.Queue``.

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
"""
import os
import secrets
from multiprocessing import resource_tracker, shared_memory

import numpy as np

_ALIGN = 64


def ensure_tracker():
    """Start the resource tracker in the parent *before* forking, so the children share it: a
    block a worker creates and unlinks is then registered and unregistered in one place."""
    resource_tracker.ensure_running()


def block_prefix():
    """``minidl_<main pid>_<random>_``: the start of every block name of one pool."""
    return f"minidl_{os.getpid()}_{secrets.token_hex(3)}_"


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
        self.prefix, self.created = f"{prefix or block_prefix()}{worker_id}_", 0

    def pack(self, arrays):
        layout, size = _layout(arrays)
        slot = self.count % len(self.blocks)
        self.count += 1
        shm = self.blocks[slot]
        if shm is None or shm.size < size:
            if shm is not None:   # already read by the loader (module docstring): free it
                _free(shm)
            name = f"{self.prefix}{self.created}"
            self.created += 1
            shm = self.blocks[slot] = shared_memory.SharedMemory(name, create=True, size=size)
        for view, a in zip(_views(shm, layout), arrays):
            view[...] = a
        return self.worker_id, slot, shm.name, layout

    def close(self):
        for shm in self.blocks:
            if shm is not None:
                _free(shm)
        self.blocks = []


class Inbox:
    """The loader's side: keeps each worker's blocks mapped, copies batches out."""

    def __init__(self):
        self.mapped = {}   # (worker_id, slot) -> SharedMemory

    def unpack(self, desc):
        worker_id, slot, name, layout = desc
        shm = self.mapped.get((worker_id, slot))
        if shm is None or shm.name != name:   # first use of the slot, or the worker grew it
            if shm is not None:
                shm.close()
            shm = self.mapped[(worker_id, slot)] = shared_memory.SharedMemory(name=name)
        return tuple(v.copy() for v in _views(shm, layout))

    def close(self):
        for shm in self.mapped.values():
            shm.close()
        self.mapped = {}


def _free(shm):
    shm.close()
    try:
        shm.unlink()
    except FileNotFoundError:
        pass
