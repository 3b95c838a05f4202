"""Local response normalisation with Numba: one fused pass forward, one backward.

Same functions and formulas as `reference.py` (read that for the maths and the conventions).
Each task takes one image and a block of BLOCK pixels, keeps the squares of all C channels of
that block in a small buffer that stays in cache, sums each window directly (size adds, no
running sum whose cancellation would lose precision after a large activation), and writes y.
Nothing the size of the input is allocated besides the result; backward recomputes the scale
from x instead of storing it.

beta = 0.75 (the paper's value) takes a fast path: s**0.75 = sqrt(s) * sqrt(sqrt(s)), two
square roots instead of a pow (an exp and a log), several times cheaper per element. All the
arithmetic stays in the input's dtype (the constants are passed in as that dtype): one float64
operand would turn the float32 loops into scalar float64 code, 4x slower.
"""
import numpy as np
from numba import njit, prange
from numba import uint64 as u

BLOCK = 256   # pixels per task: C*BLOCK values of each buffer stay in L2


@njit(cache=True)
def _pow(s, beta):
    """s ** beta; for beta = 0.75, sqrt(s) * sqrt(sqrt(s))."""
    if beta == 0.75:
        r = np.sqrt(s)
        return r * np.sqrt(r)
    return s ** beta


@njit(cache=True)
def _window_sums(a, C, nb, lo_off, hi_off, alpha, k, out):
    """out[c*nb + p] = k + alpha * sum_{c'=c-lo_off}^{c+hi_off} a[c'*nb + p] (clipped)."""
    for c in range(C):
        d = c * nb
        for p in range(nb):
            out[u(d + p)] = 0
        for cc in range(max(0, c - lo_off), min(C - 1, c + hi_off) + 1):
            s = cc * nb
            for p in range(nb):
                out[u(d + p)] += a[u(s + p)]
        for p in range(nb):
            out[u(d + p)] = k + alpha * out[u(d + p)]


@njit(cache=True, parallel=True)
def _lrn_forward(x, size, alpha, beta, k, y):
    N, C, H, W = x.shape
    P = H * W
    nblocks = (P + BLOCK - 1) // BLOCK
    xf, yf = x.ravel(), y.ravel()
    for t in prange(N * nblocks):
        n, p0 = t // nblocks, (t % nblocks) * BLOCK
        nb = min(BLOCK, P - p0)
        sq = np.empty(C * nb, x.dtype)
        scale = np.empty(C * nb, x.dtype)
        for c in range(C):
            s = (n * C + c) * P + p0
            for p in range(nb):
                v = xf[u(s + p)]
                sq[u(c * nb + p)] = v * v
        _window_sums(sq, C, nb, size // 2, (size - 1) // 2, alpha, k, scale)
        for c in range(C):
            s = (n * C + c) * P + p0
            for p in range(nb):
                yf[u(s + p)] = xf[u(s + p)] / _pow(scale[u(c * nb + p)], beta)


@njit(cache=True, parallel=True)
def _lrn_backward(gy, x, size, alpha, beta, k, coef, one, zero, gx):
    """coef = -2*alpha*beta; one, zero: constants in x's dtype (keeps the loops in float32)."""
    N, C, H, W = x.shape
    P = H * W
    nblocks = (P + BLOCK - 1) // BLOCK
    xf, gf, gxf = x.ravel(), gy.ravel(), gx.ravel()
    for t in prange(N * nblocks):
        n, p0 = t // nblocks, (t % nblocks) * BLOCK
        nb = min(BLOCK, P - p0)
        buf = np.empty(C * nb, x.dtype)      # x**2, then gy * y / scale
        scale = np.empty(C * nb, x.dtype)
        r = np.empty(C * nb, x.dtype)
        for c in range(C):
            s = (n * C + c) * P + p0
            for p in range(nb):
                v = xf[u(s + p)]
                buf[u(c * nb + p)] = v * v
        _window_sums(buf, C, nb, size // 2, (size - 1) // 2, alpha, k, scale)
        for c in range(C):
            s = (n * C + c) * P + p0
            for p in range(nb):
                i = u(c * nb + p)
                sb = _pow(scale[i], beta)                        # scale ** beta
                buf[i] = gf[u(s + p)] * xf[u(s + p)] / (sb * scale[i])   # gy * y / scale
                scale[i] = sb
        _window_sums(buf, C, nb, (size - 1) // 2, size // 2, one, zero, r)
        for c in range(C):
            s = (n * C + c) * P + p0
            for p in range(nb):
                i = u(c * nb + p)
                gxf[u(s + p)] = gf[u(s + p)] / scale[i] + coef * xf[u(s + p)] * r[i]


def lrn_forward(x, size, alpha, beta, k):
    x = np.ascontiguousarray(x)
    y = np.empty_like(x)
    _lrn_forward(x, size, x.dtype.type(alpha), x.dtype.type(beta), x.dtype.type(k), y)
    return y


def lrn_backward(gy, x, size, alpha, beta, k):
    gy, x = np.ascontiguousarray(gy), np.ascontiguousarray(x)
    gx = np.empty_like(x)
    t = x.dtype.type
    _lrn_backward(gy, x, size, t(alpha), t(beta), t(k), t(-2 * alpha * beta), t(1), t(0), gx)
    return gx
