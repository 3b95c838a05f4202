"""Inverted dropout in NumPy: the teaching version and the test oracle.

Shapes: x, y, gy, gx any shape; mask bool of the same shape (one byte per element).

    keep = random(index) >= p           p is the probability of DROPPING (PyTorch's meaning;
                                        cs231n's p is the probability of keeping)
    y    = x * keep / (1 - p)           "inverted": scaled while training, so the network is used
                                        unchanged at test time (the paper instead halves the
                                        outputs at test time; the two are equivalent)
    gx   = gy * keep / (1 - p)

Where the randomness comes from: instead of a stateful stream, each element's number is a hash
of (key, element index), a "counter-based" generator like Philox or SplitMix64. The key is
drawn once per call from a `minidl.Generator`, so a seeded generator reproduces its masks, and
the NumPy, Numba and CUDA versions, each hashing independently in parallel, produce the
*same* mask bit for bit.

The hash is SplitMix64's finaliser applied to key + (index + 1) * 0x9E3779B97F4A7C15; its top 32
bits, read as a fraction of 2**32, are the uniform number compared with p.
"""
import numpy as np

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
M1, M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def uniform_bits(key, n):
    """(n,) uint64 whose top 32 bits are uniform: SplitMix64 of (key, index)."""
    z = np.uint64(key) + (np.arange(n, dtype=np.uint64) + np.uint64(1)) * GOLDEN
    z = (z ^ (z >> np.uint64(30))) * M1
    z = (z ^ (z >> np.uint64(27))) * M2
    return z ^ (z >> np.uint64(31))


def keep_threshold(p):
    """Elements whose top 32 hash bits are >= this are kept: P(keep) = 1 - p (to 2**-32)."""
    return np.uint64(int(p * 2 ** 32))


def dropout_forward(x, p, key):
    """(y, mask) for x of any shape; `key` is a 64-bit int from Generator.next_key()."""
    bits = uniform_bits(key, x.size).reshape(x.shape)
    mask = (bits >> np.uint64(32)) >= keep_threshold(p)
    return (x * mask * x.dtype.type(1 / (1 - p))).astype(x.dtype, copy=False), mask


def dropout_backward(gy, mask, p):
    return (gy * mask * gy.dtype.type(1 / (1 - p))).astype(gy.dtype, copy=False)
