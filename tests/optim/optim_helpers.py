"""Small shared pieces for the optimizer tests."""
import numpy as np

import minidl
from minidl.nn import Parameter


def param(values, dtype=np.float32):
    return Parameter(np.array(values, dtype=dtype))


def set_grad(p, values):
    p.grad = minidl.tensor(np.asarray(values, dtype=p.dtype))


def cubic_grad(p):
    """The gradient of a fixed non-quadratic loss sum(p^4/4 - p^2/4): depends on p, so
    optimizers that drift apart show it quickly."""
    return p ** 3 - 0.5 * p
