"""Matrix products: ``matmul`` (NumPy's rules: 1-D vectors, broadcast batch dims) and ``linear``.

For C = A @ B the gradients are dA = dC @ Bᵀ and dB = Aᵀ @ dC, summed over any batch
dimensions that broadcasting added.
"""
from ..autograd import Function
from ..backend import get_array_module
from ._util import sum_to_shape


class MatMul(Function):
    @staticmethod
    def forward(ctx, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError("matmul: both operands need at least one dimension "
                             f"(got shapes {tuple(a.shape)} and {tuple(b.shape)})")
        k_a = a.shape[-1]
        k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if k_a != k_b:
            raise ValueError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} do not "
                             f"align: {k_a} (last dim of the first) != {k_b} "
                             f"({'first' if b.ndim == 1 else 'second-to-last'} dim of the second)")
        na, nb = ctx.needs_input_grad
        ctx.save_for_backward(b if na else None, a if nb else None)
        ctx.shapes = (a.shape, b.shape)
        xp = get_array_module(a)
        try:
            return xp.matmul(a, b)
        except ValueError:
            raise ValueError(f"matmul: batch dimensions of {tuple(a.shape)} and "
                             f"{tuple(b.shape)} cannot be broadcast") from None

    @staticmethod
    def backward(ctx, g):
        b, a = ctx.saved_tensors
        sa, sb = ctx.shapes
        xp = get_array_module(g)
        na, nb = ctx.needs_input_grad
        # Treat vectors as matrices (a row for the left operand, a column for the right).
        g2 = g
        if len(sa) == 1:
            g2 = xp.expand_dims(g2, -2)
        if len(sb) == 1:
            g2 = xp.expand_dims(g2, -1)
        ga = gb = None
        if na:
            b2 = b[:, None] if b.ndim == 1 else b
            ga = xp.matmul(g2, xp.swapaxes(b2, -1, -2))
            ga = sum_to_shape(ga.reshape(ga.shape[:-2] + (sa[-1],)) if len(sa) == 1 else ga, sa)
        if nb:
            a2 = a[None, :] if a.ndim == 1 else a
            gb = xp.matmul(xp.swapaxes(a2, -1, -2), g2)
            gb = sum_to_shape(gb.reshape(gb.shape[:-2] + (sb[0],)) if len(sb) == 1 else gb, sb)
        return ga, gb


class Linear(Function):
    """y = x @ weightᵀ + bias with x (..., in), weight (out, in), bias (out,): y (..., out)."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
            raise ValueError(f"linear: input of shape {tuple(x.shape)} needs weight of shape "
                             f"(out, {x.shape[-1] if x.ndim else '?'}), got {tuple(weight.shape)}")
        if bias is not None and bias.shape != (weight.shape[0],):
            raise ValueError(f"linear: bias must have shape ({weight.shape[0]},), "
                             f"got {tuple(bias.shape)}")
        nx, nw, _ = ctx.needs_input_grad
        ctx.save_for_backward(x if nw else None, weight if nx else None)
        y = x @ weight.T
        if bias is not None:
            y += bias
        return y

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        nx, nw, nb = ctx.needs_input_grad
        g2 = g.reshape(-1, g.shape[-1])
        gx = (g @ weight) if nx else None
        gw = (g2.T @ x.reshape(-1, x.shape[-1])) if nw else None
        gb = g2.sum(axis=0) if nb else None
        return gx, gw, gb
