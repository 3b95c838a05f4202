"""What a training checkpoint must hold so that a resumed run continues exactly.

Weights, the optimizer (SGD's momentum buffers, each group's learning rate), the scheduler's
counters and the epoch are the obvious part. The less obvious part is randomness: the dropout
masks of the next epoch come from ``minidl.default_generator`` (or from a generator a module was
given, ``Dropout(p, generator=g)``), so the state of every such generator is saved too. The
DataLoader needs nothing: its epoch ``e`` is a function of ``(seed, e)`` alone.

The file itself -- safetensors tensors plus JSON metadata, written atomically -- is
``minidl.checkpoint``'s business; this module only decides what goes in.
"""
from ..checkpoint import FORMAT, check_model_state, load_checkpoint, save_checkpoint
from ..random import Generator, default_generator
from ..serialization import load as load_file


def generators(model):
    """``{name: Generator}`` for every random source a training step of ``model`` may draw from."""
    found = {"default_generator": default_generator}
    for name, module in model.named_modules():
        g = getattr(module, "generator", None)
        if isinstance(g, Generator) and all(g is not other for other in found.values()):
            found[f"module:{name}"] = g
    return found


def save(path, model, optimizer, scheduler, epoch, metrics):
    save_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler, epoch=epoch,
                    metrics=metrics, rng=generators(model))


def load(path, model, optimizer=None, scheduler=None, validate_metrics=None):
    """Restore ``path`` into the given objects and generators, all or nothing (a checkpoint
    that does not fit raises ``CheckpointError`` and changes nothing); returns
    ``(epoch, metrics)``. `validate_metrics(metrics)` checks the metrics first."""
    def validate(ckpt):
        if validate_metrics is not None:
            validate_metrics(dict(ckpt.get("metrics") or {}))
    info = load_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler,
                           rng=generators(model), validate=validate)
    return int(info.get("epoch") or 0), dict(info.get("metrics") or {})


def load_weights(path, model):
    """Only the weights, from a training checkpoint or a plain state-dict file (``minidl.save``).

    Returns `model`. A file that does not fit it raises ``CheckpointError`` (a short message
    naming the file and the first mismatches) and loads nothing."""
    state = load_file(path)
    if state.get("format") == FORMAT:
        load_checkpoint(path, model=model)
    else:
        check_model_state(model, state, path)
        model.load_state_dict(state)
    return model
