"""Learning-rate schedules (PyTorch's): ``StepLR``, ``MultiStepLR``, ``ExponentialLR``,
``CosineAnnealingLR``, ``LambdaLR``, ``LinearLR``, ``ReduceLROnPlateau``.

A scheduler changes ``group["lr"]`` in its optimizer's parameter groups. Call ``step()`` once
per epoch, *after* that epoch's ``optimizer.step()`` calls::

    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)   # lr: 0.1 x30, 0.01 x30, ...
    for epoch in range(90):
        train_one_epoch(...)
        scheduler.step()

The papers' rule, "divide the learning rate by 10 when the validation error stops improving"
(AlexNet, VGG), is ``ReduceLROnPlateau(optimizer, mode="min", factor=0.1)`` stepped with the
validation error: ``scheduler.step(val_error)``.

Every scheduler has ``state_dict()`` / ``load_state_dict()`` holding plain numbers and lists
(JSON-friendly: a checkpoint stores them as metadata).

As in PyTorch, ``step(epoch)`` with an explicit epoch still works but is deprecated (a
UserWarning): it sets ``last_epoch = epoch`` and uses the schedule's closed form where it has one
(``StepLR``, ``MultiStepLR``, ``ExponentialLR``, ``CosineAnnealingLR``, ``LinearLR``; ``LambdaLR``
is a closed form already). The ``verbose`` keyword of older PyTorch versions is accepted and
ignored (a deprecation warning when set).
"""
import bisect
import math
import types
import warnings

from .optimizer import Optimizer

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where "
    "possible. Please use `scheduler.step()` to step the scheduler. During the deprecation, if "
    "epoch is different from None, the closed form is used instead of the new chainable form, "
    "where available.")


def _check_verbose(verbose, who):
    if verbose != "deprecated":
        warnings.warn(f"{who}: the verbose parameter is deprecated and ignored; use "
                      "get_last_lr() to read the learning rate", UserWarning, stacklevel=3)


class LRScheduler:
    """Base class: `last_epoch` counts ``step()`` calls, `base_lrs` are the groups' initial lrs.

    Creating a scheduler records each group's ``initial_lr`` (unless already there, e.g. from a
    loaded optimizer state) and performs the first ``step()``, which sets epoch 0's rates.
    ``last_epoch=k`` resumes: the groups must hold ``initial_lr`` already (load the optimizer's
    state first), and the first step goes on from the groups' current rates to epoch ``k + 1``.
    Subclasses implement ``get_lr()`` (chained: from the current rates; ``self._is_initial``
    is True during the first step) and, where one exists, ``_get_closed_form_lr()``.
    """

    _state_keys = ("base_lrs", "last_epoch", "_step_count", "_last_lr")

    def __init__(self, optimizer, last_epoch=-1, verbose="deprecated"):
        _check_verbose(verbose, type(self).__name__)
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param_groups[{i}] has no 'initial_lr': resuming a scheduler "
                                   f"(last_epoch={last_epoch}) needs the optimizer's state loaded "
                                   "first")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):
        """The rates for epoch ``last_epoch``, computed from the groups' current rates."""
        raise NotImplementedError

    def step(self, epoch=None):
        """Advance one epoch. ``step(epoch)`` (deprecated, warns) jumps to ``epoch`` instead."""
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
            self.last_epoch = int(epoch)
            closed_form = getattr(self, "_get_closed_form_lr", None)
            values = closed_form() if closed_form is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The rates the last ``step()`` set, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self):
        return {k: _copy(getattr(self, k)) for k in self._state_keys}

    def load_state_dict(self, state_dict):
        """Load a ``state_dict()``; a missing entry is an error and changes nothing.

        Extra entries are ignored (PyTorch's scheduler state dicts carry private bookkeeping).
        """
        self._check_state_dict(state_dict)
        for k in self._state_keys:
            setattr(self, k, _copy(state_dict[k]))


    def _check_state_dict(self, state_dict):
        """Raise ValueError unless `state_dict` fits this scheduler and its optimizer."""
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict):
            raise ValueError(f"{name}: expected a dict, got {type(state_dict).__name__}")
        missing = [k for k in self._state_keys if k not in state_dict]
        if missing:
            raise ValueError(f"{name}: missing {missing}")
        n = len(self.optimizer.param_groups)
        for k in self._state_keys:
            _check_value(name, k, state_dict[k])
        for k in ("base_lrs", "_last_lr", "min_lrs"):
            if k in self._state_keys and len(state_dict[k]) != n:
                raise ValueError(f"{name}: {k} has {len(state_dict[k])} entries, the optimizer "
                                 f"has {n} parameter groups")


_LRScheduler = LRScheduler   # PyTorch's old name

# what each state entry must be, so that a corrupt or hand-edited state (a rate of "fast" or
# NaN) is refused at load rather than breaking the next step()
_INT_KEYS = {"last_epoch", "_step_count", "step_size", "patience", "cooldown",
             "cooldown_counter", "num_bad_epochs", "total_iters"}
_LIST_KEYS = {"base_lrs", "_last_lr", "min_lrs", "milestones"}
_STRING_KEYS = {"mode", "threshold_mode"}
_MAY_BE_INFINITE = {"best", "mode_worse"}   # ReduceLROnPlateau's "nothing seen yet"
_MAY_BE_NONE = {"default_min_lr"}


def _is_number(v, finite=True):
    return (isinstance(v, (int, float)) and not isinstance(v, bool)
            and not math.isnan(v) and (not finite or math.isfinite(v)))


def _check_value(name, key, value):
    """Raise ValueError unless state entry `key` holds the kind of value it must."""
    if key in _STRING_KEYS:
        ok = isinstance(value, str)
    elif key in _INT_KEYS:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= -1
    elif key in _LIST_KEYS:
        ok = isinstance(value, (list, tuple)) and all(
            isinstance(v, int) and not isinstance(v, bool) if key == "milestones"
            else _is_number(v) and v >= 0 for v in value)
    elif key in _MAY_BE_NONE and value is None:
        ok = True
    else:
        ok = _is_number(value, finite=key not in _MAY_BE_INFINITE)
    if not ok:
        raise ValueError(f"{name}: {key} = {value!r:.80} is not a valid value")


def _copy(value):
    return list(value) if isinstance(value, (list, tuple)) else value


class StepLR(LRScheduler):
    """Multiply the rate by `gamma` every `step_size` epochs.

    With one schedule alone, ``lr(epoch) = initial_lr * gamma ** (epoch // step_size)``.
    Like PyTorch it multiplies the *current* rate (so it composes with other changes).
    """

    _state_keys = LRScheduler._state_keys + ("step_size", "gamma")

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1, verbose="deprecated"):
        if int(step_size) != step_size or step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size}")
        self.step_size = int(step_size)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        lrs = [group["lr"] for group in self.optimizer.param_groups]
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return lrs
        return [lr * self.gamma for lr in lrs]

    def _get_closed_form_lr(self):
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the rate by `gamma` at each epoch listed in `milestones`.

    ``MultiStepLR(opt, milestones=[30, 60], gamma=0.1)``: lr 0.1 for epochs 0-29, 0.01 for
    30-59, 0.001 from 60 on. A milestone listed twice multiplies by ``gamma ** 2``.
    Alone: ``lr(epoch) = initial_lr * gamma ** (number of milestones <= epoch)``.
    """

    _state_keys = LRScheduler._state_keys + ("milestones", "gamma")

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1, verbose="deprecated"):
        self.milestones = sorted(int(m) for m in milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        hits = self.milestones.count(self.last_epoch)
        return [group["lr"] * self.gamma ** hits if hits else group["lr"]
                for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        hits = bisect.bisect_right(self.milestones, self.last_epoch)
        return [base * self.gamma ** hits for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the rate by ``gamma`` every epoch: alone, ``lr(epoch) = initial_lr * gamma ** epoch``."""

    _state_keys = LRScheduler._state_keys + ("gamma",)

    def __init__(self, optimizer, gamma, last_epoch=-1, verbose="deprecated"):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        if self._is_initial:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from ``initial_lr`` down to ``eta_min`` over ``T_max`` epochs (SGDR
    without restarts)::

        lr(epoch) = eta_min + (initial_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2

    Like PyTorch, ``step()`` applies it recursively from the current rate (so it composes with
    other changes to the rate), and keeps going past ``T_max`` (the rate rises again).
    """

    _state_keys = LRScheduler._state_keys + ("T_max", "eta_min")

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1, verbose="deprecated"):
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        groups, e, T, lo = self.optimizer.param_groups, self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return [group["lr"] for group in groups]
        if self._step_count == 1 and e > 0:
            return [lo + (base - lo) * (1 + math.cos(e * math.pi / T)) / 2 for base in self.base_lrs]
        if (e - 1 - T) % (2 * T) == 0:   # at the bottom of the cosine: the ratio below is 0/0
            return [group["lr"] + (base - lo) * (1 - math.cos(math.pi / T)) / 2
                    for base, group in zip(self.base_lrs, groups)]
        return [(1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
                * (group["lr"] - lo) + lo for group in groups]

    def _get_closed_form_lr(self):
        return [self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch
                                                                     / self.T_max)) / 2
                for base in self.base_lrs]


class LambdaLR(LRScheduler):
    """``lr(epoch) = initial_lr * lr_lambda(epoch)``: one function, or one per parameter group.

    ``state_dict()`` holds, per group, ``None`` for a plain function (functions are not saved)
    or the ``__dict__`` of a callable object, as PyTorch's does.
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1, verbose="deprecated"):
        n = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n:
                raise ValueError(f"LambdaLR: expected {n} lr_lambdas (one per parameter group), "
                                 f"got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"LambdaLR: lr_lambda should be a function, got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self):
        state = super().state_dict()
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else dict(fn.__dict__)
                               for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)   # checks everything first (_check_state_dict)
        for fn, saved in zip(self.lr_lambdas, state_dict.get("lr_lambdas") or []):
            if saved is not None:
                fn.__dict__.update(saved)

    def _check_state_dict(self, state_dict):
        """Also the ``lr_lambdas``: one entry per group, None or a dict of attributes for a
        callable object (a plain function has none to restore)."""
        super()._check_state_dict(state_dict)
        saved = state_dict.get("lr_lambdas")
        if saved is None:
            return
        name = "LambdaLR.load_state_dict"
        if not isinstance(saved, (list, tuple)) or len(saved) != len(self.lr_lambdas):
            raise ValueError(f"{name}: lr_lambdas should be a list of {len(self.lr_lambdas)} "
                             f"entries (one per parameter group), got {saved!r:.80}")
        for i, (fn, entry) in enumerate(zip(self.lr_lambdas, saved)):
            if entry is None:
                continue
            if not (isinstance(entry, dict) and all(isinstance(k, str) for k in entry)):
                raise ValueError(f"{name}: lr_lambdas[{i}] should be None or a dict of "
                                 f"attributes, got {entry!r:.80}")
            if not hasattr(fn, "__dict__") or isinstance(fn, types.FunctionType):
                raise ValueError(f"{name}: lr_lambdas[{i}] holds attributes, but group {i}'s "
                                 "lr_lambda is a plain function, which has none to restore")


class LinearLR(LRScheduler):
    """Scale the rate linearly from ``start_factor * initial_lr`` to ``end_factor * initial_lr``
    over ``total_iters`` epochs, then keep it::

        lr(epoch) = initial_lr * (start_factor + (end_factor - start_factor)
                                  * min(epoch, total_iters) / total_iters)

    (the usual warm-up). Applied recursively from the current rate, as PyTorch does.
    """

    _state_keys = LRScheduler._state_keys + ("start_factor", "end_factor", "total_iters")

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1, verbose="deprecated"):
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: starting multiplicative factor expected to be greater "
                             f"than 0 and less or equal to 1, got start_factor={start_factor}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: ending multiplicative factor expected to be between 0 "
                             f"and 1, got end_factor={end_factor}")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        groups, e = self.optimizer.param_groups, self.last_epoch
        if e == 0:
            return [group["lr"] * self.start_factor for group in groups]
        if self._is_initial or e > self.total_iters:
            return [group["lr"] for group in groups]
        span = self.end_factor - self.start_factor
        ratio = 1.0 + span / (self.total_iters * self.start_factor + (e - 1) * span)
        return [group["lr"] * ratio for group in groups]

    def _get_closed_form_lr(self):
        span = self.end_factor - self.start_factor
        frac = min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * (self.start_factor + span * frac) for base in self.base_lrs]


class ReduceLROnPlateau(LRScheduler):
    """Multiply the rate by `factor` when a metric has not improved for `patience` epochs.

    ``step(metric)`` once per epoch (e.g. the validation loss, or error in ``mode="min"``;
    accuracy in ``mode="max"``). A value counts as an improvement over the best so far only
    by more than `threshold`: relative (``best * (1 - threshold)`` in min mode) or absolute
    (``best - threshold``). After more than `patience` bad epochs in a row the rate becomes
    ``max(lr * factor, min_lr)`` (changes smaller than `eps` are skipped) and the next
    `cooldown` epochs are not counted. NaN never counts as an improvement.

    AlexNet's schedule: ``ReduceLROnPlateau(opt, mode="min", factor=0.1)`` on the validation
    error. Unlike the other schedulers this one does not record ``initial_lr`` (as in PyTorch).
    """

    _state_keys = ("factor", "min_lrs", "default_min_lr", "patience", "cooldown",
                   "cooldown_counter", "mode", "threshold", "threshold_mode", "best",
                   "num_bad_epochs", "mode_worse", "eps", "last_epoch", "_last_lr")

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8, verbose="deprecated"):
        _check_verbose(verbose, "ReduceLROnPlateau")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor should be < 1.0, got {factor}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        self.factor = factor
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"ReduceLROnPlateau: expected {n} min_lrs, got {len(min_lr)}")
            self.default_min_lr, self.min_lrs = None, list(min_lr)
        else:
            self.default_min_lr, self.min_lrs = min_lr, [min_lr] * n
        self.patience, self.cooldown, self.eps = patience, cooldown, eps
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]
        self._init_is_better(mode, threshold, threshold_mode)
        self.best, self.cooldown_counter, self.num_bad_epochs = self.mode_worse, 0, 0

    def _init_is_better(self, mode, threshold, threshold_mode):
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode {mode!r} is unknown (min or max)")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode {threshold_mode!r} is unknown "
                             "(rel or abs)")
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf

    def is_better(self, a, best):
        rel = self.threshold_mode == "rel"
        if self.mode == "min":
            return a < (best * (1.0 - self.threshold) if rel else best - self.threshold)
        return a > (best * (self.threshold + 1.0) if rel else best + self.threshold)

    @property
    def in_cooldown(self):
        return self.cooldown_counter > 0

    def step(self, metrics, epoch=None):
        """Record this epoch's ``metrics``; ``epoch`` (deprecated, warns) sets ``last_epoch``."""
        current = float(metrics)  # also takes a one-element Tensor
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = epoch
        if self.is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self):
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(f"ReduceLROnPlateau: the optimizer now has {len(groups)} "
                                   f"parameter groups but min_lr lists {len(self.min_lrs)}")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old = float(group["lr"])
            new = max(old * self.factor, min_lr)
            if old - new > self.eps:
                group["lr"] = new

    def _check_state_dict(self, state_dict):
        super()._check_state_dict(state_dict)
        for key, allowed in (("mode", ("min", "max")), ("threshold_mode", ("rel", "abs"))):
            if state_dict[key] not in allowed:
                raise ValueError(f"ReduceLROnPlateau.load_state_dict: {key} "
                                 f"{state_dict[key]!r} is not one of {allowed}")
