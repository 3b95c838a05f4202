"""What ``Trainer(tensorboard=...)`` shows in TensorBoard (``tensorboard --logdir runs``).

Per epoch (step = the epoch number, from 1)::

    loss/train  loss/val        the epoch's mean cross-entropy
    acc1/train  acc1/val        top-1 accuracy, %
    acc5/train  acc5/val        top-5 accuracy, %
    lr                          the learning rate the epoch trained with
    conv1/filters               the first convolution's filters as one image (``filter_grid``)

and every ``log_every`` iterations (step = iterations since the start) ``iteration/loss`` and
``iteration/acc1``, the running means of the epoch so far.
"""
from .. import nn
from .plot import filter_grid


def open_writer(tensorboard):
    """`tensorboard`: a ``SummaryWriter`` (used as it is) or a directory (a new writer)."""
    if tensorboard is None or hasattr(tensorboard, "add_scalar"):
        return tensorboard
    from ..utils.tensorboard import SummaryWriter
    return SummaryWriter(tensorboard)


def log_iteration(writer, step, loss, acc1):
    writer.add_scalar("iteration/loss", loss, step)
    writer.add_scalar("iteration/acc1", acc1, step)


def log_epoch(writer, record, model):
    step = record["epoch"]
    for key, value in record.items():
        split, _, metric = key.partition("_")
        if split in ("train", "val") and (metric == "loss" or metric.startswith("acc")) \
                and value is not None:
            writer.add_scalar(f"{metric}/{split}", value, step)
    writer.add_scalar("lr", record["lr"], step)
    conv = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
    if conv is not None:
        writer.add_image("conv1/filters", filter_grid(conv.weight), step, dataformats="HWC")
    writer.flush()
