"""Three algorithms for AlexNet's conv1 (11×11, stride 4) and conv2 (5×5, groups 2), prototyped
and measured against minidl's kernel (im2col) and PyTorch: issue 12's target 4, "find the
algorithm, measure, choose, say why".

    python benchmarks/conv_prototypes.py [--repeat 5] [--batch 32] [--check-only]

Neither prototype is in minidl's dispatch: they are the measurements that choose what goes
there next. Each is forward + the backward the layer needs (conv1: weight and bias gradients,
its input needs none; conv2: input, weight and bias gradients), as `workloads._minidl_conv`.

**Space-to-depth + Winograd, for conv1.** A stride-s convolution is a stride-1 convolution of
the s×s *phases* of the input: cell (i·s + a, j·s + b) of channel c becomes cell (i, j) of
channel (c, a, b). With the 11×11 kernel zero-padded to 12×12 = 3·4 × 3·4, conv1 (3 channels,
11×11/4 on 228² padded) becomes a 3×3 stride-1 convolution with 3·16 = 48 channels on 57²:

    x (N, 3, 228, 228) -> (N, 48, 57, 57)          w (96, 3, 12, 12) -> (96, 48, 3, 3)

which Winograd F(2×2, 3×3) computes (minidl's `winograd_cpu`). Multiply-adds: the padding
from 11 to 12 adds 19% (432 vs 363 per output), Winograd removes 2.25× of them: about 0.53×
the direct count, against im2col's 1.0× plus its 11-fold copy of the input.

**FFT, for conv2.** A 5×5 "same" convolution of a 27² map is a pointwise product of 32×32
real FFTs (32 ≥ 27 + 5 - 1: no wrap-around), summed over input channels, so per frequency
bin it is one complex matrix product (N, C) @ (C, OC): 32·17 = 544 bins of (N, 48) @ (48, 128)
per group. Real multiply-adds: 4 per complex one, so 4·544 / (25·27²) = 0.12× the direct
count, plus the transforms (O(log) per cell). Backward: the input gradient is the same
product with the filter's spectrum unconjugated (a correlation's adjoint is a convolution),
the weight gradient sum_n conj(GY[n, o]) X[n, c] per bin, cropped to 5×5.

**Four 3×3 Winograds, for conv2.** The 5×5 kernel zero-padded to 6×6 is 2×2 blocks of 3×3;
the layer is the sum of four 3×3 stride-1 convolutions of shifted views of the padded input,
each by Winograd F(2×2, 3×3): 4·9/2.25 = 16 multiply-adds per output instead of 25 (0.64×),
at the price of four input transforms.
"""
import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

CONV1 = (3, 96, 11, 4, 2, 1, 224)     # C, OC, k, stride, padding, groups, input side
CONV2 = (96, 256, 5, 1, 2, 2, 27)


# -- space to depth + Winograd (conv1) ------------------------------------------------------
def _s2d_geometry(H, k, s, p):
    OH = (H + 2 * p - k) // s + 1
    q = -(-k // s)                         # the phase kernel's side: ceil(k / s)
    E = (OH - 1 + q) * s                   # padded input side the phases cover
    return OH, q, E


def s2d_input(x, k, s, p):
    """x (N, C, H, W) -> (N, C*s*s, E/s, E/s): channel (c, a, b) holds x_pad[c, i*s+a, j*s+b]."""
    N, C, H, W = x.shape
    _, q, E = _s2d_geometry(H, k, s, p)
    xp = np.zeros((N, C, E, E), x.dtype)
    h = min(H, E - p)
    xp[:, :, p:p + h, p:p + h] = x[:, :, :h, :h]
    m = E // s
    return np.ascontiguousarray(
        xp.reshape(N, C, m, s, m, s).transpose(0, 1, 3, 5, 2, 4).reshape(N, C * s * s, m, m))


def s2d_weight(w, s):
    """w (OC, C, k, k) -> (OC, C*s*s, q, q), zero-padded from k to q*s."""
    OC, C, k, _ = w.shape
    q = -(-k // s)
    wp = np.zeros((OC, C, q * s, q * s), w.dtype)
    wp[:, :, :k, :k] = w
    return np.ascontiguousarray(
        wp.reshape(OC, C, q, s, q, s).transpose(0, 1, 3, 5, 2, 4).reshape(OC, C * s * s, q, q))


def s2d_weight_grad(gws, C, k, s):
    """The adjoint of s2d_weight: (OC, C*s*s, q, q) -> (OC, C, k, k)."""
    OC, _, q, _ = gws.shape
    g = gws.reshape(OC, C, s, s, q, q).transpose(0, 1, 4, 2, 5, 3).reshape(OC, C, q * s, q * s)
    return np.ascontiguousarray(g[:, :, :k, :k])


def s2d_conv1(x, w, b, gy, s, p):
    """Forward y and (gw, gb) of a first layer (no input gradient) by space-to-depth + Winograd."""
    from minidl.kernels.conv import winograd_cpu
    k = w.shape[2]
    xs, ws = s2d_input(x, k, s, p), s2d_weight(w, s)
    one = ((1, 1), (0, 0), (1, 1), 1)
    y = winograd_cpu.conv2d_forward(xs, ws, b, *one)
    _, gws, gb = winograd_cpu.conv2d_backward(gy, xs, ws, *one, False, True, True)
    return y, s2d_weight_grad(gws, x.shape[1], k, s), gb


# -- FFT (conv2) ----------------------------------------------------------------------------
def _bmm(a, b):
    """a (B, ..., m, k) @ b (B, ..., k, n), the B stacks split over one thread per core with
    OpenBLAS on one thread each (Winograd's scheme, `winograd_cpu._run`): the products are
    small (48 × 128), and 2-thread OpenBLAS calls on them stalled on a busy machine (0.7 s ->
    18 s for the layer, measured)."""
    from minidl.kernels.conv import winograd_cpu
    out = np.empty(a.shape[:-1] + b.shape[-1:], np.result_type(a, b))
    step = -(-a.shape[0] // (2 * winograd_cpu._threads()))
    chunks = [(i, min(a.shape[0], i + step)) for i in range(0, a.shape[0], step)]
    winograd_cpu._run(lambda t, i, j: np.matmul(a[i:j], b[i:j], out=out[i:j]), chunks)
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
    Wf = np.fft.rfft2(w, s=(L, L))                         # (OC, Cg, L, B2)
    B = L * (L // 2 + 1)
    # contiguous stacks of matrices: NumPy hands only those to BLAS (CGEMM), strided views
    # go through its own loops, measured 30x slower here
    Xb = np.ascontiguousarray(X.reshape(N, groups, Cg, B).transpose(3, 1, 0, 2))  # (B,G,N,Cg)
    Wb = np.ascontiguousarray(Wf.reshape(groups, OCg, Cg, B).transpose(3, 0, 2, 1)
                              .astype(ctype))                                   # (B,G,Cg,OCg)
    Yb = _bmm(Xb, Wb.conj())                                  # (B, G, N, OCg)
    Y = np.ascontiguousarray(Yb.transpose(2, 1, 3, 0)).reshape(N, OC, L, L // 2 + 1)
    y = np.fft.irfft2(Y, s=(L, L))[:, :, :OH, :OH].astype(x.dtype)
    if b is not None:
        y += b[:, None, None]
    gyp = np.zeros((N, OC, L, L), gy.dtype)
    gyp[:, :, :OH, :OH] = gy
    GY = np.fft.rfft2(gyp).astype(ctype, copy=False)
    GYb = np.ascontiguousarray(GY.reshape(N, groups, OCg, B).transpose(3, 1, 0, 2))
    GX = _bmm(GYb, np.ascontiguousarray(Wb.transpose(0, 1, 3, 2)))   # (B, G, N, Cg)
    GX = np.ascontiguousarray(GX.transpose(2, 1, 3, 0)).reshape(N, C, L, L // 2 + 1)
    gx = np.fft.irfft2(GX, s=(L, L))[:, :, p:p + H, p:p + W].astype(x.dtype)
    GW = _bmm(np.ascontiguousarray(GYb.conj().transpose(0, 1, 3, 2)), Xb)  # (B,G,OCg,Cg)
    GW = np.ascontiguousarray(GW.transpose(1, 2, 3, 0)).reshape(OC, Cg, L, L // 2 + 1)
    gw = np.fft.irfft2(GW, s=(L, L))[:, :, :k, :k].astype(w.dtype)
    return y, gx, gw, gy.sum(axis=(0, 2, 3))


# -- a 5×5 kernel as four 3×3 ones, each by Winograd (conv2) -----------------------------------
def split_winograd(x, w, b, gy, p, groups):
    """Forward y and (gx, gw, gb) of a stride-1 5×5 convolution as four 3×3 Winograd ones.

    With w zero-padded to 6×6 and split into 2×2 blocks w_ab (a, b in {0, 1}) of 3×3,
    y = sum_ab conv3×3(xp[3a:, 3b:], w_ab) over the padded input xp: 4·9 = 36 multiply-adds
    per output instead of 25, which Winograd F(2×2, 3×3) cuts by 2.25× to 16 (0.64×)."""
    from minidl.kernels.conv import winograd_cpu
    N, C, H, W = x.shape
    OC, Cg, k, _ = w.shape
    OH = H + 2 * p - k + 1
    E = OH + 5                             # xp's side: the a = 1 blocks read rows 3 .. OH + 4
    xp = np.zeros((N, C, E, E), x.dtype)
    xp[:, :, p:p + H, p:p + W] = x
    w6 = np.zeros((OC, Cg, 6, 6), w.dtype)
    w6[:, :, :k, :k] = w
    one = ((1, 1), (0, 0), (1, 1), groups)
    y = np.zeros((N, OC, OH, OH), x.dtype)
    gxp = np.zeros_like(xp)
    gw6 = np.zeros_like(w6)
    for a in (0, 1):
        for c in (0, 1):
            xs = np.ascontiguousarray(xp[:, :, 3 * a:3 * a + OH + 2, 3 * c:3 * c + OH + 2])
            wab = np.ascontiguousarray(w6[:, :, 3 * a:3 * a + 3, 3 * c:3 * c + 3])
            y += winograd_cpu.conv2d_forward(xs, wab, None, *one)
            gxs, gwab, _ = winograd_cpu.conv2d_backward(gy, xs, wab, *one, True, True, False)
            gxp[:, :, 3 * a:3 * a + OH + 2, 3 * c:3 * c + OH + 2] += gxs
            gw6[:, :, 3 * a:3 * a + 3, 3 * c:3 * c + 3] = gwab
    if b is not None:
        y += b[:, None, None]
    return y, gxp[:, :, p:p + H, p:p + W], gw6[:, :, :k, :k], gy.sum(axis=(0, 2, 3))


# -- checks and workloads -------------------------------------------------------------------
def _inputs(layer, N, dtype, seed=0):
    C, OC, k, s, p, g, size = layer
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, size, size)).astype(dtype)
    w = (rng.standard_normal((OC, C // g, k, k)) * (2.0 / (C // g * k * k)) ** 0.5).astype(dtype)
    b = rng.standard_normal(OC).astype(dtype)
    OH = (size + 2 * p - k) // s + 1
    gy = rng.standard_normal((N, OC, OH, OH)).astype(dtype)
    return x, w, b, gy


PROTOTYPES = {"conv1": ("space-to-depth + Winograd",),
              "conv2": ("FFT", "four 3×3 Winograd")}


def prototype(name, x, w, b, gy, algo=None):
    """(y, gx or None, gw, gb) by a prototype for layer `name` ("conv1" or "conv2");
    algo: one of PROTOTYPES[name] (default the first)."""
    algo = algo or PROTOTYPES[name][0]
    if name == "conv1":
        _, _, _, s, p, _, _ = CONV1
        y, gw, gb = s2d_conv1(x, w, b, gy, s, p)
        return y, None, gw, gb
    _, _, _, _, p, g, _ = CONV2
    return (fft_conv if algo == "FFT" else split_winograd)(x, w, b, gy, p, g)


def errors(name, N=2):
    """Normwise float32 error of each prototype and of minidl's im2col against float64 im2col:
    {algo: [fwd, gx, gw]} (gx None for conv1)."""
    from minidl.kernels.conv import cpu
    layer = CONV1 if name == "conv1" else CONV2
    C, OC, k, s, p, g, size = layer
    args = ((s, s), (p, p), (1, 1), g)
    x, w, b, gy = _inputs(layer, N, np.float64)
    need_x = name != "conv1"
    exact = (cpu.conv2d_forward(x, w, b, *args),) + cpu.conv2d_backward(
        gy, x, w, *args, need_x, True, True)[:2]
    x32, w32, b32, gy32 = (a.astype(np.float32) for a in (x, w, b, gy))
    ours = (cpu.conv2d_forward(x32, w32, b32, *args),) + cpu.conv2d_backward(
        gy32, x32, w32, *args, need_x, True, True)[:2]

    def err(got):
        return [None if e is None else float(np.linalg.norm(a - e) / np.linalg.norm(e))
                for a, e in zip(got, exact)]
    out = {"im2col": err(ours)}
    for algo in PROTOTYPES[name]:
        out[algo] = err(prototype(name, x32, w32, b32, gy32, algo)[:3])
    return out


def workload(name, N, algo):
    """A callable running prototype `algo`'s forward + backward for layer `name` at batch N."""
    x, w, b, gy = _inputs(CONV1 if name == "conv1" else CONV2, N, np.float32)
    return lambda: prototype(name, x, w, b, gy, algo)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--check-only", action="store_true", help="the errors only, no timing")
    args = ap.parse_args()
    from run import CLEAN_FLAG, reexec_without_blas_overrides
    code = reexec_without_blas_overrides(sys.argv[1:], script=__file__)
    if code is not None:
        return code
    import minidl  # noqa: F401  (configures Numba's threads before NumPy's BLAS runs)
    for name in ("conv1", "conv2"):
        for algo, e in errors(name).items():
            print(f"AlexNet {name}, {algo}: float32 error fwd / gx / gw "
                  + " / ".join("–" if v is None else f"{v:.1e}" for v in e), flush=True)
    if args.check_only:
        return 0
    from machine import blas
    from measure import Budget, compare
    from report import spread
    from workers import Worker
    print("BLAS:", blas()[0], "| removed for this run:", os.environ.get(CLEAN_FLAG, "nothing"),
          flush=True)
    ours, protos, torch = Worker("minidl"), Worker("minidl"), Worker("torch", os.cpu_count())
    try:
        for name, layer in (("conv1", CONV1), ("conv2", CONV2)):
            spec = ("conv", args.batch) + layer + (name == "conv1",)
            ours.setup(name, spec)
            torch.setup(name, spec)
            runners = {"im2col (minidl today)": ours.runner(name), "PyTorch": torch.runner(name)}
            for algo in PROTOTYPES[name]:
                protos.setup(algo, ("conv-prototype", name, args.batch, algo))
                runners[algo] = protos.runner(algo)
            ts = dict(zip(runners, compare(runners, repeat=args.repeat, min_run=0.25,
                                           attempts=3, budget=Budget(60))))
            t = ts["PyTorch"].median
            print(f"AlexNet {name}, batch {args.batch}, forward + backward (others' CPU ≤ "
                  f"{max(v.others or 0 for v in ts.values()):.2f} cores):", flush=True)
            for algo, timing in ts.items():
                print(f"  {algo:28s} {spread(timing):24s} / PyTorch {timing.median / t:.2f}",
                      flush=True)
            ours.free(name)
            torch.free(name)
            protos.free(*PROTOTYPES[name])
    finally:
        for w in (ours, protos, torch):
            w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
