"""``Conv2d``: 2-D convolution over an (N, C, H, W) input, with groups (AlexNet's two GPUs)."""
import math

from ..factories import empty
from ..kernels.conv.spec import conv_spec
from ..kernels.shapes import as_int, pair
from ..ops._util import ShapeError
from ..ops.conv import _conv2d
from . import init
from ._check import positive_pair
from .module import Module
from .parameter import Parameter


class Conv2d(Module):
    """(N, in_channels, H, W) -> (N, out_channels, OH, OW), OH = (H + 2p - d(k-1) - 1)//s + 1.

    An unbatched (in_channels, H, W) input gives (out_channels, OH, OW). weight (out_channels,
    in_channels // groups, KH, KW), bias (out_channels,). With ``groups=2`` each half of the
    output channels sees only its half of the input channels, which is how AlexNet's two-GPU
    layers are written on one device. `padding` is an int, a pair, or PyTorch's 'valid' / 'same'
    ('same' needs stride 1). Only ``padding_mode='zeros'`` is implemented. Initialised as
    PyTorch does (U(-1/sqrt(fan_in), 1/sqrt(fan_in))); the models re-initialise as their papers
    say.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        in_channels = as_int(in_channels, "Conv2d: in_channels")
        out_channels = as_int(out_channels, "Conv2d: out_channels")
        groups = as_int(groups, "Conv2d: groups")
        name = f"Conv2d({in_channels}→{out_channels})"
        if groups < 1:
            raise ShapeError(f"{name}: groups must be a positive integer, got {groups}")
        if in_channels < 1 or out_channels < 1:
            raise ShapeError(f"{name}: in_channels and out_channels must be positive")
        if in_channels % groups or out_channels % groups:
            raise ShapeError(f"{name}: in and out channels must be divisible by groups={groups}")
        if padding_mode != "zeros":
            raise ShapeError(f"{name}: padding_mode={padding_mode!r} is not implemented; only "
                             f"'zeros' is")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = positive_pair(kernel_size, f"{name}: kernel_size")
        self.stride = positive_pair(stride, f"{name}: stride")
        self.dilation, self.groups = positive_pair(dilation, f"{name}: dilation"), groups
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ShapeError(f"{name}: invalid padding string {padding!r}, should be one of "
                                 f"'valid', 'same'")
            if padding == "same" and self.stride != (1, 1):
                raise ShapeError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions (stride={self.stride})")
            self.padding = padding
        else:
            self.padding = pair(padding, f"{name}: padding")
            if min(self.padding) < 0:
                raise ShapeError(f"{name}: padding must be >= 0, got {padding!r}")
        self.padding_mode = padding_mode
        kh, kw = self.kernel_size
        self.weight = Parameter(empty(out_channels, in_channels // groups, kh, kw, dtype=dtype))
        self.register_parameter("bias", Parameter(empty(out_channels, dtype=dtype)) if bias else None)
        self.reset_parameters()
        if device is not None:
            self.to(device)

    @property
    def spec(self):
        """The layer's static ConvSpec (no OH, OW yet: ``spec.at(input_shape)`` completes it);
        with padding='same', the symmetric part of the padding."""
        padding = self.padding
        if padding == "valid":
            padding = (0, 0)
        elif padding == "same":
            padding = tuple(d * (k - 1) // 2 for d, k in zip(self.dilation, self.kernel_size))
        return conv_spec(self.weight.shape, self.stride, padding, self.dilation, self.groups)

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
        # the op checks the input (rank, channels, size, dtype), naming this layer
        return _conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                       self.groups, self._name())

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
