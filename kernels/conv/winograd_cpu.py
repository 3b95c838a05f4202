"""3×3 convolution by Winograd F(2×2, 3×3) on the CPU: Numba transforms around OpenBLAS GEMMs.

Same functions and shapes as `winograd_reference.py` (read that first: it derives the
matrices B, G, A and says why a layer becomes 16 matrix products). What this version adds:

* The tiles are processed a chunk of tile rows at a time (a tile row: TW tiles of one image
  side by side, 2 output rows), sized so the transformed tiles V (16, C, tiles) and products M
  (16, OC, tiles) stay under `TILE_BUFFER_BYTES` each. The buffers are reused from chunk to
  chunk and call to call (as im2col's column buffer in `cpu.py`: `kernels/threads.py`'s
  `workspace`).
* The input transform works on whole rows: B^T's combinations down a tile's 4 input rows are
  4 vector operations over the row (contiguous, so they vectorise), then B's across each
  tile's 4 columns. One thread per input channel; the padding is zero-filled into a row
  buffer, so the arithmetic has no bounds tests.
* The 16 products M[i] = U[i] @ V[i] are one NumPy matmul over a stack of 16 (or 16 × groups)
  matrices, which NumPy hands to OpenBLAS SGEMM one matrix at a time.
* The output transform writes each tile row's 2 output rows into a row buffer and copies
  them into y with the bias added, so the odd last row or column of an odd-sized output is
  simply not copied.
* Backward-data is a forward Winograd convolution of gy (padded by 2 - p) with the rotated,
  transposed filter; backward-filter goes back through the transforms (see the reference).
"""
import numpy as np
from numba import njit, prange
from numba import uint64 as u

from ..threads import cpu_threads, run_chunks, workspace
from .bias_cpu import bias_grad
from .winograd_reference import supports  # noqa: F401  (the dispatch asks each module)

TILE_BUFFER_BYTES = 16 << 20  # upper bound of V and of M (one chunk of tiles each), bytes
HALF = np.float32(0.5)        # a float32 constant: float32 arithmetic stays float32


@njit(cache=True)
def _load_row(xf, s, W, pw, row):
    """row[j] = x[..., j - pw] for j < len(row) (s: the flat index of the image row's cell 0),
    zero outside 0 <= j - pw < W."""
    L = row.shape[0]
    lo, hi = min(L, max(0, pw)), max(0, min(L, W + pw))
    lo = min(lo, hi)
    for j in range(lo):
        row[j] = 0
    for j in range(lo, hi):
        row[j] = xf[u(s + j - pw)]
    for j in range(hi, L):
        row[j] = 0


@njit(cache=True, nogil=True)
def _input_transform(x, ph, pw, TH, TW, r0, r1, V):
    """V[4ξ + ν, c, (r - r0)*TW + tw] = (B^T d B)[ξ, ν] for the 4×4 input tile d of tile
    (th, tw) of image n, tile rows r = n*TH + th in [r0, r1); d starts at (2th - ph, 2tw - pw).

    B^T's rows are (d0 - d2, d1 + d2, d2 - d1, d1 - d3): applied down the columns to the 4 input
    rows first (t0..t3, whole rows at once), then across each tile's 4 columns of t.
    """
    N, C, H, W = x.shape
    P = (r1 - r0) * TW
    L = 2 * TW + 2                         # the padded input cells the tile row reads
    xf, vf = x.ravel(), V.ravel()
    for c in range(C):
        d = np.empty((4, L), x.dtype)
        t = np.empty((4, L), x.dtype)
        for r in range(r0, r1):
            n, th = r // TH, r % TH
            for i in range(4):
                ih = 2 * th - ph + i
                if 0 <= ih < H:
                    _load_row(xf, ((n * C + c) * H + ih) * W, W, pw, d[i])
                else:
                    d[i, :] = 0
            for j in range(L):
                t[0, j] = d[0, j] - d[2, j]
                t[1, j] = d[1, j] + d[2, j]
                t[2, j] = d[2, j] - d[1, j]
                t[3, j] = d[1, j] - d[3, j]
            base = (r - r0) * TW
            for i in range(4):
                o0 = ((4 * i) * C + c) * P + base
                for tw in range(TW):
                    a0, a1 = t[i, 2 * tw], t[i, 2 * tw + 1]
                    a2, a3 = t[i, 2 * tw + 2], t[i, 2 * tw + 3]
                    vf[u(o0 + tw)] = a0 - a2
                    vf[u(o0 + C * P + tw)] = a1 + a2
                    vf[u(o0 + 2 * C * P + tw)] = a2 - a1
                    vf[u(o0 + 3 * C * P + tw)] = a1 - a3


@njit(cache=True, nogil=True)
def _output_transform(M, b, TH, TW, r0, r1, y):
    """y[n, k, 2th + i, 2tw + j] = (A^T m A)[i, j] + b[k] for the 4×4 tile m = M[:, k, p] of
    tile p = (r - r0)*TW + tw; A^T's rows are (m0 + m1 + m2, m1 - m2 - m3)."""
    N, K, OH, OW = y.shape
    P = (r1 - r0) * TW                  # the chunk's tiles
    KP = K * P                          # the stride between M's 16 planes
    mf, yf = M.ravel(), y.ravel()
    for k in range(K):
        out = np.empty((2, 2 * TW), y.dtype)
        bk = b[k]
        for r in range(r0, r1):
            n, th = r // TH, r % TH
            base = k * P + (r - r0) * TW
            for tw in range(TW):
                q = base + tw
                s00 = mf[u(q)] + mf[u(q + KP)] + mf[u(q + 2 * KP)]
                s01 = mf[u(q + KP)] - mf[u(q + 2 * KP)] - mf[u(q + 3 * KP)]
                s10 = mf[u(q + 4 * KP)] + mf[u(q + 5 * KP)] + mf[u(q + 6 * KP)]
                s11 = mf[u(q + 5 * KP)] - mf[u(q + 6 * KP)] - mf[u(q + 7 * KP)]
                s20 = mf[u(q + 8 * KP)] + mf[u(q + 9 * KP)] + mf[u(q + 10 * KP)]
                s21 = mf[u(q + 9 * KP)] - mf[u(q + 10 * KP)] - mf[u(q + 11 * KP)]
                s30 = mf[u(q + 12 * KP)] + mf[u(q + 13 * KP)] + mf[u(q + 14 * KP)]
                s31 = mf[u(q + 13 * KP)] - mf[u(q + 14 * KP)] - mf[u(q + 15 * KP)]
                out[0, 2 * tw] = s00 + s10 + s20
                out[0, 2 * tw + 1] = s01 + s11 + s21
                out[1, 2 * tw] = s10 - s20 - s30
                out[1, 2 * tw + 1] = s11 - s21 - s31
            for i in range(min(2, OH - 2 * th)):
                d = ((n * K + k) * OH + 2 * th + i) * OW
                for j in range(OW):
                    yf[u(d + j)] = out[i, j] + bk


@njit(cache=True, nogil=True)
def _gy_transform(gy, TH, TW, r0, r1, gM):
    """gM[4ξ + ν, k, p] = (A g A^T)[ξ, ν] for the 2×2 tile g of gy at tile p (zeros beyond
    OH×OW): the transpose of the output transform. A's rows are (g0, g0 + g1, g0 - g1, -g1)."""
    N, K, OH, OW = gy.shape
    P = (r1 - r0) * TW
    gf, mf = gy.ravel(), gM.ravel()
    KP = K * P
    for k in range(K):
        g = np.zeros((2, 2 * TW), gy.dtype)
        e = np.empty((4, 2 * TW), gy.dtype)
        for r in range(r0, r1):
            n, th = r // TH, r % TH
            for i in range(2):
                if 2 * th + i < OH:
                    s = ((n * K + k) * OH + 2 * th + i) * OW
                    for j in range(OW):
                        g[i, j] = gf[u(s + j)]
                else:
                    g[i, :] = 0
            for j in range(2 * TW):
                e[0, j] = g[0, j]
                e[1, j] = g[0, j] + g[1, j]
                e[2, j] = g[0, j] - g[1, j]
                e[3, j] = -g[1, j]
            base = k * P + (r - r0) * TW
            for i in range(4):
                o0 = 4 * i * KP + base
                for tw in range(TW):
                    a0, a1 = e[i, 2 * tw], e[i, 2 * tw + 1]
                    mf[u(o0 + tw)] = a0
                    mf[u(o0 + KP + tw)] = a0 + a1
                    mf[u(o0 + 2 * KP + tw)] = a0 - a1
                    mf[u(o0 + 3 * KP + tw)] = -a1


@njit(cache=True)
def _g(a0, a1, a2):
    """G applied to a 3-vector: (g0, (g0 + g1 + g2)/2, (g0 - g1 + g2)/2, g2)."""
    return a0, (a0 + a1 + a2) * HALF, (a0 - a1 + a2) * HALF, a2


@njit(cache=True, parallel=True)
def _filter_transform(w, groups, flip, U):
    """U[4ξ + ν, g, k, c] = (G w[g*OCg + k, c] G^T)[ξ, ν], U (16, groups, OCg, Cg).

    flip: transform the input gradient's filter instead: U (16, groups, Cg, OCg),
    U[:, g, c, k] from w[g*OCg + k, c] rotated by 180° (`flipped_filter`), without building it.
    One thread per row of U, so each writes its 16 planes' rows front to back.
    """
    OC, Cg = w.shape[:2]
    OCg = OC // groups
    A, B = (Cg, OCg) if flip else (OCg, Cg)
    plane = groups * A * B
    wf, uf = w.ravel(), U.ravel()
    for row in prange(groups * A):
        g, i0 = row // A, row % A
        for i1 in range(B):
            if flip:
                s, e = ((g * OCg + i1) * Cg + i0) * 9 + 8, -1    # read the 9 taps backwards
            else:
                s, e = ((g * OCg + i0) * Cg + i1) * 9, 1
            f0, f1, f2 = wf[u(s)], wf[u(s + e)], wf[u(s + 2 * e)]
            f3, f4, f5 = wf[u(s + 3 * e)], wf[u(s + 4 * e)], wf[u(s + 5 * e)]
            f6, f7, f8 = wf[u(s + 6 * e)], wf[u(s + 7 * e)], wf[u(s + 8 * e)]
            a0, a1, a2, a3 = _g(f0, f3, f6)      # G down each of the 3 columns ...
            b0, b1, b2, b3 = _g(f1, f4, f7)
            c0, c1, c2, c3 = _g(f2, f5, f8)
            d = row * B + i1
            _store4(uf, d, plane, _g(a0, b0, c0))   # ... then across each of the 4 rows
            _store4(uf, d + 4 * plane, plane, _g(a1, b1, c1))
            _store4(uf, d + 8 * plane, plane, _g(a2, b2, c2))
            _store4(uf, d + 12 * plane, plane, _g(a3, b3, c3))


@njit(cache=True)
def _store4(uf, d, plane, v):
    v0, v1, v2, v3 = v
    uf[u(d)], uf[u(d + plane)], uf[u(d + 2 * plane)], uf[u(d + 3 * plane)] = v0, v1, v2, v3


@njit(cache=True)
def _gt(q0, q1, q2, q3):
    """G^T applied to a 4-vector: (q0 + (q1 + q2)/2, (q1 - q2)/2, (q1 + q2)/2 + q3)."""
    h = (q1 + q2) * HALF
    return q0 + h, (q1 - q2) * HALF, h + q3


@njit(cache=True, parallel=True)
def _filter_gradient(gU, gw):
    """gw[g*OCg + k, c] = G^T gU[:, g, k, c] G, the transpose of the filter transform."""
    _, groups, OCg, Cg = gU.shape
    plane = groups * OCg * Cg
    gf, wf = gU.ravel(), gw.ravel()
    for row in prange(groups * OCg):
        q = np.empty(16, gw.dtype)
        for c in range(Cg):
            s = row * Cg + c
            for i in range(16):
                q[i] = gf[u(i * plane + s)]
            a0, a1, a2 = _gt(q[0], q[4], q[8], q[12])     # G^T down each of the 4 columns
            b0, b1, b2 = _gt(q[1], q[5], q[9], q[13])
            c0, c1, c2 = _gt(q[2], q[6], q[10], q[14])
            d0, d1, d2 = _gt(q[3], q[7], q[11], q[15])
            d = s * 9
            wf[u(d)], wf[u(d + 1)], wf[u(d + 2)] = _gt(a0, b0, c0, d0)   # ... then each row
            wf[u(d + 3)], wf[u(d + 4)], wf[u(d + 5)] = _gt(a1, b1, c1, d1)
            wf[u(d + 6)], wf[u(d + 7)], wf[u(d + 8)] = _gt(a2, b2, c2, d2)


def _transformed_filter(w, groups, flip=False):
    """U (16, groups, OCg, Cg) of w (OC, Cg, 3, 3); flip: of `flipped_filter(w)`,
    U (16, groups, Cg, OCg)."""
    OC, Cg = w.shape[:2]
    a, b = (Cg, OC // groups) if flip else (OC // groups, Cg)
    U = np.empty((16, groups, a, b), dtype=w.dtype)
    _filter_transform(w, groups, flip, U)
    return U


def _chunks(N, TH, TW, channels, itemsize, threads):
    """Tile-row ranges [r0, r1) over all N*TH tile rows, each under TILE_BUFFER_BYTES, and at
    least 2 per thread where there are enough rows (so a thread on a busy core takes fewer)."""
    per = max(1, TILE_BUFFER_BYTES // max(1, 16 * channels * TW * itemsize))
    rows = N * TH
    count = min(rows, max(-(-rows // per), 2 * threads if threads > 1 else 1))
    per = -(-rows // count)
    return [(r, min(rows, r + per)) for r in range(0, rows, per)]


def _forward(x, U, b, ph, pw, OH, OW, groups):
    """y (N, OC, OH, OW) from x and the transformed filter U (16, groups, OCg, Cg)."""
    N, C, H, W = x.shape
    OC = U.shape[1] * U.shape[2]
    TH, TW = -(-OH // 2), -(-OW // 2)
    y = np.empty((N, OC, OH, OW), dtype=x.dtype)
    b = np.zeros(OC, x.dtype) if b is None else np.ascontiguousarray(b, dtype=x.dtype)

    def work(t, r0, r1):
        P = (r1 - r0) * TW
        V = workspace("V", (16, C, P), x.dtype)
        M = workspace("M", (16, OC, P), x.dtype)
        _input_transform(x, ph, pw, TH, TW, r0, r1, V)
        np.matmul(U, V.reshape(16, groups, C // groups, P),
                  out=M.reshape(16, groups, OC // groups, P))
        _output_transform(M, b, TH, TW, r0, r1, y)

    run_chunks(work, _chunks(N, TH, TW, max(C, OC), x.itemsize, cpu_threads()))
    return y


def conv2d_forward(x, w, b, spec):
    """y (N, OC, OH, OW) = conv(x (N, C, H, W), w (OC, C//groups, 3, 3)) + b, stride 1."""
    x, w = np.ascontiguousarray(x), np.ascontiguousarray(w)
    ph, pw = spec.padding
    return _forward(x, _transformed_filter(w, spec.groups), b, ph, pw, spec.OH, spec.OW,
                    spec.groups)


def conv2d_backward(gy, x, w, spec, needs):
    """(gx, gw, gb) for gy (N, OC, OH, OW); `needs` = (need_x, need_w, need_b), and each
    gradient is None when its flag is False."""
    need_x, need_w, need_b = needs
    groups = spec.groups
    gy, x, w = (np.ascontiguousarray(a) for a in (gy, x, w))
    N, C, H, W = x.shape
    OC, Cg = w.shape[:2]
    OH, OW = gy.shape[2:]
    ph, pw = spec.padding
    gb = None
    if need_b:
        gb = np.zeros(OC, np.float64)
        bias_grad(gy.reshape(N, OC, OH * OW), gb)
        gb = gb.astype(gy.dtype)
    gx = gw = None
    if need_x:
        gx = _forward(gy, _transformed_filter(w, groups, flip=True), None, 2 - ph, 2 - pw, H, W,
                      groups)
    if need_w:
        TH, TW = -(-OH // 2), -(-OW // 2)
        sums = {}                                 # thread -> its gU (16, groups, OCg, Cg)

        def work(t, r0, r1):
            P = (r1 - r0) * TW
            V = workspace("V", (16, C, P), x.dtype)
            gM = workspace("M", (16, OC, P), x.dtype)
            _input_transform(x, ph, pw, TH, TW, r0, r1, V)
            _gy_transform(gy, TH, TW, r0, r1, gM)
            part = np.matmul(gM.reshape(16, groups, OC // groups, P),
                             V.reshape(16, groups, Cg, P).transpose(0, 1, 3, 2))
            if t in sums:
                sums[t] += part
            else:
                sums[t] = part

        run_chunks(work, _chunks(N, TH, TW, max(C, OC), x.itemsize, cpu_threads()), dynamic=False)
        gU = sums[0]
        for t in range(1, len(sums)):             # a fixed order: the same sum every run
            gU += sums[t]
        gw = np.empty(w.shape, dtype=w.dtype)
        _filter_gradient(gU, gw)
    return gx, gw, gb
