"""im2col against Winograd against PyTorch, per layer, forward + backward: the measurements
behind the dispatch rule in kernels/conv/dispatch.py. Winograd means F(2×2, 3×3) on the 3×3
layers, on the phases of AlexNet's conv1 (11×11/4, `phases.py`) and on 3×3 blocks of
AlexNet's conv2 (5×5, `blocks.py`).

    python benchmarks/conv_algos.py [--repeat 5] [--layers a3,v1_2,...] [--batch-vgg 8]

Three worker processes (`workers.py`): minidl under ``kernels.use(conv_algo="im2col")``,
minidl under ``use(conv_algo="winograd")``, and PyTorch, their runs interleaved (`measure.compare`), so the
ratios compare runs made side by side. Prints median ms (min–max) and both ratios. Like
run.py, it runs itself again with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE removed and prints the
BLAS kernel that loaded.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from conv_layers import ALEXNET, VGG16  # noqa: E402
from run import CLEAN_FLAG, reexec_without_blas_overrides  # noqa: E402

LAYERS = {"a" + row[0][-1]: ("AlexNet", row) for row in ALEXNET}          # a1 ... a5
LAYERS.update({"v" + row[0].split()[0][4:]: ("VGG-16", row) for row in VGG16})   # v1_1 ... v5_x


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--layers", default=",".join(LAYERS))
    ap.add_argument("--batch-vgg", type=int, default=8)
    ap.add_argument("--batch-alexnet", type=int, default=32)
    args = ap.parse_args()
    code = reexec_without_blas_overrides(sys.argv[1:], script=__file__)
    if code is not None:
        return code
    from machine import blas
    from measure import Budget, compare
    from report import spread
    from workers import Worker

    workers = {}
    for algo in ("im2col", "winograd"):
        workers[algo] = Worker("minidl", conv_algo=algo)
    workers["torch"] = Worker("torch", os.cpu_count())
    print("BLAS:", blas()[0], "| removed for this run:", os.environ.get(CLEAN_FLAG, "nothing"),
          flush=True)
    try:
        for key in args.layers.split(","):
            net, (name, C, OC, k, s, p, g, size) = LAYERS[key]
            n = args.batch_vgg if net == "VGG-16" else args.batch_alexnet
            first = name in ("conv1", "conv1_1")     # a net's first layer: no input gradient
            spec = ("conv", n, C, OC, k, s, p, g, size, first)
            for w in workers.values():
                w.setup("conv", spec)
            ts = compare({a: w.runner("conv") for a, w in workers.items()}, repeat=args.repeat,
                         min_run=0.25, attempts=2, budget=Budget(30))
            i, wg, t = ts
            print(f"{net} {name:11s} b{n}: im2col {spread(i)}  winograd {spread(wg)}  "
                  f"torch {spread(t)}   winograd/im2col {wg.median / i.median:.2f}  "
                  f"im2col/torch {i.median / t.median:.2f}  winograd/torch "
                  f"{wg.median / t.median:.2f}  (others' CPU ≤ "
                  f"{max(x.others or 0 for x in ts):.2f})", flush=True)
            for w in workers.values():
                w.free("conv")
    finally:
        for w in workers.values():
            w.close()


if __name__ == "__main__":
    sys.exit(main())
