"""Softmax and log-softmax, computed the numerically stable way (cross-entropy, which uses
them, is in `loss.py`).

softmax(x)_i = exp(x_i - m) / sum_j exp(x_j - m) with m = max_j x_j: subtracting the max changes
nothing mathematically and keeps exp() from overflowing, so logits of ±1e4 give no inf or NaN.
"""
import warnings

from ..autograd import Function
from ..backend import get_array_module
from ._util import normalize_axis, to_floating


def stable_log_softmax(x, axis):
    xp = get_array_module(x)
    z = x - x.max(axis=axis, keepdims=True)
    return z - xp.log(xp.exp(z).sum(axis=axis, keepdims=True))


class Softmax(Function):
    """softmax along `axis` (None for a 0-d input). An empty input gives an empty output."""

    @staticmethod
    def forward(ctx, x, axis):
        x = to_floating(x)
        y = get_array_module(x).exp(stable_log_softmax(x, axis)) if x.size else x.copy()
        ctx.axis = axis
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        # dx = y * (g - sum(g * y))
        return y * (g - (g * y).sum(axis=ctx.axis, keepdims=True)), None


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx, x, axis):
        x = to_floating(x)
        logp = stable_log_softmax(x, axis) if x.size else x.copy()
        ctx.axis = axis
        ctx.save_for_backward(logp)
        return logp

    @staticmethod
    def backward(ctx, g):
        (logp,) = ctx.saved_tensors
        xp = get_array_module(g)
        return g - xp.exp(logp) * g.sum(axis=ctx.axis, keepdims=True), None


# -- the functions (PyTorch names and argument checks); each calls one Function above ---------

def _softmax_dim(name, ndim, dim):
    """PyTorch's legacy choice when no dim is given: 0 for 0-, 1- and 3-d inputs, else 1."""
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the "
                      "call to include dim=X as an argument.", UserWarning, stacklevel=3)
        dim = 0 if ndim in (0, 1, 3) else 1
    dim = normalize_axis(dim, ndim, name)
    return None if ndim == 0 else dim


def _stacklevel_or_dtype(_stacklevel, dtype):
    """torch.softmax(x, dim, dtype) passes dtype third, F.softmax's third is _stacklevel."""
    if dtype is None and _stacklevel is not None and not isinstance(_stacklevel, int):
        return _stacklevel
    return dtype


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along `dim` (stable for large logits); `dtype` casts the input
    first."""
    dtype = _stacklevel_or_dtype(_stacklevel, dtype)
    if dtype is not None:
        input = input.to(dtype)
    return Softmax.apply(input, _softmax_dim("softmax", input.ndim, dim))


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(x)) along `dim`, computed without forming softmax (stable); `dtype` casts
    the input first."""
    dtype = _stacklevel_or_dtype(_stacklevel, dtype)
    if dtype is not None:
        input = input.to(dtype)
    return LogSoftmax.apply(input, _softmax_dim("log_softmax", input.ndim, dim))
