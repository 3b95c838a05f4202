"""``Trainer``: the training loop, written out once so every example script shares it.

    trainer = Trainer(model, optimizer, scheduler=ReduceLROnPlateau(optimizer, "max"),
                      out_dir="runs/alexnet")
    trainer.fit(train_loader, val_loader, epochs=10)     # resume="runs/alexnet" continues a run
    trainer.evaluate(test_loader)                        # {"loss": .., "acc1": .., "acc5": .., ...}

One epoch of ``fit``:

1. ``train_one_epoch``: for each batch, ``outputs = model(images)``, ``loss = loss_fn(outputs,
   labels)``, stop with ``TrainingDiverged`` if the loss is NaN or inf, ``zero_grad``,
   ``backward``, ``optimizer.step()``; a progress bar shows loss, top-1 and images/s;
2. ``evaluate`` on the validation loader (eval mode, no graph): loss, top-1, top-5 (a NaN or
   infinite loss here means the epoch's last steps broke the weights: ``TrainingDiverged``,
   before anything is written);
3. the scheduler steps once (``ReduceLROnPlateau`` is given the validation top-1 when its mode is
   ``"max"``, the validation loss when ``"min"``: the papers' "divide by 10 when validation error
   stops improving");
4. with an ``out_dir``: a record appended to ``log.jsonl``, ``curves.png`` redrawn,
   ``checkpoint_last.safetensors`` written, and copied to ``checkpoint_best.safetensors`` when
   validation top-1 improved.

**Resuming continues exactly.** Everything the next epoch depends on is in the checkpoint: the
weights, SGD's momentum buffers and learning rates, the scheduler's counters, the state of
``minidl.default_generator`` (dropout masks) and of any generator a module holds, and the epoch
number. The DataLoader needs nothing saved: its order and augmentations for epoch ``e`` are a
function of ``(seed, e)`` (``minidl/data/rng.py``), and ``fit`` calls ``set_epoch(e)`` each
epoch. So epochs 1..k, stop, resume, epochs k+1..n gives bit-identical weights to epochs 1..n in
one go, given the same loader seed (``tests/train/test_resume.py`` checks it).

**Several ranks** (``mpiexec -n P``, the model a ``DistributedDataParallel``): metrics are
averaged over the ranks, only rank 0 prints and writes, and checkpoints hold the plain net, so
they resume on any number of ranks (``ranks.py``).

Models that return several outputs while training (GoogLeNet's auxiliary classifiers) work
through ``loss_fn(outputs, target)``; accuracy is measured on the first output.
"""
import math
import os
import shutil
import sys
import time

from .. import nn
from ..autograd import no_grad
from ..backend import Device, get_array_module
from ..optim.lr_scheduler import ReduceLROnPlateau
from ..serialization import atomic_write
from . import checkpointing, tensorboard_log
from .log import JsonLinesLog, read_log
from .metrics import AverageMeter, topk_correct
from .plot import plot_curves
from .progress import progress
from .ranks import rank_and_world, reseed_after_resume, sum_over_ranks, unwrap

LAST, BEST = "checkpoint_last.safetensors", "checkpoint_best.safetensors"


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite. The message says whether the weights are still those
    before the bad step, or were already non-finite (a step before it broke them)."""


def _logits(outputs):
    """The main output of a model that may return a tuple (GoogLeNet in training:
    GoogLeNetOutputs(logits, aux_logits2, aux_logits1), as torchvision)."""
    return outputs[0] if isinstance(outputs, (tuple, list)) else outputs


class Trainer:
    """``Trainer(model, optimizer, loss_fn=None, scheduler=None, device="cpu", out_dir=None,
    topk=(1, 5), log_every=50, progress=True, verbose=True, plot=True)``.

    - ``loss_fn(outputs, target)``: a scalar Tensor; default ``nn.CrossEntropyLoss()``.
    - ``scheduler``: stepped once per epoch, after validation (see the module docstring).
    - ``out_dir``: where the log, curves and checkpoints go; None writes nothing.
    - ``log_every``: also log a record every that many training iterations (0: only epochs).
    - ``tensorboard``: a ``minidl.utils.tensorboard.SummaryWriter`` or a directory for one:
      loss, top-k, learning rate and conv1's filters each epoch (``tensorboard_log.py``).
    - ``progress``: show tqdm bars; ``verbose``: print a summary line per epoch;
      ``plot``: redraw ``curves.png`` each epoch.

    After ``fit``, ``history`` holds one record per epoch (the ``"epoch"`` records of the log).
    """

    def __init__(self, model, optimizer, loss_fn=None, scheduler=None, device="cpu", out_dir=None,
                 topk=(1, 5), log_every=50, progress=True, verbose=True, plot=True,
                 tensorboard=None):
        self.device = Device(device)
        self.model = model.to(self.device)
        self.optimizer, self.scheduler = optimizer, scheduler
        self.loss_fn = loss_fn if loss_fn is not None else nn.CrossEntropyLoss()
        self.out_dir = None if out_dir is None else os.fspath(out_dir)
        self.topk, self.log_every = tuple(topk), int(log_every)
        self.show_progress, self.verbose, self.plot = progress, verbose, plot
        self.history, self.epoch, self.best_acc1, self.data_seed = [], 0, -math.inf, None
        self.rank, self.world_size = rank_and_world()
        self.writes = self.out_dir is not None and self.rank == 0   # only rank 0 writes files
        self.log = JsonLinesLog(os.path.join(self.out_dir, "log.jsonl")) if self.writes else None
        # a SummaryWriter or its directory (tensorboard_log.py: what it shows); rank 0 writes
        self.tensorboard = tensorboard_log.open_writer(tensorboard) if self.rank == 0 else None

    # -- one pass over the training data -------------------------------------------------------
    def train_one_epoch(self, loader, epoch=None, desc=None):
        """Train on every batch of ``loader`` once; returns ``{"loss", "acc1", ..., "images_per_s"}``.

        ``epoch`` (0-based) picks the DataLoader epoch (its shuffle and augmentations) and
        labels the log records; default ``self.epoch``.
        """
        epoch = self.epoch if epoch is None else epoch
        if hasattr(loader, "set_epoch"):
            loader.set_epoch(epoch)
        self.model.train()
        loss_meter = AverageMeter("loss")
        correct, seen = [0] * len(self.topk), 0
        bar = progress(loader, desc=desc or f"epoch {epoch + 1}",
                       enabled=self.show_progress and self.rank == 0)
        start = time.perf_counter()
        try:
            for i, (images, labels) in enumerate(bar, 1):
                images, labels = images.to(self.device), labels.to(self.device)
                outputs = self.model(images)
                loss = self.loss_fn(outputs, labels)
                value = loss.item()
                mean = value if self.world_size == 1 else \
                    sum_over_ranks([value])[0] / self.world_size   # the same on every rank:
                if not math.isfinite(mean):                        # all ranks stop together
                    self._diverged(bar, mean, epoch, i)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()

                n = labels.shape[0]
                loss_meter.update(value, n)
                hits = topk_correct(_logits(outputs), labels, self.topk)
                correct = [c + h for c, h in zip(correct, hits)]
                seen += n
                speed = seen / (time.perf_counter() - start)
                bar.set_postfix({"loss": f"{loss_meter.avg:.4f}",
                                 "acc1": f"{100 * correct[0] / seen:.2f}", "img/s": f"{speed:.0f}"},
                                refresh=False)
                if self.log and self.log_every and i % self.log_every == 0:
                    self.log.write({"event": "iteration", "epoch": epoch + 1, "iteration": i,
                                    "loss": loss_meter.avg, "acc1": 100 * correct[0] / seen,
                                    "lr": self.lr, "images_per_s": speed})
                if self.tensorboard and self.log_every and i % self.log_every == 0:
                    step = epoch * len(loader) + i if hasattr(loader, "__len__") else i
                    tensorboard_log.log_iteration(self.tensorboard, step, loss_meter.avg,
                                                  100 * correct[0] / seen)
        finally:
            bar.close()
        elapsed = time.perf_counter() - start
        loss_sum, seen, *correct = sum_over_ranks([loss_meter.sum, seen] + correct)
        result = {"loss": loss_sum / max(seen, 1), "time_s": elapsed,
                  "images_per_s": seen / max(elapsed, 1e-9)}
        result.update({f"acc{k}": 100 * c / max(seen, 1) for k, c in zip(self.topk, correct)})
        return result

    def _diverged(self, bar, value, epoch, iteration):
        where = os.path.join(self.out_dir, LAST) if self.out_dir else None
        if self._weights_finite():
            state = "Stopped before that step."
        else:   # an earlier step broke them (lr=nan does in one step) and the loss shows it now
            state = ("The weights are already non-finite (NaN or inf): an earlier step broke "
                     "them, so the model in memory is not usable.")
        message = (f"Training diverged: the loss became {value} at epoch {epoch + 1}, iteration "
                   f"{iteration} (lr {self.lr:g}). {state} Try a smaller "
                   f"learning rate" + (f"; the last good weights are in {where}" if where and
                                       os.path.exists(where) else "") + ".")
        if self.rank == 0:
            bar.write(message, file=sys.stderr)
        raise TrainingDiverged(message)

    def _weights_finite(self):
        for p in self.model.parameters():
            if not get_array_module(p.data).isfinite(p.data).all():
                return False
        return True

    def _diverged_after_epoch(self, value, epoch):
        """The epoch's last steps left non-finite weights (every training loss was finite, so
        the check before each step did not fire): stop before they are checkpointed."""
        where = os.path.join(self.out_dir, LAST) if self.out_dir else None
        message = (f"Training diverged: the validation loss is {value} after epoch {epoch + 1} "
                   f"(lr {self.lr:g}): the weights are no longer finite, and were not saved. "
                   "Try a smaller learning rate" +
                   (f"; the last good weights are in {where}" if where and os.path.exists(where)
                    else "") + ".")
        if self.rank == 0:
            print(message, file=sys.stderr, flush=True)
        raise TrainingDiverged(message)

    # -- measuring -----------------------------------------------------------------------------
    def evaluate(self, loader, predict=None, desc="eval"):
        """Loss and top-k accuracy of the model over ``loader``, in eval mode and without a graph.

        ``predict(model, images) -> scores (N, num_classes)`` replaces ``model(images)``, for
        evaluations such as AlexNet's ten-crop averaging; the loss is then not computed (it is
        None), since such scores are usually averaged probabilities, not logits.
        """
        self.model.eval()
        loss_meter = AverageMeter("loss")
        correct, seen = [0] * len(self.topk), 0
        bar = progress(loader, desc=desc, enabled=self.show_progress and self.rank == 0)
        start = time.perf_counter()
        try:
            with no_grad():
                for images, labels in bar:
                    images, labels = images.to(self.device), labels.to(self.device)
                    if predict is None:
                        scores = _logits(self.model(images))
                        loss_meter.update(self.loss_fn(scores, labels).item(), labels.shape[0])
                    else:
                        scores = predict(self.model, images)
                    hits = topk_correct(scores, labels, self.topk)
                    correct = [c + h for c, h in zip(correct, hits)]
                    seen += labels.shape[0]
                    bar.set_postfix({"acc1": f"{100 * correct[0] / seen:.2f}"}, refresh=False)
        finally:
            bar.close()
        elapsed = time.perf_counter() - start
        loss_sum, seen, *correct = sum_over_ranks([loss_meter.sum, seen] + correct)
        result = {"loss": loss_sum / max(seen, 1) if predict is None else None}
        result.update({f"acc{k}": 100 * c / max(seen, 1) for k, c in zip(self.topk, correct)})
        result.update({"images": seen, "time_s": elapsed, "images_per_s": seen / max(elapsed, 1e-9)})
        return result

    @property
    def lr(self):
        return self.optimizer.param_groups[0]["lr"]

    # -- the whole run -------------------------------------------------------------------------
    def fit(self, train_loader, val_loader=None, epochs=1, resume=None):
        """Train until ``epochs`` epochs are done in total; returns ``history``.

        ``resume``: a checkpoint written by a previous run (or its ``out_dir``): training
        continues after the epoch it holds, exactly as if it had never stopped.
        """
        self.data_seed = getattr(train_loader, "seed", None)
        if resume is not None:
            saved_seed = self.load_checkpoint(resume)
            if saved_seed is not None and saved_seed != self.data_seed:
                self._say(f"warning: the checkpoint was trained with DataLoader seed {saved_seed}, "
                          f"this loader has {self.data_seed}: the following epochs will see "
                          "other batches than an uninterrupted run would")
            if self.log:
                self.log.truncate_after(self.epoch)   # drop what the stopped run logged after it
            reseed_after_resume(self.data_seed, self.epoch)
            self._say(f"resumed from {resume} after epoch {self.epoch}")
        if self.epoch >= epochs:
            self._say(f"nothing to do: {self.epoch} of {epochs} epochs already done")
        try:
            while self.epoch < epochs:
                self._run_epoch(train_loader, val_loader, epochs)
        except KeyboardInterrupt as interrupt:
            interrupt.reported = bool(self.out_dir)   # a script's handler need not repeat it
            if self.writes:
                last = os.path.join(self.out_dir, LAST)
                if self.epoch > 0 and os.path.exists(last):
                    self._say(f"interrupted in epoch {self.epoch + 1}; continue with --resume "
                              f"{last} (it holds epoch {self.epoch})")
                else:
                    self._say(f"interrupted in epoch {self.epoch + 1}, before the first "
                              "checkpoint was written: nothing to resume from")
            raise
        return self.history

    def _run_epoch(self, train_loader, val_loader, epochs):
        e = self.epoch
        lr = self.lr
        train = self.train_one_epoch(train_loader, e, desc=f"epoch {e + 1}/{epochs}")
        record = {"event": "epoch", "epoch": e + 1, "lr": lr}
        record.update({f"train_{k}": v for k, v in train.items() if k != "images_per_s"})
        record["train_images_per_s"] = train["images_per_s"]
        if val_loader is not None:
            val = self.evaluate(val_loader, desc=f"val {e + 1}/{epochs}")
            record.update({f"val_{k}": v for k, v in val.items() if k.startswith(("loss", "acc"))})
            if val["loss"] is not None and not math.isfinite(val["loss"]):
                self._diverged_after_epoch(val["loss"], e)
        if self.scheduler is not None:
            if isinstance(self.scheduler, ReduceLROnPlateau):
                watch = "acc1" if self.scheduler.mode == "max" else "loss"
                self.scheduler.step(record.get(f"val_{watch}", record[f"train_{watch}"]))
            else:
                self.scheduler.step()
        acc1 = record.get("val_acc1", record.get("train_acc1"))
        record["best"] = acc1 > self.best_acc1
        self.best_acc1 = max(self.best_acc1, acc1)
        self.epoch = e + 1
        self.history.append(record)
        self._say(self._summary(record))
        if self.tensorboard:
            tensorboard_log.log_epoch(self.tensorboard, record, unwrap(self.model))
        if self.writes:
            self.log.write(record)
            if self.plot:
                plot_curves(self.history, os.path.join(self.out_dir, "curves.png"))
            self.save_checkpoint(os.path.join(self.out_dir, LAST))
            if record["best"]:
                _copy_atomic(os.path.join(self.out_dir, LAST), os.path.join(self.out_dir, BEST))

    @staticmethod
    def _summary(r):
        parts = [f"epoch {r['epoch']}", f"lr {r['lr']:g}",
                 f"train loss {r['train_loss']:.4f} top-1 {r['train_acc1']:.2f}%"]
        if "val_acc1" in r:
            parts.append(f"val loss {r['val_loss']:.4f} top-1 {r['val_acc1']:.2f}%"
                         + (f" top-5 {r['val_acc5']:.2f}%" if "val_acc5" in r else ""))
        parts.append(f"{r['train_time_s']:.1f} s ({r['train_images_per_s']:.0f} img/s)")
        return " | ".join(parts) + ("  *best*" if r["best"] else "")

    def _say(self, message):
        if self.verbose and self.rank == 0:
            print(message, flush=True)

    # -- checkpoints ---------------------------------------------------------------------------
    def save_checkpoint(self, path):
        """Everything ``fit(resume=path)`` needs to continue exactly (see the module docstring)."""
        checkpointing.save(path, unwrap(self.model), self.optimizer, self.scheduler, self.epoch,
                           {"history": self.history, "data_seed": self.data_seed,
                            "best_acc1": None if self.best_acc1 == -math.inf else self.best_acc1})

    def load_checkpoint(self, path):
        """Restore a checkpoint written by ``save_checkpoint`` (a file, or an ``out_dir``);
        returns the DataLoader seed it was trained with."""
        if os.path.isdir(path):
            path = os.path.join(path, LAST)
        epoch, metrics = checkpointing.load(path, unwrap(self.model), self.optimizer,
                                            self.scheduler, validate_metrics=_check_run_metrics)
        self.epoch = epoch
        self.history = list(metrics.get("history", []))
        best = metrics.get("best_acc1")
        self.best_acc1 = -math.inf if best is None else best
        return metrics.get("data_seed")


def _check_run_metrics(metrics):
    """What ``save_checkpoint`` stores beside the model, checked before anything is loaded."""
    history, seed, best = (metrics.get(k) for k in ("history", "data_seed", "best_acc1"))
    if history is not None and not (isinstance(history, list)
                                    and all(isinstance(r, dict) for r in history)):
        raise ValueError(f"history should be a list of epoch records, got {history!r:.60}")
    if seed is not None and not (isinstance(seed, int) and not isinstance(seed, bool)):
        raise ValueError(f"data_seed should be an integer, got {seed!r:.60}")
    if best is not None and not (isinstance(best, (int, float)) and not isinstance(best, bool)
                                 and math.isfinite(best)):
        raise ValueError(f"best_acc1 should be a number, got {best!r:.60}")


def _copy_atomic(src, dst):
    """Copy `src` to `dst` with ``minidl.save``'s atomic writer: `dst` is always the old file
    or a whole copy, never a partial one, and nothing is written through a planted symlink."""
    with open(src, "rb") as f:
        atomic_write(dst, lambda out: shutil.copyfileobj(f, out))


def history_from_log(out_dir):
    """The epoch records of a run's ``log.jsonl``."""
    return read_log(os.path.join(out_dir, "log.jsonl"), event="epoch")
