"""Checks of assignment `relu` (kernels/relu/reference.py)."""
import numpy as np

from ..grading import Check, compare, rng
from ._common import gradcheck_kernel

SHAPES = [(2, 3, 4, 5), (7,), (1,), (0, 3), (3, 1, 1, 2)]


def _x(shape, seed, dtype=np.float32):
    x = rng(seed).standard_normal(shape).astype(dtype)
    if x.size >= 4:
        x.flat[0], x.flat[1] = 0.0, -0.0     # the kink itself
    return x


def _forward(shape, dtype):
    def run(mod):
        x = _x(shape, 1, dtype)
        expected = np.where(x > 0, x, 0).astype(dtype)          # the direct rule
        return compare(mod.relu_forward(x), expected, "y", dtype=dtype, atol=0,
                       rtol=0, hint="y = x where x > 0, else 0; keep x's dtype")
    return Check("relu_forward", f"x {shape} {np.dtype(dtype).name} against the rule "
                 "x if x > 0 else 0", run)


def _backward(shape, dtype):
    def run(mod):
        x = _x(shape, 2, dtype)
        y = np.where(x > 0, x, 0).astype(dtype)
        gy = rng(3).standard_normal(shape).astype(dtype)
        expected = np.array([g if v > 0 else 0 for g, v in zip(gy.ravel(), y.ravel())],
                            dtype=dtype).reshape(shape)
        return compare(mod.relu_backward(gy, y), expected, "gx", dtype=dtype,
                       atol=0, rtol=0, hint="gx = gy only where the unit was on (y > 0); "
                       "where y <= 0 no gradient passes, and y = 0 counts as off")
    return Check("relu_backward", f"gy {shape} {np.dtype(dtype).name} against a Python loop",
                 run)


def _known(mod):
    x = np.array([-2.0, -0.5, 0.0, 0.5, 3.0], dtype=np.float32)
    compare(mod.relu_forward(x), [0.0, 0.0, 0.0, 0.5, 3.0], "y", atol=0, rtol=0)
    gy = np.array([1.0, 2.0, 3.0, 4.0, 5.0], dtype=np.float32)
    compare(mod.relu_backward(gy, np.array([0, 0, 0, 0.5, 3], np.float32)),
            [0.0, 0.0, 0.0, 4.0, 5.0], "gx", atol=0, rtol=0,
            hint="where y is 0 the gradient is 0")
    return "relu([-2, -0.5, 0, 0.5, 3]) = [0, 0, 0, 0.5, 3], its gradient [0, 0, 0, 4, 5]"


def _grad(mod):
    x = rng(4).standard_normal((3, 4))
    x = np.where(np.abs(x) < 0.05, 0.5, x)           # away from the kink
    return gradcheck_kernel("relu_backward", mod.relu_forward,
                            lambda gy, x: (mod.relu_backward(gy, mod.relu_forward(x)),), [x])


def checks():
    out = [Check("relu", "known answer", _known)]
    for shape in SHAPES:
        out.append(_forward(shape, np.float32))
    out.append(_forward((4, 5), np.float64))
    for shape in SHAPES:
        out.append(_backward(shape, np.float32))
    out.append(_backward((4, 5), np.float64))
    out.append(Check("relu_backward", "(3, 4) float64 against finite differences", _grad))
    return out
