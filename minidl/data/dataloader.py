"""``DataLoader``: batches of ``(images, labels)`` as ``minidl.Tensor``s, built in the background.

    images (N, C, H, W) float32, labels (N,) int64      (N = batch_size; the last may be smaller)

One epoch, step by step:

1. order: ``arange(len(dataset))``, or with ``shuffle`` a permutation drawn from
   ``(seed, epoch)``; cut into batches of ``batch_size`` (``drop_last`` drops a short tail);
2. batch ``b``: with ``batch_rng(seed, epoch, b)`` installed (``minidl/data/rng.py``), fetch
   ``dataset[i]`` for its indices -- the dataset's random transforms draw from that generator --
   and ``default_collate`` them into NumPy arrays;
3. turn the arrays into ``minidl.Tensor``s (in the main process, on ``device``).

So an epoch -- its order and every augmentation -- is a function of ``(seed, epoch)`` alone:
``num_workers=0`` and ``num_workers=2`` give identical batches. Each ``iter(loader)`` advances
the epoch by one, so epochs differ; ``set_epoch(e)`` picks the epoch explicitly (resuming).

``num_workers > 0`` builds batches in background workers (``workers.py``), at most
``num_workers * prefetch_factor`` batches ahead. ``worker_type="process"`` (the default, forked
processes) or ``"thread"``. Measured on this project's CI machine (2 cores, Python 3.11, NumPy
2.4), images/s for one epoch of the embedded Fashion-MNIST (8,000 28x28 images, batch 128) with
RandomCrop(28, padding=2) + RandomHorizontalFlip + Normalize + ToTensor, main thread only
consuming; and for 32x32 RGB with RandomScale(32, 40) + RandomCrop(32) + flip + PCA + ToTensor:

    =====================  ============  ==============
    workers                Fashion-MNIST  RGB + resize
    =====================  ============  ==============
    0 (main thread)        WORKERS_TABLE
    =====================  ============  ==============

Per-image transforms are many small NumPy calls, so the GIL serialises threads; processes run
them in parallel, and sending a finished float32 batch back through a pipe costs little.
"""
import numpy as np

from .collate import default_collate
from .rng import batch_rng, epoch_permutation
from .workers import ProcessPool, ThreadPool, build_batch, fork_available

WORKER_TYPES = {"thread": ThreadPool, "process": ProcessPool}


class DataLoader:
    """``DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False, num_workers=0, seed=None,
    collate_fn=None, worker_type="process", prefetch_factor=2, device=None, as_numpy=False,
    timeout=0)``.

    ``seed=None`` draws a seed once, here (``loader.seed`` shows it): epochs still differ and
    still reproduce within this loader. ``as_numpy=True`` yields the NumPy arrays instead of
    Tensors. ``collate_fn(samples) -> tuple of arrays`` replaces ``default_collate``.
    ``timeout`` (seconds, 0 = forever) bounds the wait for one batch from the workers.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, num_workers=0,
                 seed=None, collate_fn=None, worker_type="process", prefetch_factor=2,
                 device=None, as_numpy=False, timeout=0):
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be >= 1, got {batch_size}")
        if num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be >= 0, got {num_workers}")
        if worker_type not in WORKER_TYPES:
            raise ValueError(f"DataLoader: worker_type must be 'thread' or 'process', got {worker_type!r}")
        if worker_type == "process" and not fork_available():
            worker_type = "thread"   # no fork (Windows): threads still overlap loading with training
        self.dataset, self.batch_size = dataset, int(batch_size)
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self.num_workers, self.worker_type = int(num_workers), worker_type
        self.seed = int(np.random.SeedSequence().entropy) if seed is None else int(seed)
        self.collate_fn = collate_fn or default_collate
        self.prefetch_factor = max(1, int(prefetch_factor))
        self.device, self.as_numpy, self.timeout = device, as_numpy, timeout
        self.epoch = 0   # the epoch the next iter() uses

    def set_epoch(self, epoch):
        """Make the next ``iter()`` produce epoch ``epoch`` (then ``epoch + 1``, ...)."""
        self.epoch = int(epoch)

    def __len__(self):
        n, b = len(self.dataset), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def batch_indices(self, epoch):
        """The index arrays of every batch of ``epoch``, in order."""
        n = len(self.dataset)
        order = epoch_permutation(self.seed, epoch, n) if self.shuffle else np.arange(n)
        return [order[s:s + self.batch_size] for s in range(0, len(self) * self.batch_size, self.batch_size)]

    def __iter__(self):
        epoch, self.epoch = self.epoch, self.epoch + 1
        batches = self.batch_indices(epoch)
        arrays = self._serial(epoch, batches) if self.num_workers == 0 else self._parallel(epoch, batches)
        return arrays if self.as_numpy else (self._to_tensors(a) for a in arrays)

    def _serial(self, epoch, batches):
        for b, indices in enumerate(batches):
            yield build_batch(self.dataset, indices, batch_rng(self.seed, epoch, b), self.collate_fn)

    def _parallel(self, epoch, batches):
        depth = self.num_workers * self.prefetch_factor   # batches in flight, at most
        pool = WORKER_TYPES[self.worker_type](self.num_workers, self.dataset, self.collate_fn,
                                              self.seed, depth)
        finished, ready, sent = False, {}, 0
        try:
            for b in range(len(batches)):
                while sent < len(batches) and sent < b + depth:
                    pool.submit((epoch, sent, batches[sent]))
                    sent += 1
                while b not in ready:   # results arrive in any order; hand them out in order
                    rb, arrays, error = pool.get(self.timeout)
                    ready[rb] = (arrays, error)
                arrays, error = ready.pop(b)
                if error is not None:
                    exc, where = error
                    if hasattr(exc, "add_note"):
                        exc.add_note(where)
                    raise exc
                yield arrays
            finished = True
        finally:
            pool.close(finished)

    def _to_tensors(self, arrays):
        import minidl   # at run time: minidl.data must not depend on import order of the core
        if self.device is None:   # the batch is freshly built: share its memory, no copy
            return tuple(minidl.from_numpy(a) for a in arrays)
        return tuple(minidl.tensor(a, device=self.device) for a in arrays)

    def __repr__(self):
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last}, "
                f"num_workers={self.num_workers} ({self.worker_type}s), seed={self.seed})")
