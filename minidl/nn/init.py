"""``minidl.nn.init``: fill a tensor in place with initial values (PyTorch's names).

fan_in = input channels × kernel area (in_features for a Linear), fan_out = output channels ×
kernel area. Kaiming (He) scales by sqrt(2 / fan) for ReLU nets; Xavier (Glorot) by
sqrt(2 / (fan_in + fan_out)). AlexNet and VGG themselves use plain N(0, 0.01²).
"""
import math

import numpy as np

from ..ops._util import ShapeError
from ..random import get_generator


def _fill(tensor, values):
    tensor.data[...] = tensor.xp.asarray(values, dtype=tensor.dtype)
    return tensor


_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity, param=None):
    """PyTorch's recommended gain: 1 for linear/conv/sigmoid, 5/3 tanh, sqrt(2) relu,
    sqrt(2 / (1 + slope²)) leaky_relu (slope `param`, default 0.01), 3/4 selu."""
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ShapeError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 0.75
    raise ShapeError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}, expected one of "
                     f"{_LINEAR + ('tanh', 'relu', 'leaky_relu', 'selu')}")


def _fans(tensor):
    if tensor.ndim < 2:
        raise ShapeError(f"fan in/out need a tensor of at least 2 dimensions, got shape {tensor.shape}")
    receptive = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    return _fill(tensor, get_generator(generator).np.normal(mean, std, tensor.shape))


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    return _fill(tensor, get_generator(generator).np.uniform(a, b, tensor.shape))


def constant_(tensor, val):
    tensor.data[...] = val
    return tensor


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def _fan(tensor, mode, who):
    if mode not in ("fan_in", "fan_out"):
        raise ShapeError(f"{who}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    return _fans(tensor)[0 if mode == "fan_in" else 1]


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """N(0, std²), std = gain / sqrt(fan): He et al.'s init (fan = fan_in or fan_out)."""
    fan = _fan(tensor, mode, "kaiming_normal_")
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(-bound, bound), bound = gain * sqrt(3 / fan): the same variance as kaiming_normal_."""
    fan = _fan(tensor, mode, "kaiming_uniform_")
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    fan_in, fan_out = _fans(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    fan_in, fan_out = _fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """N(mean, std²) restricted to [a, b] (a and b are values, not multiples of std).

    Out-of-range draws are redrawn until every element lies in [a, b] (rejection sampling, so
    the result follows the truncated distribution exactly).
    """
    if not a < b:
        raise ShapeError(f"trunc_normal_: need a < b, got a={a}, b={b}")
    cdf = lambda v: 0.5 * (1 + math.erf((v - mean) / (std * math.sqrt(2))))  # noqa: E731
    mass = cdf(b) - cdf(a)
    if mass < 1e-4:
        raise ShapeError(f"trunc_normal_: [a, b] = [{a}, {b}] holds only {mass:.2g} of "
                         f"N({mean}, {std}²); choose a and b nearer the mean")
    rng = get_generator(generator).np
    n = int(np.prod(tensor.shape))
    out = np.empty(0)
    while out.size < n:
        draw = rng.normal(mean, std, int((n - out.size) / mass) + 16)
        out = np.concatenate([out, draw[(draw >= a) & (draw <= b)]])
    return _fill(tensor, out[:n].reshape(tensor.shape))


def orthogonal_(tensor, gain=1.0, generator=None):
    """A (semi-)orthogonal matrix (Saxe et al. 2013), shape (rows, prod(rest)), times `gain`.

    QR of a standard normal matrix, with the signs of R's diagonal folded into Q so the result
    is uniformly distributed, as PyTorch does.
    """
    if tensor.ndim < 2:
        raise ShapeError(f"orthogonal_: only tensors with 2 or more dimensions are supported, "
                         f"got shape {tensor.shape}")
    rows = tensor.shape[0]
    cols = int(np.prod(tensor.shape)) // rows if rows else 0
    if rows == 0 or cols == 0:
        return tensor
    m = get_generator(generator).np.normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        m = m.T
    q, r = np.linalg.qr(m)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))
