"""Softmax, log-softmax and cross-entropy, all computed the numerically stable way.

softmax(x)_i = exp(x_i - m) / sum_j exp(x_j - m) with m = max_j x_j: subtracting the max changes
nothing mathematically and keeps exp() from overflowing, so logits of ±1e4 give no inf or NaN.
"""
from ..autograd import Function
from ..backend import get_array_module


def _log_softmax(x, axis):
    xp = get_array_module(x)
    z = x - x.max(axis=axis, keepdims=True)
    return z - xp.log(xp.exp(z).sum(axis=axis, keepdims=True))


class Softmax(Function):
    @staticmethod
    def forward(ctx, x, axis):
        y = get_array_module(x).exp(_log_softmax(x, axis))
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
        logp = _log_softmax(x, axis)
        ctx.axis = axis
        ctx.save_for_backward(logp)
        return logp

    @staticmethod
    def backward(ctx, g):
        (logp,) = ctx.saved_tensors
        xp = get_array_module(g)
        return g - xp.exp(logp) * g.sum(axis=ctx.axis, keepdims=True), None


class CrossEntropy(Function):
    """Mean (or sum, or per-sample) of -log softmax(logits)[target], fused.

    logits (N, C) or (N, C, d1, ...), target (N,) or (N, d1, ...) of integer class indices.
    The gradient w.r.t. the logits is softmax(logits) - onehot(target), scaled by the reduction.
    """

    @staticmethod
    def forward(ctx, logits, target, reduction, ignore_index):
        xp = get_array_module(logits)
        C = logits.shape[1]
        flat = xp.moveaxis(logits, 1, -1).reshape(-1, C) if logits.ndim > 2 else logits
        t = target.reshape(-1)
        valid = t != ignore_index
        safe_t = xp.where(valid, t, 0)
        if int(((safe_t < 0) | (safe_t >= C)).sum()):
            bad = int(safe_t[(safe_t < 0) | (safe_t >= C)][0])
            raise IndexError(f"cross_entropy: target {bad} is out of range for {C} classes")
        logp = _log_softmax(flat, 1)
        picked = xp.take_along_axis(logp, safe_t[:, None], axis=1)[:, 0]
        losses = -picked * valid
        count = int(valid.sum())
        ctx.reduction, ctx.count = reduction, count
        ctx.logits_shape, ctx.target_shape = logits.shape, target.shape
        ctx.save_for_backward(logp, safe_t, valid)
        if reduction == "mean":
            # an all-ignored batch gives NaN, as in PyTorch (0 / 0)
            return xp.asarray(losses.sum() / count if count else losses.sum() * xp.nan,
                              dtype=logits.dtype)
        if reduction == "sum":
            return xp.asarray(losses.sum(), dtype=logits.dtype)
        return losses.reshape(target.shape).astype(logits.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        logp, t, valid = ctx.saved_tensors
        xp = get_array_module(g)
        grad = xp.exp(logp)
        grad[xp.arange(t.shape[0]), t] -= 1
        if ctx.reduction == "none":
            scale = g.reshape(-1)[:, None] * valid[:, None]
        else:
            scale = valid[:, None] * (g / max(ctx.count, 1) if ctx.reduction == "mean" else g)
        grad = grad * scale
        if len(ctx.logits_shape) > 2:
            N, C = ctx.logits_shape[0], ctx.logits_shape[1]
            grad = xp.moveaxis(grad.reshape((N,) + tuple(ctx.logits_shape[2:]) + (C,)), -1, 1)
        return grad.astype(logp.dtype, copy=False), None, None, None
