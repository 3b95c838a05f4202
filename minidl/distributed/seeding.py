"""Per-rank seeds: one seed for the run, a different stream for each rank.

Dropout masks and augmentations must differ between ranks (otherwise P ranks would draw the
same masks and crops, and the grown batch would hold P copies of one random choice), yet the
whole run must follow from ``--seed``. Rank 0 keeps the seed itself, so a one-process run and
rank 0 of a P-process run draw the same numbers; rank r > 0 gets a 31-bit seed from NumPy's
SeedSequence of ``(seed, rank)``, which keeps streams apart without any arithmetic on seeds.
"""
import numpy as np


def rank_seed(seed, rank, *key):
    """The seed rank `rank` uses for `seed` (``key``: further ints, e.g. the epoch)."""
    if rank == 0 and not key:
        return int(seed)
    entropy = np.random.SeedSequence(int(seed), spawn_key=(int(rank),) + tuple(int(k) for k in key))
    return int(entropy.generate_state(1, np.uint32)[0] >> 1)
