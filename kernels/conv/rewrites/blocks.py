"""A stride-1 convolution with a kernel larger than 3×3 as a sum of 3×3 convolutions (blocks).

Off the default path: ``conv_algo="auto"`` never picks it; ``use(conv_algo="winograd")`` does.

Shapes (stride 1, dilation 1, padding (ph, pw), any groups)
------
    x    (N, C, H, W)            input              w     (OC, C//groups, KH, KW)
    y    (N, OC, OH, OW)         OH = H + 2*ph - KH + 1
    bh = ceil(KH / 3) by bw = ceil(KW / 3) blocks; block (a, c) of the kernel, zero-padded to
    3*bh × 3*bw, is w_ac = w[:, :, 3a:3a+3, 3c:3c+3]  (OC, C//groups, 3, 3)

The idea (AlexNet's conv2: 5×5)
--------
Output (i, j) sums w[u, v] xpad[i + u, j + v] over the taps. Split u = 3a + u' (u' < 3): the
taps of block a read the padded input shifted down by 3a. So

    y = sum over blocks (a, c) of conv3×3(xpad[:, :, 3a:, 3c:], w_ac)

each a stride-1 3×3 convolution with no padding of a shifted view, which Winograd F(2×2, 3×3)
computes in 16 multiply-adds per 4 outputs. A 5×5 kernel padded to 6×6 is 4 blocks: 4·9 = 36
taps (11 of them zero) per output, Winograd's 2.25× makes that 16, against 25 for the direct
convolution (0.64×), at the price of 4 input and output transforms instead of 1.

Backward: gx is the sum of the blocks' input gradients, each added back at its shift (then
the padding cut off); gw's blocks are the blocks' weight gradients, the zero taps dropped.
"""
from minidl.backend import get_array_module

from ..spec import ConvSpec


def _blocks(KH, KW):
    return -(-KH // 3), -(-KW // 3)


def _reach(x_shape, spec):
    """(OH, OW), the padded input's side (EH, EW) the blocks read, and how many rows and
    columns of x lie inside it (the rest no output reads: their gradient is zero)."""
    H, W = x_shape[2:]
    ph, pw = spec.padding
    OH, OW = spec.OH, spec.OW
    bh, bw = _blocks(spec.KH, spec.KW)
    EH, EW = OH + 3 * bh - 1, OW + 3 * bw - 1
    return (OH, OW), (EH, EW), (max(0, min(H, EH - ph)), max(0, min(W, EW - pw)))


def _padded_input(x, spec):
    """xpad (N, C, EH, EW): x at (ph, pw), zeros elsewhere; and (OH, OW)."""
    xp = get_array_module(x)
    (OH, OW), (EH, EW), (h, w) = _reach(x.shape, spec)
    ph, pw = spec.padding
    xpad = xp.zeros(x.shape[:2] + (EH, EW), x.dtype)
    xpad[:, :, ph:ph + h, pw:pw + w] = x[:, :, :h, :w]
    return xpad, (OH, OW)


def _padded_shape(w_shape):
    """w's shape zero-padded to whole 3×3 blocks: (OC, Cg, 3*bh, 3*bw)."""
    OC, Cg, KH, KW = w_shape
    bh, bw = _blocks(KH, KW)
    return OC, Cg, 3 * bh, 3 * bw


def _padded_filter(w):
    wpad = get_array_module(w).zeros(_padded_shape(w.shape), w.dtype)
    wpad[:, :, :w.shape[2], :w.shape[3]] = w
    return wpad


class BlockConv:
    """conv2d_forward / conv2d_backward of a stride-1 layer as 3×3 blocks through `inner`, a
    kernel module (same signatures) that runs 3×3 stride-1 convolutions."""

    def __init__(self, inner):
        self.inner = inner
        self.__name__ = f"{__name__}[{inner.__name__}]"

    def __repr__(self):
        return f"<conv kernels {self.__name__}>"

    def _views(self, x, w, spec):
        """Each block's (shifted input, 3×3 filter), and the output size."""
        xp = get_array_module(x)
        xpad, (OH, OW) = _padded_input(x, spec)
        wpad = _padded_filter(w)
        bh, bw = _blocks(*w.shape[2:])
        views = [((a, c), xp.ascontiguousarray(xpad[:, :, 3 * a:3 * a + OH + 2,
                                                     3 * c:3 * c + OW + 2]),
                  xp.ascontiguousarray(wpad[:, :, 3 * a:3 * a + 3, 3 * c:3 * c + 3]))
                 for a in range(bh) for c in range(bw)]
        return views, (OH, OW)

    def conv2d_forward(self, x, w, b, spec):
        _check(spec)
        views, _ = self._views(x, w, spec)
        one = _block_spec(spec)
        y = None
        for _, xs, ws in views:
            part = self.inner.conv2d_forward(xs, ws, None, one)
            if y is None:
                y = part
            else:
                y += part
        if b is not None:
            y += b.reshape(1, -1, 1, 1).astype(y.dtype, copy=False)
        return y

    def conv2d_backward(self, gy, x, w, spec, needs):
        _check(spec)
        need_x, need_w, need_b = needs
        xp = get_array_module(x)
        views, (OH, OW) = self._views(x, w, spec)
        one = _block_spec(spec)
        ph, pw = spec.padding
        _, (EH, EW), (h, wd) = _reach(x.shape, spec)
        gxpad = xp.zeros(x.shape[:2] + (EH, EW), x.dtype) if need_x else None
        gwpad = xp.zeros(_padded_shape(w.shape), w.dtype) if need_w else None
        for (a, c), xs, ws in views:
            gxs, gws, _ = self.inner.conv2d_backward(gy, xs, ws, one, (need_x, need_w, False))
            if need_x:
                gxpad[:, :, 3 * a:3 * a + OH + 2, 3 * c:3 * c + OW + 2] += gxs
            if need_w:
                gwpad[:, :, 3 * a:3 * a + 3, 3 * c:3 * c + 3] = gws
        gx = gw = None
        if need_x:
            gx = xp.zeros(x.shape, x.dtype)
            gx[:, :, :h, :wd] = gxpad[:, :, ph:ph + h, pw:pw + wd]
        if need_w:
            gw = xp.ascontiguousarray(gwpad[:, :, :w.shape[2], :w.shape[3]])
        gb = gy.sum(axis=(0, 2, 3)) if need_b else None
        return gx, gw, gb


def _block_spec(spec):
    """The ConvSpec of one block: a 3×3 stride-1 convolution, no padding, the same output."""
    return ConvSpec(spec.C, spec.OC, 3, 3, groups=spec.groups, OH=spec.OH, OW=spec.OW)


def _check(spec):
    if spec.stride != (1, 1) or spec.dilation != (1, 1):
        raise ValueError(f"blocks conv2d: needs stride 1 and dilation 1, got stride "
                         f"{spec.stride}, dilation {spec.dilation} (use the im2col kernels)")
