"""Convolution as im2col + GEMM: `reference.py` (NumPy), `cpu.py` (Numba), `cuda.py` (CUDA);
Winograd F(2×2, 3×3) for 3×3 layers: `winograd_reference.py`, `winograd_cpu.py`,
`winograd_cuda.py`; apart, in `rewrites/`, the phases and blocks rewrites that only
``use(conv_algo="winograd")`` runs (``auto`` never picks them); `naive.py`, the six-loop definition. Every kernel takes
the layer's geometry as one ConvSpec (`spec.py`). `dispatch.py` picks the kernels per layer:
``algorithm_for(layer, input_shape)`` says what it picks."""
from .dispatch import algorithm_for  # noqa: F401
from .spec import ConvSpec, conv_spec  # noqa: F401
