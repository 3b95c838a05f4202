"""``Conv2d``: 2-D convolution over an (N, C, H, W) input, with groups (AlexNet's two GPUs)."""
import math

from .. import functional as F
from ..factories import empty
from . import init
from ._check import check_input
from .module import Module
from .parameter import Parameter


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


class Conv2d(Module):
    """(N, in_channels, H, W) -> (N, out_channels, OH, OW), OH = (H + 2p - d(k-1) - 1)//s + 1.

    weight (out_channels, in_channels // groups, KH, KW), bias (out_channels,). With
    ``groups=2`` each half of the output channels sees only its half of the input channels,
    which is how AlexNet's two-GPU layers are written on one device. Initialised as PyTorch
    does (U(-1/sqrt(fan_in), 1/sqrt(fan_in))); the models re-initialise as their papers say.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, dtype=None):
        super().__init__()
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"Conv2d({in_channels}→{out_channels}): in and out channels must be "
                             f"divisible by groups={groups}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = _pair(kernel_size), _pair(stride)
        self.padding, self.dilation, self.groups = _pair(padding), _pair(dilation), groups
        kh, kw = self.kernel_size
        self.weight = Parameter(empty(out_channels, in_channels // groups, kh, kw, dtype=dtype))
        self.register_parameter("bias", Parameter(empty(out_channels, dtype=dtype)) if bias else None)
        self.reset_parameters()

    def reset_parameters(self):
        fan_in = self.weight.shape[1] * self.kernel_size[0] * self.kernel_size[1]
        bound = 1 / math.sqrt(fan_in)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def _name(self):
        g = f", groups={self.groups}" if self.groups != 1 else ""
        return f"Conv2d({self.in_channels}→{self.out_channels}, k={self.kernel_size[0]}{g})"

    def forward(self, x):
        check_input(self._name(), x, ndim=4, channels=self.in_channels)
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s
