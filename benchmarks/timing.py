"""Small timing helpers shared by the benchmark scripts."""
import time

import numpy as np


def median_time(fn, repeat=5, warmup=1):
    """Median wall-clock seconds of `fn()` over `repeat` runs, after `warmup` untimed runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def gemm_gflops(n=4096, repeat=3):
    """The NumPy float32 matrix-multiply rate on n×n matrices, GFLOP/s (the BLAS's best case)."""
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    out = np.empty_like(a)
    return 2.0 * n ** 3 / median_time(lambda: np.matmul(a, a, out=out), repeat) / 1e9
