"""Training curves with Winograd against im2col: does the algorithm change how a net learns?

    python benchmarks/conv_algo_training.py [--arch vgg|alexnet] [--steps 300] [--batch 32]

Trains the small VGG-A (or AlexNet) on the embedded Fashion-MNIST subset twice, each in a
process of its own: once under ``minidl.kernels.use(conv_algo="im2col")`` and once under
``use(conv_algo="winograd")`` (every 3×3 layer by Winograd F(2×2, 3×3), whatever the auto
rule would pick). Same seed, same
initial weights, same batches: the two runs differ only by float32 rounding, which grows
as training goes on. Prints the mean loss of each 50 steps, for both, and the test accuracy.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np


def train(arch, steps, batch):
    import minidl
    import minidl.functional as F
    from minidl.data.datasets.embedded import embedded_fashion_mnist
    from minidl.models import alexnet_small, vgg_small
    minidl.manual_seed(0)
    net = vgg_small("A", width=0.5) if arch == "vgg" else alexnet_small(width=0.5)
    opt = minidl.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    train_set, test_set = embedded_fashion_mnist(True), embedded_fashion_mnist(False)
    def images(ds, idx):   # HWC uint8 -> NCHW float32, normalised with the set's mean and std
        x = ds.data[idx].reshape(len(idx), 28, 28, -1).transpose(0, 3, 1, 2)
        return minidl.tensor(np.ascontiguousarray((x.astype(np.float32) / 255 - 0.286) / 0.353))

    rng = np.random.default_rng(0)
    losses = []
    net.train()
    for _ in range(steps):
        idx = rng.integers(0, len(train_set), batch)
        loss = F.cross_entropy(net(images(train_set, idx)), minidl.tensor(train_set.targets[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
    net.eval()
    correct = 0
    with minidl.no_grad():
        for s in range(0, len(test_set), 500):
            idx = np.arange(s, min(len(test_set), s + 500))
            pred = net(images(test_set, idx)).numpy().argmax(1)
            correct += int((pred == test_set.targets[idx]).sum())
    return {"losses": losses, "test_accuracy": correct / len(test_set)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", choices=["vgg", "alexnet"], default="vgg")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--child", choices=["im2col", "winograd"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        from minidl.kernels import use
        with use(conv_algo=args.child):
            print(json.dumps(train(args.arch, args.steps, args.batch)))
        return 0
    runs = {}
    for algo in ("im2col", "winograd"):
        out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", algo,
                              "--arch", args.arch, "--steps", str(args.steps), "--batch",
                              str(args.batch)], capture_output=True, text=True, check=True)
        runs[algo] = json.loads(out.stdout.strip().splitlines()[-1])
    a, b = (np.array(runs[k]["losses"]) for k in ("im2col", "winograd"))
    print(f"{args.arch}-small, batch {args.batch}: mean loss per 50 steps")
    print(f"{'steps':>9s} {'im2col':>8s} {'winograd':>9s} {'diff':>8s}")
    for s in range(0, len(a), 50):
        print(f"{s:4d}-{s + 49:<4d} {a[s:s + 50].mean():8.4f} {b[s:s + 50].mean():9.4f} "
              f"{b[s:s + 50].mean() - a[s:s + 50].mean():+8.4f}")
    print(f"loss noise (std of one 50-step window's losses / sqrt(50)): "
          f"{a[-50:].std() / np.sqrt(50):.4f}")
    print(f"test accuracy: im2col {runs['im2col']['test_accuracy']:.4f}, winograd "
          f"{runs['winograd']['test_accuracy']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
