"""Checks of assignment `lrn` (kernels/lrn/reference.py): a direct loop written here,
minidl's own reference, float64 finite differences and known answers."""
import numpy as np

from ..grading import Check, Mismatch, compare, rng
from ._common import gradcheck_kernel


def direct_lrn(x, size, alpha, beta, k):
    """The definition, one channel window at a time (float64)."""
    N, C, H, W = x.shape
    x = x.astype(np.float64)
    y = np.empty_like(x)
    for c in range(C):
        s = np.full((N, H, W), float(k))
        for cc in range(c - size // 2, c + (size - 1) // 2 + 1):
            if 0 <= cc < C:
                s += alpha * x[:, cc] ** 2
        y[:, c] = x[:, c] * s ** -beta
    return y


# (shape, size, alpha, beta, k): odd and even sizes, windows wider than C, C = 1, big alpha
# so that the second term of the backward matters
CASES = [((2, 7, 3, 3), 5, 1e-4, 0.75, 2.0), ((2, 7, 3, 3), 4, 0.5, 0.75, 1.0),
         ((1, 6, 2, 3), 3, 0.3, 0.5, 1.0), ((1, 5, 2, 2), 2, 0.8, 0.75, 1.5),
         ((2, 3, 2, 2), 7, 0.4, 0.6, 1.0), ((1, 1, 3, 3), 5, 0.5, 0.75, 2.0),
         ((3, 4, 1, 1), 1, 0.6, 1.0, 1.0), ((1, 8, 2, 2), 6, 0.2, 0.9, 0.5)]
# no empty batch: minidl's lrn op answers it without calling the kernels


def _label(shape, size, alpha, beta, k):
    return f"x {shape}, size={size}, alpha={alpha}, beta={beta}, k={k}"


def _known(mod):
    x = np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1, 1)
    compare(mod.lrn_forward(x, 3, 1.0, 1.0, 1.0).ravel(), [1 / 6, 2 / 15, 3 / 14], "y",
            rtol=1e-12, atol=0, hint="size 3: channel c sees c-1, c, c+1, clipped")
    compare(mod.lrn_forward(x, 2, 1.0, 1.0, 1.0).ravel(), [1 / 2, 2 / 6, 3 / 14], "y",
            rtol=1e-12, atol=0, hint="size 2 (even): channel c sees c-1 and c, one more "
            "channel before than after")
    return "x = [1, 2, 3] over channels: size 3 gives [1/6, 2/15, 3/14], size 2 [1/2, 1/3, 3/14]"


def _forward(case, dtype):
    shape, size, alpha, beta, k = case

    def run(mod):
        x = rng(11).standard_normal(shape).astype(dtype)
        tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
        return compare(mod.lrn_forward(x, size, alpha, beta, k), direct_lrn(x, size, alpha, beta, k),
                       "y", dtype=dtype, hint="window c - size//2 .. c + (size-1)//2, clipped; "
                       "alpha times the plain sum (not divided by size)", **tol)
    return Check("lrn_forward", _label(*case) + f" {np.dtype(dtype).name} against a direct loop",
                 run)


def _backward(case):
    shape, size, alpha, beta, k = case

    def run(mod):
        from minidl.kernels.lrn import reference as minidl_lrn
        x = rng(12).standard_normal(shape)
        gy = rng(13).standard_normal(shape)
        return compare(mod.lrn_backward(gy, x, size, alpha, beta, k),
                       minidl_lrn.lrn_backward(gy, x, size, alpha, beta, k), "gx",
                       dtype=np.float64, rtol=1e-9, atol=1e-12,
                       hint="two terms: gy * s**-beta, and -2*alpha*beta*x times the sum of "
                       "gy*y/s over the MIRRORED window (c - (size-1)//2 .. c + size//2)")
    return Check("lrn_backward", _label(*case) + " float64 against minidl's reference", run)


def _grad(case):
    shape, size, alpha, beta, k = case

    def run(mod):
        x = rng(14).standard_normal(shape)
        return gradcheck_kernel(
            "lrn_backward", lambda x: mod.lrn_forward(x, size, alpha, beta, k),
            lambda gy, x: (mod.lrn_backward(gy, x, size, alpha, beta, k),), [x])
    return Check("lrn_backward", _label(*case) + " against finite differences", run)


def _dtype32(mod):
    x = rng(15).standard_normal((2, 5, 2, 2)).astype(np.float32)
    gx = mod.lrn_backward(x, x, 5, 1e-4, 0.75, 2.0)
    if getattr(gx, "dtype", None) != np.float32:
        raise Mismatch(f"lrn_backward of float32 returned {getattr(gx, 'dtype', type(gx))}; "
                       "keep the input's dtype")
    return "float32 in, float32 out"


def checks():
    out = [Check("lrn_forward", "known answers, odd and even size", _known)]
    out += [_forward(c, np.float32) for c in CASES]
    out.append(_forward(CASES[1], np.float64))
    out += [_backward(c) for c in CASES]
    out += [_grad(c) for c in (((1, 5, 2, 1), 3, 0.5, 0.75, 1.0), ((1, 6, 1, 2), 4, 0.5, 0.75, 1.0),
                               ((1, 4, 1, 2), 2, 0.7, 0.6, 1.0))]
    out.append(Check("lrn_backward", "dtype", _dtype32))
    return out
