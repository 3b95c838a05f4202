"""Background workers that build batches: one pool of threads or of forked processes.

Protocol, the same for both: the loader puts tasks ``(epoch, batch_index, indices)`` on a task
queue, at most ``depth`` ahead of the batch it hands out next; each worker loops
``task -> build_batch -> (batch_index, batch, error)`` onto a result queue; ``None`` tells a
worker to stop. ``indices`` is a list of dataset keys, or with ``batched=False`` (the loader's
``batch_size=None``) a single key. A worker first calls ``worker_init_fn(worker_id)``, if given,
with ``get_worker_info()`` describing it. The loader hands batches out in ``batch_index`` order,
whichever worker finished first.

Each batch draws its augmentations from ``batch_rng(seed, epoch, batch_index)``, so what a batch
contains does not depend on which worker built it, nor on how many there are.

Processes are started with ``fork``: the child inherits the dataset (its arrays and transforms)
by copy-on-write, nothing is pickled to start it, and files are read by the dataset code exactly
as in the parent. Finished batches come back in shared memory (``shared_batch.py``); only small
descriptions travel on the ``multiprocessing.Queue``: the batch's structure (lists, dicts,
strings) with each numeric array replaced by a ``_Slot``, and where the arrays lie. Transforms
in workers must stay NumPy: a forked child cannot use the parent's CUDA context, nor the Numba
kernels' thread pool.

What can go wrong with processes, and what happens then -- the rule is that the main process
never waits for ever and no shared block outlives the worker that made it:

* **a batch that cannot travel** (``collate_fn`` returned a lock, a lambda, ...): the queue
  would pickle it in a background thread, print a traceback there and drop it, and the loader
  would wait for ever. So the worker pickles the batch's structure itself, before anything goes
  on the queue, and sends an error record instead when that fails; an exception that would not
  survive unpickling travels as the nearest built-in class it derives from (``_portable``).
  Every message a worker sends is therefore known to arrive.
* **an error, a timeout, Ctrl-C, or leaving the epoch early**: the loader terminates the workers
  at once (a stuck ``__getitem__`` never returns by itself) and then frees their blocks
  (``Inbox.release``). Workers ignore SIGINT: Ctrl-C reaches the whole process group, and only
  the main process should answer it, once.
* **a worker dies** (killed, out of memory): the loader notices within ``_POLL_S``, raises
  ``DataLoaderWorkerError`` naming it, and frees its blocks then, not at exit.
* **the main process dies** (SIGKILL): a thread in each worker watches ``os.getppid()``; when the
  parent changes, the worker unlinks its blocks and exits (PyTorch's workers watch their parent
  too). Polling the parent pid was chosen over the parent's sentinel pipe because a forked
  sibling inherits that pipe and would keep it open.
"""
import atexit
import multiprocessing as mp
import os
import queue
import random
import signal
import threading
import time
import traceback
import weakref
from multiprocessing.reduction import ForkingPickler   # the queue's own serialiser

import numpy as np

from . import shared_batch
from .collate import map_leaves
from .rng import batch_rng, legacy_seed, using_rng

_info = threading.local()
_POLL_S = 0.1     # how often a waiting loader looks at its workers, and a worker at its parent


class DataLoaderWorkerError(RuntimeError):
    """A worker failed in a way that is not the dataset's own exception: it died, or what it
    built cannot be sent back to the main process. (A dataset's exception, e.g. a
    ``CorruptFileError``, reaches the caller as itself.)"""


class DataLoaderTimeoutError(DataLoaderWorkerError, TimeoutError):
    """No batch came within the loader's ``timeout``: a RuntimeError as in PyTorch, and a
    TimeoutError as minidl raised before."""


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


def _travels(obj):
    try:
        ForkingPickler.loads(ForkingPickler.dumps(obj))
        return True
    except Exception:
        return False


def _portable(exc):
    """The exception itself when it survives the trip between processes, else the nearest
    built-in class it derives from, carrying its text (so ``except ValueError`` still works)."""
    if _travels(exc):
        return exc
    text = f"{type(exc).__name__}: {exc}"
    for base in type(exc).__mro__:
        if base.__module__ == "builtins" and issubclass(base, Exception):
            try:
                stand_in = base(text)
            except Exception:   # e.g. UnicodeDecodeError needs five arguments
                continue
            if _travels(stand_in):
                return stand_in
    return DataLoaderWorkerError(text)


def _error(e, worker_id, doing, in_process):
    where = f"in DataLoader worker {worker_id} {doing}:\n{traceback.format_exc()}"
    return (_portable(e) if in_process else e, where)


def _unsendable(e, worker_id, b):
    message = (f"DataLoader worker {worker_id}: batch {b} cannot be sent back to the main "
               f"process ({type(e).__name__}: {e}); a worker process returns what collate_fn "
               "made through pickle, so it must be arrays, numbers, strings and lists, tuples or "
               "dicts of them (or use worker_type='thread')")
    return DataLoaderWorkerError(message), f"in DataLoader worker {worker_id}, batch {b}"


def _exit_with_parent(parent_pid, outbox):
    """A worker process's watchdog thread: once the parent is gone (this process was handed
    to another parent), free this worker's blocks and exit, whatever the main thread is doing."""
    while os.getppid() == parent_pid:
        time.sleep(_POLL_S)
    outbox.unlink_all()
    os._exit(1)


def worker_loop(worker_id, spec, tasks, results, stop, outbox, parent_pid=None):
    """Serve tasks until ``None``. ``outbox``: a ``shared_batch.Outbox`` in a process (whose
    parent is ``parent_pid``), else None.

    ``spec``: the pool's ``WorkerSpec`` (dataset, collate_fn, seed, ...).
    """
    in_process = outbox is not None
    if in_process:
        signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the main process's to handle
        threading.Thread(target=_exit_with_parent, args=(parent_pid, outbox), daemon=True,
                         name="minidl-parent-watch").start()
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
            except Exception as e:  # report and keep serving: the loader decides what to do
                results.put((b, None, _error(e, worker_id, f"building batch {b}", in_process)))
                continue
            if not in_process:
                results.put((b, batch, None))
                continue
            try:   # pickled here, not in the queue's thread, so a failure can be reported
                skeleton, arrays = flatten_batch(batch)
                skeleton = ForkingPickler.dumps(skeleton)
            except Exception as e:
                results.put((b, None, _unsendable(e, worker_id, b)))
                continue
            try:
                desc = outbox.pack(arrays)
            except Exception as e:   # e.g. /dev/shm is full
                results.put((b, None, _error(e, worker_id, f"sending batch {b}", in_process)))
                continue
            results.put((b, (bytes(skeleton), desc), None))
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

    def get(self, timeout=0, waiting_for=None):
        """Next ``(batch_index, batch, error)``; raises ``DataLoaderWorkerError`` if a worker
        died, ``DataLoaderTimeoutError`` if ``timeout`` seconds (0: no limit) passed first."""
        deadline = time.monotonic() + timeout if timeout else None
        while True:
            wait = _POLL_S if deadline is None else max(0.0, min(_POLL_S, deadline - time.monotonic()))
            try:
                b, payload, error = self.results.get(timeout=wait)
                return b, (None if error else self._unpack(b, payload)), error
            except queue.Empty:
                pass
            dead = [(w, p) for w, p in enumerate(self.workers) if not p.is_alive()]
            if dead:
                raise DataLoaderWorkerError(f"DataLoader worker {dead[0][0]} {_died(dead[0][1])}")
            if deadline is not None and time.monotonic() >= deadline:
                what = "a batch" if waiting_for is None else f"batch {waiting_for}"
                raise DataLoaderTimeoutError(
                    f"DataLoader timed out after {timeout} s waiting for {what} from its "
                    f"{len(self.workers)} workers (stuck in the dataset or collate_fn?); "
                    "the workers were stopped")


def _died(worker):
    code = getattr(worker, "exitcode", None)
    if code is None:
        return "exited unexpectedly"
    how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
    return f"(pid {worker.pid}) exited unexpectedly ({how})"


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

    def _unpack(self, b, batch):
        return batch

    def close(self, finished):
        # Threads cannot be killed: each skips the queued tasks and stops after its current batch.
        self.stop.set()
        for _ in self.workers:
            self.tasks.put(None)
        if finished:
            for t in self.workers:
                t.join()


_live_pools = weakref.WeakSet()   # process pools not closed yet: closed at exit (_close_at_exit)


class ProcessPool(_Pool):
    """Forked processes: transforms run truly in parallel; batches come back in shared memory."""

    def __init__(self, spec, depth):
        self.spec, self.depth, self.owner = spec, depth, os.getpid()
        ctx = mp.get_context("fork")
        shared_batch.ensure_tracker()
        self.tasks, self.results, self.stop = ctx.Queue(), ctx.Queue(), ctx.Event()
        prefix = shared_batch.block_prefix()
        self.inbox = shared_batch.Inbox(prefix)
        self.workers = []
        for w in range(spec.num_workers):
            # the Outbox is created here but used only in the child (fork copies it, unused, to it)
            args = (w, spec, self.tasks, self.results, self.stop,
                    shared_batch.Outbox(w, slots=depth, prefix=prefix), self.owner)
            self.workers.append(ctx.Process(target=worker_loop, args=args,
                                            name=f"minidl-data-{w}", daemon=True))
            self.workers[-1].start()
        self.closed = False
        _register_exit_hook()
        _live_pools.add(self)

    def _unpack(self, b, payload):
        skeleton, desc = payload
        try:
            skeleton = ForkingPickler.loads(skeleton)
        except Exception as e:
            raise DataLoaderWorkerError(f"DataLoader worker {desc[0]}: batch {b} cannot be "
                                        f"unpickled in the main process ({type(e).__name__}: {e})")
        return unflatten_batch(skeleton, self.inbox.unpack(desc))

    def close(self, finished, grace_s=5):
        """Stop the workers and free every shared block. ``finished`` (the epoch was read to its
        end, so the workers are idle): ask them to stop and give them ``grace_s``. Otherwise
        (an error, a timeout, Ctrl-C, a ``break``): terminate them now -- one may be stuck."""
        if self.closed or self.owner != os.getpid():   # a forked copy must not stop them
            return
        self.closed = True
        _live_pools.discard(self)
        self.stop.set()
        if finished:
            for _ in self.workers:
                self.tasks.put(None)
            deadline = time.monotonic() + grace_s
            while any(p.is_alive() for p in self.workers) and time.monotonic() < deadline:
                self._drain(wait=0.02)   # keep reading, so no worker blocks on a full pipe
        for p in self.workers:
            if p.is_alive():
                p.terminate()
        for w, p in enumerate(self.workers):
            p.join(grace_s)
            if p.is_alive():   # SIGTERM caught or ignored by user code
                p.kill()
                p.join()
            self.inbox.release(w, unseen=self.depth)
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


def _close_at_exit():
    # Runs before multiprocessing's own exit handler (atexit is last-in, first-out), which
    # would terminate the workers and leave their blocks to the resource tracker's warnings.
    for pool in list(_live_pools):
        pool.close(False)


_hook = []


def _register_exit_hook():
    if not _hook:   # after the first pool exists, so after multiprocessing registered its own
        atexit.register(_close_at_exit)
        _hook.append(True)


def fork_available():
    return "fork" in mp.get_all_start_methods()
