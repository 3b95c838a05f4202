"""Checks of assignment `direct_conv` (kernels/conv/naive.py): against the tap-by-tap oracle
written here, minidl's im2col reference, and known answers."""
import numpy as np

from ..grading import Check, Mismatch, compare
from . import _conv_api as api
from . import _conv_oracle as O

HINT = ("input cell (oh*sh - ph + kh*dh, ow*sw - pw + kw*dw), zero outside the image; output "
        "channel oc reads only its group's input channels, oc // (OC // groups)")


def _known(i):
    x, w, b, s, p, d, g, y = O.KNOWN[i]

    def run(mod):
        return compare(api.direct(mod, x, w, b, s, p, d, g), y, "y", rtol=1e-12, atol=1e-12,
                       hint=HINT)
    return Check("conv2d_direct", f"known answer {i + 1}: x {x.shape}, w {w.shape}, stride {s}, "
                 f"padding {p}, dilation {d}, groups {g}", run)


def _case(case, dtype):
    _, _, s, p, d, g, _ = case

    def run(mod):
        x, w, b = O.arrays(case, dtype=dtype)
        got = api.direct(mod, x, w, b, s, p, d, g)
        if getattr(got, "dtype", None) != np.float64:
            raise Mismatch(f"y has dtype {getattr(got, 'dtype', type(got))}, expected float64 "
                           "(accumulate in float64, whatever x's dtype)")
        return compare(got, O.conv(x, w, b, s, p, d, g), "y", rtol=1e-5 if dtype == np.float32
                       else 1e-11, atol=1e-5 if dtype == np.float32 else 1e-11, hint=HINT)
    return Check("conv2d_direct", O.label(case) + f", {np.dtype(dtype).name}", run)


def checks():
    out = [_known(i) for i in range(len(O.KNOWN))]
    out += [_case(c, np.float64) for c in O.CASES]
    out.append(_case(O.CASES[1], np.float32))
    return out
