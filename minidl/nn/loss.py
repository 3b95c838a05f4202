"""Loss modules: thin wrappers around ``minidl.functional`` with PyTorch's constructor
signatures.

Each loss keeps `reduction` ('mean', 'sum' or 'none'); the deprecated size_average/reduce,
when given, override it by PyTorch's legacy rule. A class `weight` is kept as a buffer, as in
PyTorch, so it is part of the state dict.
"""
from .. import functional as F
from ..tensor import Tensor
from ..ops.compat import legacy_reduction, reduction_arg
from .activation import LogSoftmax, Sigmoid, Softmax  # noqa: F401  (moved; old path works)
from .module import Module


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        self.reduction = reduction_arg(type(self).__name__, size_average, reduce, reduction)

    def extra_repr(self):
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        if weight is not None and not isinstance(weight, Tensor):
            raise TypeError(f"{type(self).__name__}: weight must be a Tensor or None, got "
                            f"{type(weight).__name__}")
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error: input and target of the same shape."""

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: input and target of the same shape."""

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities (N, C[, d...]) against class indices
    (N[, d...]); pair it with LogSoftmax (CrossEntropyLoss does both in one step)."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities in [0, 1] against targets of the same shape."""

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross-entropy of logits (sigmoid and BCE in one stable step); `pos_weight`
    weighs the positive term, broadcast along the last dim."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean",
                 pos_weight=None):
        super().__init__(weight, size_average, reduce, reduction)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, weight=self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class CrossEntropyLoss(Module):
    """Cross-entropy of logits (N, C[, d...]) against integer class targets (N[, d...]).

    PyTorch's signature. `weight` (C,) rescales each class and is kept as a buffer (so it is in
    the state dict, as in PyTorch); the deprecated size_average/reduce, when given, override
    `reduction` by PyTorch's legacy rule.
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__()
        if weight is not None and not isinstance(weight, Tensor):
            raise TypeError(f"CrossEntropyLoss: weight must be a Tensor of shape (C,) or None, "
                            f"got {type(weight).__name__}")
        if size_average is not None or reduce is not None:
            reduction = legacy_reduction(size_average, reduce)
        self.register_buffer("weight", weight)
        self.ignore_index, self.reduction = ignore_index, reduction
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        options = dict(ignore_index=self.ignore_index, reduction=self.reduction)
        if self.weight is not None:                  # only what differs from the defaults
            options["weight"] = self.weight
        if self.label_smoothing:
            options["label_smoothing"] = self.label_smoothing
        return F.cross_entropy(input, target, **options)
