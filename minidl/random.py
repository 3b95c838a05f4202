"""Random number generators: ``minidl.Generator``, ``minidl.manual_seed``.

A ``Generator`` wraps a NumPy ``PCG64`` bit generator. Everything random in minidl that is not
given its own generator or seed draws from the default one, as PyTorch's global generator:
``randn``/``rand``, weight initialisation, dropout masks, the samplers (``RandomSampler``, ...),
a ``DataLoader``'s seed (its shuffle, augmentations and worker seeds; drawn once when the loader
is made) and random transforms called outside a loader. So ``minidl.manual_seed(0)`` makes a run
reproduce bit for bit; an explicit ``seed=`` or ``generator=`` still wins. Its state is a small dict of
integers (``get_state``/``set_state``), which is how checkpoints save it (as JSON, no pickle).
"""
import numpy as np


class Generator:
    """A seedable source of random numbers, like ``torch.Generator``."""

    def __init__(self, seed=None):
        self.manual_seed(np.random.SeedSequence().entropy if seed is None else seed)

    def manual_seed(self, seed):
        seed = int(seed)
        if seed < 0:
            raise ValueError(f"seed must be non-negative, got {seed}")
        self._seed = seed
        self.np = np.random.Generator(np.random.PCG64(seed))  # the NumPy generator underneath
        return self

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The generator's state as a JSON-friendly dict."""
        return {"seed": self._seed, "bit_generator": self.np.bit_generator.state}

    def set_state(self, state):
        seed = int(state["seed"])
        self.np.bit_generator.state = state["bit_generator"]   # checks it: first, so a bad
        self._seed = seed                                       # state changes nothing

    def __repr__(self):
        return f"Generator(seed={self._seed})"


default_generator = Generator(0)


def manual_seed(seed):
    """Seed the default generator (all randomness that is not given its own generator)."""
    return default_generator.manual_seed(seed)


def initial_seed():
    """The seed of the default generator (PyTorch's ``torch.initial_seed()``); inside a
    DataLoader worker, that worker's seed (``get_worker_info().seed``), as PyTorch's."""
    import sys
    workers = sys.modules.get("minidl.data.workers")   # loaded whenever a worker runs
    info = workers.get_worker_info() if workers is not None else None
    return info.seed if info is not None else default_generator.initial_seed()


def seed():
    """Seed the default generator from the OS's entropy; return that seed (``torch.seed()``)."""
    value = int(np.random.SeedSequence().entropy) % 2 ** 63
    default_generator.manual_seed(value)
    return value


def get_generator(generator=None):
    return default_generator if generator is None else generator
