"""Shared pieces for the model tests."""
import numpy as np

import minidl
from minidl.nn import Conv2d, Linear


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def image(n, c, size, seed=0, dtype=np.float32):
    return minidl.tensor(np.random.default_rng(seed).standard_normal((n, c, size, size))
                         .astype(dtype))


def weight_layers(model):
    return [m for m in model.modules() if isinstance(m, (Conv2d, Linear))]


def out_shape(model, x):
    """Output shape(s) of an eval-mode forward without gradients."""
    model.eval()
    with minidl.no_grad():
        return model(x).shape
