"""Top-k accuracy and running averages: the numbers a training run prints.

Top-k accuracy is the ImageNet convention (AlexNet, VGG and GoogLeNet all report top-1 and
top-5 *error* = 100 - accuracy): a sample counts as correct at k when its true class is among
the k classes with the highest scores. For scores (N, C) and targets (N,)::

    scores = [[0.1, 0.5, 0.4],      target 2: ranked 2nd -> wrong at k=1, right at k=2
              [0.9, 0.0, 0.1]]      target 0: ranked 1st -> right at k=1 and k=2
    topk_correct(scores, [2, 0], topk=(1, 2)) == [1, 2]

Ties go to the lower class index (a stable sort), so a constant output is never "lucky".
"""
import numpy as np

from ..backend import get_array_module
from ..tensor import Tensor


def _array(x):
    if isinstance(x, Tensor):
        return x.data
    xp = get_array_module(x)
    return x if isinstance(x, xp.ndarray) else xp.asarray(x)


def topk_correct(output, target, topk=(1, 5)):
    """How many of the N samples have their target among their k best scores, for each k.

    ``output`` (N, C) scores (logits or probabilities), ``target`` (N,) class indices;
    a k larger than C counts every sample as correct.
    """
    out, tgt = _array(output), _array(target)
    if out.ndim != 2 or tgt.shape != (out.shape[0],):
        raise ValueError(f"topk_correct: expected output (N, C) and target (N,), "
                         f"got {tuple(out.shape)} and {tuple(tgt.shape)}")
    xp = get_array_module(out)
    num_classes = out.shape[1]
    maxk = min(max(topk), num_classes)
    # best class first; a stable sort breaks ties by class index (CuPy's argsort takes no kind)
    order = xp.argsort(-out, axis=1, kind="stable") if xp is np else xp.argsort(-out, axis=1)
    hit = order[:, :maxk] == tgt.reshape(-1, 1).astype(order.dtype)   # (N, maxk): one True at most
    return [int(hit[:, :min(k, num_classes)].sum()) for k in topk]


def accuracy(output, target, topk=(1,)):
    """Top-k accuracy in percent for each k (the ``accuracy`` of PyTorch's ImageNet example)."""
    n = _array(target).shape[0]
    return [100.0 * c / max(n, 1) for c in topk_correct(output, target, topk)]


class AverageMeter:
    """A running average: ``update(value, n)`` adds ``value`` averaged over ``n`` samples."""

    def __init__(self, name=""):
        self.name = name
        self.reset()

    def reset(self):
        self.sum, self.count, self.last = 0.0, 0, float("nan")

    def update(self, value, n=1):
        self.last = float(value)
        self.sum += float(value) * n
        self.count += n

    @property
    def avg(self):
        return self.sum / self.count if self.count else float("nan")

    def __repr__(self):
        return f"AverageMeter({self.name!r}, avg={self.avg:.4f}, count={self.count})"
