"""Checks of assignment `broadcast` (minidl/ops/_util.py): a loop that adds every element of
g into the input cell it was copied from, and finite differences through np.broadcast_to."""
import itertools

import numpy as np

from ..grading import Check, Mismatch, compare, rng
from ._common import gradcheck_kernel


def loop_sum_to_shape(g, shape):
    """The definition: each g[index] goes to the input cell broadcasting copied it from."""
    out = np.zeros(shape, dtype=np.float64)
    lead = g.ndim - len(shape)
    for idx in itertools.product(*(range(n) for n in g.shape)):
        src = tuple(0 if n == 1 else i for i, n in zip(idx[lead:], shape))
        out[src] += g[idx]
    return out


CASES = [((4, 3), (4, 3)), ((4, 3), (3,)), ((2, 4, 5, 3), (4, 1, 3)), ((2, 3), ()),
         ((3,), (1,)), ((2, 3), (1, 1)), ((2, 3), (2, 1)), ((2, 3), (1, 3)), ((1, 3), (1, 3)),
         ((5, 1, 3), (1, 3)), ((2, 1, 4), (2, 1, 4)), ((0, 3), (3,)), ((3, 0), (1, 0)),
         ((2, 2, 2, 2), (2, 1, 2, 1)), ((1,), ())]


def _case(gshape, shape):
    def run(mod):
        g = rng(21).standard_normal(gshape)
        got = mod.sum_to_shape(g, shape)
        got_shape = tuple(np.shape(got))
        if got_shape != tuple(shape):
            raise Mismatch(f"result has shape {got_shape}, expected {tuple(shape)}; hint: sum "
                           "the new leading axes away, sum the kept size-1 axes keeping them, "
                           "then reshape")
        return compare(np.asarray(got), loop_sum_to_shape(g, shape), "result", rtol=1e-12,
                       atol=1e-12, hint="every copy's gradient is summed: leading axes AND the "
                       "input's size-1 axes")
    return Check("sum_to_shape", f"g {gshape} -> {shape} against a loop over g's cells", run)


def _dtype(mod):
    g = np.ones((4, 3), np.float32)
    got = mod.sum_to_shape(g, (3,))
    if np.asarray(got).dtype != np.float32:
        raise Mismatch(f"float32 gradient came back as {np.asarray(got).dtype}")
    return "float32 stays float32"


def _grad(mod):
    shape, to = (3, 1, 2), (4, 3, 5, 2)
    return gradcheck_kernel("sum_to_shape", lambda x: np.broadcast_to(x, to).copy(),
                            lambda gy, x: (mod.sum_to_shape(gy, x.shape),),
                            [rng(22).standard_normal(shape)], mode="direction")


def checks():
    out = [_case(*c) for c in CASES]
    out += [Check("sum_to_shape", "dtype", _dtype),
            Check("sum_to_shape", "as broadcast_to's backward, (3, 1, 2) -> (4, 3, 5, 2), "
                  "against finite differences", _grad)]
    return out
