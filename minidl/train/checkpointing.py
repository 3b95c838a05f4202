"""What a training checkpoint must hold so that a resumed run continues exactly.

Weights, the optimizer (SGD's momentum buffers, each group's learning rate), the scheduler's
counters and the epoch are the obvious part. The less obvious part is randomness: the dropout
masks of the next epoch come from ``minidl.default_generator`` (or from a generator a module was
given, ``Dropout(p, generator=g)``), so the state of every such generator is saved too. The
DataLoader needs nothing: its epoch ``e`` is a function of ``(seed, e)`` alone.

The file itself -- safetensors tensors plus JSON metadata, written atomically -- is
``minidl.checkpoint``'s business; this module only decides what goes in.
"""
from ..random import Generator, default_generator


def generators(model):
    """``{name: Generator}`` for every random source a training step of ``model`` may draw from."""
    found = {"default_generator": default_generator}
    for name, module in model.named_modules():
        g = getattr(module, "generator", None)
        if isinstance(g, Generator) and all(g is not other for other in found.values()):
            found[f"module:{name}"] = g
    return found


def rng_state(model):
    return {name: g.get_state() for name, g in generators(model).items()}


def set_rng_state(model, state):
    own = generators(model)
    missing = sorted(set(own) - set(state))
    if missing:
        raise ValueError(f"checkpoint has no random state for {', '.join(missing)}: it was "
                         "written for a different model, so the run cannot continue exactly")
    for name, g in own.items():
        g.set_state(state[name])


def save(path, model, optimizer, scheduler, epoch, metrics):
    from ..checkpoint import save_checkpoint
    save_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler, epoch=epoch,
                    rng=rng_state(model), metrics=metrics)


def load(path, model, optimizer=None, scheduler=None):
    """Restore ``path`` into the given objects; returns ``(epoch, metrics)``."""
    from ..checkpoint import load_checkpoint
    info = load_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler)
    if info.get("rng") is not None:
        set_rng_state(model, info["rng"])
    return int(info.get("epoch") or 0), dict(info.get("metrics") or {})
