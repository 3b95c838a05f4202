"""AlexNet's conv2 (5×5, groups 2, 27²) by FFT: a prototype, measured against minidl's kernel
(3×3 blocks by Winograd, `kernels/conv/rewrites/blocks.py`), im2col and PyTorch, and not
adopted (benchmarks/NOTES.md says why): the alternative that lost, for this layer.

    python benchmarks/conv_fft.py [--repeat 5] [--batch 32] [--check-only]

A 5×5 "same" convolution of a 27² map is a pointwise product of 32×32 real FFTs (32 ≥ 27 + 5 - 1:
no wrap-around reaches the output), summed over input channels, so per frequency bin it is one
complex matrix product (N, C) @ (C, OC): 32·17 = 544 bins of (N, 48) @ (48, 128) per group. Real
multiply-adds: 4 per complex one, 4·544 / (25·27²) = 0.12× the direct count. Backward: the input
gradient is the same product with the filter's spectrum unconjugated (a correlation's adjoint
is a convolution); the weight gradient is sum_n conj(GY[n, o]) X[n, c] per bin, cut to 5×5.
The catch is the transforms: 6 batches of 32×32 FFTs per step, 47,000 of them at batch 32,
which NumPy's FFT runs on one core.
"""
import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

CONV2 = (96, 256, 5, 1, 2, 2, 27)     # C, OC, k, stride, padding, groups, input side


def _bmm(a, b):
    """a (B, ..., m, k) @ b (B, ..., k, n), the B stacks split over one thread per core with
    OpenBLAS on one thread each (Winograd's scheme, `run_chunks` in `kernels/threads.py`): the
    products are small (48 × 128), and 2-thread OpenBLAS calls on them stalled on a busy machine (0.7 s ->
    18 s for the layer, measured)."""
    from minidl.kernels import threads
    out = np.empty(a.shape[:-1] + b.shape[-1:], np.result_type(a, b))
    step = -(-a.shape[0] // (2 * threads.cpu_threads()))
    chunks = [(i, min(a.shape[0], i + step)) for i in range(0, a.shape[0], step)]
    threads.run_chunks(lambda t, i, j: np.matmul(a[i:j], b[i:j], out=out[i:j]), chunks)
    return out


def fft_conv(x, w, b, gy, p, groups, L=None):
    """Forward y and (gx, gw, gb) of a stride-1 convolution by FFTs of side L (default: the
    smallest power of two ≥ H + 2p, so no wrap-around reaches the output)."""
    N, C, H, W = x.shape
    OC, Cg, k, _ = w.shape
    OH, OCg = H + 2 * p - k + 1, OC // groups
    L = L or 1 << (H + 2 * p - 1).bit_length()
    ctype = np.result_type(x.dtype, np.complex64)
    xp = np.zeros((N, C, L, L), x.dtype)
    xp[:, :, p:p + H, p:p + W] = x
    X = np.fft.rfft2(xp)                                   # (N, C, L, L//2+1)
    Wf = np.fft.rfft2(w, s=(L, L))                         # (OC, Cg, L, L//2+1)
    B = L * (L // 2 + 1)
    # contiguous stacks of matrices: NumPy hands only those to BLAS (CGEMM); strided views
    # go through its own loops, measured 30× slower here
    Xb = np.ascontiguousarray(X.reshape(N, groups, Cg, B).transpose(3, 1, 0, 2))  # (B,G,N,Cg)
    Wb = np.ascontiguousarray(Wf.reshape(groups, OCg, Cg, B).transpose(3, 0, 2, 1)
                              .astype(ctype))                                   # (B,G,Cg,OCg)
    Yb = _bmm(Xb, Wb.conj())                                                    # (B,G,N,OCg)
    Y = np.ascontiguousarray(Yb.transpose(2, 1, 3, 0)).reshape(N, OC, L, L // 2 + 1)
    y = np.fft.irfft2(Y, s=(L, L))[:, :, :OH, :OH].astype(x.dtype)
    if b is not None:
        y += b[:, None, None]
    gyp = np.zeros((N, OC, L, L), gy.dtype)
    gyp[:, :, :OH, :OH] = gy
    GY = np.fft.rfft2(gyp).astype(ctype, copy=False)
    GYb = np.ascontiguousarray(GY.reshape(N, groups, OCg, B).transpose(3, 1, 0, 2))
    GX = _bmm(GYb, np.ascontiguousarray(Wb.transpose(0, 1, 3, 2)))              # (B,G,N,Cg)
    GX = np.ascontiguousarray(GX.transpose(2, 1, 3, 0)).reshape(N, C, L, L // 2 + 1)
    gx = np.fft.irfft2(GX, s=(L, L))[:, :, p:p + H, p:p + W].astype(x.dtype)
    GW = _bmm(np.ascontiguousarray(GYb.conj().transpose(0, 1, 3, 2)), Xb)        # (B,G,OCg,Cg)
    GW = np.ascontiguousarray(GW.transpose(1, 2, 3, 0)).reshape(OC, Cg, L, L // 2 + 1)
    gw = np.fft.irfft2(GW, s=(L, L))[:, :, :k, :k].astype(w.dtype)
    return y, gx, gw, gy.sum(axis=(0, 2, 3))


def inputs(N, dtype, seed=0):
    C, OC, k, s, p, g, size = CONV2
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, size, size)).astype(dtype)
    w = (rng.standard_normal((OC, C // g, k, k)) * (2.0 / (C // g * k * k)) ** 0.5).astype(dtype)
    b = rng.standard_normal(OC).astype(dtype)
    gy = rng.standard_normal((N, OC, size, size)).astype(dtype)
    return x, w, b, gy


def error(N=1):
    """Normwise float32 error of the FFT prototype against float64 im2col: [fwd, gx, gw]."""
    from minidl.kernels.conv import cpu
    from minidl.kernels.conv.spec import make_spec
    C, OC, k, s, p, g, size = CONV2
    x, w, b, gy = inputs(N, np.float64)
    args = make_spec(x.shape, w.shape, s, p, 1, g)
    exact = (cpu.conv2d_forward(x, w, b, args),) + cpu.conv2d_backward(
        gy, x, w, args, (True, True, True))[:2]
    got = fft_conv(*(a.astype(np.float32) for a in (x, w, b, gy)), p, g)[:3]
    return [float(np.linalg.norm(a - e) / np.linalg.norm(e)) for a, e in zip(got, exact)]


def workload(N):
    """A callable running the FFT prototype's forward + backward at batch N (`workloads.py`)."""
    x, w, b, gy = inputs(N, np.float32)
    return lambda: fft_conv(x, w, b, gy, CONV2[4], CONV2[5])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--check-only", action="store_true", help="the error only, no timing")
    args = ap.parse_args()
    from run import CLEAN_FLAG, reexec_without_blas_overrides
    code = reexec_without_blas_overrides(sys.argv[1:], script=__file__)
    if code is not None:
        return code
    import minidl  # noqa: F401  (configures Numba's threads before NumPy's BLAS runs)
    print("AlexNet conv2 by FFT: float32 error fwd / gx / gw "
          + " / ".join(f"{e:.1e}" for e in error()), flush=True)
    if args.check_only:
        return 0
    from machine import blas
    from measure import Budget, compare
    from report import spread
    from workers import Worker
    print("BLAS:", blas()[0], "| removed for this run:", os.environ.get(CLEAN_FLAG, "nothing"),
          flush=True)
    workers = {"minidl (dispatch)": Worker("minidl"),
               "minidl im2col": Worker("minidl", conv_algo="im2col"),
               "FFT prototype": Worker("minidl"), "PyTorch": Worker("torch", os.cpu_count())}
    spec = ("conv", args.batch) + CONV2 + (False,)
    try:
        for name, w in workers.items():
            w.setup("conv2", ("conv-fft", args.batch) if name == "FFT prototype" else spec)
        ts = dict(zip(workers, compare({k: w.runner("conv2") for k, w in workers.items()},
                                       repeat=args.repeat, min_run=0.25, attempts=3,
                                       budget=Budget(60))))
    finally:
        for w in workers.values():
            w.close()
    t = ts["PyTorch"].median
    print(f"AlexNet conv2, batch {args.batch}, forward + backward (others' CPU ≤ "
          f"{max(v.others or 0 for v in ts.values()):.2f} cores):")
    for name, timing in ts.items():
        print(f"  {name:20s} {spread(timing):24s} / PyTorch {timing.median / t:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
