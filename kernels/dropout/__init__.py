"""Inverted dropout with a counter-based hash: `reference.py`, `cpu.py`, `cuda.py`."""
