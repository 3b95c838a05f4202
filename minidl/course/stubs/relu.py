"""Assignment `relu`: rebuild minidl's kernels/relu/reference.py.

Fill in the two bodies, then run
    python -m minidl.course check relu relu.py
A finished file can replace kernels/relu/reference.py: same names, same signatures.
Read docs/relu-lrn.md first.
"""
import numpy as np


def relu_forward(x):
    """ReLU: y = max(x, 0), element by element.

    Args:
        x: array of any shape and float dtype.

    Returns:
        y: array of x's shape AND dtype (np.maximum(x, 0) keeps it; x * (x > 0) does too,
           but check what it does to -0.0 and NaN).

    The loop (write it with NumPy, not in Python):
        for each index i:
            y[i] = x[i] if x[i] > 0 else 0
    """
    # TODO: one line of NumPy
    raise NotImplementedError("relu_forward")


def relu_backward(gy, y):
    """ReLU's backward, from the OUTPUT y (nothing else is saved in forward).

    Args:
        gy: the gradient w.r.t. y, any shape, float.
        y:  the forward's output, gy's shape.

    Returns:
        gx: gy's shape and dtype.

    The loop:
        for each index i:
            gx[i] = gy[i] if y[i] > 0 else 0      # where the unit was off, nothing passes
    (At x = 0, where ReLU has no derivative, PyTorch and minidl send 0.)
    """
    # TODO: one line of NumPy, then keep gy's dtype
    raise NotImplementedError("relu_backward")
