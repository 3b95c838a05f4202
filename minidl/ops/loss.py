"""Losses as single fused graph nodes, with PyTorch's formulas and reductions.

``PointwiseLoss``: mse, l1, binary cross-entropy (on probabilities or logits). Forward computes
the per-element loss and its local derivatives w.r.t. input and target at once; backward only
scales them by the incoming gradient (divided by the count for 'mean').

``NLLLoss``: negative log-likelihood of log-probabilities against integer class indices.

``CrossEntropy`` / ``CrossEntropyProbs``: cross-entropy of logits against class indices or
class probabilities, log-softmax and NLL in one node (``cross_entropy``).
"""
import warnings

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from ._util import ShapeError, check_broadcast, sum_to_shape
from .activation import stable_log_softmax
from .compat import reduction_arg


def _reduce(xp, losses, reduction, dtype):
    if reduction == "none":
        return losses.astype(dtype, copy=False)
    total = losses.sum()
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            total = total / losses.size  # empty: NaN, as in PyTorch
    return xp.asarray(total, dtype=dtype)


def _mse(xp, x, t, weight, pos_weight):
    d = x - t
    return d * d, 2 * d, -2 * d


def _l1(xp, x, t, weight, pos_weight):
    d = x - t
    s = xp.sign(d)
    return xp.abs(d), s, -s


def _bce(xp, x, t, weight, pos_weight):
    """-w (t log x + (1 - t) log1p(-x)), each log clamped to >= -100 (PyTorch's rule); the
    input gradient w (x - t) / max(x (1 - x), 1e-12) is PyTorch's too. The target gradient
    w (log1p(-x) - log x) uses the unclamped logs, as PyTorch: +inf at x = 0, -inf at x = 1."""
    with np.errstate(divide="ignore"):
        raw_log_x, raw_log_1mx = xp.log(x), xp.log1p(-x)
    log_x, log_1mx = xp.maximum(raw_log_x, -100), xp.maximum(raw_log_1mx, -100)
    loss = -(t * log_x + (1 - t) * log_1mx)
    dx = (x - t) / xp.maximum(x * (1 - x), 1e-12)
    dt = raw_log_1mx - raw_log_x
    if weight is not None:
        loss, dx, dt = loss * weight, dx * weight, dt * weight
    return loss, dx, dt


def _bce_logits(xp, x, t, weight, pos_weight):
    """(1 - t) x + lw softplus(-x) with lw = 1 + (pos_weight - 1) t, softplus computed as
    log1p(exp(-|x|)) + max(-x, 0), which never overflows."""
    softplus = xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(-x, 0)  # log(1 + exp(-x))
    e = xp.exp(-xp.abs(x))
    sig_neg = xp.where(x >= 0, e / (1 + e), 1 / (1 + e))  # sigmoid(-x)
    if pos_weight is None:
        loss, dx, dt = (1 - t) * x + softplus, (1 - t) - sig_neg, -x
    else:
        lw = 1 + (pos_weight - 1) * t
        loss = (1 - t) * x + lw * softplus
        dx = (1 - t) - lw * sig_neg
        dt = -x + (pos_weight - 1) * softplus
    if weight is not None:
        loss, dx, dt = loss * weight, dx * weight, dt * weight
    return loss, dx, dt


_KINDS = {"mse": _mse, "l1": _l1, "bce": _bce, "bce_logits": _bce_logits}


class PointwiseLoss(Function):
    """loss(input, target) element by element (broadcasting), then reduced. `weight` and
    `pos_weight` are constant arrays (or None) that broadcast against the losses."""

    @staticmethod
    def forward(ctx, x, t, kind, reduction, weight, pos_weight):
        xp = get_array_module(x)
        dtype = np.result_type(x, t)
        x, t = x.astype(dtype, copy=False), t.astype(dtype, copy=False)
        losses, dx, dt = _KINDS[kind](xp, x, t, weight, pos_weight)
        shape = np.broadcast_shapes(x.shape, t.shape, losses.shape)
        ctx.in_shapes, ctx.reduction, ctx.size = (x.shape, t.shape), reduction, int(np.prod(shape))
        need_x, need_t = ctx.needs_input_grad[:2]
        ctx.save_for_backward(dx if need_x else None, dt if need_t else None)
        return _reduce(xp, losses, reduction, dtype)

    @staticmethod
    def backward(ctx, g):
        dx, dt = ctx.saved_tensors
        if ctx.reduction == "mean":
            g = g / ctx.size
        gx = None if dx is None else sum_to_shape(g * dx, ctx.in_shapes[0])
        gt = None if dt is None else sum_to_shape(g * dt, ctx.in_shapes[1])
        return gx, gt, None, None, None, None


class NLLLoss(Function):
    """-w[t] * input[t] per sample (0 where t == ignore_index). input (C,), (N, C) or
    (N, C, d1, ...) of log-probabilities; target (), (N,) or (N, d1, ...). 'mean' divides the
    sum by the total weight of the kept targets."""

    @staticmethod
    def forward(ctx, x, target, weight, reduction, ignore_index):
        xp = get_array_module(x)
        C = x.shape[0] if x.ndim == 1 else x.shape[1]
        flat = x.reshape(1, C) if x.ndim == 1 else xp.moveaxis(x, 1, -1).reshape(-1, C)
        t = target.reshape(-1)
        valid = t != ignore_index
        safe_t = xp.where(valid, t, 0)
        bad = (safe_t < 0) | (safe_t >= C)
        if bool(bad.any()):
            raise IndexError(f"nll_loss: target {int(safe_t[bad][0])} is out of bounds for "
                             f"{C} classes")
        picked = xp.take_along_axis(flat, safe_t[:, None], axis=1)[:, 0]
        w_t = valid.astype(x.dtype) if weight is None else xp.where(valid, weight[safe_t], 0)
        losses = -picked * w_t
        ctx.reduction, ctx.total, ctx.shape = reduction, float(w_t.sum()), x.shape
        ctx.save_for_backward(safe_t, w_t)
        if reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                return xp.asarray(losses.sum() / w_t.sum(), dtype=x.dtype)
        if reduction == "sum":
            return xp.asarray(losses.sum(), dtype=x.dtype)
        return losses.reshape(target.shape)

    @staticmethod
    def backward(ctx, g):
        t, w_t = ctx.saved_tensors
        xp, shape = get_array_module(g), ctx.shape
        C = shape[0] if len(shape) == 1 else shape[1]
        if ctx.reduction == "none":
            scale = -w_t * g.reshape(-1)
        elif ctx.reduction == "sum":
            scale = -w_t * g
        else:  # all ignored: NaN loss, zero gradient (as in PyTorch)
            scale = -w_t * (g / ctx.total if ctx.total else 0)
        grad = xp.zeros((t.shape[0], C), dtype=g.dtype)
        grad[xp.arange(t.shape[0]), t] = scale
        if len(shape) > 2:
            grad = xp.moveaxis(grad.reshape((shape[0],) + tuple(shape[2:]) + (C,)), -1, 1)
        return grad.reshape(shape), None, None, None, None


# -- the functional forms (PyTorch's signatures) -------------------------------------------------

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
        logp = stable_log_softmax(flat, 1)
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


def _as_tensor(x, like):
    from ..tensor import Tensor
    return x if isinstance(x, Tensor) else Tensor(like.xp.asarray(x))


def _const(x, like):
    """A weight as a constant array of the input's dtype (None stays None)."""
    if x is None:
        return None
    x = x.data if hasattr(x, "data") and not isinstance(x, np.ndarray) else like.xp.asarray(x)
    return x.astype(like.dtype, copy=False)


def _pointwise(what, kind, input, target, reduction, weight=None, pos_weight=None):
    target = _as_tensor(target, input)
    for name, t in (("input", input), ("target", target)):
        if t.dtype.kind not in "fc":
            raise RuntimeError(f"{what}: {name} must be a floating point tensor, got {t.dtype}")
    return PointwiseLoss.apply(input, target, kind, reduction, _const(weight, input),
                               _const(pos_weight, input))


def _warn_broadcast(what, input, target):
    if input.shape != target.shape:
        warnings.warn(f"{what}: Using a target size ({target.shape}) that is different to the "
                      f"input size ({input.shape}). This will likely lead to incorrect results "
                      "due to broadcasting. Please ensure they have the same size.",
                      UserWarning, stacklevel=3)


def _weighted(what, kind, input, target, reduction, weight):
    """PyTorch 2.13's elementwise `weight` (the input's shape exactly): the losses times
    weight, then 'sum' sums them and 'mean' divides that by weight.sum(). Built from tensor
    ops, so the weight gets a gradient too."""
    weight = _as_tensor(weight, input)
    if weight.shape != input.shape:
        raise ShapeError("Weights and input must have the same size.")
    weighted = _pointwise(what, kind, input, target, "none") * weight
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    return weighted.sum() / weight.sum()


def _regression(what, kind, input, target, size_average, reduce, reduction, weight):
    """mse_loss and l1_loss: the checks, then the fused node (or, with a weight, tensor ops)."""
    reduction = reduction_arg(what, size_average, reduce, reduction)
    target = _as_tensor(target, input)
    _warn_broadcast(what, input, target)
    check_broadcast(what, input, target)   # a ShapeError naming both, not NumPy's ValueError
    if weight is not None:
        return _weighted(what, kind, input, target, reduction, weight)
    return _pointwise(what, kind, input, target, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """(input - target)^2, reduced ('mean', 'sum' or 'none'); shapes broadcast (with
    PyTorch's warning when they differ). Gradients for both input and target. `weight`
    (PyTorch 2.13; the input's shape) weighs each element; 'mean' then divides by its sum."""
    return _regression("mse_loss", "mse", input, target, size_average, reduce, reduction,
                       weight)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """|input - target|, reduced; the gradient at input == target is 0 (PyTorch's sign).
    `weight` as in ``mse_loss`` (PyTorch 2.13)."""
    return _regression("l1_loss", "l1", input, target, size_average, reduce, reduction, weight)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-w (t log(p) + (1 - t) log(1 - p)) of probabilities `input` in [0, 1] against `target`
    (same shape); each log is clamped to >= -100 as in PyTorch, so p = 0 or 1 stays finite.
    The gradient w.r.t. `target` (log(1 - p) - log(p)) is not clamped, as in PyTorch: ±inf at
    p = 0 or 1. `weight` broadcasts against the losses."""
    reduction = reduction_arg("binary_cross_entropy", size_average, reduce, reduction)
    target = _as_tensor(target, input)
    if target.shape != input.shape:
        raise ShapeError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         "size.")
    x = input.data
    if x.size and not bool(((x >= 0) & (x <= 1)).all()):
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 "
                           "and 1")
    return _pointwise("binary_cross_entropy", "bce", input, target, reduction, weight)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction="mean", pos_weight=None):
    """binary_cross_entropy(sigmoid(input), target) computed from the logits in one stable
    step. `pos_weight` (broadcast along the last dim, e.g. one per class) weighs the positive
    term; `weight` the whole loss."""
    reduction = reduction_arg("binary_cross_entropy_with_logits", size_average, reduce, reduction)
    target = _as_tensor(target, input)
    if target.shape != input.shape:
        raise ShapeError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    return _pointwise("binary_cross_entropy_with_logits", "bce_logits", input, target,
                      reduction, weight, pos_weight)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of log-probabilities `input` (C,), (N, C) or (N, C, d1, ...)
    against class indices `target` (), (N,) or (N, d1, ...); `weight` (C,) rescales classes
    ('mean' then divides by the total weight of the kept targets); targets equal to
    `ignore_index` count for nothing."""
    from ._util import ShapeError
    reduction = reduction_arg("nll_loss", size_average, reduce, reduction)
    target = _as_tensor(target, input)
    if target.dtype.kind not in "iu":
        raise RuntimeError(f"nll_loss: expected target dtype to be Long or Byte, but got "
                           f"{target.dtype}")
    if input.ndim == 0:
        raise ShapeError("nll_loss: input must be (C,) or (N, C, ...), got a 0-d tensor")
    expected = () if input.ndim == 1 else (input.shape[0],) + input.shape[2:]
    if target.shape != expected:
        raise ShapeError(f"nll_loss: input of shape {input.shape} needs a target of shape "
                         f"{expected}, got {target.shape}")
    classes = input.shape[0 if input.ndim == 1 else 1]
    w = _const(weight, input)
    if w is not None and tuple(w.shape) != (classes,):
        raise ShapeError(f"nll_loss: weight must have shape ({classes},), got {tuple(w.shape)}")
    return NLLLoss.apply(input, target.data, w, reduction, int(ignore_index))


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


def one_hot(tensor, num_classes=-1):
    """int64 one-hot encoding: shape tensor.shape + (num_classes,); num_classes=-1 takes
    max + 1. `tensor` must hold int64 class indices, as in PyTorch."""
    from ..tensor import Tensor
    a = tensor.data
    if a.dtype != np.int64:
        raise RuntimeError(f"one_hot is only applicable to index tensor of type LongTensor "
                           f"(int64), got {a.dtype}")
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    if a.size and int(a.min()) < 0:
        raise RuntimeError("Class values must be non-negative.")
    if a.size and int(a.max()) >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    xp = get_array_module(a)
    return Tensor._make((a[..., None] == xp.arange(num_classes)).astype(np.int64))
