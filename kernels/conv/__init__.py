"""Convolution as im2col + GEMM: `reference.py` (NumPy), `cpu.py` (Numba), `cuda.py` (CUDA)."""
