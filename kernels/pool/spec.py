"""A pooling layer's windows as one value: ``PoolSpec``, built and checked by ``pool_spec``.

    PoolSpec(KH, KW, stride, padding, ceil_mode, count_include_pad, OH, OW)

    KH, KW             the window's side
    stride, padding    (h, w) pairs of ints
    ceil_mode          keep a last, partial window (PyTorch's name; Chainer's cover_all)
    count_include_pad  average pooling: padding cells count in the divisor (max ignores it)
    OH, OW             the output's side, OH = (H + 2*ph - KH) // sh + 1 (rounded up with
                       ceil_mode, see `minidl.kernels.shapes.pool_output_size`)

The max and average kernels of every target take it: ``max_pool2d_forward(x, spec)``,
``max_pool2d_backward(gy, argmax, x_shape, spec)``, ``avg_pool2d_forward(x, spec)``,
``avg_pool2d_backward(gy, x_shape, spec)``. Adaptive pooling needs only its output size and
keeps that as its argument.
"""
from typing import NamedTuple, Tuple

from minidl.ops._util import ShapeError   # a ValueError; only NumPy below it, no cycle

from ..shapes import pair, pool_output_size


class PoolSpec(NamedTuple):
    """The windows of one 2-D pooling layer (see the module docstring)."""
    KH: int
    KW: int
    stride: Tuple[int, int]
    padding: Tuple[int, int] = (0, 0)
    ceil_mode: bool = False
    count_include_pad: bool = True
    OH: int = 0
    OW: int = 0

    @property
    def kernel_size(self):
        return self.KH, self.KW


def pool_spec(x_shape, kernel_size, stride, padding=(0, 0), ceil_mode=False,
              count_include_pad=True, op="max_pool2d"):
    """The checked PoolSpec for an input of `x_shape` (N, C, H, W); kernel_size, stride,
    padding are (h, w) pairs. Raises minidl's ShapeError naming `op`."""
    kernel_size, stride, padding = (tuple(int(v) for v in p)
                                    for p in (kernel_size, stride, padding))
    if min(kernel_size) < 1 or min(stride) < 1 or min(padding) < 0:
        raise ShapeError(f"{op}: kernel_size and stride must be >= 1 and padding >= 0, got "
                         f"kernel_size={kernel_size}, stride={stride}, padding={padding}")
    if padding[0] > kernel_size[0] // 2 or padding[1] > kernel_size[1] // 2:
        # a window could then lie entirely in the padding
        raise ShapeError(f"{op}: padding {padding} must be at most half the kernel size "
                         f"{kernel_size}")
    H, W = x_shape[2:]
    OH, OW = (pool_output_size(n, k, s, p, ceil_mode)
              for n, k, s, p in zip((H, W), kernel_size, stride, padding))
    if min(OH, OW) < 1:
        raise ShapeError(f"{op}: kernel {kernel_size[0]}×{kernel_size[1]} is larger than the "
                         f"padded input {H + 2 * padding[0]}×{W + 2 * padding[1]} (input "
                         f"{H}×{W}, padding {padding[0]}×{padding[1]})")
    return PoolSpec(*kernel_size, stride, padding, bool(ceil_mode), bool(count_include_pad),
                    OH, OW)


def make_spec(x_shape, kernel_size, stride=None, padding=0, ceil_mode=False,
              count_include_pad=True):
    """PoolSpec from ints or pairs (tests, benchmarks, the guide): stride defaults to the
    kernel size, as in PyTorch."""
    kernel_size = pair(kernel_size)
    stride = kernel_size if stride is None else pair(stride)
    return pool_spec(x_shape, kernel_size, stride, pair(padding), ceil_mode, count_include_pad)
