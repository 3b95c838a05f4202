"""Assignment `sgd`: rebuild `_step` of minidl's minidl/optim/sgd.py, the update rule itself.

Fill in the body, then run
    python -m minidl.course check sgd sgd.py
Your `_step` can replace minidl.optim.sgd._step: same name, same signature. `SGD.step()` calls
it for every parameter (on blocks of 32K elements, which changes nothing in the maths).
Read docs/modules-and-sgd.md first.

PyTorch's rule, for a parameter p with gradient g:

    g = -g if maximize else g
    g = g + weight_decay * p                      # L2 penalty, added to the gradient FIRST
    if momentum != 0:
        buf = g                                   # first step: the buffer starts as g
        buf = momentum * buf + (1 - dampening) * g    # later steps
        g = g + momentum * buf if nesterov else buf
    p = p - lr * g

The AlexNet paper's rule (section 5), momentum 0.9, weight decay 0.0005:

    v <- 0.9 * v - 0.0005 * lr * w - lr * dL/dw
    w <- w + v

is the same rule on another variable while lr is constant: v = -lr * buf. They part when lr
changes: the paper's v still holds steps taken at the old rate, PyTorch's next step is
new_lr * buf. minidl follows PyTorch; the checker tests both facts.
"""
import numpy as np


def _step(p, g, buf, lr, momentum, dampening, weight_decay, nesterov, first, maximize=False):
    """One update, IN PLACE on p and buf; g is left alone.

    Args:
        p:    parameter array, float32 or float64 (update it in place: p -= ...).
        g:    its gradient, p's shape; do not modify it.
        buf:  the momentum buffer, p's shape (None when momentum == 0); in place too.
        lr, momentum, dampening, weight_decay: Python floats.
        nesterov, maximize: bools.
        first: True on the parameter's first step: then buf's contents are garbage, and
               buf must be set to d (no momentum * buf, no dampening).

    Returns nothing.

        d = (p * weight_decay) + (-g if maximize else g)     # a new array: g stays as it was
        if momentum != 0:
            buf[...] = d if first else momentum * buf + (1 - dampening) * d
            d = d + momentum * buf if nesterov else buf (a copy)
        p -= lr * d
    Keep p's dtype: Python floats times a float32 array stay float32.
    """
    # TODO
    raise NotImplementedError("_step")
