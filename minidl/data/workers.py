"""Background workers that build batches: one pool of threads or of forked processes.

Protocol, the same for both: the loader puts tasks ``(epoch, batch_index, indices)`` on a task
queue; each worker loops ``task -> build_batch -> (batch_index, arrays, error)`` onto a result
queue; ``None`` tells a worker to stop. The loader keeps a bounded number of tasks in flight and
hands batches out in ``batch_index`` order, whichever worker finished first.

Each batch draws its augmentations from ``batch_rng(seed, epoch, batch_index)``, so what a batch
contains does not depend on which worker built it, nor on how many there are.

Processes are started with ``fork``: the child inherits the dataset (its arrays and transforms)
by copy-on-write, nothing is pickled to start it, and files are read by the dataset code exactly
as in the parent. Finished batches come back through ``multiprocessing.Queue`` (its own IPC).
Workers must not touch the GPU: a forked child cannot use the parent's CUDA context.
"""
import multiprocessing as mp
import queue
import random
import threading
import time
import traceback

import numpy as np

from .rng import batch_rng, legacy_seed, using_rng


def build_batch(dataset, indices, rng, collate_fn):
    """Fetch ``dataset[i]`` for each index with ``rng`` installed, then collate."""
    with using_rng(rng):
        samples = [dataset[int(i)] for i in indices]
    return collate_fn(samples)


def _portable(exc, across_processes):
    """The exception itself when it can travel back, else a RuntimeError carrying its text."""
    if across_processes:
        try:
            from multiprocessing.reduction import ForkingPickler
            ForkingPickler.loads(ForkingPickler.dumps(exc))
        except Exception:
            return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def worker_loop(worker_id, dataset, collate_fn, seed, tasks, results, across_processes):
    while True:
        task = tasks.get()
        if task is None:
            return
        epoch, b, indices = task
        if across_processes:  # see rng.legacy_seed: forked children share the parent's global RNGs
            s = legacy_seed(seed, epoch, b)
            np.random.seed(s)
            random.seed(s)
        try:
            arrays = build_batch(dataset, indices, batch_rng(seed, epoch, b), collate_fn)
            results.put((b, arrays, None))
        except Exception as e:  # report, keep serving: the loader decides what to do
            where = f"in DataLoader worker {worker_id} building batch {b}:\n{traceback.format_exc()}"
            results.put((b, None, (_portable(e, across_processes), where)))


class _Pool:
    """Shared by both kinds: submit tasks, get results, stop."""

    across_processes = False

    def __init__(self, num_workers, dataset, collate_fn, seed):
        self.tasks, self.results = self._queues()
        self.workers = [self._start(w, (w, dataset, collate_fn, seed, self.tasks, self.results,
                                        self.across_processes)) for w in range(num_workers)]

    def submit(self, task):
        self.tasks.put(task)

    def get(self, timeout=0):
        """Next ``(batch_index, arrays, error)``; raises if a worker died or ``timeout`` passed."""
        start = time.monotonic()
        while True:
            try:
                return self.results.get(timeout=1.0)
            except queue.Empty:
                pass
            dead = [w for w in self.workers if not w.is_alive()]
            if dead:
                raise RuntimeError(f"DataLoader: worker {dead[0].name} exited unexpectedly "
                                   f"(exit code {getattr(dead[0], 'exitcode', None)})")
            if timeout and time.monotonic() - start > timeout:
                raise TimeoutError(f"DataLoader: no batch from the workers in {timeout} s")


class ThreadPool(_Pool):
    """Threads share the process: cheap to start, but Python-level transform code holds the GIL."""

    def _queues(self):
        return queue.Queue(), queue.Queue()

    def _start(self, w, args):
        t = threading.Thread(target=worker_loop, args=args, name=f"minidl-data-{w}", daemon=True)
        t.start()
        return t

    def close(self, finished):
        # Threads cannot be killed: drop queued tasks, then each takes a stop sign after its current one.
        try:
            while True:
                self.tasks.get_nowait()
        except queue.Empty:
            pass
        for _ in self.workers:
            self.tasks.put(None)
        if finished:
            for t in self.workers:
                t.join()


class ProcessPool(_Pool):
    """Forked processes: transforms run truly in parallel; batches come back through a pipe."""

    across_processes = True

    def _queues(self):
        self.ctx = mp.get_context("fork")
        return self.ctx.Queue(), self.ctx.Queue()

    def _start(self, w, args):
        p = self.ctx.Process(target=worker_loop, args=args, name=f"minidl-data-{w}", daemon=True)
        p.start()
        return p

    def close(self, finished):
        if finished:  # every result was read: the workers are idle and stop at once
            for _ in self.workers:
                self.tasks.put(None)
            for p in self.workers:
                p.join(timeout=10)
        for p in self.workers:  # an epoch left early: results may sit unread, so do not wait
            if p.is_alive():
                p.terminate()
                p.join()
        for q in (self.tasks, self.results):
            q.cancel_join_thread()
            q.close()


def fork_available():
    return "fork" in mp.get_all_start_methods()
