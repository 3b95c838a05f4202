"""Helpers the checks share: finite differences through minidl.gradcheck, case labels."""
import numpy as np

from ..grading import Mismatch


def gradcheck_kernel(func, forward, backward, inputs, mode="full", atol=1e-6, rtol=1e-4):
    """Check the student's `backward` against float64 finite differences of their `forward`.

    forward(*arrays) -> array; backward(gy, *arrays) -> one gradient per array (a tuple).
    Both are wrapped in a minidl ``Function`` and handed to ``minidl.gradcheck``: float64,
    fixed seed. Raises Mismatch with gradcheck's message (which input, which index).
    """
    from minidl.autograd import Function
    from minidl.gradcheck import GradcheckError, gradcheck
    from minidl.tensor import Tensor

    class StudentOp(Function):
        @staticmethod
        def forward(ctx, *xs):
            ctx.save_for_backward(*xs)
            return np.asarray(forward(*xs), dtype=np.float64)

        @staticmethod
        def backward(ctx, gy):
            grads = backward(gy, *ctx.saved_tensors)
            return tuple(grads) if isinstance(grads, (tuple, list)) else (grads,)

    tensors = [Tensor(np.asarray(x, dtype=np.float64), requires_grad=True) for x in inputs]
    try:
        gradcheck(lambda *ts: StudentOp.apply(*ts), tensors, mode=mode, atol=atol, rtol=rtol,
                  seed=0)
    except GradcheckError as e:
        raise Mismatch(f"{func}'s gradient disagrees with float64 finite differences of your "
                       f"forward: {e}") from None
    return "agrees with float64 finite differences (minidl.gradcheck)"


def dtype_of(a):
    return np.dtype(getattr(a, "dtype", type(a)))
