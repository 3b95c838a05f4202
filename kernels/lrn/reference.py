"""Local response normalisation across channels, in NumPy: the teaching version and the oracle.

Shapes: x, y, gy, gx all (N, C, H, W).

AlexNet section 3.3: each activation is divided by the energy of its neighbours in the channels
around it, at the same pixel:

    scale[n, c, h, w] = k + alpha * sum_{c' = c - size//2}^{c + (size-1)//2} x[n, c', h, w]**2
    y = x * scale ** -beta

The window holds exactly `size` channels, clipped at the first and last channel: for odd sizes
the paper's symmetric window, for even sizes one more channel before c than after (PyTorch's
placement). Defaults size=5, alpha=1e-4, beta=0.75, k=2 (the paper's n=5, alpha, beta, k).

Convention: alpha multiplies the plain sum, as in the paper and Chainer. PyTorch's
`local_response_norm` divides alpha by `size` (an average), and so does Caffe's LRN layer
(alpha / local_size); the kernels' alpha equals theirs divided by size, i.e.
PyTorch(alpha=a * size) == kernel(alpha=a). ``minidl.nn.LocalResponseNorm`` and
``F.local_response_norm`` take PyTorch's alpha and hand the kernels ``alpha / size``.

Backward. With s = scale, y_i = x_i * s_i**-beta and s_i depending on x_j for j in window(i):

    gx_j = gy_j * s_j**-beta - 2*alpha*beta * x_j * sum_{i : j in window(i)} gy_i * y_i / s_i

j is in window(i) when i runs over j - (size-1)//2 .. j + size//2: the window mirrored, which
differs from the forward window only for even sizes. Backward needs x alone: it recomputes
the scale (a few flops per element) rather than keeping an input-sized array from forward.
"""
import numpy as np


def _window_sum(a, lo_off, hi_off):
    """out[:, c] = sum of a[:, c - lo_off .. c + hi_off] (clipped to the channels)."""
    C = a.shape[1]
    out = np.empty_like(a)
    for c in range(C):
        lo, hi = max(0, c - lo_off), min(C - 1, c + hi_off)
        out[:, c] = a[:, lo:hi + 1].sum(axis=1)
    return out


def _scale(x, size, alpha, k):
    return k + alpha * _window_sum(x * x, size // 2, (size - 1) // 2)


def lrn_forward(x, size, alpha, beta, k):
    """y (N, C, H, W) = x / (k + alpha * sum over the channel window of x**2) ** beta."""
    return (x * _scale(x, size, alpha, k) ** -beta).astype(x.dtype, copy=False)


def lrn_backward(gy, x, size, alpha, beta, k):
    """gx (N, C, H, W) from gy and the forward input x (the scale is recomputed)."""
    scale = _scale(x, size, alpha, k)
    t = gy * x * scale ** (-beta - 1)                      # gy_i * y_i / s_i
    r = _window_sum(t, (size - 1) // 2, size // 2)         # over the mirrored window
    return (gy * scale ** -beta - 2 * alpha * beta * x * r).astype(x.dtype, copy=False)
