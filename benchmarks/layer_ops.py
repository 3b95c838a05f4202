"""Time the non-convolution kernels on AlexNet's activation sizes (batch 32), forward+backward.

    python benchmarks/layer_ops.py [--repeat 10] [--no-torch]

For each op: minidl's kernels (array level, as the autograd node calls them) and, when PyTorch
is installed, torch.nn.functional with autograd, both forward+backward, with the ratio
minidl / torch (the targets: <= 1.0, and LRN 3x faster: <= 0.33). Also the bytes each op
must move at least (read x, write y, read gy, write gx, plus what backward reads back),
as a fraction of a large NumPy copy's bandwidth measured in the same run.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import median_time  # noqa: E402

import minidl.kernels as kernels  # noqa: E402
from minidl.kernels.pool.spec import make_spec as make_pool_spec  # noqa: E402

N = 32
CASES = [  # name, input shape, bytes touched per element of the input (fwd + bwd, float32)
    ("relu conv1", (N, 96, 55, 55), 4 * 5),        # x, y | gy, y, gx
    ("lrn conv1", (N, 96, 55, 55), 4 * 5),         # x, y | gy, x, gx
    ("lrn conv2", (N, 256, 27, 27), 4 * 5),
    ("maxpool1 3/2", (N, 96, 55, 55), 4 * 3.6),    # x, ~y/4, argmax/4 | gy/4, argmax/4, gx
    ("maxpool2 3/2", (N, 256, 27, 27), 4 * 3.6),
    ("maxpool5 3/2", (N, 256, 13, 13), 4 * 3.6),
    ("dropout fc6", (N, 4096), 4 * 4 + 2),         # x, y, mask | gy, mask, gx
]


def copy_bandwidth(mb=256):
    """Bytes per second of a large NumPy copy (read + write), the memory-bandwidth yardstick."""
    a = np.ones(mb << 18, np.float32)
    b = np.empty_like(a)
    return 2 * a.nbytes / median_time(lambda: np.copyto(b, a), 5)


def minidl_step(name, x):
    gy = np.ones_like(x)
    if name.startswith("relu"):
        k = kernels.select("relu", x)
        return lambda: k.relu_backward(gy, k.relu_forward(x))
    if name.startswith("lrn"):
        k = kernels.select("lrn", x)
        return lambda: (k.lrn_forward(x, 5, 1e-4, 0.75, 2.0),
                        k.lrn_backward(gy, x, 5, 1e-4, 0.75, 2.0))
    if name.startswith("maxpool"):
        k = kernels.select("pool", x)
        args = make_pool_spec(x.shape, 3, stride=2)

        def step():
            y, idx = k.max_pool2d_forward(x, args)
            k.max_pool2d_backward(np.ones_like(y), idx, x.shape, args)
        return step
    k = kernels.select("dropout", x)
    return lambda: k.dropout_backward(gy, k.dropout_forward(x, 0.5, 1234)[1], 0.5)


def torch_step(name, x):
    import torch
    F = torch.nn.functional
    xt = torch.tensor(x, requires_grad=True)
    fn = {"relu": F.relu, "lrn": lambda t: F.local_response_norm(t, 5, 5e-4, 0.75, 2.0),
          "maxpool": lambda t: F.max_pool2d(t, 3, 2), "dropout": lambda t: F.dropout(t, 0.5)}
    f = fn[name.split()[0].rstrip("0123456789")]

    def step():
        y = f(xt)
        y.backward(torch.ones_like(y))
        xt.grad = None
    return step


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--no-torch", action="store_true")
    args = ap.parse_args()
    use_torch = not args.no_torch
    kernels.select("relu", np.zeros(1))   # start Numba's threads before torch loads its OpenMP
    if use_torch:                         # (see kernels/threads.py)
        try:
            import torch
            torch.set_num_threads(os.cpu_count())
        except ImportError:
            use_torch = False
    bw = copy_bandwidth()
    print(f"NumPy copy bandwidth: {bw / 1e9:.1f} GB/s (read + write)   "
          f"kernels: {kernels.current().target}")
    print(f"{'op (fwd+bwd)':16s} {'shape':>18s} {'minidl ms':>10s} {'% bw':>6s}"
          + (f" {'torch ms':>9s} {'ratio':>6s}" if use_torch else ""))
    for name, shape, bytes_per in CASES:
        x = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
        t = median_time(minidl_step(name, x), args.repeat)
        line = (f"{name:16s} {str(shape):>18s} {t * 1e3:10.2f} "
                f"{100 * x.size * bytes_per / t / bw:5.0f}%")
        if use_torch:
            tt = median_time(torch_step(name, x), args.repeat)
            line += f" {tt * 1e3:9.2f} {t / tt:6.2f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
