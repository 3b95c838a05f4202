"""Prototype (issue 25, target 1): im2col convolution with one image per core and one-thread BLAS.

    python benchmarks/conv_percore.py [--repeat 7] [--batch 32]   # timed against cpu.py, PyTorch

minidl's `kernels/conv/cpu.py` runs each chunk's im2col as a parallel Numba loop and then one
GEMM on OpenBLAS's threads: both cores share every (OC, K) @ (K, J) product. On AlexNet's conv1
(K = 363, OC = 96) and conv2 (K = 1200, OC/groups = 128) those GEMMs are short in K and M, and
OpenBLAS splits them poorly over threads (55-72% of the SGEMM rate). Here each core instead
takes whole images: a serial im2col of its image into its own buffer (cache-resident), then the
image's GEMMs on one thread, written straight into y[n]; backward sums each thread's weight
gradient (fixed image-to-thread assignment, so the rounding does not change from run to run)
and col2im's each image into gx[n] (disjoint: no race).

The serial im2col/col2im are cpu.py's own loops recompiled without `parallel` and with
`nogil` (so the threads run side by side); the threads and single-threaded BLAS are
winograd_cpu.py's (`_run`, threadpoolctl). Checked against the im2col reference in float64
by `check()` (and tests/benchmarks/test_conv_percore.py).
"""
import argparse
import os
import sys
import time
import types

import numpy as np
from numba import njit

from minidl.kernels.conv import cpu
from minidl.kernels.conv.winograd_cpu import _run, _threads

_SERIAL = ("_im2col_runs", "_im2col_strided", "_col2im_rows", "_add_bias")
_g = dict(vars(cpu))   # cpu.py's globals, with its parallel loops replaced by serial copies
for _name in _SERIAL:
    _f = getattr(cpu, _name).py_func
    _g[_name] = njit(nogil=True)(types.FunctionType(_f.__code__, _g, _name, _f.__defaults__,
                                                     _f.__closure__))
_im2col_rows = types.FunctionType(cpu._im2col_rows.__code__, _g, "_im2col_rows")
_col2im_rows, _add_bias = _g["_col2im_rows"], _g["_add_bias"]


BAND_BYTES = 1 << 20   # a thread's column buffer: at most this (one band of an image's rows)


def _image_chunks(N):
    return [(n, n + 1) for n in range(N)]


def _bands(OH, row_bytes, band_bytes):
    """An image's output rows [a, b) in bands whose column buffer fits `band_bytes`."""
    per = max(1, band_bytes // max(1, row_bytes))
    count = -(-OH // per)
    per = -(-OH // count)
    return [(a, min(OH, a + per)) for a in range(0, OH, per)]


def conv2d_forward(x, w, b, spec, band_bytes=None):
    x, w = np.ascontiguousarray(x), np.ascontiguousarray(w)
    N, C, _, _ = x.shape
    OC, Cg, KH, KW = w.shape
    OH, OW, groups = spec.OH, spec.OW, spec.groups
    K, OCg, P = Cg * KH * KW, OC // groups, spec.OH * spec.OW
    wg = w.reshape(groups, OCg, K)
    band_bytes = band_bytes or BAND_BYTES
    b = None if b is None else np.ascontiguousarray(b, dtype=x.dtype)
    y = np.empty((N, OC, P), dtype=x.dtype)
    bands = _bands(OH, C * KH * KW * OW * x.itemsize, band_bytes)

    def work(t, n0, n1):
        for n in range(n0, n1):
            for a, z in bands:
                col = cpu._workspace("pc-col", (C * KH * KW, (z - a) * OW), x.dtype)
                _im2col_rows(x, n * OH + a, n * OH + z, spec, col)
                for g in range(groups):
                    np.matmul(wg[g], col[g * K:(g + 1) * K],
                              out=y[n, g * OCg:(g + 1) * OCg, a * OW:z * OW])
                if b is not None:
                    _add_bias(y, n, a * OW, z * OW, b)

    _run(work, _image_chunks(N))
    return y.reshape(N, OC, OH, OW)


def conv2d_backward(gy, x, w, spec, needs, band_bytes=None):
    need_x, need_w, need_b = needs
    gy, x, w = (np.ascontiguousarray(a) for a in (gy, x, w))
    N, C, _, _ = x.shape
    OC, Cg, KH, KW = w.shape
    OH, OW, groups = spec.OH, spec.OW, spec.groups
    K, OCg, P = Cg * KH * KW, OC // groups, OH * OW
    wg = w.reshape(groups, OCg, K)
    gy3 = gy.reshape(N, OC, P)
    gx = np.zeros(x.shape, dtype=x.dtype) if need_x else None

    band_bytes = band_bytes or BAND_BYTES
    bands = _bands(OH, C * KH * KW * OW * x.itemsize, band_bytes)

    def work(t, n0, n1):
        # keyed by t as well: one pool thread may run two t's one after the other
        gwt = cpu._workspace(f"pc-gwt{t}", (groups, K, OCg), w.dtype) if need_w else None
        part = cpu._workspace("pc-part", (K, OCg), w.dtype)
        first = gwt is not None and not getattr(work, "started", {}).get(t)
        for n in range(n0, n1):       # bands of one image stay on one thread: their
            for a, z in bands:        # col2im's overlap in gx[n]
                col = cpu._workspace("pc-col", (C * KH * KW, (z - a) * OW), x.dtype)
                _im2col_rows(x, n * OH + a, n * OH + z, spec, col)
                for g in range(groups):
                    gyr = gy3[n, g * OCg:(g + 1) * OCg, a * OW:z * OW]
                    col_g = col[g * K:(g + 1) * K]
                    if need_w:
                        if first:
                            np.matmul(col_g, gyr.T, out=gwt[g])
                        else:
                            np.matmul(col_g, gyr.T, out=part)
                            gwt[g] += part
                    if need_x:
                        np.matmul(wg[g].T, gyr, out=col_g)
                first = False
                work.started[t] = True
                if need_x:
                    _col2im_rows(col, n * OH + a, n * OH + z, spec, gx)
        return gwt

    work.started = {}
    parts = [p for p in _run(work, _image_chunks(N), dynamic=False) if p is not None]
    gw = None
    if need_w:
        total = parts[0].copy()
        for p in parts[1:]:
            total += p
        gw = np.ascontiguousarray(total.transpose(0, 2, 1)).reshape(w.shape)
    gb = gy3.sum(axis=(0, 2), dtype=np.float64).astype(gy.dtype) if need_b else None
    return gx, gw, gb


LAYERS = {"conv1": (3, 96, 11, 4, 2, 1, 224), "conv2": (96, 256, 5, 1, 2, 2, 27)}


def check(n=2, seed=0):
    """Largest normwise error of this prototype against the im2col reference, float64, over
    AlexNet's conv1 and conv2 shapes (small batch) and a few odd ones."""
    from minidl.kernels.conv import reference
    from minidl.kernels.conv.spec import make_spec
    rng, worst = np.random.default_rng(seed), 0.0
    cases = [(n,) + LAYERS["conv1"], (n,) + LAYERS["conv2"], (3, 4, 6, 3, 2, 1, 2, 9),
             (2, 6, 4, 5, 1, 0, 2, 8)]
    for N, C, OC, k, s, p, g, size in cases:
        x = rng.standard_normal((N, C, size, size))
        w = rng.standard_normal((OC, C // g, k, k))
        b = rng.standard_normal(OC)
        spec = make_spec(x.shape, w.shape, s, p, 1, g)
        y = conv2d_forward(x, w, b, spec)
        y_ref = reference.conv2d_forward(x, w, b, spec)
        gy = rng.standard_normal(y.shape)
        got = conv2d_backward(gy, x, w, spec, (True, True, True))
        want = reference.conv2d_backward(gy, x, w, spec, (True, True, True))
        for a, e in zip((y,) + tuple(got), (y_ref,) + tuple(want)):
            worst = max(worst, float(np.linalg.norm(a - e) / np.linalg.norm(e)))
    return worst


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
    me = sys.modules[__name__]
    return make(cpu), make(me, 1 << 20), make(me, 64 << 20)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()
    print(f"check against the float64 reference: {check():.1e}", flush=True)
    torch = None
    try:
        import torch
        torch.set_num_threads(_threads())
    except ImportError:
        pass
    for name, layer in LAYERS.items():
        first = name == "conv1"
        fns = dict(zip(("cpu.py", "per-core", "per-core, whole images"),
                       _workloads(args.batch, *layer, first)))
        if torch is not None:
            fns["PyTorch"] = _torch_step(torch, args.batch, *layer, first)
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
        print(f"{name} batch {args.batch}: {line}; {ratios}; load {os.getloadavg()[0]:.1f}",
              flush=True)


def _torch_step(torch, N, C, OC, k, s, p, g, size, first):
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.standard_normal((N, C, size, size), dtype=np.float32))
    w = torch.from_numpy(rng.standard_normal((OC, C // g, k, k), dtype=np.float32) * 0.01)
    b = torch.zeros(OC, requires_grad=True)
    x.requires_grad_(not first)
    w.requires_grad_()
    with torch.no_grad():
        shape = torch.nn.functional.conv2d(x, w, None, s, p, 1, g).shape
    gy = torch.from_numpy(rng.standard_normal(tuple(shape), dtype=np.float32))

    def step():
        x.grad = w.grad = b.grad = None
        torch.nn.functional.conv2d(x, w, b, s, p, 1, g).backward(gy)
    return step


if __name__ == "__main__":
    main()
