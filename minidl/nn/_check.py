"""Checks of the layers' constructor arguments, naming the layer. (Inputs are checked once, by
the ops layer, which each module hands its name: ``ops.conv._conv2d(..., name)``.)"""
import math
import numbers

from ..kernels.shapes import pair
from ..ops._util import ShapeError


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
