"""ReLU in NumPy: the teaching version and the test oracle.

Shapes: any; y and gx have x's shape.

    y  = max(x, 0)                      forward
    gx = 0 where y <= 0, else gy        backward: the mask is read back from y, so nothing
                                        but the output (which the next layer keeps anyway)
                                        has to be saved
"""
import numpy as np


def relu_forward(x):
    return np.maximum(x, 0)


def relu_backward(gy, y):
    return np.where(y <= 0, 0, gy).astype(gy.dtype, copy=False)
