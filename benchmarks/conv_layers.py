"""Time AlexNet's five convolutions (batch 32, 224×224, the paper's groups=2) against the GEMM rate.

    python benchmarks/conv_layers.py [--batch 32] [--repeat 5] [--vgg] [--torch] [--reference]

For each layer: forward and forward+backward milliseconds (median of --repeat runs after a
warm-up) and GFLOP/s, beside the NumPy float32 GEMM rate (4096² sgemm) measured in the same run.
The ratio to that rate is the suite's target for each layer (>= 70% forward+backward).

FLOPs count 2 per multiply-add: forward 2*N*OC*OH*OW*(C/groups)*KH*KW; backward adds the same
for the weight gradient and, except for the first layer (whose input is the image, so no input
gradient is needed), the same again for the input gradient.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import gemm_gflops, median_time  # noqa: E402

import minidl.kernels as kernels  # noqa: E402
from minidl.kernels.conv.spec import make_spec  # noqa: E402
from minidl.kernels.shapes import conv_output_size  # noqa: E402

# name, C, OC, kernel, stride, padding, groups, input size
ALEXNET = [
    ("conv1", 3, 96, 11, 4, 2, 1, 224),
    ("conv2", 96, 256, 5, 1, 2, 2, 27),
    ("conv3", 256, 384, 3, 1, 1, 1, 13),
    ("conv4", 384, 384, 3, 1, 1, 2, 13),
    ("conv5", 384, 256, 3, 1, 1, 2, 13),
]
VGG16 = [  # the distinct shapes of VGG-16 (config D), with how often each occurs
    ("conv1_1", 3, 64, 3, 1, 1, 1, 224), ("conv1_2 ×1", 64, 64, 3, 1, 1, 1, 224),
    ("conv2_1", 64, 128, 3, 1, 1, 1, 112), ("conv2_2 ×1", 128, 128, 3, 1, 1, 1, 112),
    ("conv3_1", 128, 256, 3, 1, 1, 1, 56), ("conv3_x ×2", 256, 256, 3, 1, 1, 1, 56),
    ("conv4_1", 256, 512, 3, 1, 1, 1, 28), ("conv4_x ×2", 512, 512, 3, 1, 1, 1, 28),
    ("conv5_x ×3", 512, 512, 3, 1, 1, 1, 14),
]


def layer_flops(N, C, OC, k, groups, OH, OW):
    return 2.0 * N * OC * OH * OW * (C // groups) * k * k


def bench_minidl(N, C, OC, k, s, p, g, size, first, repeat, dtype=np.float32):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, size, size), dtype=dtype)
    w = rng.standard_normal((OC, C // g, k, k), dtype=dtype) * 0.01
    b = np.zeros(OC, dtype)
    conv = kernels.select("conv", x)
    args = make_spec(x.shape, w.shape, s, p, 1, g)
    y = conv.conv2d_forward(x, w, b, args)
    gy = np.ones_like(y)

    def step():
        conv.conv2d_forward(x, w, b, args)
        conv.conv2d_backward(gy, x, w, args, (not first, True, True))

    fwd = median_time(lambda: conv.conv2d_forward(x, w, b, args), repeat)
    both = median_time(step, repeat)
    return fwd, both


def bench_torch(N, C, OC, k, s, p, g, size, first, repeat):
    import torch
    x = torch.randn(N, C, size, size, requires_grad=not first)
    w = torch.randn(OC, C // g, k, k, requires_grad=True)
    b = torch.zeros(OC, requires_grad=True)

    def fwd():
        with torch.no_grad():
            torch.nn.functional.conv2d(x, w, b, s, p, 1, g)

    def step():
        y = torch.nn.functional.conv2d(x, w, b, s, p, 1, g)
        y.backward(torch.ones_like(y))

    return median_time(fwd, repeat), median_time(step, repeat)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--vgg", action="store_true", help="also VGG-16's conv layers (batch 8)")
    ap.add_argument("--torch", action="store_true", help="also time torch.nn.functional.conv2d")
    ap.add_argument("--reference", action="store_true", help="time the NumPy reference kernels")
    args = ap.parse_args()
    with kernels.use(target="reference" if args.reference else None):
        run(args)


def run(args):
    kernels.select("conv", np.zeros(1))   # start Numba's threads before torch loads its OpenMP
    if args.torch:                        # (see kernels/threads.py)
        import torch
        torch.set_num_threads(os.cpu_count())

    gemm = gemm_gflops()
    print(f"NumPy float32 GEMM 4096²: {gemm:.0f} GFLOP/s   (kernels: {kernels.current().target}, "
          f"OPENBLAS_THREAD_TIMEOUT={os.environ.get('OPENBLAS_THREAD_TIMEOUT', 'unset')}: "
          "see kernels/threads.py)")
    nets = [("AlexNet", ALEXNET, args.batch)] + ([("VGG-16", VGG16, 8)] if args.vgg else [])
    for net, layers, N in nets:
        print(f"\n{net}, batch {N}, float32")
        head = (f"{'layer':12s} {'fwd ms':>8s} {'GF/s':>6s} {'f+b ms':>8s} {'GF/s':>6s} "
                f"{'% GEMM':>7s}")
        print(head + ("   torch fwd / f+b ms (GF/s)" if args.torch else ""))
        for i, (name, C, OC, k, s, p, g, size) in enumerate(layers):
            first = i == 0
            OH = conv_output_size(size, k, s, p)
            f1 = layer_flops(N, C, OC, k, g, OH, OH)
            f3 = f1 * (2 if first else 3)
            fwd, both = bench_minidl(N, C, OC, k, s, p, g, size, first, args.repeat)
            line = (f"{name:12s} {fwd * 1e3:8.1f} {f1 / fwd / 1e9:6.0f} {both * 1e3:8.1f} "
                    f"{f3 / both / 1e9:6.0f} {100 * f3 / both / 1e9 / gemm:6.0f}%")
            if args.torch:
                tf, tb = bench_torch(N, C, OC, k, s, p, g, size, first, args.repeat)
                line += (f"   {tf * 1e3:6.1f} / {tb * 1e3:6.1f} "
                         f"({f1 / tf / 1e9:.0f} / {f3 / tb / 1e9:.0f})")
            print(line, flush=True)


if __name__ == "__main__":
    main()
