"""Element-wise ops with NumPy broadcasting: + - * / ** neg exp log tanh sigmoid abs maximum where.

Each backward is the local derivative times the incoming gradient, then ``sum_to_shape`` undoes
broadcasting. Non-Tensor operands (Python numbers) get no gradient.
"""
from ..autograd import Function
from ..backend import get_array_module
from ._util import as_scalar, check_broadcast, sum_to_shape


def _shape(a):
    return getattr(a, "shape", ())


def _is_arr(a):
    return hasattr(a, "shape")


def _setup(ctx, what, a, b):
    """Check that a and b broadcast, and remember their shapes for sum_to_shape."""
    check_broadcast(what, a, b)
    ctx.in_shapes = (_shape(a), _shape(b))


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        _setup(ctx, "add", a, b)
        return a + b

    @staticmethod
    def backward(ctx, g):
        sa, sb = ctx.in_shapes
        na, nb = ctx.needs_input_grad
        return (sum_to_shape(g, sa) if na else None, sum_to_shape(g, sb) if nb else None)


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        _setup(ctx, "sub", a, b)
        return a - b

    @staticmethod
    def backward(ctx, g):
        sa, sb = ctx.in_shapes
        na, nb = ctx.needs_input_grad
        return (sum_to_shape(g, sa) if na else None, sum_to_shape(-g, sb) if nb else None)


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        _setup(ctx, "mul", a, b)
        na, nb = ctx.needs_input_grad
        # each side's gradient needs only the *other* side
        ctx.save_for_backward(b if na and _is_arr(b) else None, a if nb and _is_arr(a) else None)
        ctx.scalars = (None if _is_arr(a) else a, None if _is_arr(b) else b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        b, a = ctx.saved_tensors
        a_s, b_s = ctx.scalars
        na, nb = ctx.needs_input_grad
        ga = sum_to_shape(g * (b if b is not None else b_s), ctx.in_shapes[0]) if na else None
        gb = sum_to_shape(g * (a if a is not None else a_s), ctx.in_shapes[1]) if nb else None
        return ga, gb


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        _setup(ctx, "div", a, b)
        ctx.save_for_backward(a if _is_arr(a) else None, b if _is_arr(b) else None)
        ctx.scalars = (None if _is_arr(a) else a, None if _is_arr(b) else b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a_s, b_s = ctx.scalars
        a = a if a is not None else a_s
        b = b if b is not None else b_s
        na, nb = ctx.needs_input_grad
        ga = sum_to_shape(g / b, ctx.in_shapes[0]) if na else None
        gb = sum_to_shape(-g * a / (b * b), ctx.in_shapes[1]) if nb else None
        return ga, gb


class Pow(Function):
    """a ** b. d/da = b a^(b-1); d/db = a^b log a."""

    @staticmethod
    def forward(ctx, a, b):
        _setup(ctx, "pow", a, b)
        xp = get_array_module(a if _is_arr(a) else b)
        y = xp.power(a, b) if _is_arr(a) else xp.power(xp.asarray(a, dtype=b.dtype), b)
        ctx.save_for_backward(a if _is_arr(a) else None, b if _is_arr(b) else None, y)
        ctx.scalars = (None if _is_arr(a) else a, None if _is_arr(b) else b)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        a_s, b_s = ctx.scalars
        a = a if a is not None else a_s
        b = b if b is not None else b_s
        xp = get_array_module(g)
        na, nb = ctx.needs_input_grad
        ga = sum_to_shape(g * b * xp.power(a, b - 1), ctx.in_shapes[0]) if na else None
        gb = sum_to_shape(g * y * xp.log(a), ctx.in_shapes[1]) if nb else None
        return ga, gb


class Neg(Function):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        return -g


class Exp(Function):
    @staticmethod
    def forward(ctx, a):
        y = get_array_module(a).exp(a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


class Log(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return get_array_module(a).log(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / a


class Tanh(Function):
    @staticmethod
    def forward(ctx, a):
        y = get_array_module(a).tanh(a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (1 - y * y)


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, a):
        xp = get_array_module(a)
        # 0.5 * (1 + tanh(a/2)) is sigmoid without overflow in exp(-a) for large |a|
        y = 0.5 * (1 + xp.tanh(0.5 * a))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y * (1 - y)


class Abs(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return abs(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * get_array_module(a).sign(a)


class Maximum(Function):
    """Element-wise max; where a == b the gradient is split evenly (as PyTorch does)."""

    @staticmethod
    def forward(ctx, a, b):
        _setup(ctx, "maximum", a, b)
        ctx.save_for_backward(a if _is_arr(a) else None, b if _is_arr(b) else None)
        ctx.scalars = (None if _is_arr(a) else a, None if _is_arr(b) else b)
        return get_array_module(a if _is_arr(a) else b).maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a_s, b_s = ctx.scalars
        a = a if a is not None else a_s
        b = b if b is not None else b_s
        share_a = (a > b) + 0.5 * (a == b)
        na, nb = ctx.needs_input_grad
        ga = sum_to_shape(g * share_a, ctx.in_shapes[0]) if na else None
        gb = sum_to_shape(g * (1 - share_a), ctx.in_shapes[1]) if nb else None
        return ga, gb


class Where(Function):
    """where(cond, a, b): a where cond is true, else b. `cond` gets no gradient."""

    @staticmethod
    def forward(ctx, cond, a, b):
        xp = get_array_module(cond)
        check_broadcast("where", cond, a)
        check_broadcast("where", cond, b)
        ctx.in_shapes = (_shape(cond), _shape(a), _shape(b))
        ctx.save_for_backward(cond)
        return xp.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        _, na, nb = ctx.needs_input_grad
        zero = g.dtype.type(0)
        ga = sum_to_shape(get_array_module(g).where(cond, g, zero), ctx.in_shapes[1]) if na else None
        gb = sum_to_shape(get_array_module(g).where(cond, zero, g), ctx.in_shapes[2]) if nb else None
        return None, ga, gb


class Cast(Function):
    @staticmethod
    def forward(ctx, a, dtype):
        ctx.dtype_in = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.dtype_in), None
