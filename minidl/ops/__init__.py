"""The differentiable ops, as plain functions over Tensors.

Each op family is one file holding both halves of its ops: the ``Function`` subclasses (the
autograd nodes: forward and backward on raw arrays) and, below them, the public functions that
check and normalise their arguments and call one ``Function``. So "how does ``mul`` work" is
one file. This file only gathers the names:

    elementwise.py   + - * / ** // % neg exp log sqrt tanh sigmoid abs clamp maximum minimum
                     clone
    unary.py         the other unary math (exp2 ... round)
    select.py        where, allclose, equal
    reduce.py        sum mean max min amax amin argmax argmin prod cumsum logsumexp any all
    statistics.py    var std norm
    shape.py         reshape permute transpose flatten (un)squeeze expand getitem cat stack pad
                     gather repeat, and moves between devices
    linalg.py        matmul linear
    activation.py    softmax log_softmax
    loss.py          cross_entropy nll_loss mse_loss l1_loss binary_cross_entropy(_with_logits)
                     one_hot
    relu.py, conv.py, pool.py, lrn.py, dropout.py   the ops backed by hand-written kernels
    extras.py        PyTorch-compatibility extras: logical and bitwise ops, masked_fill,
                     masked_select, sort, argsort, topk, split, chunk, unbind, flip, nonzero
    compat.py        PyTorch's deprecated size_average / reduce loss flags
    _util.py         type promotion (``result_type``), broadcasting checks, axis checks

Importing this package also installs the Tensor methods and operators (``tensor_methods``):
``minidl.tensor`` itself imports no op, so the imports flow one way, tensor -> ops.
"""
from ..tensor import Tensor  # noqa: F401
from ._util import ShapeError, as_scalar, normalize_axis, result_type  # noqa: F401
from .elementwise import (abs, add, allclose, ceil, clamp, clip, clone, cos, div, equal,  # noqa
                          exp, exp2, expm1, floor, floor_divide, log, log1p, log2, log10, maximum,
                          minimum, mul, neg, positive, pow, reciprocal, remainder, round, rsqrt,
                          sigmoid, sign, sin, sqrt, square, sub, tanh, where)
from .reduce import (MaxResult, MinResult, all, amax, amin, any, argmax, argmin,  # noqa: F401
                     cumsum, logsumexp, max, mean, min, norm, prod, std, sum, var)
from .shape import (cat, expand, flatten, gather, getitem, pad, permute, repeat,  # noqa: F401
                    reshape, squeeze, stack, transpose, unsqueeze)
from .linalg import linear, matmul  # noqa: F401
from .activation import log_softmax, softmax  # noqa: F401
from .loss import cross_entropy  # noqa: F401
from .relu import relu  # noqa: F401
from .extras import (BitwiseTypeError, SortResult, TopKResult, argsort, bitwise_and,  # noqa
                     bitwise_not, bitwise_or, bitwise_xor, chunk, flip, logical_and, logical_not,
                     logical_or, logical_xor, masked_fill, masked_select, nonzero, sort, split,
                     topk, unbind)
from .. import tensor_methods  # noqa: E402,F401  (binds the names above onto Tensor)
