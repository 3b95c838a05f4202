"""What does the net think a class looks like? Simonyan, Vedaldi & Zisserman (2013), section 2:

    I* = argmax_I  S_c(I) - (weight_decay/2)·||I||²

by gradient ascent from the zero image (the training set's mean, for inputs normalised by
it): I <- I + lr·(dS_c/dI - weight_decay·I). S_c is the class's score before the softmax.
The penalty is written as SGD writes weight decay (its gradient is weight_decay·I), so the
paper's λ is weight_decay/2. cs231n's version adds jitter and blur between steps for prettier
pictures; this is the paper's plain one.
"""
import numpy as np

from ..autograd import enable_grad, grad
from ..backend import to_device
from ..tensor import Tensor
from ._common import device_and_dtype, inspecting, logits_of, one_hot, targets_for, to_numpy


def class_model(model, target, shape, steps=100, lr=1.0, weight_decay=1e-3):
    """Class model images, (T, C, H, W) NumPy for T targets (an int: T = 1).

    `shape` is one input's (C, H, W), in the units the net was trained on (normalised). All
    targets ascend together as one batch: one forward and one backward pass per step. For a
    linear model S = W·I + b the iterates are exact: I_t = (1 - (1 - lr·wd)^t)·W[c]/wd.
    """
    what = "class_model"
    shape = tuple(shape)
    if len(shape) != 3 or not all(isinstance(s, (int, np.integer)) and s > 0 for s in shape):
        raise ValueError(f"{what}: shape must be one image's (C, H, W), got {shape}")
    for name, v in (("steps", steps), ("lr", lr), ("weight_decay", weight_decay)):
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
            image = image + lr * (to_numpy(g.data) - weight_decay * image)
        if not steps:                     # still say so when a target is not a class
            targets_for(targets, logits_of(model(Tensor._make(to_device(image, device))),
                                           what), what)
    return image.astype(dtype, copy=False)
