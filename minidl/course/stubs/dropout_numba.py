"""Assignment `numba`: rebuild minidl's kernels/dropout/cpu.py, dropout as ONE compiled
loop with Numba.

Fill in the kernels and the two functions, then run
    python -m minidl.course check numba dropout_numba.py
A finished file can replace kernels/dropout/cpu.py: same names, same signatures.
Read docs/gpu.md (and docs/dropout.md for the hash) first.

Two requirements:
  1. The SAME mask as the NumPy reference (kernels/dropout/reference.py), bit for bit: the
     same SplitMix64 hash of (key, element index), the same threshold.
  2. Faster: dropout_forward must take at most 1/3 of the NumPy reference's time on a
     (8, 64, 27, 27) float32 input. The reference makes a dozen passes over uint64 temporaries;
     one loop that hashes, compares and scales each element in registers does one pass.
     The checker times both, alternately, best of 7 after a warm-up call (compilation is not
     counted), so the verdict does not depend on a noisy moment; a plain @njit loop (no
     parallelism needed) is about 10x faster.

Numba tips: inside @njit, use np.uint64 constants (uint64(30)) for the shifts, so the
arithmetic stays in uint64 and wraps modulo 2**64; index flat views (x.ravel()) with one loop.
"""
import numpy as np
from numba import njit, uint64  # noqa: F401

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
M1, M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def keep_threshold(p):
    """Elements whose top 32 hash bits are >= this are kept: P(keep) = 1 - p."""
    return np.uint64(int(p * 2 ** 32))


# TODO: write the @njit kernels here, e.g.
#   @njit(cache=True)
#   def _forward(x, key, threshold, scale, y, mask):      # flat arrays
#       for i in range(x.size):
#           z = key + (uint64(i) + uint64(1)) * GOLDEN
#           z = (z ^ (z >> uint64(30))) * M1
#           z = (z ^ (z >> uint64(27))) * M2
#           z = z ^ (z >> uint64(31))
#           keep = (z >> uint64(32)) >= threshold
#           mask[i] = keep
#           y[i] = x[i] * scale if keep else 0


def dropout_forward(x, p, key):
    """(y, mask) for x of any shape: the reference's result, from one compiled pass.

    Args:
        x:   float array, any shape; make it C-contiguous first (np.ascontiguousarray).
        p:   drop probability, 0 <= p < 1.
        key: int, 0 <= key < 2**64 (pass it to the kernel as np.uint64(key)).

    Returns:
        y (x's shape and dtype) = x * mask / (1 - p), mask (bool, x's shape).

        y = np.empty_like(x); mask = np.empty(x.shape, np.bool_)
        _forward(x.ravel(), np.uint64(key), keep_threshold(p), x.dtype.type(1 / (1 - p)),
                 y.ravel(), mask.ravel())
    """
    # TODO
    raise NotImplementedError("dropout_forward")


def dropout_backward(gy, mask, p):
    """gx = gy * mask / (1 - p), gy's shape and dtype (a compiled loop, or NumPy)."""
    # TODO
    raise NotImplementedError("dropout_backward")
