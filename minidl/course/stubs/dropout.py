"""Assignment `dropout`: rebuild minidl's kernels/dropout/reference.py.

Fill in the bodies, then run
    python -m minidl.course check dropout dropout.py
A finished file can replace kernels/dropout/reference.py: same names, same signatures.
Read docs/dropout.md first.

p is the probability of DROPPING an element (PyTorch's meaning). Inverted dropout scales the
kept elements by 1 / (1 - p) while training, so nothing changes at test time.

The random numbers are not drawn from a stream: element i's number is a hash of (key, i),
SplitMix64's finaliser, so NumPy, Numba and CUDA produce the same mask bit for bit. All the
arithmetic is on uint64 and wraps modulo 2**64 (NumPy's uint64 does that by itself).
"""
import numpy as np

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
M1, M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def uniform_bits(key, n):
    """n hashed numbers for the indices 0..n-1.

    Args:
        key: an int, 0 <= key < 2**64.
        n:   how many.

    Returns:
        (n,) uint64.

    The loop (vectorise it over i with np.arange(n, dtype=np.uint64)):
        for i in range(n):
            z = key + (i + 1) * GOLDEN           # all modulo 2**64
            z = (z ^ (z >> 30)) * M1
            z = (z ^ (z >> 27)) * M2
            bits[i] = z ^ (z >> 31)
    Careful: mixing a Python int into uint64 arithmetic can give float64; make every
    operand an np.uint64.
    """
    # TODO
    raise NotImplementedError("uniform_bits")


def keep_threshold(p):
    """The threshold t as np.uint64: element i is KEPT when (bits[i] >> 32) >= t.

    The top 32 bits are uniform on 0 .. 2**32 - 1, so t = int(p * 2**32) keeps each element
    with probability 1 - p.
    """
    # TODO
    raise NotImplementedError("keep_threshold")


def dropout_forward(x, p, key):
    """(y, mask) for x of any shape.

    Args:
        x:   float array, any shape (the hash runs over x's elements in C order).
        p:   drop probability, 0 <= p < 1.
        key: the int the hashes start from.

    Returns:
        y:    x's shape and dtype: x * mask / (1 - p).
        mask: bool, x's shape: True where the element is kept.

    The loop:
        bits = uniform_bits(key, x.size), reshaped to x.shape
        for each index i:
            mask[i] = (bits[i] >> 32) >= keep_threshold(p)
            y[i] = x[i] / (1 - p) if mask[i] else 0
    """
    # TODO
    raise NotImplementedError("dropout_forward")


def dropout_backward(gy, mask, p):
    """gx (gy's shape and dtype): the same mask, the same scale.

        for each index i:
            gx[i] = gy[i] / (1 - p) if mask[i] else 0
    """
    # TODO
    raise NotImplementedError("dropout_backward")
