"""Assignment `broadcast`: rebuild `sum_to_shape` of minidl's minidl/ops/_util.py.

Fill in the body, then run
    python -m minidl.course check broadcast broadcast.py
Your function can replace minidl.ops._util.sum_to_shape: same name, same signature.
Read docs/tensors.md first.
"""
import numpy as np


def sum_to_shape(g, shape):
    """Reduce a broadcast gradient `g` back to `shape`, the input's shape before broadcasting.

    Args:
        g:     the gradient of a broadcast result, e.g. (2, 4, 5, 3).
        shape: the input's shape, a tuple that broadcasts to g.shape, e.g. (4, 1, 3).

    Returns:
        an array of exactly `shape` (same dtype as g).

    Broadcasting copied the input along (a) new LEADING axes and (b) axes where the input has
    size 1 and g does not; the gradient of a copy is the SUM of the copies' gradients:

        lead = g.ndim - len(shape)
        sum g over axes 0 .. lead-1                     (the new axes: drop them)
        for i, n in enumerate(shape):
            if n == 1 and g.shape[lead + i] != 1:
                sum over axis lead + i, keeping it (size 1)
        reshape to shape

    Example: x (3,) + y (4, 3) -> (4, 3); x's gradient is g.sum(axis=0), shape (3,).
    """
    # TODO
    raise NotImplementedError("sum_to_shape")
