"""Output-size arithmetic shared by every kernel target (reference, cpu, cuda) and by the ops.

Convolution and pooling slide a window of `k` cells, `dilation` apart, in steps of `stride`
over an input of `size` cells padded by `padding` on both sides:

    out = floor((size + 2*padding - dilation*(k - 1) - 1) / stride) + 1

Pooling's ``ceil_mode`` (PyTorch; Chainer calls it ``cover_all``) rounds up instead, so a
last, partial window is kept, but only if it starts inside the input or the left padding:
a window that would lie wholly in the right padding is dropped.
"""
import numbers


def as_int(v, name="argument"):
    """`v` as an int; a float (even 2.0) or a bool is a TypeError, as in PyTorch."""
    if isinstance(v, numbers.Integral) and not isinstance(v, bool):
        return int(v)
    raise TypeError(f"{name} must be an int or a tuple of ints, got {type(v).__name__} {v!r}")


def pair(v, name="argument"):
    """`v` as a 2-tuple of ints: 3 -> (3, 3), (3,) -> (3, 3), (3, 5) -> (3, 5).

    Like PyTorch's 2-d ops, a float or a bool (anywhere in `v`) is a TypeError rather than
    being truncated, and a tuple of any other length is a ValueError.
    """
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            v = (v[0], v[0])
        if len(v) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {v!r}")
        return as_int(v[0], name), as_int(v[1], name)
    v = as_int(v, name)
    return v, v


def conv_output_size(size, k, stride, padding, dilation=1):
    """Number of window positions along one axis (floor rounding, as convolution uses)."""
    return (size + 2 * padding - dilation * (k - 1) - 1) // stride + 1


def pool_output_size(size, k, stride, padding, ceil_mode=False):
    """Number of pooling windows along one axis, PyTorch's rule for ``ceil_mode``."""
    span = size + 2 * padding - k
    if not ceil_mode:
        return span // stride + 1
    out = -(-span // stride) + 1          # ceil division
    if (out - 1) * stride >= size + padding:
        out -= 1                          # the last window would start in the right padding
    return out
