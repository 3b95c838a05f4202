"""``minidl.nn``: layers as Modules (PyTorch's names, state-dict keys and semantics)."""
from . import init
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .activation import LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .conv import Conv2d
from .layers import (AdaptiveAvgPool2d, AvgPool2d, Dropout, Flatten, Identity, LocalResponseNorm,
                     MaxPool2d)
from .linear import Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .module import IncompatibleKeys, Module, RemovableHandle, StateDictError
from .parameter import Parameter

__all__ = ["Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "ParameterList",
           "ParameterDict", "RemovableHandle", "Conv2d", "Linear", "ReLU", "Tanh",
           "LocalResponseNorm", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Dropout",
           "Flatten", "Identity", "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "BCELoss",
           "BCEWithLogitsLoss", "Sigmoid", "Softmax", "LogSoftmax", "init", "StateDictError", "IncompatibleKeys"]
from . import parallel  # noqa: E402  (DistributedDataParallel; needs the names above)
from . import utils  # noqa: E402,F401  (clip_grad_norm_, as torch.nn.utils)

# PyTorch's path: ``import minidl.nn.functional as F`` is ``minidl.functional``, the same module
import sys as _sys  # noqa: E402

from .. import functional  # noqa: E402

_sys.modules[__name__ + ".functional"] = functional
