"""Every core op's gradient against finite differences (minidl.gradcheck, float64),
over hypothesis-drawn shapes including broadcasting and non-contiguous inputs."""
import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

import minidl
import minidl.functional as F
from minidl.testing import arrays, broadcastable_shapes, distinct_arrays, matmul_shapes, shapes


def T(a):
    return minidl.tensor(a, dtype=minidl.float64, requires_grad=True)


@given(st.data(), broadcastable_shapes())
def test_binary_arithmetic_gradients(data, pair):
    sa, sb = pair
    a = T(data.draw(arrays(sa)))
    b = T(data.draw(arrays(sb, min_value=0.5, max_value=3.0)))  # b away from 0 for division
    op = data.draw(st.sampled_from(["add", "sub", "mul", "div", "pow", "maximum"]))
    if op == "pow":
        a = T(data.draw(arrays(sa, min_value=0.5, max_value=2.0)))
    if op == "maximum":  # no element may sit on the kink a == b
        b = T(data.draw(arrays(sb)))
        assume(np.abs(a.data - b.data).min(initial=1.0) > 1e-2)
    fns = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
           "div": lambda a, b: a / b, "pow": lambda a, b: a ** b,
           "maximum": lambda a, b: minidl.maximum(a, b)}
    assert minidl.gradcheck(fns[op], [a, b])


@given(st.data(), shapes(max_dims=3))
def test_scalar_operand_gradients(data, shape):
    x = T(data.draw(arrays(shape, min_value=0.5, max_value=2.0)))
    c = data.draw(st.floats(0.5, 2.0))
    assert minidl.gradcheck(lambda x: 2.0 - x * c + c / x - x / c + x ** 3 + c ** x, [x])
    assert minidl.gradcheck(lambda x: -x, [x])


@given(st.data(), shapes(max_dims=3))
def test_unary_gradients(data, shape):
    op = data.draw(st.sampled_from(["exp", "log", "tanh", "sigmoid", "abs", "relu", "sqrt"]))
    positive = op in ("log", "sqrt")
    x = data.draw(arrays(shape, min_value=0.2 if positive else -3, max_value=3))
    if op in ("abs", "relu"):  # keep off the kink at 0
        x = np.where(np.abs(x) < 0.1, 0.5, x)
    fns = {"exp": minidl.exp, "log": minidl.log, "tanh": minidl.tanh, "sigmoid": minidl.sigmoid,
           "abs": minidl.abs, "relu": F.relu, "sqrt": lambda t: t.sqrt()}
    assert minidl.gradcheck(fns[op], [T(x)])


@given(st.data(), shapes(min_dims=1, max_dims=4))
def test_reduction_gradients(data, shape):
    x = T(data.draw(distinct_arrays(shape)))
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1))
    keep = data.draw(st.booleans())
    assert minidl.gradcheck(lambda x: x.sum(axis=axis, keepdims=keep) * 1.5, [x])
    assert minidl.gradcheck(lambda x: x.mean(axis=axis, keepdims=keep), [x])
    assert minidl.gradcheck(lambda x: x.max(axis=axis, keepdims=keep), [x])
    if axis is not None:
        assert minidl.gradcheck(lambda x: x.max(dim=axis, keepdim=keep).values, [x])


@given(st.data(), matmul_shapes())
def test_matmul_gradients(data, pair):
    sa, sb = pair
    a, b = T(data.draw(arrays(sa))), T(data.draw(arrays(sb)))
    assert minidl.gradcheck(lambda a, b: a @ b, [a, b])


@given(st.data(), shapes(min_dims=1, max_dims=4))
def test_shape_op_gradients(data, shape):
    x = T(data.draw(arrays(shape)))
    perm = data.draw(st.permutations(range(len(shape))))
    assert minidl.gradcheck(lambda x: x.permute(*perm) * 2, [x])
    assert minidl.gradcheck(lambda x: x.reshape(-1) * 2, [x])
    assert minidl.gradcheck(lambda x: x.flatten() * 2, [x])
    d0 = data.draw(st.integers(0, len(shape) - 1))
    d1 = data.draw(st.integers(0, len(shape) - 1))
    assert minidl.gradcheck(lambda x: x.transpose(d0, d1) * 2, [x])


@given(st.data(), shapes(min_dims=1, max_dims=3, min_side=2))
def test_indexing_gradients(data, shape):
    x = T(data.draw(arrays(shape)))
    assert minidl.gradcheck(lambda x: x[1:, ...] * 2, [x])
    assert minidl.gradcheck(lambda x: x[::2] * 2, [x])
    idx = np.array(data.draw(st.lists(st.integers(0, shape[0] - 1), min_size=1, max_size=5)))
    assert minidl.gradcheck(lambda x: x[idx] * 2, [x])  # repeated indices accumulate
    mask = x.data > 0
    if mask.any():
        assert minidl.gradcheck(lambda x: x[minidl.tensor(mask)] * 2, [x])


@given(st.data(), shapes(min_dims=1, max_dims=3))
def test_cat_stack_gradients(data, shape):
    dim = data.draw(st.integers(0, len(shape) - 1))
    other = list(shape)
    other[dim] = data.draw(st.integers(1, 3))
    a, b = T(data.draw(arrays(shape))), T(data.draw(arrays(tuple(other))))
    assert minidl.gradcheck(lambda a, b: minidl.cat([a, b, a], dim=dim), [a, b])
    c = T(data.draw(arrays(shape)))
    assert minidl.gradcheck(lambda a, c: minidl.stack([a, c], dim=dim), [a, c])


@given(st.data(), shapes(min_dims=1, max_dims=3, min_side=2))
def test_pad_gradients(data, shape):
    x = T(data.draw(arrays(shape)))
    n = data.draw(st.integers(1, len(shape)))
    pad = [data.draw(st.integers(-1, 2)) for _ in range(2 * n)]
    assume(all(shape[-1 - i] + pad[2 * i] + pad[2 * i + 1] > 0 for i in range(n)))
    assert minidl.gradcheck(lambda x: F.pad(x, pad, value=0.5) * 2, [x])


@given(st.data(), broadcastable_shapes(max_dims=3))
def test_where_gradients(data, pair):
    sa, sb = pair
    a, b = T(data.draw(arrays(sa))), T(data.draw(arrays(sb)))
    cond = data.draw(arrays(np.broadcast_shapes(sa, sb))) > 0
    assert minidl.gradcheck(lambda a, b: minidl.where(cond, a, b), [a, b])


@given(st.data(), st.integers(1, 4), st.integers(1, 5))
def test_softmax_family_gradients(data, n, c):
    x = T(data.draw(arrays((n, c))))
    dim = data.draw(st.sampled_from([0, 1, -1]))
    assert minidl.gradcheck(lambda x: F.softmax(x, dim=dim), [x])
    assert minidl.gradcheck(lambda x: F.log_softmax(x, dim=dim), [x])
    target = minidl.tensor(np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n,
                                                       max_size=n))))
    red = data.draw(st.sampled_from(["mean", "sum", "none"]))
    assert minidl.gradcheck(lambda x: F.cross_entropy(x, target, reduction=red), [x])


@given(st.data(), st.integers(1, 3), st.integers(1, 4), st.integers(1, 4))
def test_linear_gradients(data, n, i, o):
    x, w, b = T(data.draw(arrays((n, i)))), T(data.draw(arrays((o, i)))), T(data.draw(arrays((o,))))
    assert minidl.gradcheck(lambda x, w, b: F.linear(x, w, b), [x, w, b])
    assert minidl.gradcheck(lambda x, w: F.linear(x, w), [x, w])


def test_cross_entropy_spatial_gradients():
    rng = np.random.default_rng(0)
    x = T(rng.standard_normal((2, 3, 2, 2)))
    target = minidl.tensor(rng.integers(0, 3, (2, 2, 2)))
    assert minidl.gradcheck(lambda x: F.cross_entropy(x, target), [x])


def test_directional_mode_on_a_large_input():
    rng = np.random.default_rng(1)
    x = T(rng.standard_normal((64, 100)))
    w = T(rng.standard_normal((100, 50)))
    assert minidl.gradcheck(lambda x, w: (x @ w).tanh().sum(), [x, w], mode="direction")
