"""``minidl.functional`` (import as ``F``): PyTorch's names and argument order.

Stateless functions over Tensors. The core ones come from ``minidl.ops``; convolution, pooling,
local response normalisation and dropout come from the kernel-backed ops in ``minidl.ops``.
"""
from .ops import cross_entropy, linear, log_softmax, pad, sigmoid, softmax, tanh  # noqa: F401
from .ops.loss import (binary_cross_entropy, binary_cross_entropy_with_logits,  # noqa: F401
                       l1_loss, mse_loss, nll_loss, one_hot)
from .ops.relu import relu  # noqa: F401

__all__ = ["relu", "tanh", "sigmoid", "linear", "softmax", "log_softmax", "cross_entropy", "pad",
           "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "one_hot"]

# the kernel-backed ops (minidl.kernels underneath)
from .ops.conv import conv2d  # noqa: F401,E402
from .ops.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d  # noqa: F401,E402
from .ops.lrn import local_response_norm  # noqa: F401,E402
from .ops.dropout import dropout  # noqa: F401,E402

__all__ += ["conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "local_response_norm",
            "dropout"]
