"""Small float64 nets whose pictures have answers on paper, for the visualize tests."""
import numpy as np

import minidl
from minidl import nn


def linear_net(c, h, w, classes, seed=0):
    """Flatten -> Linear: scores S = W·vec(x) + b, W (classes, C·H·W)."""
    minidl.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(c * h * w, classes)).double()


def cam_net(c, k, classes, seed=0):
    """conv 3×3 (pad 1) -> ReLU -> global average pool -> linear: Zhou et al.'s CAM net."""
    minidl.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(c, k, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(k, classes)).double()


def conv2d_loop(x, w, b, padding):
    """Direct convolution (cross-correlation) in NumPy: x (N, C, H, W), w (K, C, kh, kw)."""
    n, c, h, wd = x.shape
    k, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    oh, ow = h + 2 * padding - kh + 1, wd + 2 * padding - kw + 1
    out = np.empty((n, k, oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = np.einsum("nchw,kchw->nk", xp[:, :, i:i + kh, j:j + kw], w)
    return out + b[None, :, None, None]


def images(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def no_hooks_left(model):
    return all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())
