"""2-D convolution on the CPU by im2col, one image per core, OpenBLAS on one thread.

Same functions and shapes as `reference.py` (its im2col algorithm; read it first) and
`cpu.py`; what differs is how the two cores share the work. `cpu.py` runs each chunk's im2col
as a parallel Numba loop, then one GEMM on OpenBLAS's threads: both cores join in every step,
and wait for each other at its end. AlexNet's conv1 (K = 363, OC = 96) and conv2 (K = 1200,
OC/groups = 128) have GEMMs too short in K and M for OpenBLAS to split well (55-72% of the
SGEMM rate), and every fork and join waits for the slowest core, which on a machine shared
with other processes is the one they took. Here each core takes whole images, one after the
other (`threads.run_chunks`: the next image goes to the first thread that is free):

* an image's output rows in bands whose column buffer is at most `BAND_BYTES` (in practice
  the whole image): a serial im2col of the band, then its GEMMs on one thread, written
  straight into y[n];
* backward: each thread sums the weight gradient of its images into its own (K, OC/groups)
  buffers (a fixed image-to-thread assignment, so the rounding is the same from run to run),
  and col2im's its images into gx[n], which no other thread touches; the threads' sums are
  added at the end.

The serial loops are `cpu.py`'s own, compiled a second time without ``parallel`` and with
``nogil`` (so the threads run side by side); nothing about the arithmetic changes.
``minidl.kernels.use(conv_algo="percore")`` (or MINIDL_CONV_ALGO=percore) selects it for the
layers auto gives to im2col (`dispatch.py`); benchmarks/conv_percore.py times it against
`cpu.py` and PyTorch.
"""
import types

import numpy as np
from numba import njit

from ..threads import run_chunks, workspace
from . import cpu

# A band's column buffer, at most (one output row when a row is larger). 32 MiB: in practice a
# whole image (AlexNet conv1 4.4 MB, conv2 7 MB, VGG-16 conv1_1 5.4 MB), whose one large GEMM
# beat 1 MiB bands that stay in cache (quiet machine, fwd+bwd: conv1 98 against 105 ms, conv2
# 254 against 300, benchmarks/NOTES.md).
BAND_BYTES = 32 << 20


def _serial(fn):
    """`fn` (a parallel Numba loop of cpu.py) compiled serially, without the GIL. Its own
    name, so Numba's on-disk cache keeps the two versions apart."""
    f = fn.py_func
    copy = types.FunctionType(f.__code__, f.__globals__, f.__name__ + "_serial",
                              f.__defaults__, f.__closure__)
    copy.__qualname__ = f.__qualname__ + "_serial"
    return njit(cache=True, nogil=True)(copy)


_im2col_runs = _serial(cpu._im2col_runs)
_im2col_strided = _serial(cpu._im2col_strided)
_col2im_rows = _serial(cpu._col2im_rows)
_add_bias = _serial(cpu._add_bias)


def _im2col_rows(x, r0, r1, spec, col):
    """cpu._im2col_rows on this thread alone."""
    if spec.stride == (1, 1) and spec.OW == x.shape[3]:
        _im2col_runs(x, r0, r1, spec, col)
    else:
        _im2col_strided(x, r0, r1, spec, col)


def _bands(OH, row_bytes, band_bytes):
    """An image's output rows as [a, b) bands of equal height whose column buffer fits."""
    per = max(1, band_bytes // max(1, row_bytes))
    count = -(-OH // per)
    per = -(-OH // count)
    return [(a, min(OH, a + per)) for a in range(0, OH, per)]


def _images(N):
    return [(n, n + 1) for n in range(N)]


def conv2d_forward(x, w, b, spec, band_bytes=None):
    """y (N, OC, OH, OW) = conv(x (N, C, H, W), w (OC, C//groups, KH, KW)) + b."""
    x, w = np.ascontiguousarray(x), np.ascontiguousarray(w)
    N, C, _, _ = x.shape
    OC, Cg, KH, KW = w.shape
    OH, OW, groups = spec.OH, spec.OW, spec.groups
    K, OCg, P = Cg * KH * KW, OC // groups, OH * OW
    wg = w.reshape(groups, OCg, K)
    b = None if b is None else np.ascontiguousarray(b, dtype=x.dtype)
    y = np.empty((N, OC, P), dtype=x.dtype)
    bands = _bands(OH, C * KH * KW * OW * x.itemsize, band_bytes or BAND_BYTES)

    def work(t, n0, n1):
        for n in range(n0, n1):
            for a, z in bands:
                col = workspace("percore-col", (C * KH * KW, (z - a) * OW), x.dtype)
                _im2col_rows(x, n * OH + a, n * OH + z, spec, col)
                for g in range(groups):
                    np.matmul(wg[g], col[g * K:(g + 1) * K],
                              out=y[n, g * OCg:(g + 1) * OCg, a * OW:z * OW])
                if b is not None:
                    _add_bias(y, n, a * OW, z * OW, b)

    run_chunks(work, _images(N))
    return y.reshape(N, OC, OH, OW)


def conv2d_backward(gy, x, w, spec, needs, band_bytes=None):
    """(gx, gw, gb) for gy (N, OC, OH, OW); `needs` = (need_x, need_w, need_b), and each
    gradient is None when its flag is False."""
    need_x, need_w, need_b = needs
    gy, x, w = (np.ascontiguousarray(a) for a in (gy, x, w))
    N, C, _, _ = x.shape
    OC, Cg, KH, KW = w.shape
    OH, OW, groups = spec.OH, spec.OW, spec.groups
    K, OCg, P = Cg * KH * KW, OC // groups, OH * OW
    wg = w.reshape(groups, OCg, K)
    gy3 = gy.reshape(N, OC, P)
    gb = gy3.sum(axis=(0, 2), dtype=np.float64).astype(gy.dtype) if need_b else None
    if not (need_x or need_w):
        return None, None, gb
    gx = np.zeros(x.shape, dtype=x.dtype) if need_x else None
    bands = _bands(OH, C * KH * KW * OW * x.itemsize, band_bytes or BAND_BYTES)
    started = set()   # the t's whose weight-gradient sum has begun

    def work(t, n0, n1):
        # keyed by t too: one pool thread may run two t's one after the other
        gwt = workspace(f"percore-gw{t}", (groups, K, OCg), w.dtype) if need_w else None
        part = workspace("percore-part", (K, OCg), w.dtype) if need_w else None
        for n in range(n0, n1):      # an image's bands stay on one thread: their col2im's
            for a, z in bands:       # overlap in gx[n]
                col = workspace("percore-col", (C * KH * KW, (z - a) * OW), x.dtype)
                _im2col_rows(x, n * OH + a, n * OH + z, spec, col)
                for g in range(groups):
                    gyr = gy3[n, g * OCg:(g + 1) * OCg, a * OW:z * OW]
                    col_g = col[g * K:(g + 1) * K]
                    if need_w:       # as (K, J) @ (J, OCg), as cpu.py does
                        if t not in started:
                            np.matmul(col_g, gyr.T, out=gwt[g])
                        else:
                            np.matmul(col_g, gyr.T, out=part)
                            gwt[g] += part
                    if need_x:       # gcol_g replaces col_g, used up above
                        np.matmul(wg[g].T, gyr, out=col_g)
                started.add(t)
                if need_x:
                    _col2im_rows(col, n * OH + a, n * OH + z, spec, gx)
        return gwt

    sums = [s for s in run_chunks(work, _images(N), dynamic=False) if s is not None]
    gw = None
    if need_w:
        total = sums[0].copy()
        for s in sums[1:]:
            total += s
        gw = np.empty(w.shape, dtype=w.dtype)    # owns its data: autograd keeps it as .grad
        cpu._transpose_last(total, gw.reshape(groups, OCg, K))
    return gx, gw, gb
