"""PyTorch semantics of the core: type promotion, pow corners, NaN in max, stable sigmoid,
integer results outside the graph, in-place rules, ``.grad`` ownership, reductions over dims,
``to``/grad-mode/``autograd.grad`` signatures, factories, new ops, F.pad/softmax/cross_entropy
and shape errors. Values are checked against PyTorch where it is installed, else by hand."""
import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minidl
import minidl.functional as F
from minidl.testing import arrays, broadcastable_shapes, distinct_arrays, shapes

torch = pytest.importorskip("torch")

T = minidl.tensor


def T64(a):
    return minidl.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def tdt(dtype):
    """The minidl dtype of a torch dtype."""
    return np.dtype(str(dtype).replace("torch.", ""))


# -- 1. type promotion -------------------------------------------------------------------------

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _pair(dtype, ndim):
    values = np.array([1, 2, 3]) if ndim else np.array(2)
    return values.astype(dtype)


@pytest.mark.parametrize("da", DTYPES)
@pytest.mark.parametrize("db", DTYPES)
@pytest.mark.parametrize("ndims", [(1, 1), (1, 0), (0, 1), (0, 0)])
def test_result_type_matches_torch_for_tensor_pairs(da, db, ndims):
    a, b = _pair(da, ndims[0]), _pair(db, ndims[1])
    expected = tdt(torch.result_type(torch.from_numpy(a), torch.from_numpy(b)))
    assert minidl.result_type(a, b) == expected
    ta, tb = minidl.from_numpy(a), minidl.from_numpy(b)
    if "bool" not in (da, db):
        assert (ta + tb).dtype == expected
        assert (ta * tb).dtype == expected
        assert minidl.maximum(ta, tb).dtype == expected
        assert minidl.where(T([True, False, True]), ta, tb).dtype == expected


@pytest.mark.parametrize("da", DTYPES)
@pytest.mark.parametrize("scalar", [True, 3, 2.5])
def test_result_type_with_python_numbers_matches_torch(da, scalar):
    a = _pair(da, 1)
    expected = tdt(torch.result_type(torch.from_numpy(a), scalar))
    assert minidl.result_type(a, scalar) == expected
    if da != "bool" and not isinstance(scalar, bool):
        assert (minidl.from_numpy(a) + scalar).dtype == expected
        assert (scalar * minidl.from_numpy(a)).dtype == expected


def test_promotion_examples():
    assert (minidl.ones(3) + T(2.0, dtype=minidl.float64)).dtype == minidl.float32
    assert (T([1, 2], dtype=minidl.int32) + T(5)).dtype == minidl.int32
    assert (T([1, 2], dtype=minidl.uint8) + 7).dtype == minidl.uint8
    assert (T([1, 2]) * 2.5).dtype == minidl.float32
    assert (T([1, 2]) + T([1.0, 2.0])).dtype == minidl.float32
    assert (T([1, 2]) / T([2, 2])).dtype == minidl.float32
    np.testing.assert_allclose((T([1, 2]) / 2).numpy(), [0.5, 1.0])
    for fn in (minidl.exp, minidl.log, minidl.tanh, minidl.sigmoid, minidl.sqrt):
        assert fn(T([1, 2])).dtype == minidl.float32
    # the documented existing choices stay
    assert T(2.5).dtype == minidl.float32
    assert T(np.array([1.0])).dtype == minidl.float64


def test_cat_stack_matmul_promote():
    assert minidl.cat([T([1, 2]), T([1.5])]).dtype == minidl.float32
    assert minidl.cat([T([1.0]), T(np.array([2.0]))]).dtype == minidl.float64
    assert minidl.stack([T(1), T(2.0)]).dtype == minidl.float32
    a = T([[1.0, 2.0]], requires_grad=True)
    b = T(np.array([[1.0], [2.0]]), requires_grad=True)
    y = a @ b
    assert y.dtype == minidl.float64
    y.sum().backward()
    assert a.grad.dtype == minidl.float32 and b.grad.dtype == minidl.float64
    np.testing.assert_allclose(a.grad.numpy(), [[1.0, 2.0]])


def test_mixed_dtype_gradients_come_back_in_each_inputs_dtype():
    a = T([1.0, 2.0], requires_grad=True)
    b = T(np.array(3.0), requires_grad=True)  # 0-d float64: the result stays float32
    y = a * b
    assert y.dtype == minidl.float32
    y.sum().backward()
    assert a.grad.dtype == minidl.float32 and b.grad.dtype == minidl.float64
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 3.0])
    np.testing.assert_allclose(b.grad.numpy(), 3.0)


# -- 2. scalar ** tensor -----------------------------------------------------------------------

def test_float_scalar_to_int_tensor_power():
    y = 2.5 ** T([1, 2, 3])
    assert y.dtype == minidl.float32
    np.testing.assert_allclose(y.numpy(), [2.5, 6.25, 15.625])
    assert (2 ** T([1, 2, 3])).dtype == minidl.int64
    assert (T([1, 2]) ** 0.5).dtype == minidl.float32


# -- 3. pow gradients at the corners -----------------------------------------------------------

def _both(fn, *values):
    ms = [T64(v) for v in values]
    ts = [torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for v in values]
    fn(*ms).sum().backward()
    fn(*ts).sum().backward()
    for m, t in zip(ms, ts):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_pow_corner_gradients_match_torch():
    x = [0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 0.0, -1.5]
    y = [0.0, 0.5, 1.0, 2.0, 0.0, 0.0, -1.0, 2.0]
    _both(lambda a, b: a ** b, x, y)
    _both(lambda a: a ** 0, x)
    _both(lambda a: a ** 0.0, x)
    _both(lambda a: a ** 1, x)
    _both(lambda a: a ** 2, x)
    _both(lambda b: 0 ** b, y)
    _both(lambda b: 0.0 ** b, y)
    _both(lambda b: 2.0 ** b, y)
    x0 = T64([0.0, 0.0, 3.0])
    (x0 ** 0).sum().backward()
    np.testing.assert_array_equal(x0.grad.numpy(), [0.0, 0.0, 0.0])


# -- 4. max with NaN ---------------------------------------------------------------------------

def test_max_with_nan_sends_the_gradient_to_the_nans_like_torch():
    for values in ([1.0, np.nan, 3.0], [np.nan, 2.0, np.nan], [1.0, 3.0, 3.0]):
        for name in ("max", "min"):
            x, xt = T64(values), torch.tensor(values, dtype=torch.float64, requires_grad=True)
            getattr(x, name)().backward()
            getattr(xt, name)().backward()
            np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())
    x = T64([1.0, np.nan, 3.0])
    x.max().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])
    m = x.detach().max(0)
    assert np.isnan(m.values.item()) and m.indices.item() == 1


def test_amax_and_max_dim_with_nan_match_torch():
    v = [[1.0, np.nan, 3.0], [1.0, 2.0, 3.0]]
    for fn in (lambda t: t.amax(1), lambda t: t.max(1)[0], lambda t: t.amin(1),
               lambda t: t.min(1)[0]):
        x, xt = T64(v), torch.tensor(v, dtype=torch.float64, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(x).sum().backward()
        fn(xt).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


# -- 5. stable sigmoid -------------------------------------------------------------------------

def test_sigmoid_is_stable_and_matches_torch():
    assert minidl.sigmoid(T(-50.0)).log().item() == pytest.approx(-50.0)
    v = np.array([-1000.0, -88.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0], dtype=np.float32)
    x = T(v, requires_grad=True)
    xt = torch.tensor(v, requires_grad=True)
    y, yt = minidl.sigmoid(x), torch.sigmoid(xt)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-6, atol=0)
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-30)


# -- 6. integer results never require grad -----------------------------------------------------

def test_integer_and_bool_results_do_not_require_grad():
    x = T([1.5, -2.0], requires_grad=True)
    for r in (x.long(), x > 0, x.argmax(), x.to(minidl.int32), x.max(0).indices, x.bool()):
        assert not r.requires_grad and r.grad_fn is None
        with pytest.raises(RuntimeError, match="does not require grad"):
            r.sum().backward()


# -- 7. in-place writes of values that require grad --------------------------------------------

def test_setitem_and_copy_refuse_values_that_require_grad():
    x = T([1.0, 2.0], requires_grad=True)
    buf = minidl.zeros(2)
    with pytest.raises(RuntimeError, match="requires grad"):
        buf[0] = x[1]
    with pytest.raises(RuntimeError, match="requires grad"):
        buf.copy_(x)
    with minidl.no_grad():
        buf[0] = x[1]
        buf.copy_(x)
    buf[1] = x[0].detach()
    np.testing.assert_array_equal(buf.numpy(), [1.0, 1.0])


# -- 8. .grad is owned ---------------------------------------------------------------------------

def test_grad_is_writable_and_not_shared():
    x = T([1.0, 2.0], requires_grad=True)
    x.sum().backward()
    x.grad.zero_()  # was a read-only broadcast view
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])

    a, b = T([1.0, 2.0], requires_grad=True), T([3.0, 4.0], requires_grad=True)
    (a + b).backward(minidl.ones(2))
    assert not np.shares_memory(a.grad.data, b.grad.data)

    seed = np.ones(2, dtype=np.float32)
    c = T([1.0, 2.0], requires_grad=True)
    c.backward(seed)
    c.grad.data[0] = 5.0
    assert seed[0] == 1.0
    d = T([1.0, 2.0], requires_grad=True)
    (d * 1).backward(minidl.from_numpy(seed))
    assert not np.shares_memory(d.grad.data, seed)

    e = T([[1.0, 2.0]], requires_grad=True)
    e.reshape(2).sum().backward()
    e.grad.data[...] = 7.0


def test_grad_accumulates_into_the_same_tensor_and_zero_grad_keeps_it():
    w = minidl.nn.Parameter(minidl.ones(3)) if hasattr(minidl.nn, "Parameter") else \
        T([1.0, 1.0, 1.0], requires_grad=True)
    opt = minidl.optim.SGD([w], lr=0.1)
    (w * 2).sum().backward()
    g = w.grad
    (w * 3).sum().backward()
    assert w.grad is g
    np.testing.assert_allclose(g.numpy(), [5.0, 5.0, 5.0])
    w.sum().backward()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 0.0, 0.0])


# -- 9. reductions over dims, 0-d tensors ------------------------------------------------------

def test_empty_dim_list_reduces_everything():
    v = np.arange(6, dtype=np.float32).reshape(2, 3)
    x, xt = T(v), torch.from_numpy(v)
    for dim in ((), []):
        assert x.sum(dim=dim).item() == xt.sum(dim=dim).item() == 15.0
        assert x.mean(dim=dim).item() == pytest.approx(xt.mean(dim=dim).item())
        assert x.sum(dim=dim, keepdim=True).shape == tuple(xt.sum(dim=dim, keepdim=True).shape)
        assert minidl.amax(x, dim).item() == 5.0
    assert x.argmax(dim=None, keepdim=True).shape == (1, 1)
    assert x.argmin(dim=None, keepdim=True).shape == (1, 1)


def test_zero_d_tensors_accept_dim_0_and_minus_1():
    x, xt = T(3.0), torch.tensor(3.0)
    for dim in (0, -1):
        assert x.sum(dim).shape == tuple(xt.sum(dim).shape) == ()
        assert x.amax(dim).item() == 3.0 and x.amin(dim).item() == 3.0
        assert x.argmax(dim).item() == 0 and x.argmin(dim, keepdim=True).shape == ()
        assert x.max(dim).values.item() == 3.0 and x.max(dim).indices.item() == 0
        assert x.squeeze(dim).shape == () and x.transpose(dim, 0).shape == ()
        assert x.unsqueeze(dim).shape == tuple(xt.unsqueeze(dim).shape) == (1,)
    with pytest.raises(IndexError):
        x.sum(1)
    with pytest.raises(TypeError):
        iter(x)
    with pytest.raises(TypeError):
        list(x)
    assert [r.item() for r in T([1, 2])] == [1, 2]


# -- 10. to(), grad mode, autograd.grad --------------------------------------------------------

def test_to_forms():
    x = T([1.0, 2.0])
    assert x.to(minidl.float64).dtype == minidl.float64
    assert x.to("cpu", minidl.int64).dtype == minidl.int64
    assert x.to(T([1], dtype=minidl.int32)).dtype == minidl.int32
    assert x.to(device="cpu", dtype=minidl.float64).dtype == minidl.float64
    assert x.to("cpu") is x and x.to(minidl.float32) is x
    assert x.to(minidl.float32, copy=True) is not x
    with pytest.raises(ValueError, match="unknown device"):
        x.to("tpu")


def test_set_grad_enabled_as_a_call_and_as_a_context():
    x = T([1.0], requires_grad=True)
    try:
        minidl.set_grad_enabled(False)
        assert not minidl.is_grad_enabled() and not (x * 2).requires_grad
    finally:
        minidl.set_grad_enabled(True)
    assert minidl.is_grad_enabled()
    with minidl.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad


def test_no_grad_decorators():
    x = T([1.0], requires_grad=True)

    @minidl.no_grad
    def bare():
        return x * 2

    @minidl.no_grad()
    def called():
        return x * 2

    @minidl.set_grad_enabled(False)
    def switched():
        return x * 2

    assert minidl.is_grad_enabled()
    assert not bare().requires_grad and not called().requires_grad
    assert not switched().requires_grad
    assert minidl.is_grad_enabled() and (x * 2).requires_grad
    with minidl.no_grad():
        with minidl.enable_grad():
            assert (x * 2).requires_grad


def test_autograd_grad_signature():
    x, y = T([1.0, 2.0], requires_grad=True), T([3.0], requires_grad=True)
    out = (x * x).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        minidl.autograd.grad(out, [x, y], retain_graph=True)
    gx, gy = minidl.autograd.grad(out, [x, y], allow_unused=True)
    np.testing.assert_allclose(gx.numpy(), [2.0, 4.0])
    assert gy is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        minidl.autograd.grad((x * 2).sum(), [T([1.0])])
    with pytest.raises(NotImplementedError):
        minidl.autograd.grad((x * 2).sum(), [x], create_graph=True)


# -- 11. factories ------------------------------------------------------------------------------

def test_factories():
    assert minidl.full((2,), 3).dtype == minidl.int64
    assert minidl.full((2,), True).dtype == minidl.bool_
    assert minidl.full((2,), 2.5).dtype == minidl.float32
    assert minidl.full((2,), 3, dtype=minidl.float64).dtype == minidl.float64
    x = T([[1, 2]], dtype=minidl.int32)
    f = minidl.full_like(x, 7)
    assert f.dtype == minidl.int32 and f.shape == (1, 2) and f.numpy().tolist() == [[7, 7]]
    assert minidl.empty_like(x).shape == (1, 2)
    r = minidl.rand_like(minidl.zeros(3, dtype=minidl.float64))
    assert r.dtype == minidl.float64 and r.shape == (3,)
    assert minidl.randn_like(minidl.zeros(2, 2)).shape == (2, 2)
    z = minidl.zeros_like(x, dtype=minidl.float32, device="cpu", requires_grad=True)
    assert z.requires_grad and z.dtype == minidl.float32
    assert minidl.ones_like(x, requires_grad=False).dtype == minidl.int32
    assert minidl.arange(3.0, requires_grad=True).requires_grad
    assert minidl.zeros(size=(2, 3)).shape == (2, 3)
    assert minidl.ones(size=[4]).shape == (4,)


# -- 12. in-place arithmetic -------------------------------------------------------------------

def test_manual_sgd_updates_the_parameter_in_place():
    w = T([1.0, 2.0], requires_grad=True)
    data = w.data
    (w * w).sum().backward()
    with minidl.no_grad():
        w -= 0.1 * w.grad
    assert w.data is data and w.requires_grad and w.grad_fn is None
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 1.6])
    with pytest.raises(RuntimeError, match="requires grad"):
        w += 1


def test_inplace_methods_and_operators():
    x = T([1.0, 2.0, 3.0])
    ident = id(x)
    x += 1
    x *= 2
    x -= T([1.0, 1.0, 1.0])
    x /= 2
    assert id(x) == ident
    np.testing.assert_allclose(x.numpy(), [1.5, 2.5, 3.5])
    x.add_(T([1.0, 1.0, 1.0]), alpha=2).sub_(1, alpha=0.5).mul_(2).div_(4)
    np.testing.assert_allclose(x.numpy(), [1.5, 2.0, 2.5])
    x.clamp_(min=1.8, max=2.2)
    np.testing.assert_allclose(x.numpy(), [1.8, 2.0, 2.2])
    x.fill_(3)
    np.testing.assert_array_equal(x.numpy(), [3, 3, 3])
    i = T([1, 2])
    i += 3
    i *= T([2, 2], dtype=minidl.int32)
    assert i.dtype == minidl.int64 and i.numpy().tolist() == [8, 10]
    with pytest.raises(RuntimeError, match="can't be cast"):
        i += 1.5
    with pytest.raises(RuntimeError, match="can't be cast"):
        i /= 2
    with pytest.raises(RuntimeError):
        x += minidl.ones(2, 3)  # would change x's shape
    f64 = T(np.array([1.0]))
    f64 += T([2.0])
    assert f64.dtype == minidl.float64


# -- 13. new ops -------------------------------------------------------------------------------

@given(st.data(), shapes(max_dims=3))
def test_new_unary_op_gradients(data, shape):
    x = data.draw(arrays(shape, min_value=-2.0, max_value=2.0))
    lo, hi = -1.0, 1.0
    # keep off the clamp's kinks, where finite differences straddle two slopes
    x = np.where(np.abs(np.abs(x) - 1.0) < 0.05, 0.3, x)
    t = T64(x)
    assert minidl.gradcheck(lambda t: minidl.clamp(t, lo, hi) * 2, [t])
    assert minidl.gradcheck(lambda t: t.clip(min=lo) * 2, [t])
    assert minidl.gradcheck(lambda t: t.clamp(max=hi) * 2, [t])
    assert minidl.gradcheck(lambda t: t.clone() * 3, [t])
    p = T64(np.abs(x) + 0.2)
    assert minidl.gradcheck(minidl.sqrt, [p])
    assert minidl.gradcheck(lambda t: t.sqrt(), [p])


@given(st.data(), shapes(min_dims=1, max_dims=4))
def test_min_gradients(data, shape):
    x = T64(data.draw(distinct_arrays(shape)))
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1))
    keep = data.draw(st.booleans())
    assert minidl.gradcheck(lambda x: x.amin(axis, keep) * 1.5, [x])
    assert minidl.gradcheck(lambda x: x.min(), [x])
    if axis is not None:
        assert minidl.gradcheck(lambda x: x.min(dim=axis, keepdim=keep).values, [x])


@given(st.data(), shapes(min_dims=1, max_dims=3))
def test_expand_gradients(data, shape):
    x = T64(data.draw(arrays(shape)))
    # grow every size-1 dim to 3 and add a leading dim of 2
    target = (2,) + tuple(3 if n == 1 else -1 for n in shape)
    assert minidl.gradcheck(lambda x: x.expand(*target) * 2, [x])
    expected = np.broadcast_to(x.detach().numpy(), (2,) + tuple(3 if n == 1 else n
                                                                   for n in shape))
    np.testing.assert_array_equal(x.expand(*target).detach().numpy(), expected)


@given(st.data(), broadcastable_shapes())
def test_remainder_and_minimum_gradients(data, pair):
    sa, sb = pair
    a = T64(data.draw(arrays(sa, min_value=-3.0, max_value=3.0)))
    b = T64(data.draw(arrays(sb, min_value=0.5, max_value=2.0)))
    for q in (a.detach().numpy() / b.detach().numpy(), 2.5 / b.detach().numpy()):
        assume(np.abs(q - np.round(q)).min(initial=1.0) > 1e-3)  # off the jumps of a % b
    assert minidl.gradcheck(lambda a, b: a % b, [a, b])
    assert minidl.gradcheck(lambda a: 2.5 % a, [b])
    c = T64(data.draw(arrays(sb)))
    assume(np.abs(a.detach().numpy() - c.detach().numpy()).min(initial=1.0) > 1e-2)
    assert minidl.gradcheck(lambda a, c: minidl.minimum(a, c), [a, c])


def test_new_ops_match_torch():
    v = np.array([[-2.0, -0.5, 0.0], [0.5, 1.0, 3.0]])
    x, xt = T64(v), torch.tensor(v, requires_grad=True)
    for fn in (lambda t: t.clamp(-0.5, 1.0), lambda t: t.clip(min=0.0), lambda t: t.clone(),
               lambda t: t.amin(1), lambda t: t.min(0)[0], lambda t: t.min(),
               lambda t: t % 0.75, lambda t: t.softmax(1), lambda t: t.log_softmax(0),
               lambda t: t.unsqueeze(0).expand(3, 2, 3), lambda t: (t + 3).sqrt()):
        x.grad = xt.grad = None
        y, yt = fn(x), fn(xt)
        np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-12)
        w = np.random.default_rng(0).standard_normal(yt.shape)
        y.backward(minidl.tensor(w))
        yt.backward(torch.from_numpy(w))
        np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-15)
    assert x.argmin().item() == xt.argmin().item()
    np.testing.assert_array_equal(x.argmin(1).numpy(), xt.argmin(1).numpy())
    mn = x.min(1)
    assert mn.indices.numpy().tolist() == xt.min(1).indices.tolist()


def test_floor_divide_and_remainder_like_torch():
    a, b = np.array([7, -7, 7, -7]), np.array([2, 2, -2, -2])
    at, bt = torch.from_numpy(a), torch.from_numpy(b)
    np.testing.assert_array_equal((T(a) // T(b)).numpy(), (at // bt).numpy())
    np.testing.assert_array_equal((T(a) % T(b)).numpy(), (at % bt).numpy())
    assert (T(a) // 2).dtype == minidl.int64 and (7 // T([2])).item() == 3
    assert (T(a) % 2.5).dtype == minidl.float32
    x = T([1.5, -2.5], requires_grad=True)
    y = x // 2
    np.testing.assert_array_equal(y.detach().numpy(), [0.0, -2.0])
    assert y.requires_grad  # as in torch: it joins the graph, but has no derivative
    with pytest.raises(RuntimeError, match="floor_divide"):
        y.sum().backward()
    with pytest.raises(ZeroDivisionError):
        T([1, 2]) // 0


def test_allclose_and_equal():
    a = T([1.0, 2.0])
    assert minidl.allclose(a, a + 1e-9) and not minidl.allclose(a, a + 1e-3)
    assert minidl.equal(a, T([1.0, 2.0])) and not minidl.equal(a, T([1.0, 2.5]))
    assert not minidl.equal(a, T([[1.0, 2.0]]))
    assert isinstance(minidl.allclose(a, a), bool) and isinstance(minidl.equal(a, a), bool)


def test_clamp_boundary_gradient_like_torch():
    v = [-1.0, 0.0, 0.5, 1.0, 2.0]
    x, xt = T64(v), torch.tensor(v, dtype=torch.float64, requires_grad=True)
    x.clamp(0.0, 1.0).sum().backward()
    xt.clamp(0.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 1.0, 1.0, 0.0])
    assert T([1, 5]).clamp(2, 4).dtype == minidl.int64
    assert T([1, 5]).clamp(2.5).dtype == minidl.float32


# -- 14. F.pad, softmax, cross_entropy ---------------------------------------------------------

def test_pad_value_none_pads_with_zero():
    y = F.pad(T([[1.0, 2.0]]), (1, 1), value=None)
    np.testing.assert_array_equal(y.numpy(), [[0.0, 1.0, 2.0, 0.0]])
    assert np.all(F.pad(T([1.0]), (0, 2)).numpy() == [1.0, 0.0, 0.0])


@pytest.mark.parametrize("ndim", [0, 1, 2, 3, 4])
def test_softmax_implicit_dim_like_torch(ndim):
    v = np.random.default_rng(ndim).standard_normal((2, 3, 4, 5)[:ndim]).astype(np.float32)
    for name in ("softmax", "log_softmax"):
        with pytest.warns(UserWarning, match="Implicit dimension"):
            y = getattr(F, name)(T(v))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yt = getattr(torch.nn.functional, name)(torch.from_numpy(v))
        np.testing.assert_allclose(y.numpy(), yt.numpy(), rtol=1e-5, atol=1e-6)


def test_softmax_of_an_empty_tensor_is_empty():
    for shape in ((0,), (2, 0), (0, 3)):
        assert F.softmax(minidl.zeros(*shape), dim=-1).shape == shape
        assert F.log_softmax(minidl.zeros(*shape), dim=0).shape == shape


def _ce_pair(logits, target, **kw):
    x = T(logits, requires_grad=True)
    xt = torch.tensor(logits, requires_grad=True)
    kw_m = dict(kw)
    kw_t = dict(kw)
    if kw.get("weight") is not None:
        kw_m["weight"] = T(kw["weight"])
        kw_t["weight"] = torch.from_numpy(kw["weight"])
    y = F.cross_entropy(x, T(target), **kw_m)
    yt = torch.nn.functional.cross_entropy(xt, torch.from_numpy(target), **kw_t)
    return x, xt, y, yt


@pytest.mark.parametrize("seed", range(40))
def test_cross_entropy_weight_smoothing_ignore_index_match_torch(seed):
    rng = np.random.default_rng(seed)
    C = int(rng.integers(2, 6))
    shape = [(int(rng.integers(1, 6)),), (int(rng.integers(1, 4)), 3),
             (2, 2, 3), ()][seed % 4]
    logits = rng.standard_normal((shape[0], C) + shape[1:] if shape else (C,)) * 3
    target = rng.integers(0, C, size=shape)
    ignore = -100
    if seed % 3 == 0 and shape:
        ignore = int(rng.integers(0, C))  # a real class ignored (maybe every target)
    kw = dict(reduction=["mean", "sum", "none"][seed % 3 if seed < 30 else 0],
              ignore_index=ignore, label_smoothing=[0.0, 0.1, 0.37, 1.0][seed % 4])
    if seed % 2:
        kw["weight"] = rng.uniform(0.1, 2.0, C)
    x, xt, y, yt = _ce_pair(logits, target, **kw)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-10,
                               atol=1e-12, equal_nan=True)
    w = rng.standard_normal(yt.shape)
    y.backward(T(w))
    yt.backward(torch.from_numpy(w))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12,
                               equal_nan=True)


@given(st.data())
def test_cross_entropy_gradcheck_with_weight_and_smoothing(data):
    n, c = data.draw(st.integers(1, 4)), data.draw(st.integers(2, 4))
    x = T64(data.draw(arrays((n, c))))
    target = T(np.asarray(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n))))
    weight = T(np.asarray(data.draw(st.lists(st.floats(0.2, 2.0), min_size=c, max_size=c))))
    eps = data.draw(st.sampled_from([0.0, 0.2, 0.9]))
    ignore = data.draw(st.sampled_from([-100, 0]))
    assume(ignore == -100 or (target.numpy() != ignore).any())
    reduction = data.draw(st.sampled_from(["mean", "sum", "none"]))
    assert minidl.gradcheck(
        lambda x: F.cross_entropy(x, target, weight=weight, label_smoothing=eps,
                                  ignore_index=ignore, reduction=reduction), [x])


def test_cross_entropy_single_sample_and_legacy_flags():
    v = np.array([1.0, 2.0, 0.5])
    x, xt, y, yt = _ce_pair(v, np.array(1), reduction="none")
    assert y.shape == () and y.item() == pytest.approx(yt.item())
    with pytest.warns(UserWarning):
        s = F.cross_entropy(T(np.ones((2, 3))), T([0, 1]), size_average=False)
    assert s.item() == pytest.approx(2 * np.log(3))
    with pytest.raises(TypeError, match="keyword"):
        F.cross_entropy(T(np.ones((2, 3))), T([0, 1]), "sum")
    with pytest.raises(ValueError, match="weight"):
        F.cross_entropy(T(np.ones((2, 3))), T([0, 1]), weight=T([1.0, 2.0]))


def test_cross_entropy_stays_finite_at_large_logits_with_smoothing():
    x = T([[1e4, -1e4, 0.0]], requires_grad=True)
    loss = F.cross_entropy(x, T([1]), label_smoothing=0.1, weight=T([1.0, 2.0, 0.5]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(x.grad.numpy()).all()


# -- 15. shape errors are ValueError and RuntimeError ------------------------------------------

@pytest.mark.parametrize("bad", [
    lambda: T([1.0, 2.0]) + T([1.0, 2.0, 3.0]),
    lambda: T(np.ones((2, 3))) @ T(np.ones((2, 3))),
    lambda: T(np.ones((2, 2, 3))) @ T(np.ones((3, 3, 2))),  # batch dims 2 and 3
    lambda: T([1.0, 2.0, 3.0]).reshape(2, 2),
    lambda: T([1.0, 2.0, 3.0]).view(2, -1),
    lambda: minidl.cat([T(np.ones((2, 3))), T(np.ones((2, 4)))]),
    lambda: minidl.stack([T([1.0]), T([1.0, 2.0])]),
    lambda: T(np.ones((2, 3))).permute(0, 0),
    lambda: T(np.ones((2, 3, 4))).flatten(2, 1),
    lambda: T([1.0, 2.0]).item(),
    lambda: T([1.0, 2.0]).expand(3),
    lambda: F.linear(T(np.ones((2, 3))), T(np.ones((4, 2)))),
])
def test_shape_errors_are_value_and_runtime_errors(bad):
    with pytest.raises(ValueError):
        bad()
    with pytest.raises(RuntimeError):
        bad()
    with pytest.raises(minidl.ShapeError):
        bad()
