"""Checks of assignment `cuda` (kernels/relu/cuda.py), run in Numba's CUDA simulator:
`check` starts a fresh process with NUMBA_ENABLE_CUDASIM=1 (it must be set before numba is
imported). Sizes that are not whole blocks check the bound test of the last block."""
import os

import numpy as np

from ..grading import Check, Mismatch, compare, rng

CUDA_SIMULATOR = True     # cli.check reruns itself with NUMBA_ENABLE_CUDASIM=1


def _forward(shape):
    def run(mod):
        x = rng(81).standard_normal(shape).astype(np.float32)
        if x.size > 2:
            x.flat[1] = 0.0
        y = mod.relu_forward(x)
        return compare(y, np.where(x > 0, x, 0), "y", dtype=np.float32, rtol=0, atol=0,
                       hint="each thread i < size writes y[i]; threads past the end write "
                       "nothing")
    return Check("relu_forward", f"x {shape} float32 in the simulator", run)


def _backward(shape):
    def run(mod):
        r = rng(82)
        x = r.standard_normal(shape).astype(np.float32)
        y = np.where(x > 0, x, 0).astype(np.float32)
        gy = r.standard_normal(shape).astype(np.float32)
        if gy.size > 3:
            gy.flat[3] = np.nan
        gx = mod.relu_backward(gy, y)
        return compare(gx, np.where(y > 0, gy, 0), "gx", dtype=np.float32, rtol=0, atol=0,
                       hint="gx[i] = gy[i] only where y[i] > 0")
    return Check("relu_backward", f"gy {shape} float32 in the simulator", run)


def _kernels(mod):
    from numba import cuda
    jitted = [n for n, v in vars(mod).items() if type(v).__module__.startswith("numba.cuda")
              and hasattr(v, "__getitem__")]
    if not jitted:
        raise Mismatch("no @cuda.jit kernel in the file")
    del cuda
    return "kernels: " + ", ".join(sorted(jitted))


def _not_simulated(mod):
    raise Mismatch("run through `python -m minidl.course check cuda FILE`, which starts "
                   "the CUDA simulator (NUMBA_ENABLE_CUDASIM=1)")


def checks():
    if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1":
        return [Check("(the file)", "needs the simulator", _not_simulated)]
    out = [Check("(the file)", "has @cuda.jit kernels", _kernels)]
    out += [_forward(s) for s in ((2, 3, 4, 5), (33,), (1,), (0,), (31, 2))]
    out += [_backward(s) for s in ((2, 3, 4, 5), (33,), (1,), (0,))]
    return out
