"""PyTorch parity of the extras: in-place //= %= **=, bitwise ops, std/norm gradients at 0,
F.pad cropping to empty, split/chunk/unbind/flip/mT, linspace/eye, where(cond)/nonzero,
sum(dtype=), cross_entropy with probability targets, retain_grad and register_hook."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minidl
import minidl.functional as F
from minidl.testing import arrays, shapes

torch = pytest.importorskip("torch")
TF = torch.nn.functional

from torch_pairs import T, both, check  # noqa: E402


# -- 1. in-place //=, %=, **= ------------------------------------------------------------------

CASES = [(np.array([5, -7, 9]), 2), (np.array([5.5, -7.0, 9.0]), 2),
         (np.array([5.5, -7.0, 9.0]), 1.5), (np.array([5, -7, 9]), 1.5),
         (np.array([5, 7, 9]), np.array([2, 3, 4])), (np.array([5, 7, 9]), np.array([2., 3, 4])),
         (np.array([2.0, 3.0]), np.array([1, 2]))]


@pytest.mark.parametrize("op", ["__ifloordiv__", "__imod__", "__ipow__"])
@pytest.mark.parametrize("a,b", CASES)
def test_inplace_floordiv_mod_pow_like_torch(op, a, b):
    tb = torch.tensor(b) if isinstance(b, np.ndarray) else b
    mb = minidl.tensor(b) if isinstance(b, np.ndarray) else b
    t, m = torch.tensor(a), minidl.tensor(a)
    try:
        expected = getattr(t, op)(tb)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            getattr(m, op)(mb)
        return
    before = m.data
    out = getattr(m, op)(mb)
    assert out is m and m.data is before
    assert m.dtype == np.dtype(str(expected.dtype).replace("torch.", ""))
    np.testing.assert_allclose(m.numpy(), expected.numpy())


def test_inplace_refused_on_requires_grad():
    x = T([1.0, 2.0])
    for op in ("__ifloordiv__", "__imod__", "__ipow__"):
        with pytest.raises(RuntimeError, match="requires grad"):
            getattr(x, op)(2)
    with minidl.no_grad():
        x **= 2
    np.testing.assert_array_equal(x.data, [1.0, 4.0])


# -- 2. std at 0, norm(p=0) ----------------------------------------------------------------------

@pytest.mark.parametrize("dim,keep", [(None, False), (1, False), (0, True)])
def test_std_gradient_zero_where_std_is_zero(dim, keep):
    a = np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]])
    m, t = both(a)
    check(m.std(dim, keepdim=keep) if dim is not None else m.std(),
          t.std(dim, keepdim=keep) if dim is not None else t.std(), [m], [t])
    assert np.isfinite(m.grad.numpy()).all()


@given(st.data(), shapes(min_dims=1, max_dims=3, min_side=2))
def test_std_gradcheck(data, shape):
    x = T(data.draw(arrays(shape)))
    dim = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1))
    corr = data.draw(st.sampled_from([0, 1]))
    keep = data.draw(st.booleans())
    assume(np.asarray(x.data.std(axis=dim)).min() > 0.05)  # std is not differentiable at 0
    assert minidl.gradcheck(lambda x: x.std(dim, keepdim=keep, correction=corr), [x])


@pytest.mark.parametrize("dim", [None, 0, 1])
def test_norm_p0_gradient_is_zero(dim):
    m, t = both([[1.0, 0.0], [2.0, 3.0]])
    check(m.norm(0, dim), t.norm(0, dim))  # (torch leaves .grad None: its gradient is zero)
    (m.norm(0, dim) * 2).sum().backward()
    assert m.grad is not None and m.grad.shape == m.shape and not m.grad.numpy().any()


# -- 3. F.pad cropping to empty ---------------------------------------------------------------

@pytest.mark.parametrize("shape,pad", [((3,), (-2, -1)), ((2, 3), (-1, -2, 1, 1)),
                                       ((2, 3), (0, 0, -2, 0)), ((2, 3), (-3, 1))])
def test_pad_constant_crop_to_empty(shape, pad):
    m, t = both(np.arange(np.prod(shape), dtype=float).reshape(shape))
    check(F.pad(m, pad), TF.pad(t, pad), [m], [t])
    assert F.pad(m, pad).shape == tuple(TF.pad(t, pad).shape)


def test_pad_constant_overcrop_raises():
    with pytest.raises(RuntimeError):
        TF.pad(torch.zeros(3), (-2, -2))
    with pytest.raises(RuntimeError):
        F.pad(minidl.zeros(3), (-2, -2))


# -- 4. bitwise -------------------------------------------------------------------------------

VALUES = {"bool": np.array([True, False, True]), "uint8": np.array([1, 200, 7], np.uint8),
          "int32": np.array([-3, 5, 12], np.int32), "int64": np.array([6, -1, 9]),
          "float32": np.array([1.0, 2.0, 3.0], np.float32)}
SCALARS = [True, False, 3, 300, -2, 1.5]


@pytest.mark.parametrize("op", ["__and__", "__or__", "__xor__"])
@pytest.mark.parametrize("da", list(VALUES))
@pytest.mark.parametrize("other", list(VALUES) + SCALARS, ids=str)
def test_bitwise_like_torch(op, da, other):
    ta, ma = torch.tensor(VALUES[da]), minidl.tensor(VALUES[da])
    if isinstance(other, str):
        tb, mb = torch.tensor(VALUES[other]), minidl.tensor(VALUES[other])
    else:
        tb = mb = other
    for fwd in (True, False):
        call = (lambda x, y: getattr(x, op)(y)) if fwd else (
            lambda x, y: getattr(x, "__r" + op[2:])(y))
        if not fwd and not isinstance(other, str):
            try:
                expected = call(ta, tb)
            except (RuntimeError, TypeError):
                with pytest.raises((RuntimeError, TypeError)):
                    call(ma, mb)
                continue
        else:
            try:
                expected = getattr(ta, op)(tb) if fwd else getattr(tb, op)(ta)
            except (RuntimeError, TypeError):
                with pytest.raises((RuntimeError, TypeError)):
                    getattr(ma, op)(mb) if fwd else getattr(mb, op)(ma)
                continue
            call = None
        got = call(ma, mb) if call else (getattr(ma, op)(mb) if fwd else getattr(mb, op)(ma))
        assert got.dtype == np.dtype(str(expected.dtype).replace("torch.", ""))
        np.testing.assert_array_equal(got.numpy(), expected.numpy())


@pytest.mark.parametrize("op", ["__iand__", "__ior__", "__ixor__"])
@pytest.mark.parametrize("da,db", [("bool", "bool"), ("int64", "int32"), ("int32", "int64"),
                                   ("bool", "int64"), ("uint8", "bool"), ("int64", "float32")])
def test_bitwise_inplace_like_torch(op, da, db):
    t, m = torch.tensor(VALUES[da]), minidl.tensor(VALUES[da])
    try:
        getattr(t, op)(torch.tensor(VALUES[db]))
    except RuntimeError:
        with pytest.raises(RuntimeError):
            getattr(m, op)(minidl.tensor(VALUES[db]))
        return
    assert getattr(m, op)(minidl.tensor(VALUES[db])) is m
    np.testing.assert_array_equal(m.numpy(), t.numpy())
    assert m.dtype == VALUES[da].dtype


def test_bitwise_float_raises_type_error():
    with pytest.raises(TypeError):
        minidl.tensor([1.0]) & 1
    with pytest.raises(TypeError):
        minidl.tensor([1]) | 1.5


# -- 5. split, chunk, unbind, flip, mT, linspace, eye, where, nonzero, sum(dtype) ----------------

SPLITS = [((7, 3), 2, 0), ((7, 3), [3, 4], 0), ((2, 5), 5, 1), ((2, 5), 2, -1), ((4,), 1, 0),
          ((2, 6), [0, 6], 1)]


@pytest.mark.parametrize("shape,s,dim", SPLITS)
def test_split_like_torch(shape, s, dim):
    m, t = both(np.random.default_rng(0).standard_normal(shape))
    for fn in (lambda x: x.split(s, dim), lambda x: (minidl if isinstance(x, minidl.Tensor)
                                                       else torch).split(x, s, dim)):
        mo, to = fn(m), fn(t)
        assert len(mo) == len(to)
        for a, b in zip(mo, to):
            check(a, b)
    m.grad = None
    t.grad = None
    mo, to = m.split(s, dim), t.split(s, dim)
    w = np.random.default_rng(1)
    ws = [w.standard_normal(b.shape) for b in to]
    sum((a * minidl.tensor(x)).sum() for a, x in zip(mo, ws)).backward()
    sum((b * torch.tensor(x)).sum() for b, x in zip(to, ws)).backward()
    np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize("n,chunks", [(6, 4), (5, 3), (7, 7), (3, 5), (0, 3), (8, 3)])
def test_chunk_like_torch(n, chunks):
    a = np.arange(float(n * 2)).reshape(n, 2)
    mo, to = minidl.chunk(minidl.tensor(a), chunks), torch.chunk(torch.tensor(a), chunks)
    assert [x.shape for x in mo] == [tuple(x.shape) for x in to]
    for x, y in zip(mo, to):
        np.testing.assert_array_equal(x.numpy(), y.numpy())


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unbind_flip_mT_like_torch(dim):
    a = np.random.default_rng(2).standard_normal((2, 3, 4))
    m, t = both(a)
    mo, to = m.unbind(dim), t.unbind(dim)
    assert len(mo) == len(to)
    check(minidl.stack([x * i for i, x in enumerate(mo)]),
          torch.stack([x * i for i, x in enumerate(to)]), [m], [t])
    for dims in [(dim,), (0, 2), (), [1, -1]]:
        m, t = both(a)
        check(minidl.flip(m, dims), torch.flip(t, dims), [m], [t])
    m, t = both(a)
    check(m.flip(0, 1), t.flip(0, 1))
    check(m.mT, t.mT, [m], [t])
    with pytest.raises(RuntimeError):
        minidl.tensor([1.0]).mT


@given(st.data(), shapes(min_dims=1, max_dims=3))
def test_split_flip_unbind_gradcheck(data, shape):
    x = T(data.draw(arrays(shape)))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    k = data.draw(st.integers(1, 4))
    assert minidl.gradcheck(lambda x: minidl.cat([p * (i + 1) for i, p in
                                                  enumerate(x.split(k, dim))], dim), [x])
    assert minidl.gradcheck(lambda x: minidl.cat([p * (i + 1) for i, p in
                                                  enumerate(x.chunk(k, dim))], dim), [x])
    assert minidl.gradcheck(lambda x: minidl.stack([p * (i + 1) for i, p in
                                                    enumerate(x.unbind(dim))]), [x])
    assert minidl.gradcheck(lambda x: x.flip(dim) * minidl.tensor(np.arange(x.numel())
                                                                  .reshape(x.shape)), [x])
    if len(shape) >= 2:
        assert minidl.gradcheck(lambda x: x.mT * 2, [x])


def test_linspace_eye_like_torch():
    for args, kw in [((0, 1, 5), {}), ((-1, 2, 4), {"dtype": "int64"}), ((3, -1, 1), {}),
                     ((0, 1, 0), {}), ((-1, 2.5, 5), {"dtype": "int64"}),
                     ((0, 1, 7), {"dtype": "float64"})]:
        m = minidl.linspace(*args, **kw)
        t = torch.linspace(*args, **{k: getattr(torch, v) for k, v in kw.items()})
        assert m.dtype == np.dtype(str(t.dtype).replace("torch.", ""))
        np.testing.assert_allclose(m.numpy(), t.numpy(), rtol=1e-6)
    for args in [(3,), (2, 4), (4, 2), (0,)]:
        m, t = minidl.eye(*args), torch.eye(*args)
        assert m.dtype == np.float32
        np.testing.assert_array_equal(m.numpy(), t.numpy())
    assert minidl.eye(2, dtype=minidl.int64).dtype == np.int64
    assert minidl.eye(2, requires_grad=True).requires_grad
    assert minidl.linspace(0, 1, 3, requires_grad=True).requires_grad


@pytest.mark.parametrize("a", [np.array([[1, 0], [2, 3]]), np.array([0.0, 1.5, 0.0, -1.0]),
                               np.array([[True, False], [False, True]]), np.array(3.0),
                               np.array(0), np.zeros((2, 0))])
def test_where_single_and_nonzero_like_torch(a):
    m, t = minidl.tensor(a), torch.tensor(a)
    mw, tw = minidl.where(m != 0), torch.where(t != 0)
    assert len(mw) == len(tw)
    for x, y in zip(mw, tw):
        assert x.dtype == np.int64
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    mn, tn = m.nonzero(), t.nonzero()
    assert mn.shape == tuple(tn.shape) and mn.dtype == np.int64
    np.testing.assert_array_equal(mn.numpy(), tn.numpy())
    for x, y in zip(minidl.nonzero(m, as_tuple=True), torch.nonzero(t, as_tuple=True)):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    # the three-argument form is unchanged
    np.testing.assert_array_equal(minidl.where(m != 0, 1, 2).numpy(),
                                  torch.where(t != 0, 1, 2).numpy())


def test_sum_dtype_and_random_dtype():
    x = minidl.tensor([1, 2, 3], dtype=minidl.int32)
    assert x.sum(dtype=minidl.float64).dtype == np.float64
    assert minidl.sum(x, 0, dtype=minidl.int64).dtype == np.int64
    m, t = both([[1.0, 2.0], [3.0, 4.0]])
    mf, tf = m.float(), t.float()
    check(mf.sum(1, dtype=minidl.float64), tf.sum(1, dtype=torch.float64))
    y = T([1.0, 2.0])
    y.sum(dtype=minidl.float32).backward()
    assert y.grad.dtype == np.float64
    assert minidl.rand(2, dtype=minidl.float64).dtype == np.float64
    assert minidl.randn(2, 3, dtype=minidl.float64).dtype == np.float64


# -- 6. cross_entropy with probability targets -------------------------------------------------

@pytest.mark.parametrize("shape", [(5,), (4, 5), (3, 4, 2, 2)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_probability_targets_like_torch(shape, reduction, smoothing, weighted):
    rng = np.random.default_rng(hash((shape, reduction, smoothing, weighted)) % 2 ** 32)
    x = rng.standard_normal(shape) * 3
    y = rng.random(shape)
    y /= y.sum(0 if len(shape) == 1 else 1, keepdims=True)
    C = shape[0] if len(shape) == 1 else shape[1]
    w = rng.random(C) + 0.1 if weighted else None
    m, t = both(x)
    mo = F.cross_entropy(m, minidl.tensor(y), weight=None if w is None else minidl.tensor(w),
                         reduction=reduction, label_smoothing=smoothing)
    to = TF.cross_entropy(t, torch.tensor(y), weight=None if w is None else torch.tensor(w),
                          reduction=reduction, label_smoothing=smoothing)
    assert mo.grad_fn is not None and type(mo.grad_fn).__name__ == "CrossEntropyProbs"
    check(mo, to, [m], [t])


def test_cross_entropy_probability_targets_stable_and_gradcheck():
    x = minidl.tensor(np.array([[1e4, -1e4, 0.0]]), requires_grad=True)
    loss = F.cross_entropy(x, minidl.tensor(np.array([[0.5, 0.25, 0.25]])))
    assert np.isfinite(loss.item())
    loss.backward()
    assert np.isfinite(x.grad.numpy()).all()
    rng = np.random.default_rng(3)
    y = minidl.tensor(rng.random((3, 4)))
    w = minidl.tensor(rng.random(4))
    x = T(rng.standard_normal((3, 4)))
    assert minidl.gradcheck(lambda x: F.cross_entropy(x, y, weight=w, label_smoothing=0.2), [x])


def test_cross_entropy_float_target_wrong_shape_is_clear():
    with pytest.raises(ValueError, match="probabilities.*shape"):
        F.cross_entropy(minidl.randn(4, 3), minidl.tensor([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(TypeError, match="integer class indices"):
        F.cross_entropy(minidl.randn(4, 3), minidl.tensor([0.0, 1.0, 2.0, 1.0]))


# -- 7. retain_grad, register_hook ------------------------------------------------------------

def _hook_scenario(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    z = y * y
    handle = x.register_hook(lambda g: g * 10)
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()))
    y.register_hook(lambda g: g + 1)
    w = (z + x).sum()
    w.backward(retain_graph=True)
    first = (x.grad.tolist(), y.grad.tolist(), list(seen))
    handle.remove()
    w.backward()
    return first, (x.grad.tolist(), y.grad.tolist(), list(seen))


def test_retain_grad_and_hooks_like_torch():
    assert _hook_scenario(minidl) == _hook_scenario(torch)


def test_retain_grad_errors_and_leaves():
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        minidl.tensor([1.0]).retain_grad()
    x = T([1.0, 2.0])
    x.retain_grad()  # a no-op on a leaf
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    y = x * 2
    assert not y.retains_grad
    y.retain_grad()
    assert y.retains_grad
    y.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [1.0, 1.0])
