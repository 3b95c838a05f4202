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
