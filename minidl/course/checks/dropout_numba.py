"""Checks of assignment `numba` (kernels/dropout/cpu.py): the mask bit for bit against
the NumPy reference (itself checked against SplitMix64 in Python ints by the `dropout`
checks), the values, and the speed: at least SPEEDUP times the reference's, timed
alternately, best of REPEATS after a warm-up call, so that one noisy moment cannot change
the verdict."""
import time

import numpy as np

from ..grading import Check, Mismatch, compare, rng

SPEEDUP = 3.0
REPEATS = 7
TIMED_SHAPE = (8, 64, 27, 27)


def _ref():
    from minidl.kernels.dropout import reference
    return reference


def _forward(shape, p, key, dtype=np.float32):
    def run(mod):
        x = rng(71).standard_normal(shape).astype(dtype)
        y_ref, m_ref = _ref().dropout_forward(x, p, key)
        y, m = mod.dropout_forward(x, p, key)
        m = np.asarray(m)
        if m.shape != m_ref.shape or m.dtype != bool:
            raise Mismatch(f"mask has shape {m.shape}, dtype {m.dtype}; expected {shape} bool")
        if (m != m_ref).any():
            i = np.unravel_index(int(np.argmax(m != m_ref)), shape)
            raise Mismatch(f"mask differs from the NumPy reference at {i} "
                           f"({int((m != m_ref).sum())} of {m.size}); hint: hash index i + 1 "
                           "with the key, all in uint64, kept when bits >> 32 >= threshold")
        return compare(y, y_ref, "y", dtype=dtype, rtol=1e-6, atol=1e-7,
                       hint="y = x / (1 - p) where kept, 0 elsewhere")
    return Check("dropout_forward", f"x {shape} {np.dtype(dtype).name}, p={p}, key={key}, "
                 "against the NumPy reference", run)


def _backward(mod):
    x = rng(72).standard_normal((4, 5, 6)).astype(np.float32)
    _, mask = _ref().dropout_forward(x, 0.3, 5)
    return compare(mod.dropout_backward(x, mask, 0.3), _ref().dropout_backward(x, mask, 0.3),
                   "gx", dtype=np.float32, rtol=1e-6, atol=1e-7,
                   hint="gx = gy / (1 - p) where kept")


def _noncontiguous(mod):
    x = rng(73).standard_normal((6, 8)).astype(np.float32).T      # a transposed view
    y_ref, m_ref = _ref().dropout_forward(np.ascontiguousarray(x), 0.5, 11)
    y, m = mod.dropout_forward(x, 0.5, 11)
    if (np.asarray(m) != m_ref).any():
        raise Mismatch("a transposed (non-contiguous) x gave another mask: hash the elements "
                       "in C order (np.ascontiguousarray(x) first)")
    return compare(y, y_ref, "y", rtol=1e-6, atol=1e-7)


def _is_numba(mod):
    from numba.core.dispatcher import Dispatcher
    kernels = [n for n, v in vars(mod).items() if isinstance(v, Dispatcher)]
    if not kernels:
        raise NotImplementedError("@njit kernels")   # an untouched stub: none written yet
    return "compiled kernels: " + ", ".join(sorted(kernels))


def _speed(mod):
    x = rng(74).standard_normal(TIMED_SHAPE).astype(np.float32)
    ref = _ref().dropout_forward
    mod.dropout_forward(x, 0.5, 3)          # compile (or load from the cache): not timed
    ref(x, 0.5, 3)
    best_ref = best_mod = float("inf")
    for _ in range(REPEATS):                # alternate, so a busy moment hits both
        t0 = time.perf_counter()
        ref(x, 0.5, 3)
        t1 = time.perf_counter()
        mod.dropout_forward(x, 0.5, 3)
        t2 = time.perf_counter()
        best_ref, best_mod = min(best_ref, t1 - t0), min(best_mod, t2 - t1)
    factor = best_ref / best_mod
    line = (f"yours {best_mod * 1e3:.2f} ms, the NumPy reference {best_ref * 1e3:.2f} ms: "
            f"{factor:.1f}x (best of {REPEATS}, x {TIMED_SHAPE} float32)")
    if factor < SPEEDUP:
        raise Mismatch(f"{line}, needs {SPEEDUP:.0f}x; hint: one @njit loop over the flat "
                       "array that hashes, compares and scales each element, no temporaries")
    return line


def checks():
    out = [Check("(the file)", "uses Numba", _is_numba)]
    for shape, p, key in (((2, 3, 4, 5), 0.5, 1), ((1000,), 0.1, 2 ** 64 - 1), ((7,), 0.0, 2),
                          ((4, 5), 0.999, 3), ((0, 3), 0.5, 4), ((1,), 0.5, 5)):
        out.append(_forward(shape, p, key))
    out += [_forward((3, 4, 5), 0.5, 9, np.float64),
            Check("dropout_forward", "a non-contiguous x", _noncontiguous),
            Check("dropout_backward", "(4, 5, 6) float32, p=0.3", _backward),
            Check("dropout_forward", f"speed: at least {SPEEDUP:.0f}x the NumPy reference",
                  _speed)]
    return out
