"""The GPU check, in one call: every kernel family on CuPy against the CPU reference, then
the AlexNet training step on CuPy against PyTorch with cuDNN.

    python benchmarks/gpu.py [--batch 128] [--repeat 10] [--out benchmarks/RESULTS_GPU.md]
    NUMBA_ENABLE_CUDASIM=1 python benchmarks/gpu.py --simulate   # the checks' logic, no GPU

1. Kernels (`gpu_kernels.py`): conv by im2col and by Winograd, ReLU, LRN, max/avg/adaptive-avg
   pooling and dropout, forward and backward, each numba.cuda kernel on float32 CuPy arrays
   against kernels/*/reference.py in float64 on the host (normwise error; dropout's mask
   bit-equal). A failed check makes the script exit 1, after writing the report.
2. The GPU target: minidl's step (numba.cuda kernels around cuBLAS GEMMs, on CuPy arrays)
   within 2× PyTorch's (cuDNN, ``cudnn.benchmark`` on) on the same card,
   batch 128, 224×224, the paper's AlexNet (LRN, groups=2). Both nets hold the same weights and
   their logits are checked equal first; runs are interleaved; each timed call ends with a
   device synchronisation. Without PyTorch's CUDA, minidl's step is timed alone.

One call, well under ten minutes (most of it is the first step compiling the numba.cuda
kernels). Without a GPU (or without CuPy) it says so and exits 0, writing nothing.
`--simulate` runs step 1 at tiny sizes in Numba's CUDA simulator on NumPy arrays (set
NUMBA_ENABLE_CUDASIM=1 before Python starts; about a minute on 2 cores) and prints the table.
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
    run.net = tnet
    return run


def kernel_section(xp, size):
    """(Section, all passed): `gpu_kernels.check_kernels` as a table."""
    import gpu_kernels
    from report import Section
    rows = gpu_kernels.check_kernels(xp, size)
    sec = Section(
        "Kernels: numba.cuda against the NumPy reference",
        "float32 on the device against kernels/*/reference.py in float64 on the host, from the "
        "same numbers; error = ||device − reference|| / ||reference||, the worst output "
        f"(backward: every gradient). Tolerance {gpu_kernels.TOL['conv']:.0e} for conv, "
        f"{gpu_kernels.TOL['default']:.0e} for the others; dropout's mask bit-equal.",
        ["family", "op", "shape", "forward error", "backward error", "result"],
        [[r["family"], r["op"], r["shape"], f"{r['forward']:.1e}", f"{r['backward']:.1e}",
          "ok" if r["ok"] else "**FAILED**"] for r in rows])
    return sec, all(r["ok"] for r in rows)


def same_logits(net, tnet, cupy, x):
    """max |Δ logit| / max |logit| of minidl's and PyTorch's nets on the GPU, eval mode."""
    import minidl
    import numpy as np
    import torch
    net.eval()
    tnet.eval()
    try:
        with minidl.no_grad():
            a = net(minidl.tensor(cupy.asarray(x))).numpy()
        with torch.no_grad():
            b = tnet(torch.from_numpy(x).cuda()).cpu().numpy()
    finally:   # the timed steps train (dropout on)
        net.train()
        tnet.train()
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12))


def simulate():
    """The kernel checks at tiny sizes in Numba's CUDA simulator (NumPy arrays), printed."""
    from numba import config
    if not config.ENABLE_CUDASIM:
        print("gpu.py --simulate: set NUMBA_ENABLE_CUDASIM=1 in the environment before "
              "starting Python (Numba reads it when it is first imported)")
        return 2
    import numpy as np
    from report import table
    sec, ok = kernel_section(np, "tiny")
    print(f"{sec.title} (CUDA simulator, tiny sizes)\n\n{table(sec.header, sec.rows)}")
    return 0 if ok else 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS_GPU.md"))
    ap.add_argument("--simulate", action="store_true",
                    help="only the kernel checks, tiny sizes, in Numba's CUDA simulator")
    args = ap.parse_args(argv)
    if args.simulate:
        return simulate()
    cupy, reason = gpu_or_reason()
    if cupy is None:
        print(f"gpu.py: skipped, no GPU here: {reason}. The kernel checks and target 7 need a "
              "CUDA GPU (NUMBA_ENABLE_CUDASIM=1 ... --simulate checks the kernels' logic "
              "without one).")
        return 0

    import nets
    from measure import compare, time_figure
    from report import Section, Target, others, render, spread

    start = time.monotonic()
    print("[gpu] kernels against the reference ...", flush=True)
    ksec, kernels_ok = kernel_section(cupy, "full")
    print(f"[gpu] kernels: {'all ok' if kernels_ok else 'FAILED'}", flush=True)
    x, y = nets.batch(args.batch)
    net, mstep = minidl_step(cupy, x, y)
    fns = {"minidl": mstep}
    notes = []
    try:
        import torch
        if torch.cuda.is_available():
            fns["torch"] = torch_step(net, x, y)
            diff = same_logits(net, fns["torch"].net, cupy, x[:2])
            if not diff < 1e-3:
                raise RuntimeError(f"gpu.py: minidl's and PyTorch's logits differ by {diff:.1e}"
                                   " (relative): the nets are not the same function")
            notes.append(f"minidl's and PyTorch's logits agree to {diff:.1e} (max |Δ| / max "
                         "|logit|) before timing.")
    except ImportError:
        torch = None
    print("[gpu] AlexNet step ...", flush=True)
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
    sec.notes += notes
    text = render("minidl GPU benchmark", machine, [ksec, sec],
                  [f"{(time.monotonic() - start) / 60:.1f} minutes. Times in milliseconds, "
                   "median (min–max) after two warm-up steps.", ""])
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(text)
    return 0 if kernels_ok else 1


if __name__ == "__main__":
    sys.exit(main())
