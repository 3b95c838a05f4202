"""Every kernel family on a tiny input, four ways: a plain direct loop, the NumPy reference, the
Numba kernel, and the CUDA kernel when a GPU is there. Prints each one's largest difference
from the direct loop, its time and its speed-up over the loop.

    python examples/kernel_tour.py

The direct loops are the definitions, written as loops over every output element (the
convolution's is `minidl.kernels.conv.naive.conv2d_direct`); on inputs this small the times
are mostly call overhead, so read the speed-ups as an order of magnitude, not a benchmark
(`benchmarks/` measures speed properly).
"""
import time

import numpy as np

import minidl
from minidl.kernels.conv import naive
from minidl.kernels.conv.spec import make_spec
from minidl.kernels.pool.spec import make_spec as make_pool_spec


def relu_direct(x):
    y = np.empty_like(x)
    for i in np.ndindex(x.shape):
        y[i] = x[i] if x[i] > 0 else 0.0
    return y


def lrn_direct(x, size=5, alpha=1e-4, beta=0.75, k=2.0):
    N, C, H, W = x.shape
    y = np.empty_like(x)
    for n, c, h, w in np.ndindex(x.shape):
        lo, hi = max(0, c - size // 2), min(C - 1, c + (size - 1) // 2)
        s = k + alpha * sum(x[n, j, h, w] ** 2 for j in range(lo, hi + 1))
        y[n, c, h, w] = x[n, c, h, w] / s ** beta
    return y


def max_pool_direct(x, k=3, s=2):
    N, C, H, W = x.shape
    OH, OW = (H - k) // s + 1, (W - k) // s + 1
    y = np.empty((N, C, OH, OW))
    for n, c, oh, ow in np.ndindex(y.shape):
        y[n, c, oh, ow] = max(x[n, c, oh * s + i, ow * s + j] for i in range(k) for j in range(k))
    return y


def splitmix64(key, i):
    """SplitMix64's finaliser of key + (i + 1) * golden, in Python integers (mod 2**64)."""
    mask = (1 << 64) - 1
    z = (key + (i + 1) * 0x9E3779B97F4A7C15) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return z ^ (z >> 31)


def dropout_direct(x, p=0.5, key=1234):
    """Element i kept when the top 32 bits of its hash are >= p * 2**32, then scaled by 1/(1-p)."""
    y = np.empty_like(x).ravel()
    for i, v in enumerate(x.ravel()):
        y[i] = v / (1 - p) if splitmix64(key, i) >> 32 >= int(p * 2 ** 32) else 0.0
    return y.reshape(x.shape)


def families(rng):
    """name -> (direct loop, function of a kernel module, arguments)."""
    x = rng.standard_normal((2, 8, 9, 9))
    w = rng.standard_normal((6, 4, 3, 3))
    spec = make_spec(x.shape, w.shape, padding=1, groups=2)
    pool = make_pool_spec(x.shape, 3, stride=2)
    return {
        "conv2d (groups=2)": (lambda: naive.conv2d_direct(x, w, None, spec),
                              lambda m, a: m.conv2d_forward(a(x), a(w), None, spec)),
        "relu": (lambda: relu_direct(x), lambda m, a: m.relu_forward(a(x))),
        "lrn (size 5)": (lambda: lrn_direct(x),
                         lambda m, a: m.lrn_forward(a(x), 5, 1e-4, 0.75, 2.0)),
        "max_pool2d 3×3/2": (lambda: max_pool_direct(x),
                             lambda m, a: m.max_pool2d_forward(a(x), pool)[0]),
        "dropout p=0.5": (lambda: dropout_direct(x),
                          lambda m, a: m.dropout_forward(a(x), 0.5, 1234)[0]),
    }


def timed(fn, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return out, best


def targets():
    """(name, kernel target, array converter, back-to-NumPy) for each target on this machine."""
    same = lambda a: a                                           # noqa: E731
    yield "reference", "reference", same, same
    yield "numba", "cpu", same, same
    if minidl.cuda.is_available():
        import cupy
        yield "cuda", "cuda", cupy.asarray, cupy.asnumpy


def tour():
    from minidl import kernels
    rng = np.random.default_rng(0)
    rows = []
    for family_name, (direct, run) in families(rng).items():
        family = {"conv2d": "conv", "relu": "relu", "lrn": "lrn", "max_pool2d": "pool",
                  "dropout": "dropout"}[family_name.split()[0]]
        expected, t_direct = timed(direct, repeat=1)
        print(f"\n{family_name}: direct loop {t_direct * 1e3:9.3f} ms")
        rows.append((family_name, "direct", 0.0, t_direct))
        for name, target, to_device, to_numpy in targets():
            module = kernels.module(family, target)
            run(module, to_device)                               # compile / warm up
            out, t = timed(lambda: to_numpy(run(module, to_device)))
            diff = float(np.max(np.abs(out - expected)))
            print(f"  {name:9s} max |diff| {diff:.1e}  {t * 1e3:9.3f} ms  "
                  f"{t_direct / t:8.1f}× the loop")
            rows.append((family_name, name, diff, t))
    return rows


if __name__ == "__main__":
    for _, name, diff, _ in tour():
        assert diff < 1e-9, (name, diff)
