"""Softmax, log-softmax and cross-entropy, all computed the numerically stable way.

softmax(x)_i = exp(x_i - m) / sum_j exp(x_j - m) with m = max_j x_j: subtracting the max changes
nothing mathematically and keeps exp() from overflowing, so logits of ±1e4 give no inf or NaN.
"""
import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ._util import to_floating


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
