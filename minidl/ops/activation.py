"""Softmax, log-softmax and cross-entropy, all computed the numerically stable way.

softmax(x)_i = exp(x_i - m) / sum_j exp(x_j - m) with m = max_j x_j: subtracting the max changes
nothing mathematically and keeps exp() from overflowing, so logits of ±1e4 give no inf or NaN.
"""
import warnings

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from ._util import ShapeError, normalize_axis, to_floating
from .compat import reduction_arg


def _log_softmax(x, axis):
    xp = get_array_module(x)
    z = x - x.max(axis=axis, keepdims=True)
    return z - xp.log(xp.exp(z).sum(axis=axis, keepdims=True))


class Softmax(Function):
    """softmax along `axis` (None for a 0-d input). An empty input gives an empty output."""

    @staticmethod
    def forward(ctx, x, axis):
        x = to_floating(x)
        y = get_array_module(x).exp(_log_softmax(x, axis)) if x.size else x.copy()
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
        logp = _log_softmax(x, axis) if x.size else x.copy()
        ctx.axis = axis
        ctx.save_for_backward(logp)
        return logp

    @staticmethod
    def backward(ctx, g):
        (logp,) = ctx.saved_tensors
        xp = get_array_module(g)
        return g - xp.exp(logp) * g.sum(axis=ctx.axis, keepdims=True), None


class CrossEntropy(Function):
    """PyTorch's cross-entropy of logits against integer class indices, fused in one node.

    logits (C,), (N, C) or (N, C, d1, ...); target (), (N,) or (N, d1, ...). For one sample with
    log-probabilities logp = log_softmax(logits), target t, class weights w (all 1 when none),
    label smoothing e and C classes, the loss is (PyTorch's formula)

        l = (1 - e) * (-w[t] logp[t])  +  (e / C) * (-sum_c w[c] logp[c])

    and 0 for targets equal to `ignore_index`. 'mean' divides the sum of the losses by the sum
    of w[t] over the kept targets (their count when unweighted), 'sum' adds them up, 'none'
    returns them. The gradient w.r.t. the logits, per sample and before that reduction, is

        (1 - e) w[t] (p - onehot(t))  +  (e / C) (sum_c w[c] p - w)     with p = softmax(logits).
    """

    @staticmethod
    def forward(ctx, logits, target, weight, reduction, ignore_index, label_smoothing):
        xp = get_array_module(logits)
        C = logits.shape[0] if logits.ndim == 1 else logits.shape[1]
        if logits.ndim == 1:
            flat = logits.reshape(1, C)
        elif logits.ndim > 2:
            flat = xp.moveaxis(logits, 1, -1).reshape(-1, C)
        else:
            flat = logits
        t = target.reshape(-1)
        valid = t != ignore_index
        safe_t = xp.where(valid, t, 0)
        if int(((safe_t < 0) | (safe_t >= C)).sum()):
            bad = int(safe_t[(safe_t < 0) | (safe_t >= C)][0])
            raise IndexError(f"cross_entropy: target {bad} is out of range for {C} classes")
        logp = _log_softmax(flat, 1)
        picked = xp.take_along_axis(logp, safe_t[:, None], axis=1)[:, 0]
        # w_t: the weight of each sample's target, 0 where the target is ignored
        w_t = valid.astype(logp.dtype) if weight is None else xp.where(valid, weight[safe_t], 0)
        losses = xp.where(valid, -picked * w_t, 0)
        e = float(label_smoothing)
        if e:
            smooth = -(logp.sum(1) if weight is None else (logp * weight).sum(1))
            losses = (1 - e) * losses + (e / C) * xp.where(valid, smooth, 0)
        total = w_t.sum()
        ctx.reduction, ctx.smoothing, ctx.total = reduction, e, float(total)
        ctx.logits_shape = logits.shape
        ctx.save_for_backward(logp, safe_t, w_t, valid, weight if e else None)
        if reduction == "mean":
            # nothing kept (or all weights 0) gives NaN, as in PyTorch (0 / 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                return xp.asarray(losses.sum() / total, dtype=logits.dtype)
        if reduction == "sum":
            return xp.asarray(losses.sum(), dtype=logits.dtype)
        return losses.reshape(target.shape).astype(logits.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        logp, t, w_t, valid, weight = ctx.saved_tensors
        xp = get_array_module(g)
        e = ctx.smoothing
        C = logp.shape[1]
        rows = xp.arange(t.shape[0])
        grad = xp.exp(logp)
        if e:
            w_sum = C if weight is None else weight.sum()
            grad *= ((1 - e) * w_t + (e / C) * w_sum * valid)[:, None]
            grad[rows, t] -= (1 - e) * w_t
            grad -= (e / C) * valid[:, None] * (1 if weight is None else weight[None, :])
        else:
            grad *= w_t[:, None]
            grad[rows, t] -= w_t
        if ctx.reduction == "none":
            grad *= g.reshape(-1)[:, None]
        elif ctx.reduction == "sum":
            grad *= g
        elif ctx.total:
            grad *= g / ctx.total
        else:  # every target ignored: the loss is NaN, its gradient 0 (as in PyTorch)
            grad[...] = 0
        shape = ctx.logits_shape
        if len(shape) > 2:
            grad = xp.moveaxis(grad.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],)), -1, 1)
        return grad.reshape(shape).astype(logp.dtype, copy=False), None, None, None, None, None


class CrossEntropyProbs(Function):
    """PyTorch's cross-entropy of logits against class probabilities (a float target of the
    input's shape), fused in one node. With logp = log_softmax(logits) along the class dim,
    smoothed targets q = (1 - e) y + e / C and class weights w (all 1 when none), each sample's
    loss is ``-sum_c w[c] q[c] logp[c]``; 'mean' divides the sum by the number of samples
    (input.numel() / C, whatever the weights), 'sum' adds up, 'none' returns them. The
    gradient w.r.t. the logits per sample: ``p * sum_c(w q) - w q`` with p = softmax."""

    @staticmethod
    def forward(ctx, logits, target, weight, reduction, label_smoothing):
        xp = get_array_module(logits)
        axis = 0 if logits.ndim == 1 else 1
        C = logits.shape[axis]
        logp = logits - logits.max(axis=axis, keepdims=True)
        logp = logp - xp.log(xp.exp(logp).sum(axis=axis, keepdims=True))
        e = float(label_smoothing)
        q = target.astype(logits.dtype, copy=False)
        if e:
            q = q * (1 - e) + e / C
        if weight is not None:
            wshape = [1] * logits.ndim
            wshape[axis] = C
            q = q * weight.reshape(wshape)
        losses = -(q * logp).sum(axis=axis)
        ctx.axis, ctx.reduction = axis, reduction
        ctx.count = max(logits.size // max(C, 1), 1) if logits.size else 0
        ctx.save_for_backward(logp, q)
        if reduction == "mean":
            with np.errstate(divide="ignore", invalid="ignore"):
                return xp.asarray(losses.sum() / logits.dtype.type(ctx.count),
                                  dtype=logits.dtype)
        if reduction == "sum":
            return xp.asarray(losses.sum(), dtype=logits.dtype)
        return losses.astype(logits.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        logp, q = ctx.saved_tensors
        xp = get_array_module(g)
        axis = ctx.axis
        if ctx.reduction == "none":
            g = xp.expand_dims(g, axis)
        elif ctx.reduction == "mean":
            g = g / logp.dtype.type(ctx.count) if ctx.count else g * 0
        grad = (xp.exp(logp) * q.sum(axis=axis, keepdims=True) - q) * g
        return grad.astype(logp.dtype, copy=False), None, None, None, None


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


class _TargetError(ShapeError, TypeError):
    """A floating cross-entropy target of the wrong shape: a shape error (PyTorch raises
    RuntimeError) and a TypeError (minidl's earlier 'use integer class indices' error)."""


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """Cross-entropy of logits `input` against integer class indices `target`; PyTorch's
    signature and formula (see ``CrossEntropy``).

    input (C,), (N, C) or (N, C, d1, ...); target (), (N,) or (N, d1, ...). `weight` (C,)
    rescales each class ('mean' then divides by the total weight of the kept targets);
    targets equal to `ignore_index` count for nothing; `label_smoothing` in [0, 1] mixes in
    the uniform distribution. One fused node, stable for logits around ±1e4.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"cross_entropy: input must be a Tensor, got {type(input).__name__}")
    if not isinstance(target, Tensor):
        target = Tensor(input.xp.asarray(target))
    if input.ndim == 0:
        raise ShapeError("cross_entropy: input must be (C,) or (N, C, ...) logits, got a 0-d "
                         "tensor")
    probabilities = target.dtype.kind in "fc"
    if not probabilities and target.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: target must hold integer class indices (e.g. int64) "
                        f"or class probabilities (floating, of the input's shape), got "
                        f"{target.dtype}")
    if probabilities and target.shape != input.shape:
        expected = () if input.ndim == 1 else (input.shape[0],) + input.shape[2:]
        raise _TargetError(f"cross_entropy: a floating target holds class probabilities and "
                           f"must have the input's shape {input.shape}, got {target.shape}; "
                           f"for integer class indices (shape {expected}) pass an integer "
                           f"tensor, e.g. target.long()")
    if probabilities and target.requires_grad:
        raise NotImplementedError("cross_entropy: gradients w.r.t. probability targets are "
                                  "not supported; pass target.detach()")
    expected = input.shape if probabilities else (
        () if input.ndim == 1 else (input.shape[0],) + input.shape[2:])
    if target.shape != expected:
        raise ShapeError(f"cross_entropy: input of shape {input.shape} needs a target of shape "
                         f"{expected}, got {target.shape}")
    reduction = reduction_arg("cross_entropy", size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ShapeError(f"cross_entropy: label_smoothing must be in [0, 1], "
                         f"got {label_smoothing}")
    classes = input.shape[0 if input.ndim == 1 else 1]
    w = None
    if weight is not None:
        if isinstance(weight, str):
            raise TypeError(f"cross_entropy: weight must be a tensor of shape ({classes},), "
                            f"got the string {weight!r}; pass reduction= by keyword")
        w = weight.data if isinstance(weight, Tensor) else input.xp.asarray(weight)
        if tuple(w.shape) != (classes,):
            raise ShapeError(f"cross_entropy: weight must have shape ({classes},) (one per "
                             f"class), got {tuple(w.shape)}")
        w = w.astype(input.dtype, copy=False)
    if probabilities:
        return CrossEntropyProbs.apply(input, target.data.astype(input.dtype,
                                                                            copy=False),
                                                  w, reduction, float(label_smoothing))
    return CrossEntropy.apply(input, target.data, w, reduction, int(ignore_index),
                                         float(label_smoothing))
