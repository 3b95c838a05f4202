"""Two rewrites that let Winograd F(2×2, 3×3) run layers that are not 3×3 stride 1, kept apart
from the default path: ``conv_algo="auto"`` never picks them, only ``minidl.kernels.use(
conv_algo="winograd")`` does (`../dispatch.py` says why: measured on AlexNet's conv1 and
conv2 they were no faster than im2col, and 1.57× slower).

    phases.py   a strided layer as a stride-1 convolution of the input's phases (AlexNet conv1)
    blocks.py   a stride-1 layer with a larger kernel as a sum of 3×3 blocks (AlexNet conv2)

Each wraps a Winograd kernel module (``PhaseConv(winograd_cpu)``) and has the conv kernels'
functions and signatures.
"""
