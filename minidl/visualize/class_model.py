"""What does the net think a class looks like? Simonyan, Vedaldi & Zisserman (2013), section 2:

    I* = argmax_I  S_c(I) - (weight_decay/2)·||I||²

by gradient ascent from the zero image (the training set's mean, for inputs normalised by
it): I <- I + lr·(dS_c/dI - weight_decay·I). S_c is the class's score before the softmax.
The penalty is written as SGD writes weight decay (its gradient is weight_decay·I), so the
paper's λ is weight_decay/2. The plain ascent finds high-frequency patterns a small net
scores highly; ``blur=sigma`` adds Yosinski et al.'s (2015) regulariser, a Gaussian blur of
the image after each step, which leaves the shapes (cs231n's class visualisation does too).
"""
import numpy as np

from ..autograd import enable_grad, grad
from ..backend import to_device
from ..tensor import Tensor
from ._common import device_and_dtype, inspecting, logits_of, one_hot, targets_for, to_numpy


def gaussian_blur(images, sigma):
    """Blur images (N, C, H, W) with a Gaussian of std `sigma` pixels, per channel: one
    1-D kernel exp(-t²/2σ²)/Σ, t = -r..r, r = round(3σ), along H then W, the edges mirrored
    (scipy.ndimage.gaussian_filter's "reflect", truncate=3)."""
    r = int(3 * sigma + 0.5)
    if sigma <= 0 or r == 0:
        return images
    t = np.arange(-r, r + 1)
    k = np.exp(-t ** 2 / (2.0 * sigma ** 2))
    k /= k.sum()
    out = images
    for axis in (2, 3):
        n = out.shape[axis]
        pad = [(0, 0)] * 4
        pad[axis] = (r, r)
        p = np.pad(out, pad, mode="symmetric")
        out = sum(k[i] * np.take(p, range(i, i + n), axis=axis) for i in range(2 * r + 1))
    return out.astype(images.dtype, copy=False)


def class_model(model, target, shape, steps=100, lr=1.0, weight_decay=1e-3, blur=0.0):
    """Class model images, (T, C, H, W) NumPy for T targets (an int: T = 1).

    `shape` is one input's (C, H, W), in the units the net was trained on (normalised). All
    targets ascend together as one batch: one forward and one backward pass per step. For a
    linear model S = W·I + b the iterates are exact: I_t = (1 - (1 - lr·wd)^t)·W[c]/wd.
    ``blur`` > 0: the image is blurred (``gaussian_blur``, std `blur` pixels) after each step.
    """
    what = "class_model"
    shape = tuple(shape)
    if len(shape) != 3 or not all(isinstance(s, (int, np.integer)) and s > 0 for s in shape):
        raise ValueError(f"{what}: shape must be one image's (C, H, W), got {shape}")
    for name, v in (("steps", steps), ("lr", lr), ("weight_decay", weight_decay),
                    ("blur", blur)):
        if isinstance(v, bool) or not np.isfinite(v) or v < 0:
            raise ValueError(f"{what}: {name} must be a non-negative number, got {v!r}")
    targets = np.atleast_1d(np.asarray(target))
    device, dtype = device_and_dtype(model)
    image = np.zeros((len(targets),) + shape, dtype)
    with inspecting(model):
        for step in range(int(steps)):
            x = Tensor._make(to_device(image, device)).requires_grad_()
            with enable_grad():
                logits = logits_of(model(x), what)
                if step == 0:
                    targets = targets_for(targets, logits, what)
                (g,) = grad((logits * one_hot(targets, logits)).sum(), [x])
            image = gaussian_blur(image + lr * (to_numpy(g.data) - weight_decay * image), blur)
        if not steps:                     # still say so when a target is not a class
            targets_for(targets, logits_of(model(Tensor._make(to_device(image, device))),
                                           what), what)
    return image.astype(dtype, copy=False)
