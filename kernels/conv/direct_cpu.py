"""2-D convolution on the CPU by a register-blocked direct loop: no column matrix, no BLAS.

Same functions and shapes as `reference.py` (the convolution it computes is `naive.py`'s loop):

    conv2d_forward(x (N, C, H, W), w (OC, C//groups, KH, KW), b (OC,) or None, spec)
        -> y (N, OC, OH, OW)
    conv2d_backward(gy (N, OC, OH, OW), x, w, spec, (need_x, need_w, need_b)) -> (gx, gw, gb)

im2col copies each receptive field into a column matrix (AlexNet's conv1: 7.6 copies of every
input pixel) and hands BLAS a matrix product whose inner dimension is short (363 for conv1,
1200 for conv2): OpenBLAS runs those at 55-72% of its square-matrix rate. A direct
convolution reads the input in place and keeps its partial sums in registers, as oneDNN does:

    weights repacked as wp (groups, OCg/16, Cg, KH, KW, 16)   (16 output channels side by side)
    for each image n, group g, P blocks of 16 output channels, output row oh, tile of Q columns:
        acc (P × Q × 16) = 0                            # P*Q AVX-512 registers
        for k = (c, kh, kw):                            # Cg*KH*KW steps
            acc[p, q, :] += wp[g, block p, c, kh, kw, :]
                            * x[n, c, oh*sh + kh*dh, (ow0 + q)*sw + kw*dw]
        y[n, the blocks' channels, oh, ow0:ow0+Q] = acc + b

Each step is P vector loads, Q broadcasts and P*Q fused multiply-adds (`simd.py`'s tile_fma:
the tile is an SSA value, so the accumulators stay in registers for the whole loop over k;
`_forward_tile` picks P and Q). The input is first copied with its
padding (xp: zero rows and columns around it, and enough extra columns that the last tile of
a row may overhang), so the loop has no bounds test. Channel counts that are not a multiple
of 16 are padded with zero weights; the padded lanes are computed and not stored.

Backward:
* weight gradient, the same tile turned around (P blocks of 16 output channels by Q kernel
  columns kw0 + q):
      acc[p, q, :] += gy[n, channels of block p, oh, ow] * xp[n, c, oh*sh + kh*dh, ow*sw + (kw0 + q)*dw]
  summed over a band of output rows for each (n, c, kh); the band's gy is first copied 16
  channels side by side into a buffer that stays in the L2 cache. The images are split into
  NCHUNK fixed chunks, each with its own partial sum, added in chunk order at the end (the
  same rounding however the threads ran).
* input gradient: for stride 1 it is a forward convolution of gy (padded by (K-1)*d - p) with
  the kernel flipped and its in/out channels swapped, run by the same forward kernel; strided
  layers (and a weight holding ±Inf or NaN) take it from `percore_cpu.py` (im2col).
* bias gradient: `bias_cpu.py`.

Threads: one per core (`threads.run_chunks`), each taking the next task when it finishes one
(forward: an (image, group, block); weight gradient: a (chunk, group, P blocks)); each task
owns its outputs, so nothing races, and the serial kernels run without the GIL. Measured on
AlexNet's conv1 and conv2 in benchmarks/NOTES.md (issue 25).
``minidl.kernels.use(conv_algo="direct")`` selects it (`dispatch.py`);
benchmarks/conv_direct.py times it against `cpu.py`, `percore_cpu.py` and PyTorch.
"""
import numpy as np
from numba import njit

from ..threads import run_chunks
from .bias_cpu import bias_grad
from .simd import L, tile_add, tile_fma, tile_store, tile_zero

NCHUNK = 8          # image chunks of the weight gradient (fixed: the sum's order never changes)
# forward tiles: P blocks of 16 output channels -> the output columns Q it may take (the one
# that wastes fewer columns of a row is used); P*Q accumulators + P weight vectors + one
# broadcast fit the 32 vector registers
FORWARD_Q = {1: (9, 14), 2: (9, 10), 3: (6, 7)}
WEIGHT_Q = (3, 5, 7, 11)   # kernel columns per weight-gradient tile
BAND_BYTES = 256 << 10     # the weight gradient's band of gy (its rows stay in the L2 cache)


def _tile_shape(P, Q):
    return ((0,) * Q,) * P


def _forward_tile(OW, OCg):
    """(P, Q): blocks of 16 output channels and output columns per forward tile. P = 3 when
    the group's blocks come in threes, else 2 when they pair, else 1, so that no block is
    computed for nothing. Each step of the loop over k loads P weight vectors and broadcasts
    Q inputs for P*Q FMAs: with P = 1 every FMA carries a load of its own (LLVM folds the
    broadcast into it, an indexed address that the core splits in two), so the loads and
    the front end, not the two FMA units of an Intel core, set the pace. Measured on an
    Ice Lake Xeon (benchmarks/NOTES.md, issue 25): AlexNet's conv1 forward 51 ms with (3, 7) against
    72 with (1, 14), conv2's 80 with (2, 9) against 124, conv2's input gradient (48 channels
    a group: 3 blocks) 89 with (3, 7) against 129."""
    blocks = -(-OCg // L)
    P = 3 if blocks % 3 == 0 else 2 if blocks % 2 == 0 else 1
    Q = min(FORWARD_Q[P], key=lambda q: (-(-OW // q) * q, -q))
    return P, Q


def _tasks(count):
    return [(t, t + 1) for t in range(count)]


def _pad_input(x, ph, pw, Hp, Wp):
    """x (N, C, H, W) -> xp (N, C, Hp, Wp) with x at [ph:ph+H, pw:pw+W] and zeros around it."""
    N, C, H, W = x.shape
    xp = np.zeros((N, C, Hp, Wp), x.dtype)
    xp[:, :, ph:ph + H, pw:pw + W] = x
    return xp


def _pack_weights(w, groups, NB):
    """w (OC, Cg, KH, KW) -> wp (groups, NB, Cg, KH, KW, 16), output channels padded to NB*16."""
    OC, Cg, KH, KW = w.shape
    OCg = OC // groups
    wg = np.zeros((groups, NB * L, Cg, KH, KW), w.dtype)
    wg[:, :OCg] = w.reshape(groups, OCg, Cg, KH, KW)
    return np.ascontiguousarray(wg.reshape(groups, NB, L, Cg, KH, KW).transpose(0, 1, 3, 4, 5, 2))


@njit(cache=True, nogil=True)
def _forward_tiles(xp, wp, b, y, sh, sw, dh, dw, shape, t0, t1):
    """y[n, g*OCg + oc, oh, ow] = b + Σ_c,kh,kw wp[g, oc//16, c, kh, kw, oc%16]
    * xp[n, g*Cg + c, oh*sh + kh*dh, ow*sw + kw*dw] (the module docstring's loop) for the
    tasks [t0, t1): task t is image n, group g, blocks bp*P ... bp*P + P - 1."""
    N, C, Hp, Wp = xp.shape
    G, NB, Cg, KH, KW, _ = wp.shape
    _, OC, OH, OW = y.shape
    OCg = OC // G
    P, Q = len(shape), len(shape[0])
    NP, nT = NB // P, (OW + Q - 1) // Q
    xf, wf = xp.ravel(), wp.ravel()
    K = Cg * KH * KW
    bstride = K * L                                 # from one block of 16 channels to the next
    offs = np.empty(K, np.int64)                    # step k = (c, kh, kw) reads x this far on
    for c in range(Cg):
        for kh in range(KH):
            for kw in range(KW):
                offs[(c * KH + kh) * KW + kw] = (c * Hp + kh * dh) * Wp + kw * dw
    for t in range(t0, t1):     # task t: image n, group g, blocks from bp*P
        n, r = t // (G * NP), t % (G * NP)
        g, bp = r // NP, r % NP
        buf = np.empty(P * Q * L, xp.dtype)
        w0 = (g * NB + bp * P) * bstride
        for oh in range(OH):
            for tq in range(nT):
                ow0 = tq * Q
                acc = tile_zero(shape, xf)
                x0 = ((n * C + g * Cg) * Hp + oh * sh) * Wp + ow0 * sw
                for k in range(K):      # one loop over (c, kh, kw): no short inner loops
                    acc = tile_fma(acc, wf, w0 + k * L, bstride, xf, x0 + offs[k], sw)
                tile_store(acc, buf, 0, Q * L)
                m = min(Q, OW - ow0)
                for p in range(P):
                    for v in range(L):
                        oc = (bp * P + p) * L + v
                        if oc < OCg:
                            o = g * OCg + oc
                            bo = b[o]
                            for q in range(m):
                                y[n, o, oh, ow0 + q] = buf[(p * Q + q) * L + v] + bo


def _forward(x, w, b, groups, stride, padding, dilation, OH, OW):
    """The direct forward for any geometry given as pairs (padding >= 0)."""
    N, C, H, W = x.shape
    OC, Cg, KH, KW = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    P, Q = _forward_tile(OW, OC // groups)
    NB = -(-(OC // groups) // (P * L)) * P
    nT = -(-OW // Q)
    Hp = H + 2 * ph
    Wp = max(W + 2 * pw, (nT * Q - 1) * sw + (KW - 1) * dw + 1)
    xp = _pad_input(x, ph, pw, Hp, Wp)
    wp = _pack_weights(w, groups, NB)
    b = np.zeros(OC, x.dtype) if b is None else np.ascontiguousarray(b, dtype=x.dtype)
    y = np.empty((N, OC, OH, OW), x.dtype)
    shape = _tile_shape(P, Q)
    run_chunks(lambda t, t0, t1: _forward_tiles(xp, wp, b, y, sh, sw, dh, dw, shape, t0, t1),
               _tasks(N * groups * (NB // P)))
    return y


def _other(x):
    """reference.py for what the tiles do not run (dtypes other than float32 and float64, an
    empty batch); None for the rest."""
    if x.dtype in (np.float32, np.float64) and x.shape[0] > 0:
        return None
    from . import reference
    return reference


def conv2d_forward(x, w, b, spec):
    """y (N, OC, OH, OW) = conv(x (N, C, H, W), w (OC, C//groups, KH, KW)) + b."""
    if _other(x):
        return _other(x).conv2d_forward(x, w, b, spec)
    x = np.ascontiguousarray(x)
    w = np.ascontiguousarray(w, dtype=x.dtype)
    return _forward(x, w, b, spec.groups, spec.stride, spec.padding, spec.dilation,
                    spec.OH, spec.OW)


# -- backward ------------------------------------------------------------------------------------

def _weight_tile(KW, OCg):
    """(P, Q) of the weight-gradient tile: P blocks of 16 output channels by Q kernel columns,
    Q the first of WEIGHT_Q that covers KW (wider kernels take several tiles), P as many
    blocks as leave registers for the loads (P*Q + P + 1 <= 32)."""
    Q = next((q for q in WEIGHT_Q if q >= KW), WEIGHT_Q[-1])
    return (4 if Q <= 5 else 2), Q


@njit(cache=True, nogil=True)
def _block_band(gy, n, c0, nblocks, r0, r1, gb):
    """gb[(p*rows + r)*OW + ow, v] = gy[n, c0 + p*16 + v, r0 + r, ow] for the band's rows
    r0 <= r0 + r < r1 (rows = len(gb) // (nblocks*OW*16)), 0 for channels past the group's
    end (gy holds OCg of them from c0 on). 16 rows of gy go into each 16-wide row of gb."""
    _, OC, OH, OW = gy.shape
    rows = gb.shape[0] // (nblocks * OW)
    for p in range(nblocks):
        for v in range(L):
            oc = c0 + p * L + v
            for r in range(r1 - r0):
                d = (p * rows + r) * OW
                if oc < OC:
                    for ow in range(OW):
                        gb[d + ow, v] = gy[n, oc, r0 + r, ow]
                else:
                    for ow in range(OW):
                        gb[d + ow, v] = 0


@njit(cache=True, nogil=True)
def _weight_grad_tiles(xp, gy, parts, sh, sw, dh, dw, band, shape, t0, t1):
    """parts[ch, g, blk, c, kh, kw, v] = Σ over the images n of chunk ch and all oh, ow of
    gy[n, g*OCg + blk*16 + v, oh, ow] * xp[n, g*Cg + c, oh*sh + kh*dh, ow*sw + kw*dw].

    An image's output rows are taken `band` at a time: the band's gy, for the task's P blocks
    of 16 channels, is first copied 16 channels side by side (`_block_band`, a buffer that
    stays in the L2 cache), then every (c, kh) sweeps it with the register tile."""
    N, C, Hp, Wp = xp.shape
    _, OC, OH, OW = gy.shape
    nchunk, G, NB, Cg, KH, KWp, _ = parts.shape
    OCg = OC // G
    P, Q = len(shape), len(shape[0])
    NP = NB // P
    xf, pf = xp.ravel(), parts.ravel()
    gb = np.empty((P * band * OW, L), gy.dtype)
    gf = gb.ravel()
    pstride = Cg * KH * KWp * L                   # parts: from one block to the next
    gstride = band * OW * L                       # gb: likewise
    for t in range(t0, t1):     # task t: chunk ch of the images, group g, P blocks from bp*P
        ch, r = t // (G * NP), t % (G * NP)
        g, bp = r // NP, r % NP
        out0 = ((ch * G + g) * NB + bp * P) * pstride
        c0 = g * OCg + bp * P * L
        for n in range(ch * N // nchunk, (ch + 1) * N // nchunk):
            for oh0 in range(0, OH, band):
                oh1 = min(OH, oh0 + band)
                _block_band(gy[:, :(g + 1) * OCg], n, c0, P, oh0, oh1, gb)
                for c in range(Cg):
                    x0 = (n * C + g * Cg + c) * Hp
                    for kh in range(KH):
                        for kq in range(KWp // Q):
                            acc = tile_zero(shape, xf)
                            for oh in range(oh0, oh1):
                                xr = (x0 + oh * sh + kh * dh) * Wp + kq * Q * dw
                                gr = (oh - oh0) * OW * L
                                for ow in range(OW):
                                    acc = tile_fma(acc, gf, gr + ow * L, gstride,
                                                   xf, xr + ow * sw, dw)
                            tile_add(acc, pf, out0 + ((c * KH + kh) * KWp + kq * Q) * L,
                                     pstride)


def _weight_grad(gy, x, w, spec):
    N, C, H, W = x.shape
    OC, Cg, KH, KW = w.shape
    G, OH, OW = spec.groups, spec.OH, spec.OW
    (sh, sw), (ph, pw), (dh, dw) = spec.stride, spec.padding, spec.dilation
    OCg = OC // G
    P, Q = _weight_tile(KW, OCg)
    NB = -(-OCg // (P * L)) * P
    KWp = -(-KW // Q) * Q
    Wp = max(W + 2 * pw, (OW - 1) * sw + (KWp - 1) * dw + 1)
    xp = _pad_input(x, ph, pw, H + 2 * ph, Wp)
    nchunk = min(NCHUNK, N)
    parts = np.zeros((nchunk, G, NB, Cg, KH, KWp, L), gy.dtype)
    shape = _tile_shape(P, Q)
    band = max(1, min(OH, BAND_BYTES // (OW * P * L * gy.itemsize)))
    run_chunks(lambda t, t0, t1: _weight_grad_tiles(xp, gy, parts, sh, sw, dh, dw, band,
                                                    shape, t0, t1),
               _tasks(nchunk * G * (NB // P)))
    total = parts[0]
    for part in parts[1:]:          # in chunk order, whichever thread ran which chunk
        total += part
    gw = total.transpose(0, 1, 5, 2, 3, 4).reshape(G, NB * L, Cg, KH, KWp)[:, :OCg, :, :, :KW]
    return np.ascontiguousarray(gw.reshape(OC, Cg, KH, KW))


def _input_grad(gy, x, w, spec):
    """gx (N, C, H, W): for stride 1, the forward convolution of gy with the flipped kernel,
    its input and output channels swapped (padding (K-1)*d - p); else percore_cpu.py's."""
    (sh, sw), (ph, pw), (dh, dw) = spec.stride, spec.padding, spec.dilation
    OC, Cg, KH, KW = w.shape
    qh, qw = (KH - 1) * dh - ph, (KW - 1) * dw - pw
    if (sh, sw) != (1, 1) or min(qh, qw) < 0 or not np.isfinite(w.sum()):
        # (an Inf weight times the zeros around gy would make NaN where col2im, which never
        # reads outside the image, gives ±Inf: PyTorch's pattern)
        from . import percore_cpu
        return percore_cpu.conv2d_backward(gy, x, w, spec, (True, False, False))[0]
    G = spec.groups
    OCg = OC // G
    wt = w.reshape(G, OCg, Cg, KH, KW)[:, :, :, ::-1, ::-1].transpose(0, 2, 1, 3, 4)
    wt = np.ascontiguousarray(wt).reshape(G * Cg, OCg, KH, KW)
    N, C, H, W = x.shape
    return _forward(gy, wt, None, G, (1, 1), (qh, qw), (dh, dw), H, W)


def conv2d_backward(gy, x, w, spec, needs):
    """(gx, gw, gb) for gy (N, OC, OH, OW); `needs` = (need_x, need_w, need_b), and each
    gradient is None when its flag is False."""
    if _other(x):
        return _other(x).conv2d_backward(gy, x, w, spec, needs)
    need_x, need_w, need_b = needs
    x = np.ascontiguousarray(x)
    gy = np.ascontiguousarray(gy, dtype=x.dtype)
    w = np.ascontiguousarray(w, dtype=x.dtype)
    gb = None
    if need_b:
        acc = np.zeros(spec.OC, np.float64)
        bias_grad(gy.reshape(gy.shape[0], spec.OC, -1), acc)
        gb = acc.astype(gy.dtype)
    gw = _weight_grad(gy, x, w, spec) if need_w else None
    gx = _input_grad(gy, x, w, spec) if need_x else None
    return gx, gw, gb
