"""``minidl.nn``: layers as Modules (PyTorch's names, state-dict keys and semantics)."""
from . import init
from .container import ModuleList, Sequential
from .conv import Conv2d
from .layers import (AdaptiveAvgPool2d, AvgPool2d, CrossEntropyLoss, Dropout, Flatten, Identity,
                     LocalResponseNorm, MaxPool2d, ReLU, Tanh)
from .linear import Linear
from .module import IncompatibleKeys, Module, StateDictError
from .parameter import Parameter

__all__ = ["Module", "Parameter", "Sequential", "ModuleList", "Conv2d", "Linear", "ReLU", "Tanh",
           "LocalResponseNorm", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Dropout",
           "Flatten", "Identity", "CrossEntropyLoss", "init", "StateDictError", "IncompatibleKeys"]
