"""Parameter-free layers: LRN, pooling, dropout, flatten (activations are in `activation.py`,
losses in `loss.py`).

Constructors take PyTorch's arguments in PyTorch's order, and reprs print as PyTorch's do.
``inplace=True`` is accepted wherever PyTorch has it and stored (it shows in the repr), but these
layers compute out of place either way: the result is the same, only memory differs. (The
functions ``F.relu`` and ``F.dropout`` do honour ``inplace=True``, writing into an input that is
outside the graph.)
"""
from .. import functional as F
from ..kernels.shapes import pair
from ..ops import flatten
from ..ops._util import ShapeError
from ..ops.dropout import check_p
from ..ops.lrn import _local_response_norm
from ..ops.pool import _adaptive_avg_pool2d, _avg_pool2d, _max_pool2d
from ._check import count, positive_pair, real
from .activation import ReLU, Tanh  # noqa: F401  (moved to activation.py; this path still works)
from .module import Module


class LocalResponseNorm(Module):
    """LRN across channels, PyTorch's formula and defaults: (N, C, *) -> (N, C, *),

        b_c = a_c / (k + alpha / size * Σ_{c' in window(c)} a_c'²) ** beta

    over the `size` channels around c (clipped at the ends; for an even size one more before c
    than after, as PyTorch). Defaults: alpha=1e-4, beta=0.75, k=1 (PyTorch's).

    The two conventions side by side -- PyTorch (and Caffe, ONNX) divide alpha by size, the
    AlexNet paper (and Chainer, ``minidl.kernels.lrn``) multiply the plain sum by it:

        the paper's n=5, α=1e-4, β=0.75, k=2   ->  LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)
        Caffe's GoogLeNet (local_size 5, alpha 1e-4)  ->  LocalResponseNorm(5, alpha=1e-4, k=1.0)

    The kernels get ``alpha / size`` (exact for these constants: the paper nets compute what
    they always computed); see ``minidl.ops.lrn``.
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        name = f"LocalResponseNorm(size={size!r})"
        self.size = count(size, f"{name}: size", least=1)
        self.alpha, self.beta = real(alpha, f"{name}: alpha"), real(beta, f"{name}: beta")
        self.k = real(k, f"{name}: k")

    def forward(self, x):
        return _local_response_norm(x, self.size, self.alpha, self.beta, self.k,
                                    f"LocalResponseNorm(size={self.size})")

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


def _check_window(layer, kernel_size, stride, padding):
    """The window's arguments at construction, naming the layer: sizes and strides >= 1,
    padding >= 0 and at most half the window (PyTorch checks these only when called)."""
    k = positive_pair(kernel_size, f"{layer}: kernel_size")
    p = pair(padding, f"{layer}: padding")
    if stride is not None:
        positive_pair(stride, f"{layer}: stride")
    if min(p) < 0 or p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ShapeError(f"{layer}: padding must be >= 0 and at most half the kernel size, got "
                         f"padding={padding!r} for kernel_size={kernel_size!r}")


class MaxPool2d(Module):
    """(N, C, H, W) or (C, H, W) -> (N, C, OH, OW) or (C, OH, OW); see ``F.max_pool2d``.

    PyTorch's constructor order: return_indices comes before ceil_mode here (the functional
    form has them the other way round). Only dilation=1 is implemented.
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        _check_window("MaxPool2d", kernel_size, stride, padding)
        if pair(dilation, "MaxPool2d: dilation") != (1, 1):
            raise ShapeError(f"MaxPool2d: dilation={dilation!r} is not implemented (minidl's "
                             f"pooling kernels scan contiguous windows); only dilation=1 is")
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def _name(self):
        return f"MaxPool2d(kernel_size={self.kernel_size})"

    def forward(self, x):
        return _max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                           self.ceil_mode, self.return_indices, self._name())

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """(N, C, H, W) or (C, H, W) -> (N, C, OH, OW) or (C, OH, OW); see ``F.avg_pool2d``."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        _check_window("AvgPool2d", kernel_size, stride, padding)
        if divisor_override is not None:
            raise ShapeError(f"AvgPool2d: divisor_override={divisor_override!r} is not "
                             f"implemented; only None is")
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.ceil_mode, self.count_include_pad = padding, ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def _name(self):
        return f"AvgPool2d(kernel_size={self.kernel_size})"

    def forward(self, x):
        return _avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                           self.count_include_pad, None, self._name())

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """(N, C, H, W) or (C, H, W) -> (N, C, *output_size) or (C, *output_size)."""

    def __init__(self, output_size):
        super().__init__()
        sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,)
        if len(sizes) not in (1, 2) or not all(
                s is None or count(s, f"AdaptiveAvgPool2d({output_size!r}): output_size", 1)
                for s in sizes):
            raise ShapeError(f"AdaptiveAvgPool2d: output_size must be an int, a pair or None, "
                             f"got {output_size!r}")
        self.output_size = output_size

    def forward(self, x):
        return _adaptive_avg_pool2d(x, self.output_size, f"AdaptiveAvgPool2d({self.output_size})")

    def extra_repr(self):
        return f"output_size={self.output_size}"


class Dropout(Module):
    """Inverted dropout: while training, zero each element with probability p and scale the
    rest by 1/(1-p) (p = 1: zeros); in eval mode, the identity. Any shape in, the same shape out.

    ``Dropout(p, inplace)`` as in PyTorch (the result is computed out of place either way);
    `generator` (keyword only) draws the masks instead of the default generator.
    """

    def __init__(self, p=0.5, inplace=False, *, generator=None):
        super().__init__()
        check_p(p, "Dropout")
        self.p, self.inplace, self.generator = p, inplace, generator

    def forward(self, x):
        return F.dropout(x, self.p, self.training, generator=self.generator)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Flatten(Module):
    """Flattens dims start_dim..end_dim into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Identity(Module):
    """Returns its input; any constructor arguments are ignored, as in PyTorch."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


from .loss import CrossEntropyLoss  # noqa: E402,F401  (moved to loss.py; this path still works)
