"""``Linear``: y = x Wᵀ + b."""
import math

from ..factories import empty
from . import init
from ..ops.linalg import _linear
from ._check import count
from .module import Module
from .parameter import Parameter


class Linear(Module):
    """x (..., in_features) -> y (..., out_features); weight (out, in), bias (out,).

    Initialised as PyTorch does: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias. The input
    must have the weight's dtype (no silent promotion, as in PyTorch); an empty batch works.
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        # 0 is allowed, as in PyTorch: Linear(0, n) gives its bias (an empty input sum)
        in_features = count(in_features, f"Linear({in_features}→{out_features}): in_features")
        out_features = count(out_features, f"Linear({in_features}→{out_features}): out_features")
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(empty(out_features, in_features, dtype=dtype))
        self.register_parameter("bias", Parameter(empty(out_features, dtype=dtype)) if bias else None)
        self.reset_parameters()
        if device is not None:
            self.to(device)

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.in_features) if self.in_features else 0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        # the op checks the input (features, dtype), naming this layer
        return _linear(x, self.weight, self.bias, f"Linear({self.in_features}→{self.out_features})")

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
