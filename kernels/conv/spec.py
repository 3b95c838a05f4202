"""A convolution layer's geometry as one value: ``ConvSpec``, built and checked by ``conv_spec``.

    ConvSpec(C, OC, KH, KW, stride, padding, dilation, groups, OH, OW)

    C, OC      input and output channels (C = weight.shape[1] * groups)
    KH, KW     the kernel's side
    stride, padding, dilation    (h, w) pairs of ints
    groups     independent channel groups (AlexNet's two-GPU layers: 2)
    OH, OW     the output's side, OH = (H + 2*ph - dh*(KH - 1) - 1) // sh + 1;
               0 in a "static" spec, one made before the input's size is known

Every conv kernel of every target takes it: ``conv2d_forward(x, w, b, spec)``,
``conv2d_backward(gy, x, w, spec, needs)``, ``im2col(x, spec)``, ``col2im(col, x_shape, spec)``.
It is a NamedTuple of ints and pairs of ints, so a Numba kernel reads it by field name
(``spec.KH``, ``spec.stride[0]``) exactly as Python does.

``nn.Conv2d`` holds the static part (``conv_spec`` from its weight's shape); ``ops/conv.py``
completes it from the input with ``spec.at(x_shape)``. Both go through ``conv_spec``, the one
place the geometry is checked: every message names the layer (``conv2d(96→256, k=5×5,
groups=2): input has 64 channels, expected 96``).
"""
from typing import NamedTuple, Tuple

from minidl.ops._util import ShapeError   # a ValueError; only NumPy below it, no cycle

from ..shapes import conv_output_size, pair


class ConvSpec(NamedTuple):
    """The geometry of one 2-D convolution (see the module docstring)."""
    C: int
    OC: int
    KH: int
    KW: int
    stride: Tuple[int, int] = (1, 1)
    padding: Tuple[int, int] = (0, 0)
    dilation: Tuple[int, int] = (1, 1)
    groups: int = 1
    OH: int = 0
    OW: int = 0

    @property
    def kernel_size(self):
        return self.KH, self.KW

    @property
    def name(self):
        """How error messages name the layer: ``conv2d(96→256, k=5×5, groups=2)``."""
        return f"conv2d({self.C}→{self.OC}, k={self.KH}×{self.KW}, groups={self.groups})"

    @property
    def w_shape(self):
        """The weight's shape, (OC, C // groups, KH, KW)."""
        return self.OC, self.C // self.groups, self.KH, self.KW

    def at(self, x_shape, b_shape=None):
        """This layer's spec completed for an input of `x_shape` (N, C, H, W): OH and OW filled
        in, the input's channels and size checked (by ``conv_spec``)."""
        return conv_spec(self.w_shape, self.stride, self.padding, self.dilation, self.groups,
                         x_shape=x_shape, b_shape=b_shape)

    def out_shape(self, N):
        return N, self.OC, self.OH, self.OW


def _pair(v):
    return (int(v[0]), int(v[1]))


def conv_spec(w_shape, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, *,
              x_shape=None, b_shape=None, name=None):
    """The checked ConvSpec of a convolution with weight `w_shape` (OC, C // groups, KH, KW).

    stride, padding, dilation: (h, w) pairs of ints (``kernels.shapes.pair`` makes them).
    With `x_shape` (N, C, H, W) the input is checked against the weight and OH, OW are filled
    in; without, OH = OW = 0 (a static spec). `b_shape`, when given, must be (OC,).
    Raises minidl's ShapeError (a ValueError) naming the layer and both shapes: `name` (an
    ``nn.Conv2d`` passes its own, ``Conv2d(3→64, k=11)``), else ``spec.name``.
    """
    if x_shape is not None and len(x_shape) != 4:
        raise ShapeError(f"{name or 'conv2d'}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
                         f"shape {tuple(x_shape)}")
    if len(w_shape) != 4:
        raise ShapeError(f"{name or 'conv2d'}: expected a 4-D weight (OC, C/groups, KH, KW), got shape "
                         f"{tuple(w_shape)}")
    stride, padding, dilation, groups = _pair(stride), _pair(padding), _pair(dilation), int(groups)
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
        raise ShapeError(f"conv2d: stride and dilation must be >= 1 and padding >= 0, got "
                         f"stride={stride}, padding={padding}, dilation={dilation}")
    if groups < 1:
        raise ShapeError(f"conv2d: groups must be >= 1, got {groups}")
    OC, Cg, KH, KW = (int(n) for n in w_shape)
    spec = ConvSpec(Cg * groups, OC, KH, KW, stride, padding, dilation, groups)
    name = name or spec.name
    if OC % groups:
        raise ShapeError(f"{name}: {OC} output channels are not divisible by groups={groups}")
    if b_shape is not None and tuple(b_shape) != (OC,):
        raise ShapeError(f"{name}: bias has shape {tuple(b_shape)}, expected ({OC},)")
    if x_shape is None:
        return spec
    N, C, H, W = x_shape
    if C % groups:
        raise ShapeError(f"{name}: input has {C} channels, not divisible by groups={groups}")
    if C != spec.C:
        raise ShapeError(f"{name}: input has {C} channels, expected {spec.C} (weight "
                         f"{tuple(w_shape)} holds {Cg} per group); for this input the weight "
                         f"should be ({OC}, {C // groups}, {KH}, {KW})")
    ekh, ekw = dilation[0] * (KH - 1) + 1, dilation[1] * (KW - 1) + 1
    ph, pw = H + 2 * padding[0], W + 2 * padding[1]
    if ekh > ph or ekw > pw:
        raise ShapeError(f"{name}: kernel {KH}×{KW} (dilated {ekh}×{ekw}) is larger than the "
                         f"padded input {ph}×{pw} (input {H}×{W}, padding {padding[0]}×"
                         f"{padding[1]})")
    return spec._replace(OH=conv_output_size(H, KH, stride[0], padding[0], dilation[0]),
                         OW=conv_output_size(W, KW, stride[1], padding[1], dilation[1]))


def make_spec(x_shape, w_shape, stride=1, padding=0, dilation=1, groups=1):
    """ConvSpec for arrays of these shapes from ints or pairs (tests, benchmarks, the tour):
    ``make_spec(x.shape, w.shape, stride=4, padding=2)``."""
    return conv_spec(w_shape, pair(stride), pair(padding), pair(dilation), groups,
                     x_shape=x_shape)
