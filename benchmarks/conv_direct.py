"""AlexNet's conv1 and conv2 by `kernels/conv/direct_cpu.py` (a register-blocked direct
convolution) against `cpu.py` (im2col, parallel), `percore_cpu.py` (im2col, one image per
core) and PyTorch (oneDNN), forward alone and forward + backward; VGG-16's conv1_1 too, the
other layer auto gives to im2col.

    python benchmarks/conv_direct.py [--repeat 7] [--batch 32] [--vgg-batch 8] [--no-cpu]
                                     [--layers conv1,conv2,conv1_1] [--part fwd,fwdbwd]
    python benchmarks/conv_direct.py --steps alexnet,vgg16 [--repeat 7]

Backward as the autograd node calls it: no input gradient for conv1 (a net's first layer),
all three for conv2. The contenders run interleaved (a b c d a b c d ...), so every ratio
compares runs made side by side; the load average is printed with them. PyTorch runs on as
many threads as minidl (``torch.set_num_threads``). Before timing, each layer's output and
gradients are checked against PyTorch's (when installed) to float32 rounding. The kernels'
own check is tests/kernels/test_conv_direct.py.
"""
import argparse
import os
import time

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")   # as workers.py: no spinning BLAS threads
import numpy as np  # noqa: E402

from minidl.kernels.conv import cpu, direct_cpu, percore_cpu  # noqa: E402
from minidl.kernels.conv.spec import make_spec  # noqa: E402
from minidl.kernels.threads import cpu_threads  # noqa: E402
from workloads import _torch_conv  # noqa: E402  (the suite's PyTorch conv step benchmarks/ is on sys.path)

# (C, OC, k, stride, padding, groups, size, first layer)
LAYERS = {"AlexNet conv1": (3, 96, 11, 4, 2, 1, 224, True),
          "AlexNet conv1 (64 ch)": (3, 64, 11, 4, 2, 1, 224, True),
          "AlexNet conv2": (96, 256, 5, 1, 2, 2, 27, False),
          "VGG-16 conv1_1": (3, 64, 3, 1, 1, 1, 224, True)}   # auto's other im2col layer


def _inputs(N, C, OC, k, s, p, g, size, first):
    """The same arrays (same seeds, same order) as workloads._torch_conv builds."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, size, size), dtype=np.float32)
    w = rng.standard_normal((OC, C // g, k, k), dtype=np.float32) * 0.01
    spec = make_spec(x.shape, w.shape, s, p, 1, g)
    gy = rng.standard_normal(spec.out_shape(N), dtype=np.float32)
    return x, w, np.zeros(OC, np.float32), gy, spec, (not first, True, True)


def _minidl(mod, x, w, b, gy, spec, needs, backward):
    def step():
        y = mod.conv2d_forward(x, w, b, spec)
        if backward:
            mod.conv2d_backward(gy, x, w, spec, needs)
        return y
    return step


def _torch_forward(x, w, b, spec):
    import torch
    tx, tw, tb = (torch.from_numpy(a) for a in (x, w, b))
    return lambda: torch.nn.functional.conv2d(tx, tw, tb, spec.stride, spec.padding,
                                              spec.dilation, spec.groups)


def _check(x, w, b, gy, spec, needs):
    """direct_cpu against PyTorch: forward and the gradients, relative to their size."""
    import torch
    tx, tw, tb = (torch.from_numpy(a).requires_grad_() for a in (x, w, b))
    ty = torch.nn.functional.conv2d(tx, tw, tb, spec.stride, spec.padding, spec.dilation,
                                    spec.groups)
    ty.backward(torch.from_numpy(gy))
    got = (direct_cpu.conv2d_forward(x, w, b, spec),) + \
        direct_cpu.conv2d_backward(gy, x, w, spec, needs)
    want = (ty, tx.grad, tw.grad, tb.grad)
    for name, a, e, need in zip(("y", "gx", "gw", "gb"), got, want, (True,) + needs):
        if need:
            e = e.detach().numpy()
            err = np.abs(a - e).max() / np.abs(e).max()
            assert err < 1e-4, f"direct_cpu's {name} differs from PyTorch's by {err:.1e}"


def _steps(arch, batch, repeat):
    """A whole training step of `arch` under conv_algo auto, percore and direct, interleaved
    in one process (the same net and batch; `nets.py`'s step)."""
    import nets
    from minidl import kernels
    net = nets.minidl_net(arch)
    x, y = nets.batch(batch)
    step = nets.minidl_train_step(net, x, y)
    algos = ("auto", "percore", "direct")
    times = {a: [] for a in algos}
    for a in algos:
        with kernels.use(conv_algo=a):
            step()
    for _ in range(repeat):
        for a in algos:
            with kernels.use(conv_algo=a):
                t = time.perf_counter()
                step()
                times[a].append(time.perf_counter() - t)
    med = {a: float(np.median(v)) for a, v in times.items()}
    print(f"{arch} training step, batch {batch}: " +
          ", ".join(f"{a} {1e3 * v:.0f} ms" for a, v in med.items()) +
          f"; direct/auto {med['direct'] / med['auto']:.2f}, direct/percore "
          f"{med['direct'] / med['percore']:.2f}; load {os.getloadavg()[0]:.1f}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--batch", type=int, default=32, help="AlexNet's batch (the suite's)")
    ap.add_argument("--vgg-batch", type=int, default=8, help="VGG-16's batch (the suite's)")
    ap.add_argument("--layers", default="conv1,conv2",
                    help="comma-separated parts of layer names (VGG-16's conv1_1 also matches "
                         "conv1; add 64 for AlexNet conv1 with 64 channels)")
    ap.add_argument("--part", default="fwd,fwdbwd", help="fwd, fwdbwd or both")
    ap.add_argument("--no-cpu", action="store_true", help="leave cpu.py out (slow under load)")
    ap.add_argument("--steps", default="", help="instead: whole training steps of these "
                    "nets (alexnet,vgg16) under conv_algo auto, percore and direct")
    args = ap.parse_args()
    if args.steps:
        for arch in args.steps.split(","):
            _steps(arch, args.vgg_batch if arch.startswith("vgg") else args.batch, args.repeat)
        return
    torch = None
    try:
        import torch
        torch.set_num_threads(cpu_threads())
    except ImportError:
        pass
    for name, layer in LAYERS.items():
        if not any(part in name for part in args.layers.split(",")):
            continue
        if "(64" in name and "64" not in args.layers:
            continue
        batch = args.vgg_batch if name.startswith("VGG") else args.batch
        x, w, b, gy, spec, needs = _inputs(batch, *layer)
        if torch is not None:
            _check(x, w, b, gy, spec, needs)
        for part in args.part.split(","):
            backward = part == "fwdbwd"
            mods = {"direct": direct_cpu, "percore": percore_cpu}
            if not args.no_cpu:
                mods["cpu.py"] = cpu
            fns = {k: _minidl(m, x, w, b, gy, spec, needs, backward) for k, m in mods.items()}
            if torch is not None:
                fns["PyTorch"] = (_torch_conv(batch, *layer) if backward
                                  else _torch_forward(x, w, b, spec))
            times = {k: [] for k in fns}
            for f in fns.values():
                f()
            for _ in range(args.repeat):       # interleaved: a b c d a b c d ...
                for k, f in fns.items():
                    t = time.perf_counter()
                    f()
                    times[k].append(time.perf_counter() - t)
            med = {k: float(np.median(v)) for k, v in times.items()}
            line = ", ".join(f"{k} {1e3 * v:.0f} ms" for k, v in med.items())
            ratios = ", ".join(f"direct/{k} {med['direct'] / v:.2f}" for k, v in med.items()
                               if k != "direct")
            print(f"{name} batch {batch} {part}: {line}; {ratios}; "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
