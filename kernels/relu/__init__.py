"""ReLU, y = max(x, 0): `reference.py` (NumPy), `cpu.py` (Numba), `cuda.py` (numba.cuda)."""
