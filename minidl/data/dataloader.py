"""``DataLoader``: batches of ``[images, labels]`` as ``minidl.Tensor``s, built in the background.

    images (N, C, H, W) float32, labels (N,) int64      (N = batch_size; the last may be smaller)

PyTorch's ``torch.utils.data.DataLoader`` options and rules (``sampler``, ``batch_sampler``,
``batch_size=None``, ``collate_fn``, ``worker_init_fn``, ``persistent_workers``, ...), plus
minidl's ``seed``, ``worker_type``, ``device`` and ``as_numpy``. One epoch, step by step:

1. order: the ``batch_sampler``'s index lists. By default that is a ``BatchSampler`` over
   ``SequentialSampler(dataset)``, or with ``shuffle`` over the loader's own random sampler,
   whose order is a permutation drawn from ``(seed, epoch)``; ``drop_last`` drops a short tail.
   With ``batch_size=None`` each index of ``sampler`` is one "batch" of one sample;
2. batch ``b``: with ``batch_rng(seed, epoch, b)`` installed (``minidl/data/rng.py``), fetch
   ``dataset[i]`` for its indices -- the dataset's random transforms draw from that generator --
   and ``collate_fn`` them (``default_collate``, or ``default_convert`` without batching) into
   NumPy arrays, in lists and dicts shaped like the samples;
3. turn the numeric arrays into ``minidl.Tensor``s (in the main process, on ``device``).

So an epoch -- its order and every augmentation -- is a function of ``(seed, epoch)`` alone:
``num_workers=0`` and ``num_workers=2`` give identical batches. Each ``iter(loader)`` advances
the epoch by one, so epochs differ; ``set_epoch(e)`` picks the epoch explicitly (resuming), and
is passed on to a ``sampler`` / ``batch_sampler`` that has a ``set_epoch`` method. A sampler of
your own (``RandomSampler(ds, generator=g)``, ...) decides the order itself: it reproduces only
as far as its generator does.

``num_workers > 0`` builds batches in background workers (``workers.py``), at most
``num_workers * prefetch_factor`` batches ahead: ``worker_type="process"`` (the default: forked
processes, batches handed back through shared memory) or ``"thread"``.

Why processes -- measured with ``benchmarks/loader_workers.py`` on the project's 2-core
machine (Python 3.11, NumPy 2.4), which other jobs shared (load average 3 to 7, so read the
numbers to +-30%); images/s, median of 5 interleaved epochs, batch 128 (32 for 224):

    pipeline                                      0 workers  2 threads  2 processes
    Fashion-MNIST 28x28: crop (pad 2) + flip         33,000     33,000       27,000
    RGB 32x32: scale jitter + crop + flip + PCA      12,700     10,800       20,700
    RGB 256x341 -> 224: crop + flip + PCA             1,630      2,610        1,150
    Fashion-MNIST feeding a small convnet's SGD     200-330    420-540     710-1050

* Small images: a transform is many small NumPy calls that hold the GIL, so two threads are no
  faster than none; with real per-image work (the RGB row) two processes nearly double the
  throughput. Fashion-MNIST's two steps cost so little (30 CPU ms per 1,000 images) that
  starting workers each epoch and copying batches outweighs them -- but 27,000 images/s is
  still 25x what the training step consumes.
* Training: processes leave the main process to the training step (it spends 2-3 CPU ms per
  1,000 images on loading, against 30-120 ms when threads or the main thread load), and the
  training row, the project's main job, came out fastest with processes in both runs.
* Big images reverse it: NumPy releases the GIL on large arrays, so threads run in parallel,
  while processes copy each 19 MB batch through shared memory. For ImageNet-sized crops, pass
  ``worker_type="thread"``.

When something goes wrong in a worker process the loader raises in the main process, never
waits for ever, and leaves no shared memory behind (``workers.py`` has the list): a dataset's
exception arrives as itself (``CorruptFileError`` naming the file, ...), with the worker's
traceback as a note; a worker that died, or a batch that cannot be sent back, is a
``DataLoaderWorkerError`` naming the worker and the batch. After any error, a timeout, Ctrl-C or
a ``break`` the workers are terminated at once; they also exit by themselves if the main process
is killed.
"""
import numpy as np

from .collate import default_collate, default_convert, map_leaves
from .rng import batch_rng, epoch_permutation
from .sampler import BatchSampler, RandomSampler, SequentialSampler, numpy_rng
from .workers import ProcessPool, ThreadPool, WorkerSpec, build_batch, fork_available

WORKER_TYPES = {"thread": ThreadPool, "process": ProcessPool}


class _SeededShuffle(RandomSampler):
    """``shuffle=True``'s sampler: epoch ``e``'s order is ``epoch_permutation(seed, e, n)``."""

    def __init__(self, data_source, seed):
        super().__init__(data_source)
        self.seed, self.epoch = seed, 0

    def set_epoch(self, epoch):
        self.epoch = int(epoch)

    def __iter__(self):
        return iter(epoch_permutation(self.seed, self.epoch, len(self.data_source)).tolist())


class DataLoader:
    """``DataLoader(dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
    num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
    worker_init_fn=None, multiprocessing_context=None, generator=None, *, prefetch_factor=None,
    persistent_workers=False, pin_memory_device="", in_order=True, seed=None,
    worker_type="process", device=None, as_numpy=False)``.

    PyTorch's options keep PyTorch's meaning and its ValueErrors for conflicting ones
    (``batch_sampler`` with ``batch_size``/``shuffle``/``sampler``/``drop_last``; ``sampler``
    with ``shuffle``; ``batch_size=None`` with ``drop_last``; ``prefetch_factor`` or
    ``persistent_workers`` without workers). ``pin_memory`` and ``pin_memory_device`` are
    accepted and do nothing (batches are built in ordinary CPU memory); batches always come out
    in order, whatever ``in_order`` says. Workers are forked processes or threads
    (``worker_type``): ``multiprocessing_context`` may be ``None`` or ``"fork"`` only.

    ``seed=None`` draws one seed once, here (``loader.seed`` shows it), from ``generator`` when
    given, else from minidl's default generator -- as PyTorch's loader draws its base seed from
    ``torch``'s -- so two loaders built after the same ``minidl.manual_seed(s)`` give identical
    epochs (order, augmentations, worker seeds); an explicit ``seed=`` wins over both. Epochs
    still differ from one another and reproduce within this loader.
    ``as_numpy=True`` yields the NumPy arrays instead of Tensors. ``collate_fn(samples)`` may
    return arrays or Tensors in any nesting of lists, tuples and dicts. ``timeout`` (seconds,
    0 = forever) bounds the wait for one batch from the workers: past it,
    ``DataLoaderTimeoutError`` (a RuntimeError and a TimeoutError) is raised at once. ``worker_init_fn(worker_id)``
    runs once in each worker as it starts (``get_worker_info()`` tells it which);
    ``persistent_workers=True`` keeps the workers from one epoch to the next, with the
    dataset as they first copied it.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True, seed=None, worker_type="process", device=None, as_numpy=False):
        if num_workers < 0:
            raise ValueError(f"DataLoader: num_workers option should be non-negative, got "
                             f"{num_workers}; use num_workers=0 to load in the main thread")
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout option should be non-negative, got {timeout}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("DataLoader: prefetch_factor option could only be specified with "
                             f"num_workers > 0, got prefetch_factor={prefetch_factor} and no workers")
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError(f"DataLoader: prefetch_factor option should be non-negative, got "
                             f"{prefetch_factor}")
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
        if worker_type not in WORKER_TYPES:
            raise ValueError(f"DataLoader: worker_type must be 'thread' or 'process', got {worker_type!r}")
        method = getattr(multiprocessing_context, "get_start_method", lambda: multiprocessing_context)()
        if method not in (None, "fork"):
            raise ValueError(f"DataLoader: multiprocessing_context {method!r} is not supported: "
                             "minidl's worker processes are forked (or use worker_type='thread')")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                                 "batch_size, shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and is "
                             "mutually exclusive with drop_last")
        if worker_type == "process" and not fork_available():
            worker_type = "thread"   # no fork (Windows): threads still overlap loading with training

        if seed is None:   # like PyTorch's base seed: from `generator`, else from minidl's
            seed = numpy_rng(generator).integers(2**63)   # default one (minidl.manual_seed)
        self.seed = int(seed)
        if sampler is None:
            sampler = _SeededShuffle(dataset, self.seed) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, bool(drop_last))

        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, bool(drop_last)
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        self.num_workers, self.worker_type = int(num_workers), worker_type
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn, self.worker_init_fn = collate_fn, worker_init_fn
        self.prefetch_factor = None if num_workers == 0 else (2 if prefetch_factor is None
                                                              else int(prefetch_factor))
        self.persistent_workers, self.multiprocessing_context = persistent_workers, multiprocessing_context
        self.pin_memory, self.pin_memory_device, self.in_order = pin_memory, pin_memory_device, in_order
        self.device, self.as_numpy, self.timeout = device, as_numpy, timeout
        self.epoch = 0   # the epoch the next iter() uses
        self._pool = None   # the persistent workers, between epochs

    @property
    def shuffle(self):
        return isinstance(self.sampler, _SeededShuffle)

    def set_epoch(self, epoch):
        """Make the next ``iter()`` produce epoch ``epoch`` (then ``epoch + 1``, ...)."""
        self.epoch = int(epoch)

    def __len__(self):
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def batch_indices(self, epoch):
        """What every batch of ``epoch`` fetches, in order: lists of dataset keys (one key per
        batch with ``batch_size=None``)."""
        if isinstance(self.sampler, _SeededShuffle):
            self.sampler.seed = self.seed   # loader.seed may have been changed since
        for s in (self.sampler, self.batch_sampler):
            if hasattr(s, "set_epoch"):
                s.set_epoch(epoch)
        return list(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def __iter__(self):
        epoch, self.epoch = self.epoch, self.epoch + 1
        batches = self.batch_indices(epoch)
        batches = self._serial(epoch, batches) if self.num_workers == 0 else self._parallel(epoch, batches)
        return batches if self.as_numpy else (self._to_tensors(b) for b in batches)

    def _serial(self, epoch, batches):
        batched = self.batch_sampler is not None
        for b, indices in enumerate(batches):
            yield build_batch(self.dataset, indices, batch_rng(self.seed, epoch, b),
                              self.collate_fn, batched)

    def _start_pool(self, depth):
        pool = self._pool
        if pool is not None and pool.spec.seed == self.seed:
            return pool
        if pool is not None:
            pool.close(True)
        spec = WorkerSpec(self.dataset, self.collate_fn, self.seed, self.num_workers,
                          batched=self.batch_sampler is not None, worker_init_fn=self.worker_init_fn)
        return WORKER_TYPES[self.worker_type](spec, depth)

    def _parallel(self, epoch, batches):
        depth = self.num_workers * max(1, self.prefetch_factor)   # batches in flight, at most
        pool, self._pool = self._start_pool(depth), None
        finished, ready, sent = False, {}, 0
        try:
            for b in range(len(batches)):
                while sent < len(batches) and sent < b + depth:
                    pool.submit((epoch, sent, batches[sent]))
                    sent += 1
                while b not in ready:   # results arrive in any order; hand them out in order
                    rb, batch, error = pool.get(self.timeout, waiting_for=b)
                    ready[rb] = (batch, error)
                batch, error = ready.pop(b)
                if error is not None:
                    exc, where = error
                    if hasattr(exc, "add_note"):
                        exc.add_note(where)
                    raise exc
                yield batch
            finished = True
        finally:
            if finished and self.persistent_workers:
                self._pool = pool   # nothing in flight: the next epoch reuses the workers
            else:
                pool.close(finished)

    def _to_tensors(self, batch):
        import minidl   # at run time: minidl.data must not depend on import order of the core

        def convert(leaf):
            if isinstance(leaf, minidl.Tensor):
                return leaf if self.device is None else leaf.to(self.device)
            if type(leaf) is not np.ndarray or leaf.dtype.kind in "SUO":
                return leaf   # numbers, strings (and arrays of them) are handed on as they are
            if self.device is None:   # the batch is freshly built: share its memory, no copy
                return minidl.from_numpy(leaf)
            return minidl.tensor(leaf, device=self.device)

        return map_leaves(convert, batch)

    def __del__(self):
        pool, self._pool = getattr(self, "_pool", None), None
        if pool is not None:
            try:
                pool.close(True)
            except Exception:   # at interpreter exit the queues may already be gone
                pass

    def __repr__(self):
        workers = f"{self.num_workers} ({self.worker_type}s)" if self.num_workers else "0"
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last}, "
                f"num_workers={workers}, seed={self.seed})")
