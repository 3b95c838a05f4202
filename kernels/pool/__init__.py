"""Pooling: max (with argmax), average, adaptive average; `reference.py`, `cpu.py`, `cuda.py`."""
