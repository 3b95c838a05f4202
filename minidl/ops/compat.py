"""PyTorch's deprecated loss arguments, kept for old code and out of the teaching path.

``size_average`` and ``reduce`` predate ``reduction=``; PyTorch still accepts them, warns, and
translates them as below. Every loss function (``activation.cross_entropy``, ``loss.*``) reads
its `reduction` through ``reduction_arg``; the loss modules (``nn.CrossEntropyLoss``,
``nn.MSELoss``, ...) through ``reduction_arg`` or ``legacy_reduction``.
"""
import warnings

from ._util import ShapeError


def reduction_arg(what, size_average, reduce, reduction):
    """The loss `what`'s reduction: 'mean', 'sum' or 'none', from `reduction` or, when either
    legacy flag is given, from the flags (None counts as True) with PyTorch's warning."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, stacklevel=4)
    if reduction not in ("mean", "sum", "none"):
        raise ShapeError(f"{what}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction


def legacy_reduction(size_average, reduce, stacklevel=3):
    """PyTorch's translation of the flags (None counts as True): reduce=False gives 'none',
    else size_average picks 'mean' or 'sum'. Warns as PyTorch does, pointing `stacklevel`
    frames up (3: the caller of the function that calls this)."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "none" if not reduce else "mean" if size_average else "sum"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{reduction}' instead.", UserWarning, stacklevel=stacklevel)
    return reduction
