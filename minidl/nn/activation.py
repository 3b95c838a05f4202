"""Activations as modules: thin wrappers around ``minidl.functional`` with PyTorch's
constructor signatures.

``inplace=True`` is accepted where PyTorch has it and stored (it shows in the repr), but the
module computes out of place: the result is the same, only memory differs.
"""
from .. import functional as F
from .module import Module


class ReLU(Module):
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.relu(x)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Tanh(Module):
    def __init__(self, *args, **kwargs):  # PyTorch's Tanh accepts and ignores any arguments
        super().__init__()

    def forward(self, x):
        return F.tanh(x)


class Sigmoid(Module):
    def __init__(self, *args, **kwargs):  # PyTorch's Sigmoid accepts and ignores any arguments
        super().__init__()

    def forward(self, input):
        return F.sigmoid(input)


class Softmax(Module):
    """softmax along `dim` (None: PyTorch's legacy implicit dim, with its warning)."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    def forward(self, input):
        return F.log_softmax(input, self.dim)
