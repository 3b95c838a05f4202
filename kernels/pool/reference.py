"""2-D pooling in NumPy: the teaching version and the test oracle.

Shapes (`spec`: the layer's PoolSpec, `spec.py`: KH, KW, stride, padding, ceil_mode,
------  count_include_pad, OH, OW)
    x   (N, C, H, W)  ->  y (N, C, OH, OW),   OH = floor((H + 2*ph - KH) / sh) + 1
    with ceil_mode the division rounds up, but a last window that would start in the right
    padding is dropped (PyTorch's rule; Chainer calls it cover_all). See `minidl.kernels.shapes`.

Output cell (oh, ow) pools the window of rows oh*sh - ph .. oh*sh - ph + KH - 1 and columns
likewise, clipped to the image: padding never takes part in a max.

Max pooling also returns `argmax` (N, C, OH, OW) int32: the winner's flat index h*W + w in its
input plane. Backward routes each gy to that cell; where windows overlap (AlexNet's 3×3 windows
2 apart) one input cell can win several windows and receives the sum. Ties go to the first
cell in row-major order.

Average pooling divides by the window's cell count: with count_include_pad=True the padding cells
count (clipped to the padded input, as PyTorch does when ceil_mode runs past it), otherwise only
the image cells do.

Adaptive average pooling (GoogLeNet's global pooling is output_size=(1, 1)) chooses windows to
give an exact output size: row oh covers floor(oh*H/OH) .. ceil((oh+1)*H/OH) - 1.
"""
import numpy as np


def _window(o, k, s, p, size):
    """The clipped window [start, end) of output index o along one axis."""
    start = o * s - p
    return max(start, 0), min(start + k, size)


def max_pool2d_forward(x, spec):
    """(y, argmax) for x (N, C, H, W); argmax int32 indexes the input plane (h*W + w)."""
    N, C, H, W = x.shape
    OH, OW = spec.OH, spec.OW
    kernel_size, stride, padding = spec.kernel_size, spec.stride, spec.padding
    y = np.empty((N, C, OH, OW), dtype=x.dtype)
    argmax = np.empty((N, C, OH, OW), dtype=np.int32)
    for oh in range(OH):
        h0, h1 = _window(oh, kernel_size[0], stride[0], padding[0], H)
        for ow in range(OW):
            w0, w1 = _window(ow, kernel_size[1], stride[1], padding[1], W)
            window = x[:, :, h0:h1, w0:w1].reshape(N, C, (h1 - h0) * (w1 - w0))
            i = window.argmax(axis=2)                       # first maximum wins ties
            y[:, :, oh, ow] = np.take_along_axis(window, i[..., None], 2)[..., 0]
            argmax[:, :, oh, ow] = (h0 + i // (w1 - w0)) * W + w0 + i % (w1 - w0)
    return y, argmax


def max_pool2d_backward(gy, argmax, x_shape, spec):
    """gx (N, C, H, W): each gy[n, c, oh, ow] added to the input cell that won that window."""
    N, C, H, W = x_shape
    gx = np.zeros((N, C, H * W), dtype=gy.dtype)
    n, c = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")
    for oh in range(gy.shape[2]):
        for ow in range(gy.shape[3]):
            gx[n, c, argmax[:, :, oh, ow]] += gy[:, :, oh, ow]    # distinct (n, c): no clash
    return gx.reshape(x_shape)


def _divisor(oh, ow, spec, x_shape):
    """PyTorch's divisor: cells of the window inside the padded input, or inside the image."""
    H, W = x_shape[2:]
    (KH, KW), (sh, sw), (ph, pw) = spec.kernel_size, spec.stride, spec.padding
    hs, ws = oh * sh - ph, ow * sw - pw
    he, we = min(hs + KH, H + ph), min(ws + KW, W + pw)
    if spec.count_include_pad:
        return (he - hs) * (we - ws)
    return (min(he, H) - max(hs, 0)) * (min(we, W) - max(ws, 0))


def avg_pool2d_forward(x, spec):
    N, C, H, W = x.shape
    OH, OW = spec.OH, spec.OW
    kernel_size, stride, padding = spec.kernel_size, spec.stride, spec.padding
    y = np.empty((N, C, OH, OW), dtype=x.dtype)
    for oh in range(OH):
        h0, h1 = _window(oh, kernel_size[0], stride[0], padding[0], H)
        for ow in range(OW):
            w0, w1 = _window(ow, kernel_size[1], stride[1], padding[1], W)
            div = _divisor(oh, ow, spec, x.shape)
            y[:, :, oh, ow] = x[:, :, h0:h1, w0:w1].sum(axis=(2, 3)) / div
    return y


def avg_pool2d_backward(gy, x_shape, spec):
    N, C, H, W = x_shape
    kernel_size, stride, padding = spec.kernel_size, spec.stride, spec.padding
    gx = np.zeros(x_shape, dtype=gy.dtype)
    for oh in range(gy.shape[2]):
        h0, h1 = _window(oh, kernel_size[0], stride[0], padding[0], H)
        for ow in range(gy.shape[3]):
            w0, w1 = _window(ow, kernel_size[1], stride[1], padding[1], W)
            div = _divisor(oh, ow, spec, x_shape)
            gx[:, :, h0:h1, w0:w1] += gy[:, :, oh, ow, None, None] / div
    return gx


def _adaptive_window(o, size, out):
    return (o * size) // out, -(-((o + 1) * size) // out)


def adaptive_avg_pool2d_forward(x, output_size):
    N, C, H, W = x.shape
    OH, OW = output_size
    y = np.empty((N, C, OH, OW), dtype=x.dtype)
    for oh in range(OH):
        h0, h1 = _adaptive_window(oh, H, OH)
        for ow in range(OW):
            w0, w1 = _adaptive_window(ow, W, OW)
            y[:, :, oh, ow] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    return y


def adaptive_avg_pool2d_backward(gy, x_shape, output_size):
    N, C, H, W = x_shape
    OH, OW = output_size
    gx = np.zeros(x_shape, dtype=gy.dtype)
    for oh in range(OH):
        h0, h1 = _adaptive_window(oh, H, OH)
        for ow in range(OW):
            w0, w1 = _adaptive_window(ow, W, OW)
            gx[:, :, h0:h1, w0:w1] += gy[:, :, oh, ow, None, None] / ((h1 - h0) * (w1 - w0))
    return gx
