"""Background workers that build batches: one pool of threads or of forked processes.

Protocol, the same for both: the loader puts tasks ``(epoch, batch_index, indices)`` on a task
queue, at most ``depth`` ahead of the batch it hands out next; each worker loops
``task -> build_batch -> (batch_index, batch, error)`` onto a result queue; ``None`` tells a
worker to stop. ``indices`` is a list of dataset keys, or with ``batched=False`` (the loader's
``batch_size=None``) a single key. A worker first calls ``worker_init_fn(worker_id)``, if given,
with ``get_worker_info()`` describing it. The loader hands batches out in ``batch_index`` order, whichever worker finished
first.

Each batch draws its augmentations from ``batch_rng(seed, epoch, batch_index)``, so what a batch
contains does not depend on which worker built it, nor on how many there are.

Processes are started with ``fork``: the child inherits the dataset (its arrays and transforms)
by copy-on-write, nothing is pickled to start it, and files are read by the dataset code exactly
as in the parent. Finished batches come back in shared memory (``shared_batch.py``); only small
descriptions travel on the ``multiprocessing.Queue``: the batch's structure (lists, dicts,
strings) with each numeric array replaced by a ``_Slot``, and where the arrays lie. Transforms in workers must stay NumPy:
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
from .collate import map_leaves
from .rng import batch_rng, legacy_seed, using_rng

_info = threading.local()


class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker: ``id``, ``num_workers``, ``seed``
    (``loader.seed + id``) and ``dataset`` (the worker's copy, in a process)."""

    def __init__(self, id, num_workers, seed, dataset):
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


def get_worker_info():
    """The current worker's ``WorkerInfo``; ``None`` in the main process (as in PyTorch)."""
    return getattr(_info, "value", None)


def build_batch(dataset, indices, rng, collate_fn, batched=True):
    """Fetch ``dataset[i]`` for each index (or the one ``indices`` when not ``batched``) with
    ``rng`` installed, then collate."""
    with using_rng(rng):
        if not batched:
            return collate_fn(dataset[indices])
        samples = [dataset[i] for i in indices]
    return collate_fn(samples)


class _Slot:
    """Stands for the array at ``index`` of a batch's flat list of arrays."""
    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


def flatten_batch(batch):
    """``(skeleton, arrays)``: the numeric arrays (minidl Tensors as theirs) out of ``batch``."""
    from ..tensor import Tensor
    arrays = []

    def take(leaf):
        a = leaf.data if isinstance(leaf, Tensor) else leaf
        if type(a) is not np.ndarray or a.dtype.kind in "SUO":
            return leaf
        arrays.append(a)
        return _Slot(len(arrays) - 1)

    return map_leaves(take, batch), arrays


def unflatten_batch(skeleton, arrays):
    return map_leaves(lambda leaf: arrays[leaf.index] if isinstance(leaf, _Slot) else leaf, skeleton)


def _portable(exc):
    """The exception itself when it survives the trip between processes, else its text."""
    from multiprocessing.reduction import ForkingPickler   # the queue's own serialiser
    try:
        ForkingPickler.loads(ForkingPickler.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _error(e, worker_id, doing, in_process):
    where = f"in DataLoader worker {worker_id} {doing}:\n{traceback.format_exc()}"
    return (_portable(e) if in_process else e, where)


def worker_loop(worker_id, spec, tasks, results, stop, outbox):
    """Serve tasks until ``None``. ``outbox``: a ``shared_batch.Outbox`` in a process, else None.

    ``spec``: the pool's ``WorkerSpec`` (dataset, collate_fn, seed, ...).
    """
    in_process = outbox is not None
    _info.value = WorkerInfo(worker_id, spec.num_workers, spec.seed + worker_id, spec.dataset)
    init_error = None
    if spec.worker_init_fn is not None:
        try:
            spec.worker_init_fn(worker_id)
        except Exception as e:   # every batch this worker takes reports it
            init_error = _error(e, worker_id, "in worker_init_fn", in_process)
    try:
        while True:
            task = tasks.get()
            if task is None:
                return
            if stop.is_set():   # the epoch was left early: skip what is still queued
                continue
            epoch, b, indices = task
            if init_error is not None:
                results.put((b, None, init_error))
                continue
            if in_process:  # see rng.legacy_seed: forked children share the global RNGs
                s = legacy_seed(spec.seed, epoch, b)
                np.random.seed(s)
                random.seed(s)
            try:
                batch = build_batch(spec.dataset, indices, batch_rng(spec.seed, epoch, b),
                                    spec.collate_fn, spec.batched)
                if in_process:
                    skeleton, arrays = flatten_batch(batch)
                    batch = (skeleton, outbox.pack(arrays))
                results.put((b, batch, None))
            except Exception as e:  # report and keep serving: the loader decides what to do
                results.put((b, None, _error(e, worker_id, f"building batch {b}", in_process)))
    finally:
        if outbox is not None:
            outbox.close()


class WorkerSpec:
    """What every worker of a pool needs to build batches."""

    def __init__(self, dataset, collate_fn, seed, num_workers, batched=True, worker_init_fn=None):
        self.dataset, self.collate_fn, self.seed = dataset, collate_fn, int(seed)
        self.num_workers, self.batched, self.worker_init_fn = num_workers, batched, worker_init_fn


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

    def __init__(self, spec, depth):
        self.spec = spec
        self.tasks, self.results, self.stop = queue.Queue(), queue.Queue(), threading.Event()
        self.workers = []
        for w in range(spec.num_workers):
            args = (w, spec, self.tasks, self.results, self.stop, None)
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

    def __init__(self, spec, depth):
        self.spec = spec
        ctx = mp.get_context("fork")
        shared_batch.ensure_tracker()
        self.tasks, self.results, self.stop = ctx.Queue(), ctx.Queue(), ctx.Event()
        self.inbox = shared_batch.Inbox()
        prefix = shared_batch.block_prefix()
        self.workers = []
        for w in range(spec.num_workers):
            # the Outbox is created here but used only in the child (fork copies it, unused, to it)
            args = (w, spec, self.tasks, self.results, self.stop,
                    shared_batch.Outbox(w, slots=depth, prefix=prefix))
            self.workers.append(ctx.Process(target=worker_loop, args=args,
                                            name=f"minidl-data-{w}", daemon=True))
            self.workers[-1].start()

    def _unpack(self, payload):
        skeleton, desc = payload
        return unflatten_batch(skeleton, self.inbox.unpack(desc))

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
