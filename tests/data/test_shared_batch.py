"""Batches handed between processes through shared memory: equal after the trip, blocks reused
while they fit, grown when a batch does not, freed at the end."""
from multiprocessing import shared_memory

import numpy as np
import pytest

from minidl.data.shared_batch import Inbox, Outbox, block_prefix


def batch(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 1, 5, 7)).astype(np.float32), np.arange(n, dtype=np.int64)


def test_round_trip_reuses_and_grows_blocks_then_frees_them():
    outbox, inbox = Outbox(worker_id=3, slots=2), Inbox()
    descs = []
    for k, n in enumerate([4, 4, 4, 9]):
        arrays = batch(n, seed=k)
        desc = outbox.pack(arrays)
        out = inbox.unpack(desc)
        assert all(a.dtype == b.dtype and np.array_equal(a, b) for a, b in zip(arrays, out))
        descs.append(desc)
    assert [d[1] for d in descs] == [0, 1, 0, 1]                     # slots in a ring
    assert descs[2][2] == descs[0][2] and descs[3][2] != descs[1][2]  # reused; grown for 9
    names = {d[2] for d in descs}
    inbox.close()
    outbox.close()
    for name in names:
        with pytest.raises(FileNotFoundError):
            shared_memory.SharedMemory(name=name)


def test_copies_out_do_not_change_when_the_block_is_rewritten():
    outbox, inbox = Outbox(0, slots=1), Inbox()
    first = inbox.unpack(outbox.pack(batch(3, seed=1)))
    inbox.unpack(outbox.pack(batch(3, seed=2)))
    assert np.array_equal(first[0], batch(3, seed=1)[0])
    inbox.close()
    outbox.close()


def test_release_frees_a_dead_workers_blocks_seen_or_not():
    """What the loader does after killing a worker: the blocks it has mapped, and those the
    worker made for batches the loader never received (at most ``unseen`` of them)."""
    prefix = block_prefix()
    outbox, inbox = Outbox(1, slots=3, prefix=prefix), Inbox(prefix)
    inbox.unpack(outbox.pack(batch(2)))                        # seen: block 0
    names = [outbox.pack(batch(2))[2], outbox.pack(batch(2))[2]]   # never received: blocks 1, 2
    names.append(outbox.pack(batch(5))[2])                     # slot 0 grown: block 3, unseen
    assert [n.rsplit("_", 1)[1] for n in names] == ["1", "2", "3"]
    inbox.release(1, unseen=3)
    for name in names + [prefix + "1_0"]:
        with pytest.raises(FileNotFoundError):
            shared_memory.SharedMemory(name=name)
    outbox.blocks = []   # the worker is "dead": it never frees them itself


def test_release_removes_an_empty_block_of_a_worker_killed_before_sizing_it():
    """SharedMemory(create=True) opens the name, then sizes it: a worker killed in between
    leaves an empty block, which cannot be mapped ("cannot mmap an empty file")."""
    _posixshmem = pytest.importorskip("_posixshmem")
    import os
    prefix = block_prefix()
    name = prefix + "0_0"
    os.close(_posixshmem.shm_open("/" + name, os.O_CREAT | os.O_EXCL | os.O_RDWR, mode=0o600))
    try:
        with pytest.raises(ValueError, match="empty"):
            shared_memory.SharedMemory(name=name)     # what release used to do, and raise
        Inbox(prefix).release(0, unseen=2)
        with pytest.raises(FileNotFoundError):
            shared_memory.SharedMemory(name=name)
    finally:
        try:
            _posixshmem.shm_unlink("/" + name)
        except FileNotFoundError:
            pass
