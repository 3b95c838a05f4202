"""AlexNet's conv1 and conv2 (and VGG-16's conv1_1, the other layer auto
gives to im2col), fwd+bwd, by `kernels/conv/percore_cpu.py` (im2col with one image per core
and one-thread OpenBLAS) against `cpu.py` and PyTorch.

    python benchmarks/conv_percore.py [--repeat 7] [--batch 32] [--vgg-batch 8] [--layers conv1_1]

Each layer's forward + backward (no input gradient for conv1, a net's first layer), the
framework's kernels as the autograd node calls them; the four are interleaved (a b c d a b c
d ...), so every ratio compares runs made side by side; the load average is printed with
them. Run it with OPENBLAS_CORETYPE unset (as run.py does), so OpenBLAS picks its kernel for
this CPU. percore_cpu.py's check against the float64 im2col reference is
tests/kernels/test_conv_percore.py.
"""
import argparse
import os
import time

import numpy as np

from minidl.kernels.conv import cpu, percore_cpu
from minidl.kernels.threads import cpu_threads
from workloads import _torch_conv   # the suite's PyTorch conv step (benchmarks/ is on sys.path)

# the layers auto gives to im2col in the suite's nets: (C, OC, k, stride, padding, groups, size)
LAYERS = {"AlexNet conv1": (3, 96, 11, 4, 2, 1, 224), "AlexNet conv2": (96, 256, 5, 1, 2, 2, 27),
          "VGG-16 conv1_1": (3, 64, 3, 1, 1, 1, 224)}
FIRST = ("AlexNet conv1", "VGG-16 conv1_1")   # a net's first layer: no input gradient


def _workloads(N, C, OC, k, s, p, g, size, first):
    from minidl.kernels.conv.spec import make_spec
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, size, size), dtype=np.float32)
    w = rng.standard_normal((OC, C // g, k, k), dtype=np.float32) * 0.01
    b = np.zeros(OC, np.float32)
    spec = make_spec(x.shape, w.shape, s, p, 1, g)
    gy = rng.standard_normal(cpu.conv2d_forward(x, w, b, spec).shape, dtype=np.float32)
    needs = (not first, True, True)

    def make(mod, *band):
        def step():
            mod.conv2d_forward(x, w, b, spec, *band)
            mod.conv2d_backward(gy, x, w, spec, needs, *band)
        return step
    return make(cpu), make(percore_cpu, 1 << 20), make(percore_cpu, 64 << 20)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--batch", type=int, default=32, help="AlexNet's batch (the suite's)")
    ap.add_argument("--vgg-batch", type=int, default=8, help="VGG-16's batch (the suite's)")
    ap.add_argument("--layers", default="", help="comma-separated parts of layer names "
                    "(default: all of AlexNet conv1, conv2, VGG-16 conv1_1)")
    args = ap.parse_args()
    torch = None
    try:
        import torch
        torch.set_num_threads(cpu_threads())
    except ImportError:
        pass
    for name, layer in LAYERS.items():
        if args.layers and not any(part in name for part in args.layers.split(",")):
            continue
        first = name in FIRST
        batch = args.vgg_batch if name.startswith("VGG") else args.batch
        fns = dict(zip(("cpu.py", "per-core", "per-core, whole images"),
                       _workloads(batch, *layer, first)))
        if torch is not None:
            fns["PyTorch"] = _torch_conv(batch, *layer, first)
        times = {k: [] for k in fns}
        for f in fns.values():
            f()
        for _ in range(args.repeat):       # interleaved: a b c a b c ...
            for k, f in fns.items():
                t = time.perf_counter()
                f()
                times[k].append(time.perf_counter() - t)
        med = {k: float(np.median(v)) for k, v in times.items()}
        line = ", ".join(f"{k} {1e3 * v:.0f} ms" for k, v in med.items())
        ratios = (f"per-core/cpu.py {med['per-core'] / med['cpu.py']:.2f}, whole images/"
                  f"cpu.py {med['per-core, whole images'] / med['cpu.py']:.2f}")
        if "PyTorch" in med:
            ratios += (f", cpu.py/PyTorch {med['cpu.py'] / med['PyTorch']:.2f}, "
                       f"per-core/PyTorch {med['per-core'] / med['PyTorch']:.2f}")
        print(f"{name} batch {batch}: {line}; {ratios}; load {os.getloadavg()[0]:.1f}",
              flush=True)


if __name__ == "__main__":
    main()
