"""``minidl.train``: the training loop the example scripts share, and what it writes.

    from minidl.train import Trainer
    trainer = Trainer(model, optimizer, scheduler=scheduler, out_dir="runs/alexnet")
    trainer.fit(train_loader, val_loader, epochs=10)   # resume=".../checkpoint_last.safetensors"
    trainer.evaluate(test_loader)                      # {"loss", "acc1", "acc5", ...}

Files, each small and in the order they build on each other::

    metrics.py        top-k accuracy, running averages
    progress.py       the tqdm progress bar (a plain printer without tqdm)
    log.py            the JSON-lines log: one record per epoch (and every N iterations)
    plot.py           curves.png (loss, top-1/top-5 per epoch), the first layer's filter grid
    tensorboard_log.py  the same in TensorBoard, with ``Trainer(tensorboard=...)``
    checkpointing.py  what a checkpoint holds so that resuming continues exactly
    loop.py           Trainer: fit, train_one_epoch, evaluate, checkpoints, TrainingDiverged

What ``fit`` writes to ``out_dir``: ``log.jsonl``, ``curves.png``,
``checkpoint_last.safetensors`` (every epoch) and ``checkpoint_best.safetensors`` (best
validation top-1 so far).
"""
from .log import JsonLinesLog, read_log
from .loop import BEST, LAST, Trainer, TrainingDiverged
from .metrics import AverageMeter, accuracy, topk_correct
from .plot import filter_grid, plot_curves, save_filter_grid
from .progress import progress

__all__ = ["Trainer", "TrainingDiverged", "accuracy", "topk_correct", "AverageMeter",
           "JsonLinesLog", "read_log", "plot_curves", "filter_grid", "save_filter_grid",
           "progress", "LAST", "BEST"]
