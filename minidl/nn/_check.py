"""Checks shared by the layers: constructor arguments, and inputs (errors name the layer and
both shapes or dtypes)."""
import math
import numbers

from ..kernels.shapes import pair
from ..ops._util import ShapeError

_LAYOUTS = {3: "(C, H, W)", 4: "(N, C, H, W)"}


def check_input(layer, x, ndim=None, channels=None, channel_dim=1, what="channels"):
    """`ndim`: an int or a tuple of allowed ranks; `channels`: the size of `channel_dim`."""
    shape = tuple(x.shape)
    if ndim is not None:
        allowed = ndim if isinstance(ndim, tuple) else (ndim,)
        if len(shape) not in allowed:
            expected = " or ".join(f"{n}-D {_LAYOUTS.get(n, '')}".rstrip() for n in allowed)
            raise ShapeError(f"{layer}: expected a {expected} input, got shape {shape}")
    if channels is not None and (len(shape) <= abs(channel_dim) - (channel_dim < 0) or
                                 shape[channel_dim] != channels):
        got = shape[channel_dim] if len(shape) > abs(channel_dim) - (channel_dim < 0) else None
        raise ShapeError(f"{layer}: input has {got} {what}, expected {channels} "
                         f"(input shape {shape})")


def positive_pair(v, name):
    """``pair(v)`` whose entries are >= 1 (a kernel size, a stride, a dilation)."""
    p = pair(v, name)
    if min(p) < 1:
        raise ShapeError(f"{name} must be positive, got {v!r}")
    return p


def count(v, name, least=0):
    """`v` as an int >= `least` (a number of features, a window size)."""
    if not isinstance(v, numbers.Integral) or isinstance(v, bool):
        raise TypeError(f"{name} must be an int, got {type(v).__name__} {v!r}")
    n = int(v)
    if n < least:
        raise ShapeError(f"{name} must be at least {least}, got {v!r}")
    return n


def real(v, name):
    """`v` as a finite real number (not a bool, not a string like "0.5")."""
    if not isinstance(v, numbers.Real) or isinstance(v, bool) or not math.isfinite(v):
        raise TypeError(f"{name} must be a finite number, got {type(v).__name__} {v!r}")
    return v
