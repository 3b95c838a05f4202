"""The GPU figure: the AlexNet training step on CuPy against PyTorch with cuDNN.

    python benchmarks/gpu.py [--batch 128] [--repeat 10] [--out benchmarks/RESULTS_GPU.md]

Target 7: minidl's step (numba.cuda kernels around cuBLAS GEMMs, on CuPy arrays) within 2x of
PyTorch's (cuDNN, ``cudnn.benchmark`` on) on the same card, batch 128, 224×224, the paper's
AlexNet (LRN, groups=2). Both nets hold the same weights; runs are interleaved; each timed
call ends with a device synchronisation. One call, well under ten minutes (most of it is
the first step compiling the numba.cuda kernels).

Without a GPU (or without CuPy) it says so and exits 0, writing nothing.
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def gpu_or_reason():
    """(cupy, None) when a GPU is usable, else (None, why not)."""
    try:
        import cupy
    except ImportError:
        return None, "CuPy is not installed"
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return None, "CuPy finds no CUDA device"
    except Exception as e:   # no driver, no device
        return None, f"CuPy finds no usable CUDA device ({type(e).__name__})"
    return cupy, None


def minidl_step(cupy, x, y):
    import nets
    net = nets.minidl_net("alexnet").to("cuda")
    step = nets.minidl_train_step(net, cupy.asarray(x), cupy.asarray(y))
    sync = cupy.cuda.Device().synchronize

    def run():
        step()
        sync()
    return net, run


def torch_step(net, x, y):
    import torch
    import nets
    torch.backends.cudnn.benchmark = True
    tnet = nets.torch_net("alexnet", net).cuda()   # minidl's weights, copied through the host
    opt = torch.optim.SGD(tnet.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    xt, yt = torch.from_numpy(x).cuda(), torch.from_numpy(y).cuda()
    tnet.train()

    def run():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(tnet(xt), yt).backward()
        opt.step()
        torch.cuda.synchronize()
    return run


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS_GPU.md"))
    args = ap.parse_args(argv)
    cupy, reason = gpu_or_reason()
    if cupy is None:
        print(f"gpu.py: skipped, no GPU here: {reason}. Target 7 needs a CUDA GPU.")
        return 0

    import nets
    from measure import compare, time_figure
    from report import Section, Target, others, render, spread

    start = time.monotonic()
    x, y = nets.batch(args.batch)
    net, mstep = minidl_step(cupy, x, y)
    fns = {"minidl": mstep}
    try:
        import torch
        if torch.cuda.is_available():
            fns["torch"] = torch_step(net, x, y)
    except ImportError:
        torch = None
    kw = dict(repeat=args.repeat, warmup=2, min_run=0.0, attempts=2)
    ts = compare(fns, **kw) if len(fns) > 1 else [time_figure("minidl", mstep, **kw)]

    props = cupy.cuda.runtime.getDeviceProperties(0)
    card = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
    machine = {"GPU": card, "CUDA runtime": str(cupy.cuda.runtime.runtimeGetVersion()),
               "CuPy": cupy.__version__,
               "PyTorch": (f"{torch.__version__}, cuDNN {torch.backends.cudnn.version()}"
                           if "torch" in fns else "not installed / no CUDA")}
    sec = Section("AlexNet (paper) training step on the GPU, 224×224",
                  header=["batch", "minidl ms", "PyTorch ms", "ratio", "goal",
                          "others' CPU / reruns"])
    row = [args.batch, spread(ts[0])]
    if len(ts) > 1:
        r = ts[0].median / ts[1].median
        row += [spread(ts[1]), f"**{r:.2f}**", "≤ 2", others(*ts)]
        sec.targets.append(Target("7", f"AlexNet step on {card}, batch {args.batch}",
                                   "minidl/PyTorch ≤ 2", f"{r:.2f}", r <= 2.0))
    else:
        row += ["–", "–", "≤ 2", others(*ts)]
    sec.rows.append(row)
    text = render("minidl GPU benchmark", machine, [sec],
                  [f"{(time.monotonic() - start) / 60:.1f} minutes. Times in milliseconds, "
                   "median (min–max) after two warm-up steps.", ""])
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
