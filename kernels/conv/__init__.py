"""Convolution as im2col + GEMM: `reference.py` (NumPy), `cpu.py` (Numba), `cuda.py` (CUDA);
Winograd F(2×2, 3×3) for 3×3 layers: `winograd_reference.py`, `winograd_cpu.py`,
`winograd_cuda.py`; `dispatch.py` picks one per layer (MINIDL_CONV_ALGO=im2col|winograd|auto)."""
