"""Which algorithm computes a convolution layer: im2col + GEMM, or Winograd F(2×2, 3×3).

    conv_kernels(x, w_shape, stride, dilation, groups) -> a module with conv2d_forward and
                                                         conv2d_backward (same signatures)

im2col (`reference.py`, `cpu.py`, `cuda.py`) runs every layer. Winograd (`winograd_*.py`)
runs 3×3 kernels with stride 1 and dilation 1 in 2.25× fewer multiply-adds, plus transforms
that pass over memory; it wins where the GEMMs dominate and the transforms are amortised
(`choose` below; the measurements behind the rule are in benchmarks/NOTES.md).

The environment variable MINIDL_CONV_ALGO forces one, for teaching and tests, read at each
call so a test can set it:
    auto      (default) the rule below
    im2col    every layer by im2col
    winograd  every layer Winograd can compute; the others (not 3×3, strided, dilated) by
              im2col, since there is no other way to run them
The kernel target follows ``minidl.kernels.select``: MINIDL_KERNELS=reference gives
`winograd_reference.py`, a CuPy array `winograd_cuda.py`.
"""
import importlib
import os

from .. import select
from .winograd_reference import supports

ALGOS = ("auto", "im2col", "winograd")

# The auto rule's thresholds (benchmarks/NOTES.md, "Winograd"): below these the transforms'
# passes over memory and the per-call filter transforms cost more than the GEMM time saved.
MIN_CHANNELS = 64        # input and output channels per group (VGG conv1_1 has 3)
MIN_SIDE = 12            # input rows and columns (AlexNet's 13×13 still wins; smaller maps
                         # waste more on the tiles that overhang an odd-sized output)


def algorithm():
    """MINIDL_CONV_ALGO, checked."""
    algo = os.environ.get("MINIDL_CONV_ALGO", "auto")
    if algo not in ALGOS:
        raise ValueError(f"MINIDL_CONV_ALGO={algo!r}: expected one of {ALGOS}")
    return algo


def choose(x_shape, w_shape, stride, dilation, groups, algo=None):
    """'winograd' or 'im2col' for this layer under `algo` (default: MINIDL_CONV_ALGO)."""
    algo = algo or algorithm()
    if algo == "im2col" or not supports(w_shape[2:], stride, dilation):
        return "im2col"
    if algo == "winograd":
        return "winograd"
    OC, Cg = w_shape[:2]
    if min(Cg, OC // groups) < MIN_CHANNELS or min(x_shape[2:]) < MIN_SIDE:
        return "im2col"
    return "winograd"


def conv_kernels(x, w_shape, stride, dilation, groups):
    """The kernel module that runs this layer for `x`'s device and the kernel mode."""
    im2col = select("conv", x)
    if choose(x.shape, w_shape, stride, dilation, groups) == "im2col":
        return im2col
    target = im2col.__name__.rsplit(".", 1)[1]          # reference, cpu or cuda
    return importlib.import_module(f"{__package__}.winograd_{target}")
