"""Assignment `direct_conv`: rebuild minidl's kernels/conv/naive.py, convolution straight from
its definition.

Fill in the body, then run
    python -m minidl.course check direct_conv direct_conv.py
A finished file can replace kernels/conv/naive.py: same name, same signature.
Read docs/im2col.md first.
"""
import numpy as np

from minidl.kernels.conv.spec import ConvSpec, make_spec  # noqa: F401  (to try your function)


def conv2d_direct(x, w, b, spec):
    """y (N, OC, OH, OW) float64 = the convolution of x with w, plus b, by plain loops.

    Args:
        x: (N, C, H, W) input.
        w: (OC, C // groups, KH, KW) weights.
        b: (OC,) or None, bias.
        spec: the layer's geometry, a ConvSpec (minidl/kernels/conv/spec.py) with the fields
              C, OC, KH, KW, stride, padding, dilation, groups, OH, OW; stride, padding and
              dilation are pairs (sh, sw), (ph, pw), (dh, dw). groups: C and OC are split in
              `groups` blocks; output channel block g reads only input channel block g.
              OH = (H + 2*ph - dh*(KH - 1) - 1) // sh + 1, OW likewise: already in the spec.
              To try your function: spec = make_spec(x.shape, w.shape, stride=2, padding=1).

    Returns:
        y: (N, OC, OH, OW) float64 (accumulate in float64 whatever x's dtype).

    The loop (this IS the assignment; only the sum over a group's channels may be a dot):
        Cg = C // groups
        for oc in range(OC):
            g = oc // (OC // groups)                   # the group this output channel reads
            for oh, ow, kh, kw:
                ih = oh*sh - ph + kh*dh;  iw = ow*sw - pw + kw*dw
                if the cell (ih, iw) is inside the image (outside: padding, zero):
                    y[:, oc, oh, ow] += x[:, g*Cg:(g+1)*Cg, ih, iw] @ w[oc, :, kh, kw]
            y[:, oc] += b[oc]  (if b is not None)
    """
    # TODO
    raise NotImplementedError("conv2d_direct")
