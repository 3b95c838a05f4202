"""Assignment `lrn`: rebuild minidl's kernels/lrn/reference.py.

Fill in the bodies, then run
    python -m minidl.course check lrn lrn.py
A finished file can replace kernels/lrn/reference.py: same names, same signatures.
Read docs/relu-lrn.md first.

Local response normalisation (AlexNet, section 3.3), across channels, at each pixel:

    scale[n, c, h, w] = k + alpha * sum_{c' = c - size//2}^{c + (size-1)//2} x[n, c', h, w]**2
    y = x * scale ** -beta

The window holds exactly `size` channels, clipped at the first and last channel; for an even
size it reaches one channel further BEFORE c than after (PyTorch's placement). alpha multiplies
the plain sum (the paper's convention; PyTorch divides alpha by size).
"""
import numpy as np


def lrn_forward(x, size, alpha, beta, k):
    """y = x / (k + alpha * window sum of x**2) ** beta.

    Args:
        x: (N, C, H, W) float.
        size, alpha, beta, k: the paper's n, alpha, beta, k (5, 1e-4, 0.75, 2).

    Returns:
        y: (N, C, H, W), x's dtype.

    The loop (loop over c in Python, the rest with NumPy slices):
        for c in range(C):
            lo, hi = max(0, c - size // 2), min(C - 1, c + (size - 1) // 2)
            scale[:, c] = k + alpha * (x[:, lo:hi + 1] ** 2).sum(axis=1)
        y = x * scale ** -beta
    """
    # TODO
    raise NotImplementedError("lrn_forward")


def lrn_backward(gy, x, size, alpha, beta, k):
    """gx from gy and the forward's INPUT x (recompute the scale; nothing else is saved).

    Args:
        gy: (N, C, H, W), the gradient w.r.t. y.
        x:  (N, C, H, W), the forward's input.

    Returns:
        gx: (N, C, H, W), x's dtype.

    With s = scale and y_i = x_i * s_i**-beta, where s_i depends on x_j for j in window(i):

        gx_j = gy_j * s_j**-beta  -  2 * alpha * beta * x_j * sum_{i : j in window(i)} gy_i * y_i / s_i

    Which i have j in their window? i from j - (size-1)//2 to j + size//2: the forward's
    window MIRRORED (the same as the forward's for odd sizes, not for even ones).

        t = gy * x * s ** (-beta - 1)              # gy_i * y_i / s_i
        for c in range(C):
            lo, hi = max(0, c - (size - 1) // 2), min(C - 1, c + size // 2)
            r[:, c] = t[:, lo:hi + 1].sum(axis=1)
        gx = gy * s ** -beta - 2 * alpha * beta * x * r
    """
    # TODO
    raise NotImplementedError("lrn_backward")
