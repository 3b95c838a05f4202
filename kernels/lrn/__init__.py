"""Local response normalisation across channels (AlexNet): `reference.py`, `cpu.py`, `cuda.py`."""
