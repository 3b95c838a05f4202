"""minidl: a deep learning framework written from scratch on NumPy (CPU) and CuPy (GPU).

    import minidl
    import minidl.functional as F
    x = minidl.tensor([[1.0, -2.0]], requires_grad=True)
    F.relu(x).sum().backward()
    x.grad                      # tensor([[1., 0.]])

Rooms, in the order data flows: ``backend`` (NumPy/CuPy, devices) -> ``minidl.kernels``
(hand-written kernels) -> ``autograd`` + ``ops`` (differentiable ops) -> ``functional`` ->
``nn`` (layers) -> ``models`` -> ``optim``, ``data``, ``train``; ``distributed`` (MPI ranks)
and ``nn.parallel`` (DistributedDataParallel) beside them.
"""
import numpy as np

from . import cuda  # noqa: E402
from .autograd import (enable_grad, inference_mode, is_grad_enabled,  # noqa: F401
                       is_inference_mode_enabled, no_grad, set_grad_enabled)
from .backend import Device as device
from .ops import (abs, allclose, amax, amin, argmax, argmin, cat, clamp, clip, clone, equal, exp,
                  expand, flatten, floor_divide, linear, log, log_softmax, matmul, max, maximum,
                  mean, min, minimum, permute, remainder, reshape, sigmoid, softmax, sqrt,
                  squeeze, stack, sum, tanh, transpose, unsqueeze, where)
from .ops import (all, any, argsort, ceil, cos, cumsum, exp2, expm1, floor, gather,  # noqa: F401
                  log1p, log2, log10, logical_and, logical_not, logical_or, logical_xor,
                  logsumexp, masked_fill, masked_select, neg, norm, positive, prod, reciprocal,
                  repeat, round, rsqrt, sign, sin, sort, square, std, topk, var)
from .ops import (bitwise_and, bitwise_not, bitwise_or, bitwise_xor, chunk,  # noqa: F401
                  flip, nonzero, split, unbind)
from .ops._util import ShapeError, result_type
from .random import Generator, default_generator, initial_seed, manual_seed, seed
from .tensor import Tensor, from_numpy, is_tensor, tensor
from .factories import (arange, as_tensor, empty, empty_like, eye, full, full_like, linspace,
                        ones, ones_like, rand, rand_like, randint, randn, randn_like, randperm,
                        zeros, zeros_like)
from .gradcheck import GradcheckError, gradcheck
from .serialization import CheckpointError, load
from .saving import save
from . import checkpoint, functional, nn, optim  # noqa: E402  (need the names above)
from . import utils  # noqa: E402,F401  (minidl.utils.data: PyTorch's path to minidl.data)
from . import onnx  # noqa: E402,F401  (minidl.onnx.export after `import minidl`, as torch)

float16 = np.dtype(np.float16)
float32 = float = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
half = float16
int8 = np.dtype(np.int8)
int16 = short = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(bool)
# PyTorch's spellings ``torch.bool`` and ``torch.int`` (int32); set last, as they shadow the
# builtins inside this module's namespace only
bool = bool_  # noqa: A001
int = int32  # noqa: A001

__version__ = "0.1.0"
