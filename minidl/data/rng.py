"""Where random transforms get their random numbers.

Every random transform is called as ``t(img, rng=None)`` and draws only from a
``numpy.random.Generator``. Which generator, in order of preference:

1. the ``rng`` argument, when the caller passes one (``t(img, rng)``);
2. the generator the DataLoader installed for the batch being built (``using_rng``);
3. minidl's default generator (``minidl.default_generator``, so ``minidl.manual_seed`` fixes
   it), as PyTorch's transforms draw from ``torch``'s global generator.

Why a context and not only an argument: a dataset calls ``self.transform(img)`` inside its
``__getitem__(index)``, which has no place for a generator, and user datasets should not need
one. The DataLoader wraps each batch in ``using_rng(batch_rng(seed, epoch, b))``, so every random
draw in that batch comes from a generator fixed by ``(seed, epoch, b)`` alone -- not by which
worker built the batch. That is what makes an epoch reproduce with any ``num_workers``.

The context is thread-local, so thread workers each see their own generator.
"""
import threading
from contextlib import contextmanager

import numpy as np

_local = threading.local()

# spawn_key tags keep the streams for "epoch order" and "batch b" from ever overlapping.
_ORDER, _BATCH, _LEGACY = 0, 1, 2


def current_rng():
    """The generator installed by ``using_rng`` on this thread, else minidl's default one."""
    rng = getattr(_local, "rng", None)
    if rng is not None:
        return rng
    from ..random import default_generator   # at call time: minidl.random may be re-seeded
    return default_generator.np


def resolve_rng(rng=None):
    """``rng`` when given, else ``current_rng()``. Random transforms call this first."""
    return rng if rng is not None else current_rng()


@contextmanager
def using_rng(rng):
    """Make ``rng`` the generator random transforms draw from on this thread, within the block."""
    previous = getattr(_local, "rng", None)
    _local.rng = rng
    try:
        yield rng
    finally:
        _local.rng = previous


def _generator(seed, *key):
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def batch_rng(seed, epoch, batch_index):
    """The generator for batch ``batch_index`` of epoch ``epoch``: a pure function of the three."""
    return _generator(seed, epoch, _BATCH, batch_index)


def epoch_permutation(seed, epoch, n):
    """The shuffled order of ``n`` samples for ``epoch``: shape (n,), int64."""
    return _generator(seed, epoch, _ORDER).permutation(n)


def legacy_seed(seed, epoch, batch_index):
    """A 32-bit seed for the global ``np.random`` / ``random`` state of a worker *process*.

    Forked workers inherit the parent's global RNG state, so a transform that (wrongly) calls
    ``np.random.rand`` would repeat the same numbers in every worker. Process workers reseed the
    globals per batch from this, so those draws at least differ; only draws from the given
    ``rng`` reproduce with threads and with ``num_workers=0`` as well.
    """
    return int(_generator(seed, epoch, _LEGACY, batch_index).integers(2**32))
