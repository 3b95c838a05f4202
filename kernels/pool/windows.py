"""Pooling windows as per-axis tables, shared by the compiled kernels (cpu.py, cuda.py).

Every pooling flavour here reduces over a rectangle: rows start[oh]..end[oh] (exclusive) by
columns start[ow]..end[ow], clipped to the image. Computing those bounds once per axis in
Python leaves the kernels one generic loop each; `reference.py` spells the same rules out
inline, per window.
"""
import numpy as np

from ..shapes import pool_output_size


def sliding(size, k, stride, padding, ceil_mode):
    """(start, end, padded_count) int64 arrays for a window of k cells moving by `stride`.

    padded_count is the window's cell count inside the *padded* input, the divisor PyTorch uses
    with count_include_pad (it can be less than k when ceil_mode runs past the padding).
    """
    out = pool_output_size(size, k, stride, padding, ceil_mode)
    s = np.arange(out, dtype=np.int64) * stride - padding
    e = np.minimum(s + k, size + padding)
    return np.maximum(s, 0), np.minimum(e, size), e - s


def adaptive(size, out):
    """(start, end) for adaptive pooling: floor(o*size/out) .. ceil((o+1)*size/out)."""
    o = np.arange(out, dtype=np.int64)
    return (o * size) // out, -(-((o + 1) * size) // out)


def max_tables(x_shape, spec):
    """(hs, he, ws, we) for max pooling with PoolSpec `spec`."""
    H, W = x_shape[2:]
    hs, he, _ = sliding(H, spec.KH, spec.stride[0], spec.padding[0], spec.ceil_mode)
    ws, we, _ = sliding(W, spec.KW, spec.stride[1], spec.padding[1], spec.ceil_mode)
    return hs, he, ws, we


def avg_tables(x_shape, spec):
    """(hs, he, ws, we, inv) for average pooling with PoolSpec `spec`; inv (OH, OW) is
    1 / divisor."""
    H, W = x_shape[2:]
    hs, he, hc = sliding(H, spec.KH, spec.stride[0], spec.padding[0], spec.ceil_mode)
    ws, we, wc = sliding(W, spec.KW, spec.stride[1], spec.padding[1], spec.ceil_mode)
    if spec.count_include_pad:
        div = np.outer(hc, wc)
    else:
        div = np.outer(he - hs, we - ws)
    return hs, he, ws, we, 1.0 / div


def adaptive_tables(x_shape, output_size):
    H, W = x_shape[2:]
    hs, he = adaptive(H, output_size[0])
    ws, we = adaptive(W, output_size[1])
    return hs, he, ws, we, 1.0 / np.outer(he - hs, we - ws)
