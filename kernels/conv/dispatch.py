"""Which algorithm computes a convolution layer: im2col + GEMM, Winograd F(2×2, 3×3),
Winograd on the input's phases (a strided layer rewritten as a stride-1 one, `phases.py`),
Winograd on 3×3 blocks of a larger kernel (`blocks.py`), im2col one image per core
(`percore_cpu.py`), or a register-blocked direct convolution (`direct_cpu.py`).

    conv_kernels(x, spec)           -> the module (or object) with conv2d_forward and
                                       conv2d_backward that runs this layer
    algorithm_for(layer, x_shape)   -> "im2col", "winograd", "phases", "blocks", "percore" or
                                       "direct": what the current settings run for a layer
                                       (nn.Conv2d or ConvSpec)

im2col (`reference.py`, `cpu.py`, `cuda.py`) runs every layer. Winograd (`winograd_*.py`)
runs 3×3 kernels with stride 1 and dilation 1 in 2.25× fewer multiply-adds, plus transforms
that pass over memory; it wins where the GEMMs dominate and the transforms are amortised
(`choose` below; the measurements behind the rule are in benchmarks/NOTES.md).

The phases and blocks rewrites (`rewrites/phases.py`, `rewrites/blocks.py`) are apart from
that default path:
`auto` never picks them. A strided layer whose phase kernel is 3×3 (kernel side k with
ceil(k / stride) = 3: AlexNet's 11×11 stride 4) becomes a stride-1 3×3 convolution of
stride² times the channels, which Winograd then runs: "phases". A stride-1 layer with a
larger kernel (AlexNet's conv2, 5×5) is a sum of 3×3 convolutions of shifted views of its
input, each by Winograd: "blocks". Both are correct and cost fewer multiply-adds, but
measured on AlexNet's conv1 and conv2 they were no faster than im2col (1.01×) and 1.57×
slower (benchmarks/NOTES.md), so only ``conv_algo="winograd"`` runs them.

The algorithm comes from ``minidl.kernels.use(conv_algo=...)`` (default: MINIDL_CONV_ALGO,
read once at import, else "auto"):
    auto      the rule in `choose`
    im2col    every layer by im2col
    winograd  every layer Winograd can compute, directly, on the phases or in 3×3 blocks;
              the others (dilated, 1×1, 1×k, strided with another phase kernel) by im2col,
              since there is no other way to run them
    percore   auto's choice, except that the layers auto gives to im2col run im2col with one
              image per core and OpenBLAS on one thread (`percore_cpu.py`; CPU arrays
              only). Where `auto` does not run `direct` (below), it does the same for
              batches of at least one image per core while PERCORE_IN_AUTO below is True (it
              is: benchmarks/NOTES.md)
    direct    auto's choice, except that the layers auto gives to im2col (1×1 ones apart,
              which cpu.py runs as plain GEMMs with no im2col) run by the register-blocked
              direct convolution (`direct_cpu.py`; CPU arrays only), in `auto` too while
              DIRECT_IN_AUTO below is True, as it is, on a CPU with AVX-512
              (benchmarks/NOTES.md, issue 25): there `auto` runs Winograd's layers by
              Winograd, 1×1 layers by cpu.py's GEMMs and every other layer by the direct loop
The target follows ``minidl.kernels.select``: target "reference" gives `winograd_reference.py`,
a CuPy array `winograd_cuda.py`. A conv module of one's own (``use(conv=...)``) runs every
layer, whatever the algorithm.

**Non-finite values.** Winograd's transforms add and subtract neighbouring inputs before the
multiply, so one +Inf becomes Inf − Inf = NaN across its tile, where a direct sum (im2col,
PyTorch) gives ±Inf. A call whose input or weight (or, backward, output gradient) holds ±Inf or
NaN therefore runs by im2col: the results match PyTorch's non-finite pattern. The test is one
sum over each array (a non-finite sum means a non-finite value, or a sum that overflowed, when
im2col is just as right), made only when a Winograd path was chosen.
"""
import functools

import numpy as np

from .. import MODULES, current, module, select, target_for
from ..threads import cpu_threads
from .rewrites.blocks import BlockConv
from .rewrites.phases import PhaseConv
from .winograd_reference import supports

# The auto rule's thresholds (benchmarks/NOTES.md, "Winograd"): below these the transforms'
# passes over memory and the per-call filter transforms cost more than the GEMM time saved.
MIN_CHANNELS = 64        # input and output channels per group (VGG conv1_1 has 3)
MIN_SIDE = 12            # input rows and columns (AlexNet's 13×13 still wins; smaller maps
                         # waste more on the tiles that overhang an odd-sized output)
# auto's im2col layers on CPU arrays by percore_cpu.py (one image per core) instead of
# cpu.py, when the batch has an image for every core. Measured on a quiet machine (6 December
# 2026, benchmarks/NOTES.md), fwd+bwd at the suite's batches: AlexNet conv1 98 ms against
# cpu.py's 187, conv2 254 against 577, VGG-16 conv1_1 67 against 123; alexnet_small's
# training step (28×28, batch 64) 0.78× auto's time with cpu.py.
PERCORE_IN_AUTO = True
# auto's im2col layers on CPU arrays (1×1 ones apart) by direct_cpu.py (register-blocked
# direct convolution) instead, before PERCORE_IN_AUTO when both are True. On because
# benchmarks/conv_direct.py measured it faster than both cpu.py and percore on AlexNet's conv1
# and conv2, fwd+bwd at batch 32, in every interleaved run (0.81-0.92× percore, 0.09-0.16×
# cpu.py; busy 2-core machine, benchmarks/NOTES.md, issue 25). False gives im2col back.
DIRECT_IN_AUTO = True


@functools.lru_cache(maxsize=None)
def _wide_vectors():
    """Does this CPU have AVX-512? direct_cpu.py's tiles are 16-lane vectors, one register
    each there; with 256-bit registers a tile takes twice as many and spills out of them, so
    `auto` keeps im2col on such machines (``use(conv_algo="direct")`` still runs it)."""
    try:
        from llvmlite import binding
        return bool(binding.get_host_cpu_features().get("avx512f"))
    except (ImportError, RuntimeError):
        return False


def direct_in_auto():
    """Whether `auto` runs its im2col layers by direct_cpu.py: DIRECT_IN_AUTO on an AVX-512 CPU."""
    return DIRECT_IN_AUTO and _wide_vectors()


def phase_kernel(kernel_size, stride):
    """The kernel side of a strided layer's phase form: ceil(k / s) per dimension."""
    return tuple(-(-k // s) for k, s in zip(kernel_size, stride))


def choose(x_shape, spec, algo=None):
    """'winograd', 'phases', 'blocks', 'percore', 'direct' or 'im2col' for this layer under
    `algo` (default: the current ``use(conv_algo=...)``)."""
    algo = algo or current().conv_algo
    if algo == "auto":
        # auto's im2col layers: by the direct loop on an AVX-512 CPU; else one image per core
        # when the batch has an image for every core (a smaller batch would leave cores idle,
        # where cpu.py splits each image between them)
        if direct_in_auto():
            algo = "direct"
        elif PERCORE_IN_AUTO and x_shape[0] >= cpu_threads():
            algo = "percore"
    if algo in ("percore", "direct"):
        kind = _rule(x_shape, spec, "auto")    # auto's choice, its im2col layers replaced
        if kind != "im2col" or (algo == "direct" and _is_pointwise(spec)):
            return kind
        return algo
    return _rule(x_shape, spec, algo)


def _is_pointwise(spec):
    """1×1, stride 1, no padding: cpu.py runs these as GEMMs on x itself (no im2col)."""
    return (spec.KH, spec.KW) == (1, 1) and spec.stride == (1, 1) and spec.padding == (0, 0)


def _rule(x_shape, spec, algo):
    """auto's, im2col's and winograd's choice for this layer."""
    stride, dilation, kernel = spec.stride, spec.dilation, spec.kernel_size
    if algo == "im2col" or dilation != (1, 1):
        return "im2col"
    if supports(kernel, stride, dilation):
        kind = "winograd"
    elif stride != (1, 1) and phase_kernel(kernel, stride) == (3, 3):
        kind = "phases"
    elif stride == (1, 1) and min(kernel) >= 3:
        kind = "blocks"
    else:
        return "im2col"
    if algo == "winograd":
        return kind
    if kind != "winograd":   # measured slower than im2col on AlexNet's conv1/conv2 (NOTES.md)
        return "im2col"
    if min(spec.C, spec.OC) // spec.groups < MIN_CHANNELS or min(x_shape[2:]) < MIN_SIDE:
        return "im2col"
    return "winograd"


def _all_finite(*arrays):
    """True when no array holds ±Inf or NaN (one sum each; an overflowing sum says False)."""
    return all(bool(np.isfinite(a.sum())) for a in arrays if a is not None)


def conv_kernels(x, spec, w=None):
    """The kernels that run this layer for `x` (and weight `w`) under the current settings (see
    the module docstring); the autograd node keeps them for backward."""
    own = current().modules.get("conv")
    if own is not None:
        return own
    kind = choose(x.shape, spec)
    if kind in ("percore", "direct"):   # a direct sum like im2col's (no non-finite check);
        target = target_for(x)           # CPU kernels only, elsewhere that target's im2col
        return module(kind, target) if target == "cpu" else select("conv", x)
    if kind == "im2col" or not _all_finite(x, w):
        return select("conv", x)
    winograd = module("winograd", target_for(x))
    if kind == "phases":
        return PhaseConv(winograd)
    if kind == "blocks":
        return BlockConv(winograd)
    return winograd


def backward_kernels(kernels, gy):
    """The kernels that run a backward whose forward ran `kernels`: im2col instead of a
    Winograd path when the output gradient holds ±Inf or NaN (see the module docstring)."""
    im2col = select("conv", gy)
    if kernels is im2col or current().modules.get("conv") is kernels or \
            getattr(kernels, "__name__", None) in (MODULES["percore", "cpu"],
                                                   MODULES["direct", "cpu"]) or _all_finite(gy):
        return kernels
    return im2col


def algorithm_for(layer, x_shape):
    """What the current settings run for `layer` (an nn.Conv2d, or a ConvSpec) on an input of
    `x_shape` ((N, C, H, W) or (C, H, W)): "im2col", "winograd", "phases", "blocks",
    "percore" or "direct", or, under ``use(conv=module)``, that module's ``__name__``.
    percore and direct are CPU kernels: under ``use(target="reference"|"cuda")`` their layers
    say "im2col", what runs there (with target "auto" the array's device decides, which a
    shape does not tell: the answer is the CPU's)."""
    own = current().modules.get("conv")
    if own is not None:
        return getattr(own, "__name__", type(own).__name__)
    x_shape = tuple(x_shape)
    if len(x_shape) == 3:
        x_shape = (1,) + x_shape
    spec = getattr(layer, "spec", layer).at(x_shape)
    kind = choose(x_shape, spec)
    if kind in ("percore", "direct") and current().target in ("reference", "cuda"):
        return "im2col"
    return kind
