"""``minidl.testing``: hypothesis strategies for testing ops, yours included.

The strategies draw the inputs; the check itself is ``minidl.gradcheck`` (finite differences
against backprop, in float64), re-exported here so one import gives both:

    from hypothesis import given
    from minidl.testing import gradcheck, tensors

    @given(tensors(shape=(3, 4)))
    def test_my_op_gradient(x):
        assert gradcheck(my_op, [x])

Strategies: ``shapes``, ``broadcastable_shapes`` (pairs), ``matmul_shapes`` (pairs),
``arrays`` and ``tensors`` (some deliberately non-contiguous, to catch kernels that assume a
layout), ``distinct_arrays`` (no ties: for max and max-pooling, whose gradient is undefined at
a tie). ``register_profiles()`` adds the hypothesis profiles "ci" (``deadline=None``: shared
CI machines are noisy) and "dev".
"""
from ..gradcheck import GradcheckError, gradcheck
from .strategies import (arrays, broadcastable_shapes, distinct_arrays, matmul_shapes,
                         register_profiles, shapes, tensors)

__all__ = ["shapes", "broadcastable_shapes", "matmul_shapes", "arrays", "distinct_arrays",
           "tensors", "register_profiles", "gradcheck", "GradcheckError"]
