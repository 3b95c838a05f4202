"""Checks of assignment `dropout` (kernels/dropout/reference.py): Python-int SplitMix64 as the
oracle of the hash, direct formulas for the rest, finite differences for the backward."""
import numpy as np

from ..grading import Check, Mismatch, compare, rng
from ._common import gradcheck_kernel

MASK64 = (1 << 64) - 1


def splitmix(key, i):
    """SplitMix64's finaliser of key + (i + 1) * golden, in Python ints (the oracle)."""
    z = (key + (i + 1) * 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def oracle_mask(key, shape, p):
    n = int(np.prod(shape))
    t = int(p * 2 ** 32)
    return np.array([(splitmix(key, i) >> 32) >= t for i in range(n)], dtype=bool).reshape(shape)


# known answers, computed once from the definition (SplitMix64 of key 0 is the sequence's
# first outputs: 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, ...)
KNOWN = {0: [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]}


def _known_bits(mod):
    got = mod.uniform_bits(0, 3)
    got = np.asarray(got)
    if got.dtype != np.uint64:
        raise Mismatch(f"uniform_bits returned {got.dtype}, expected uint64 (an operand that is "
                       "not np.uint64 turns the arithmetic into float64)")
    if got.tolist() != KNOWN[0]:
        raise Mismatch(f"uniform_bits(0, 3) = {[hex(v) for v in got.tolist()]}, expected "
                       f"{[hex(v) for v in KNOWN[0]]}; hint: z starts at key + (i + 1) * GOLDEN, "
                       "then the shifts 30, 27, 31")
    return "SplitMix64 of key 0: 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x6c45d188009454f"


def _bits(key, n):
    def run(mod):
        got = np.asarray(mod.uniform_bits(key, n))
        expected = [splitmix(key, i) for i in range(n)]
        if got.shape != (n,):
            raise Mismatch(f"uniform_bits({key}, {n}) has shape {got.shape}, expected ({n},)")
        bad = [i for i in range(n) if int(got[i]) != expected[i]]
        if bad:
            i = bad[0]
            raise Mismatch(f"{len(bad)} of {n} values differ, first at index {i}: got "
                           f"{int(got[i]):#x}, expected {expected[i]:#x}; hint: every operand "
                           "np.uint64, and index i hashes i + 1")
        return "bit for bit"
    return Check("uniform_bits", f"key {key:#x}, n {n} against SplitMix64 in Python ints", run)


def _threshold(mod):
    for p, t in ((0.0, 0), (0.5, 2 ** 31), (0.25, 2 ** 30), (0.999, int(0.999 * 2 ** 32))):
        got = mod.keep_threshold(p)
        if int(got) != t:
            raise Mismatch(f"keep_threshold({p}) = {int(got)}, expected {t} = int(p * 2**32)")
    return "p = 0, 0.25, 0.5, 0.999"


def _forward(shape, p, key, dtype=np.float32):
    def run(mod):
        x = rng(5).standard_normal(shape).astype(dtype)
        mask = oracle_mask(key, shape, p)
        out = mod.dropout_forward(x, p, key)
        if not isinstance(out, tuple) or len(out) != 2:
            raise Mismatch("dropout_forward must return the pair (y, mask)")
        y, m = out
        m = np.asarray(m)
        if m.shape != mask.shape or m.dtype != bool:
            raise Mismatch(f"mask has shape {m.shape} and dtype {m.dtype}, expected {shape} bool")
        if (m != mask).any():
            i = np.unravel_index(int(np.argmax(m != mask)), shape)
            raise Mismatch(f"mask differs at {i} ({int((m != mask).sum())} of {mask.size}); "
                           "hint: kept when (bits >> 32) >= keep_threshold(p), bits in C order")
        expected = np.where(mask, x.astype(np.float64) / (1 - p), 0)
        return compare(y, expected, "y", dtype=dtype, rtol=1e-6, atol=1e-7,
                       hint="kept elements are scaled by 1 / (1 - p): inverted dropout")
    return Check("dropout_forward", f"x {shape} {np.dtype(dtype).name}, p={p}, key={key}", run)


def _backward(shape, p, key):
    def run(mod):
        gy = rng(6).standard_normal(shape).astype(np.float32)
        mask = oracle_mask(key, shape, p)
        expected = np.where(mask, gy.astype(np.float64) / (1 - p), 0)
        return compare(mod.dropout_backward(gy, mask, p), expected, "gx", dtype=np.float32,
                       rtol=1e-6, atol=1e-7,
                       hint="the backward scales by 1 / (1 - p) too, and only where kept")
    return Check("dropout_backward", f"gy {shape} float32, p={p}", run)


def _rate(mod):
    x = np.ones(20000, np.float32)
    _, m = mod.dropout_forward(x, 0.3, 12345)
    kept = float(np.mean(m))
    if abs(kept - 0.7) > 0.02:
        raise Mismatch(f"kept fraction {kept:.3f} with p = 0.3, expected about 0.7 "
                       "(p is the probability of DROPPING)")
    return f"kept {kept:.3f} of 20000 with p = 0.3"


def _keys(mod):
    x = np.ones((50,), np.float32)
    a, b, c = (np.asarray(mod.dropout_forward(x, 0.5, k)[1]) for k in (7, 7, 8))
    if (a != b).any():
        raise Mismatch("the same key gave two different masks: no global RNG, only the hash")
    if (a == c).all():
        raise Mismatch("keys 7 and 8 gave the same mask: the key must enter the hash")
    return "same key, same mask; another key, another mask"


def _grad(mod):
    key, p = 99, 0.4
    mask = oracle_mask(key, (3, 4), p)
    return gradcheck_kernel("dropout_backward", lambda x: mod.dropout_forward(x, p, key)[0],
                            lambda gy, x: (mod.dropout_backward(gy, mask, p),),
                            [rng(7).standard_normal((3, 4))])


def checks():
    out = [Check("uniform_bits", "known answer", _known_bits), _bits(0, 5), _bits(2 ** 64 - 1, 7),
           _bits(0x0123456789ABCDEF, 33),
           Check("keep_threshold", "known answers", _threshold)]
    for shape, p, key in (((2, 3, 4, 5), 0.5, 1), ((7,), 0.0, 2), ((4, 5), 0.999, 3),
                          ((0, 4), 0.5, 4), ((1,), 0.5, 5), ((3, 1, 2), 0.1, 2 ** 63 + 5)):
        out.append(_forward(shape, p, key))
    out.append(_forward((4, 6), 0.5, 9, np.float64))
    for shape, p, key in (((2, 3, 4, 5), 0.5, 1), ((5,), 0.0, 2), ((4, 5), 0.999, 3),
                          ((0, 2), 0.5, 4)):
        out.append(_backward(shape, p, key))
    out += [Check("dropout_forward", "rate: p is the drop probability", _rate),
            Check("dropout_forward", "keys: reproducible, and the key matters", _keys),
            Check("dropout_backward", "(3, 4) float64, p=0.4, against finite differences", _grad)]
    return out
