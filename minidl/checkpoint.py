"""Training checkpoints: model, optimizer, scheduler, epoch, metrics and RNG states in one file.

    save_checkpoint("runs/last.safetensors", model=model, optimizer=opt, scheduler=sched,
                    epoch=epoch, metrics={"val_top1": 0.61},
                    rng={"default_generator": minidl.default_generator, "data": np_rng})
    ...
    info = load_checkpoint("runs/last.safetensors", model=model, optimizer=opt,
                           scheduler=sched, rng={"default_generator": minidl.default_generator,
                                                 "data": np_rng})
    start = info["epoch"] + 1

The file is an ordinary safetensors file (``minidl.serialization``): the model's weights under
``model.<name>``, the momentum buffers under ``optimizer.state.<i>.momentum_buffer``, and
everything else (hyperparameters, scheduler counters, epoch, metrics, RNG states) as JSON in
its metadata. It is written atomically, so a crash mid-save keeps the previous checkpoint.

**Loading checks everything before it changes anything**: the file itself (its checksums),
the model's keys, shapes and dtypes, the optimizer's groups, options, parameter counts and
buffers, the scheduler's state (``LambdaLR``'s ``lr_lambdas`` too), every generator state (tried
on a scratch generator of the same kind), the epoch. Only when all of them fit are the objects
loaded, so a checkpoint that does not fit raises ``CheckpointError`` and leaves every object
(and generator) as it was, never half-loaded.

The model, optimizer and scheduler are duck-typed: anything with ``state_dict()`` and
``load_state_dict()`` (the model's with ``strict=True``) works.
"""
import numpy as np

from .quoting import quote, quote_list
from .random import Generator, default_generator
from .serialization import CheckpointError, load, save
from .tensor import Tensor

FORMAT = "minidl.checkpoint"
VERSION = 1
DEFAULT_RNG = "default_generator"


def save_checkpoint(path, model=None, optimizer=None, scheduler=None, epoch=None, metrics=None,
                    rng=None, extra=None):
    """Write a training checkpoint to `path` (atomically).

    - `model`, `optimizer`, `scheduler`: their ``state_dict()`` is stored (a dict given instead
      is taken as the state dict itself);
    - `epoch`, `metrics`, `extra`: numbers, strings, lists, dicts (``extra`` may hold tensors);
    - `rng`: ``{name: generator}`` for ``minidl.Generator``s and NumPy ``Generator``s (or
      ``{name: state}`` with states already taken). ``minidl.default_generator`` is always
      saved, as ``"default_generator"``, unless `rng` has that name already.
    """
    ckpt = {"format": FORMAT, "version": VERSION}
    for key, obj in (("model", model), ("optimizer", optimizer), ("scheduler", scheduler)):
        if obj is not None:
            ckpt[key] = obj if isinstance(obj, dict) else obj.state_dict()
    states = {name: _rng_state(name, g) for name, g in (rng or {}).items()}
    states.setdefault(DEFAULT_RNG, default_generator.get_state())
    ckpt.update(epoch=epoch, metrics=metrics, rng=states, extra=extra)
    save(ckpt, path)


def load_checkpoint(path, model=None, optimizer=None, scheduler=None, rng=None, validate=None):
    """Restore a checkpoint into the given objects; return everything it holds, as a dict.

    The dict has ``epoch``, ``metrics``, ``extra``, ``rng`` (name -> state) and the raw
    ``model``/``optimizer``/``scheduler`` states. Generators named in `rng`
    (``{name: generator}``) get their saved states back; others are left alone (pass
    ``{"default_generator": minidl.default_generator}`` to restore the default one).
    `validate(ckpt)`, if given, checks the caller's own entries (``metrics``, ``extra``) with
    the rest, before anything is loaded: a ValueError or TypeError from it becomes a
    ``CheckpointError``. Raises ``CheckpointError`` (a ValueError naming the file) when
    anything does not fit; then nothing has been changed.
    """
    ckpt = load(path)
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a minidl training checkpoint (a plain state dict? "
                              "load it with minidl.load)")
    if ckpt.get("version") != VERSION:
        raise CheckpointError(f"{path}: checkpoint version {ckpt.get('version')!r}, this minidl "
                              f"reads version {VERSION}")
    epoch = ckpt.get("epoch")
    if epoch is not None and not (isinstance(epoch, int) and not isinstance(epoch, bool)
                                  and epoch >= 0):
        raise CheckpointError(f"{path}: the epoch should be a non-negative integer, got "
                              f"{epoch!r}")
    for key in ("metrics", "rng"):
        if ckpt.get(key) is not None and not isinstance(ckpt[key], dict):
            raise CheckpointError(f"{path}: {key} should be a dict, got "
                                  f"{type(ckpt[key]).__name__}")
    if validate is not None:
        _check(lambda: validate(ckpt), path, "saved")
    # first check everything, collecting what to do; then do it
    actions = []
    if model is not None:
        model_state = _section(ckpt, "model", path)
        check_model_state(model, model_state, path)
        actions.append(lambda: model.load_state_dict(model_state, strict=True))
    if optimizer is not None:
        actions.append(_plan_optimizer(optimizer, _section(ckpt, "optimizer", path), path))
    if scheduler is not None:
        sched_state = _section(ckpt, "scheduler", path)
        check = getattr(scheduler, "_check_state_dict", None)
        if check is not None:
            _check(lambda: check(sched_state), path, "scheduler")
        elif not isinstance(sched_state, dict):
            raise CheckpointError(f"{path}: the scheduler state should be a dict, got "
                                  f"{type(sched_state).__name__}")
        actions.append(lambda: scheduler.load_state_dict(sched_state))
    saved_rng = ckpt.get("rng") or {}
    for name, g in (rng or {}).items():
        if name not in saved_rng:
            raise CheckpointError(f"{path}: no state for generator {name!r} (the checkpoint "
                                  f"has {sorted(saved_rng)})")
        actions.append(_plan_rng(name, g, saved_rng[name], path))
    for act in actions:
        act()
    return ckpt


def _section(ckpt, key, path):
    if ckpt.get(key) is None:
        raise CheckpointError(f"{path}: the checkpoint holds no {key} state")
    return ckpt[key]


def _check(fn, path, what):
    """Run a check, turning its complaint into a CheckpointError that names the file."""
    try:
        return fn()
    except (ValueError, KeyError, TypeError) as e:
        raise CheckpointError(f"{path}: the {what} state does not fit: {e}") from e


def check_model_state(model, state, path):
    """Keys and shapes of `state` against ``model.state_dict()``: raise ``CheckpointError``
    (naming `path` and the first few problems of each kind) unless they all fit.

    Every value must be a numeric tensor, but its dtype need not be the model's: as in
    PyTorch, ``load_state_dict`` then copies it into the parameter, cast to the parameter's
    dtype (float64 weights load into a float32 net as float32)."""
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: the model state should be a dict of tensors, got "
                              f"{type(state).__name__}")
    not_arrays = [k for k, v in state.items()
                  if not (isinstance(v, (Tensor, np.ndarray)) and _numeric(v))]
    if not_arrays:
        raise CheckpointError(f"{path}: the model state's {_few(not_arrays)} are not numeric "
                              "tensors; nothing was loaded")
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    wrong = [f"{quote(k)[1:-1]}: checkpoint {tuple(np.shape(state[k]))}, model {tuple(np.shape(v))}"
             for k, v in own.items()
             if k in state and tuple(np.shape(state[k])) != tuple(np.shape(v))]
    problems = ([f"missing keys {_few(missing)}"] if missing else []) + \
               ([f"unexpected keys {_few(unexpected)}"] if unexpected else []) + \
               ([f"shape mismatches: {'; '.join(wrong[:_FEW])}"
                 + (f"; and {len(wrong) - _FEW} more" if len(wrong) > _FEW else "")]
                if wrong else [])
    if problems:
        raise CheckpointError(f"{path}: the model state does not fit {type(model).__name__} "
                              f"({', '.join(problems)}); nothing was loaded. Was it saved from "
                              "another architecture, or for another number of classes, input "
                              "channels or input size?")


_FEW = 3   # a mismatch error names this many keys of each kind: a whole other net is hundreds


def _few(keys):
    """``['a', 'b', 'c'] and 9 more``: the start of a long key list, in an error message."""
    return quote_list(keys, _FEW)


def _plan_optimizer(optimizer, state, path):
    prepare = getattr(optimizer, "_prepare_load", None)
    if prepare is None:  # a foreign optimizer: it checks (or not) by itself
        return lambda: optimizer.load_state_dict(state)
    groups, per_param = _check(lambda: prepare(state), path, "optimizer")

    def install():
        optimizer.param_groups, optimizer.state = groups, per_param
    return install


def _numeric(v):
    return (v.data if isinstance(v, Tensor) else v).dtype.kind in "biuf"


def _rng_state(name, g):
    if isinstance(g, Generator):
        return g.get_state()
    if isinstance(g, np.random.Generator):
        return g.bit_generator.state
    if isinstance(g, dict):
        return g  # a state taken already
    raise TypeError(f"save_checkpoint: rng[{name!r}] is a {type(g).__name__}; expected a "
                    "minidl.Generator, a numpy.random.Generator or a state dict")


def _plan_rng(name, g, state, path):
    """Check that `state` suits generator `g` -- by installing it in a scratch generator of
    the same kind, which is how the bit generator itself checks a state -- and return the
    function that installs it in `g`."""
    if isinstance(g, Generator):
        kind = type(g.np.bit_generator)
        inner = state.get("bit_generator") if isinstance(state, dict) else None
        seed = state.get("seed") if isinstance(state, dict) else None
        ok = isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0 and \
            _fits(kind, inner)
        setter = g.set_state
    elif isinstance(g, np.random.Generator):
        ok = _fits(type(g.bit_generator), state)
        setter = lambda s: setattr(g.bit_generator, "state", s)  # noqa: E731
    else:
        raise TypeError(f"load_checkpoint: rng[{name!r}] is a {type(g).__name__}; expected a "
                        "minidl.Generator or a numpy.random.Generator")
    if not ok:
        raise CheckpointError(f"{path}: the saved state of generator {name!r} does not suit "
                              f"a {type(g).__name__}")
    return lambda: setter(state)


def _fits(kind, state):
    """Whether NumPy bit generator class `kind` accepts `state` (tried on a scratch one)."""
    if not (isinstance(state, dict) and state.get("bit_generator") == kind.__name__):
        return False
    try:
        kind().state = state
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
        return False
    return True
