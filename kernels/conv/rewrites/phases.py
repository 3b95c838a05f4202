"""A strided convolution as a stride-1 convolution of the input's phases (space-to-depth).

Off the default path: ``conv_algo="auto"`` never picks it; ``use(conv_algo="winograd")`` does.

Shapes (stride (sh, sw), padding (ph, pw), dilation 1, any groups)
------
    x    (N, C, H, W)                 input             w    (OC, C//groups, KH, KW)
    xs   (N, C*sh*sw, EH/sh, EW/sw)   the phases        ws   (OC, C//groups*sh*sw, qh, qw)
    y    (N, OC, OH, OW)              OH = (H + 2*ph - KH) // sh + 1, as for the direct conv

    qh = ceil(KH / sh) (the phase kernel's side), EH = (OH - 1 + qh) * sh (the padded input
    rows the phases cover); likewise qw, EW.

The idea (AlexNet's conv1: 11×11, stride 4)
--------
Output (i, j) of a stride-s convolution reads the padded input at rows i*s + u, u < KH. Write
u = s*u' + a with a < s: row i*s + u = s*(i + u') + a, which is row i + u' of *phase* a, the
rows a, a + s, a + 2s, ... So the layer is a sum over the s×s phases (a, b) of stride-1
convolutions with the kernel's taps w[:, :, s*u' + a, s*v' + b]; stacking the phases as
channels makes it one stride-1 convolution with s*s times the channels and a qh×qw kernel
(zero taps where s*u' + a ≥ KH):

    xs[n, (c, a, b), i, j] = xpad[n, c, s*i + a, s*j + b]      ws[o, (c, a, b), u', v'] = w[o, c, s*u' + a, s*v' + b]

AlexNet's conv1 (3 channels, 11×11/4 on 224² padded by 2) becomes a 3×3 stride-1 convolution
of 48 channels on 57×57, which Winograd F(2×2, 3×3) computes: 12²/11² = 1.19× the direct
multiply-adds for the zero taps, 2.25× fewer for Winograd, so 0.53× the direct count, and no
column matrix 11² times the input. The rearrangements are reshapes and one transpose each
way (NumPy or CuPy alike); the inner convolution is whichever kernel module the dispatch
passes in (Winograd's CPU, CUDA or reference version).

Backward: gx is the inner convolution's input gradient put back from phases to rows (the
same transpose inverted, then the padding cut off); gw is the inner weight gradient with its
phase taps put back, the zero taps dropped; gb is the inner one.
"""
from minidl.backend import get_array_module

from ..spec import ConvSpec


def geometry(spec):
    """(qh, qw, EH, EW) of the phase form of a convolution (see the module docstring)."""
    (sh, sw) = spec.stride
    qh, qw = -(-spec.KH // sh), -(-spec.KW // sw)
    return qh, qw, (spec.OH - 1 + qh) * sh, (spec.OW - 1 + qw) * sw


def inner_spec(spec):
    """The ConvSpec of the stride-1 phase convolution: sh*sw times the channels, a qh×qw
    kernel, no padding, the same output size."""
    sh, sw = spec.stride
    qh, qw, _, _ = geometry(spec)
    return ConvSpec(spec.C * sh * sw, spec.OC, qh, qw, groups=spec.groups, OH=spec.OH,
                    OW=spec.OW)


def to_phases(x, spec):
    """x (N, C, H, W) -> xs (N, C*sh*sw, EH/sh, EW/sw), channel (c, a, b) = phase (a, b) of the
    zero-padded input's channel c."""
    xp = get_array_module(x)
    N, C, H, W = x.shape
    (sh, sw), (ph, pw) = spec.stride, spec.padding
    _, _, EH, EW = geometry(spec)
    h, w = max(0, min(H, EH - ph)), max(0, min(W, EW - pw))   # input rows the phases reach
    xpad = xp.zeros((N, C, EH, EW), x.dtype)
    xpad[:, :, ph:ph + h, pw:pw + w] = x[:, :, :h, :w]
    m, n = EH // sh, EW // sw
    return xp.ascontiguousarray(xpad.reshape(N, C, m, sh, n, sw).transpose(0, 1, 3, 5, 2, 4)
                                .reshape(N, C * sh * sw, m, n))


def from_phases(gxs, x_shape, spec):
    """The adjoint of to_phases: gxs (N, C*sh*sw, EH/sh, EW/sw) -> gx (N, C, H, W)."""
    xp = get_array_module(gxs)
    N, C, H, W = x_shape
    (sh, sw), (ph, pw) = spec.stride, spec.padding
    _, _, EH, EW = geometry(spec)
    m, n = EH // sh, EW // sw
    gpad = gxs.reshape(N, C, sh, sw, m, n).transpose(0, 1, 4, 2, 5, 3).reshape(N, C, EH, EW)
    h, w = max(0, min(H, EH - ph)), max(0, min(W, EW - pw))
    gx = xp.zeros(x_shape, gxs.dtype)
    gx[:, :, :h, :w] = gpad[:, :, ph:ph + h, pw:pw + w]
    return gx


def phase_filter(w, stride):
    """w (OC, Cg, KH, KW) -> ws (OC, Cg*sh*sw, qh, qw), zero taps where s*u' + a ≥ KH."""
    xp = get_array_module(w)
    OC, Cg, KH, KW = w.shape
    sh, sw = stride
    qh, qw = -(-KH // sh), -(-KW // sw)
    wpad = xp.zeros((OC, Cg, qh * sh, qw * sw), w.dtype)
    wpad[:, :, :KH, :KW] = w
    return xp.ascontiguousarray(wpad.reshape(OC, Cg, qh, sh, qw, sw).transpose(0, 1, 3, 5, 2, 4)
                                .reshape(OC, Cg * sh * sw, qh, qw))


def from_phase_filter(gws, w_shape, stride):
    """The adjoint of phase_filter: gws (OC, Cg*sh*sw, qh, qw) -> gw (OC, Cg, KH, KW)."""
    xp = get_array_module(gws)
    OC, Cg, KH, KW = w_shape
    sh, sw = stride
    qh, qw = gws.shape[2:]
    g = gws.reshape(OC, Cg, sh, sw, qh, qw).transpose(0, 1, 4, 2, 5, 3)
    return xp.ascontiguousarray(g.reshape(OC, Cg, qh * sh, qw * sw)[:, :, :KH, :KW])


class PhaseConv:
    """conv2d_forward / conv2d_backward of a strided layer through `inner`, a kernel module
    (same signatures) that runs the stride-1 phase convolution."""

    def __init__(self, inner):
        self.inner = inner
        self.__name__ = f"{__name__}[{inner.__name__}]"

    def __repr__(self):
        return f"<conv kernels {self.__name__}>"

    def conv2d_forward(self, x, w, b, spec):
        _check(spec)
        xs = to_phases(x, spec)
        return self.inner.conv2d_forward(xs, phase_filter(w, spec.stride), b, inner_spec(spec))

    def conv2d_backward(self, gy, x, w, spec, needs):
        _check(spec)
        need_x, need_w, _ = needs
        xs = to_phases(x, spec)
        gxs, gws, gb = self.inner.conv2d_backward(gy, xs, phase_filter(w, spec.stride),
                                                  inner_spec(spec), needs)
        gx = from_phases(gxs, x.shape, spec) if need_x else None
        gw = from_phase_filter(gws, w.shape, spec.stride) if need_w else None
        return gx, gw, gb


def _check(spec):
    if spec.dilation != (1, 1):
        raise ValueError(f"phases conv2d: needs dilation 1, got {spec.dilation} (use the "
                         "im2col kernels)")
