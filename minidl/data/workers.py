"""Background workers that build batches: one pool of threads or of forked processes.

Protocol, the same for both: the loader puts tasks ``(epoch, batch_index, indices)`` on a task
queue, at most ``depth`` ahead of the batch it hands out next; each worker loops
``task -> build_batch -> (batch_index, arrays, error)`` onto a result queue; ``None`` tells a
worker to stop. The loader hands batches out in ``batch_index`` order, whichever worker finished
first.

Each batch draws its augmentations from ``batch_rng(seed, epoch, batch_index)``, so what a batch
contains does not depend on which worker built it, nor on how many there are.

Processes are started with ``fork``: the child inherits the dataset (its arrays and transforms)
by copy-on-write, nothing is pickled to start it, and files are read by the dataset code exactly
as in the parent. Finished batches come back in shared memory (``shared_batch.py``); only small
descriptions travel on the ``multiprocessing.Queue``. Transforms in workers must stay NumPy:
a forked child cannot use the parent's CUDA context, nor the Numba kernels' thread pool.
"""
import multiprocessing as mp
import queue
import random
import threading
import time
import traceback

import numpy as np

from . import shared_batch
from .rng import batch_rng, legacy_seed, using_rng


def build_batch(dataset, indices, rng, collate_fn):
    """Fetch ``dataset[i]`` for each index with ``rng`` installed, then collate."""
    with using_rng(rng):
        samples = [dataset[int(i)] for i in indices]
    return collate_fn(samples)


def _portable(exc):
    """The exception itself when it survives the trip between processes, else its text."""
    from multiprocessing.reduction import ForkingPickler   # the queue's own serialiser
    try:
        ForkingPickler.loads(ForkingPickler.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def worker_loop(worker_id, dataset, collate_fn, seed, tasks, results, stop, outbox):
    """Serve tasks until ``None``. ``outbox``: a ``shared_batch.Outbox`` in a process, else None."""
    try:
        while True:
            task = tasks.get()
            if task is None:
                return
            if stop.is_set():   # the epoch was left early: skip what is still queued
                continue
            epoch, b, indices = task
            if outbox is not None:  # see rng.legacy_seed: forked children share the global RNGs
                s = legacy_seed(seed, epoch, b)
                np.random.seed(s)
                random.seed(s)
            try:
                arrays = build_batch(dataset, indices, batch_rng(seed, epoch, b), collate_fn)
                results.put((b, arrays if outbox is None else outbox.pack(arrays), None))
            except Exception as e:  # report and keep serving: the loader decides what to do
                where = f"in DataLoader worker {worker_id} building batch {b}:\n{traceback.format_exc()}"
                results.put((b, None, (e if outbox is None else _portable(e), where)))
    finally:
        if outbox is not None:
            outbox.close()


class _Pool:
    """What both kinds share: submit tasks, get results in arrival order."""

    def submit(self, task):
        self.tasks.put(task)

    def get(self, timeout=0):
        """Next ``(batch_index, arrays, error)``; raises if a worker died or ``timeout`` passed."""
        start = time.monotonic()
        while True:
            try:
                b, payload, error = self.results.get(timeout=1.0)
                return b, (None if error else self._unpack(payload)), error
            except queue.Empty:
                pass
            dead = [w for w in self.workers if not w.is_alive()]
            if dead:
                raise RuntimeError(f"DataLoader: worker {dead[0].name} exited unexpectedly "
                                   f"(exit code {getattr(dead[0], 'exitcode', None)})")
            if timeout and time.monotonic() - start > timeout:
                raise TimeoutError(f"DataLoader: no batch from the workers in {timeout} s")


class ThreadPool(_Pool):
    """Threads share the process: no copies, but Python-level transform code holds the GIL."""

    def __init__(self, num_workers, dataset, collate_fn, seed, depth):
        self.tasks, self.results, self.stop = queue.Queue(), queue.Queue(), threading.Event()
        self.workers = []
        for w in range(num_workers):
            args = (w, dataset, collate_fn, seed, self.tasks, self.results, self.stop, None)
            self.workers.append(threading.Thread(target=worker_loop, args=args,
                                                 name=f"minidl-data-{w}", daemon=True))
            self.workers[-1].start()

    def _unpack(self, arrays):
        return arrays

    def close(self, finished):
        # Threads cannot be killed: each skips the queued tasks and stops after its current batch.
        self.stop.set()
        for _ in self.workers:
            self.tasks.put(None)
        if finished:
            for t in self.workers:
                t.join()


class ProcessPool(_Pool):
    """Forked processes: transforms run truly in parallel; batches come back in shared memory."""

    def __init__(self, num_workers, dataset, collate_fn, seed, depth):
        ctx = mp.get_context("fork")
        shared_batch.ensure_tracker()
        self.tasks, self.results, self.stop = ctx.Queue(), ctx.Queue(), ctx.Event()
        self.inbox = shared_batch.Inbox()
        self.workers = []
        for w in range(num_workers):
            # the Outbox is created here but used only in the child (fork copies it, unused, to it)
            args = (w, dataset, collate_fn, seed, self.tasks, self.results, self.stop,
                    shared_batch.Outbox(w, slots=depth))
            self.workers.append(ctx.Process(target=worker_loop, args=args,
                                            name=f"minidl-data-{w}", daemon=True))
            self.workers[-1].start()

    def _unpack(self, desc):
        return self.inbox.unpack(desc)

    def close(self, finished, grace_s=30):
        # Stop rather than kill: a worker frees its own shared blocks on the way out. Keep reading
        # the results meanwhile, so no worker blocks on a full pipe.
        self.stop.set()
        for _ in self.workers:
            self.tasks.put(None)
        deadline = time.monotonic() + grace_s
        while any(p.is_alive() for p in self.workers) and time.monotonic() < deadline:
            self._drain(wait=0.02)
        for p in self.workers:
            if p.is_alive():   # stuck in a transform: kill it (the tracker frees its blocks at exit)
                p.terminate()
            p.join()
        self._drain(wait=0)
        self.inbox.close()
        for q in (self.tasks, self.results):
            q.cancel_join_thread()
            q.close()

    def _drain(self, wait):
        try:
            while True:
                self.results.get(timeout=wait) if wait else self.results.get_nowait()
        except Exception:   # empty (or a message cut short by terminate)
            pass


def fork_available():
    return "fork" in mp.get_all_start_methods()
