"""The core extras against PyTorch: F.pad's reflect/replicate/circular modes, functional
signatures, the functional losses, the extra tensor methods (math, reductions, sorting,
gathering), torch-style indexing and uint8 wrap-around; plus float64 gradchecks."""
import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minidl
import minidl.functional as F
from minidl.testing import arrays, distinct_arrays, shapes

torch = pytest.importorskip("torch")
TF = torch.nn.functional

from torch_pairs import T, both, check  # noqa: E402


# -- 1. F.pad modes -----------------------------------------------------------------------------

MODES = ["reflect", "replicate", "circular"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("seed", range(12))
def test_pad_modes_match_torch(mode, seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 4))
    ndim = k + int(rng.integers(1, 3))
    shape = tuple(int(n) for n in rng.integers(2, 5, ndim))
    pad = []
    for i in range(k):
        n = shape[-1 - i]
        limit = n - 1 if mode == "reflect" else n
        while True:
            lo, hi = (int(v) for v in rng.integers(-1, limit + 1, 2))
            cropped = n + min(lo, 0) + min(hi, 0)  # torch's circular backward is off when a
            if n + lo + hi >= 1 and (mode != "circular" or max(lo, hi) <= cropped):  # pad wraps
                break                                                    # the cropped part twice
        pad += [lo, hi]
    m, t = both(rng.standard_normal(shape))
    check(F.pad(m, pad, mode=mode), TF.pad(t, pad, mode=mode), [m], [t])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("pad", [(-1, 2), (2, -1), (-3, 1), (-1, -1), (3, 0), (0, 3)])
def test_pad_negative_and_large_pads_match_torch(mode, pad):
    m, t = both(np.arange(8.0).reshape(1, 2, 4) ** 2)
    try:
        expected = TF.pad(t, pad, mode=mode)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            F.pad(m, pad, mode=mode)
        return
    check(F.pad(m, pad, mode=mode), expected, [m], [t])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape,pad", [((3,), (1, 1)), ((1, 1, 2, 3), (1, 1)),
                                       ((2, 3), (1, 1, 1, 1)), ((1, 1, 1, 2, 3), (1, 1, 1, 1)),
                                       ((1, 2, 3), (1,)), ((1, 2, 3), (-2, -1))])
def test_pad_errors_like_torch(mode, shape, pad):
    if mode == "circular" and pad == (-2, -1):
        pytest.skip("torch allows an empty circular result")
    with pytest.raises(Exception) as expected:
        TF.pad(torch.zeros(shape), pad, mode=mode)
    with pytest.raises(type(expected.value)):
        F.pad(minidl.zeros(shape), pad, mode=mode)


def test_pad_mode_errors():
    x = minidl.zeros((1, 2, 3))
    with pytest.raises(RuntimeError, match="too small|smaller"):
        F.pad(x, (3, 0), mode="reflect")
    with pytest.raises(RuntimeError, match="more than once"):
        F.pad(x, (4, 0), mode="circular")
    with pytest.raises(RuntimeError, match="value"):
        F.pad(x, (1, 1), mode="reflect", value=2.0)
    with pytest.raises(NotImplementedError, match="Unrecognised"):
        F.pad(x, (1, 1), mode="foo")
    assert F.pad(x, (1, 1), mode="reflect", value=0).shape == (1, 2, 5)
    xi = minidl.tensor(np.arange(6).reshape(1, 2, 3))
    np.testing.assert_array_equal(F.pad(xi, (2, 2), mode="reflect").numpy(),
                                  TF.pad(torch.arange(6).reshape(1, 2, 3), (2, 2), "reflect"))


@given(st.data(), st.sampled_from(MODES), st.integers(1, 3))
def test_pad_modes_gradients(data, mode, k):
    batch = data.draw(st.integers(1, 2))
    shape = data.draw(shapes(min_dims=k + batch, max_dims=k + batch, min_side=2, max_side=4))
    x = T(data.draw(arrays(shape)))
    pad = []
    for i in range(k):
        n = shape[-1 - i]
        top = n - 1 if mode == "reflect" else n
        lo, hi = data.draw(st.integers(-1, top)), data.draw(st.integers(-1, top))
        assume(n + lo + hi >= 1)
        pad += [lo, hi]
    assert minidl.gradcheck(lambda x: F.pad(x, pad, mode=mode) * 2, [x])


# -- 2. functional signatures -------------------------------------------------------------------

def test_functional_signatures():
    x = minidl.tensor([[-1.0, 2.0], [3.0, -4.0]])
    assert np.all(F.relu(input=x).numpy() == [[0, 2], [3, 0]])
    y = x.clone()
    assert F.relu(y, inplace=True) is y and np.all(y.numpy() == [[0, 2], [3, 0]])
    g = T([[-1.0, 2.0]])
    out = F.relu(g, inplace=True)  # in the graph: out of place
    assert out is not g and out.requires_grad
    assert F.tanh(input=x).shape == F.sigmoid(input=x).shape == (2, 2)
    assert F.softmax(x, 1, 3, minidl.float64).dtype == np.float64
    assert F.softmax(x, dim=1, dtype=minidl.float64).dtype == np.float64
    assert F.log_softmax(x, 1, dtype=minidl.float64).dtype == np.float64
    assert minidl.softmax(x, 0, minidl.float64).dtype == np.float64
    assert x.softmax(1, dtype=minidl.float64).dtype == np.float64
    assert F.dropout(x, 0.5, False, False) is x
    d = F.dropout(x, p=0.5, training=True, inplace=False, generator=minidl.Generator().manual_seed(0))
    assert d.shape == x.shape
    z = minidl.ones((100,))
    assert F.dropout(z, 0.5, True, True) is z and set(np.unique(z.numpy())) <= {0.0, 2.0}


# -- 3. losses ---------------------------------------------------------------------------------

REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("seed", range(3))
def test_nll_loss_matches_torch(reduction, seed):
    rng = np.random.default_rng(seed)
    shape = [(5,), (4, 5), (2, 5, 3, 2)][seed]
    m, t = both(rng.standard_normal(shape))
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    target = rng.integers(0, 5, tshape)
    target.reshape(-1)[:1] = 1  # ignore_index 1 drops some
    weight = rng.uniform(0.5, 2, 5)
    for w, ii in ((None, -100), (weight, 1)):
        m.grad, t.grad = None, None
        mo = F.nll_loss(m, minidl.tensor(target), None if w is None else minidl.tensor(w),
                        ignore_index=ii, reduction=reduction)
        to = TF.nll_loss(t, torch.tensor(target), None if w is None else torch.tensor(w),
                         ignore_index=ii, reduction=reduction)
        check(mo, to, [m], [t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits"])
def test_pointwise_losses_match_torch(name, reduction):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4))
    target = rng.uniform(0, 1, (3, 4))
    if name == "binary_cross_entropy":
        x = rng.uniform(0, 1, (3, 4))
        x[0, 0], x[0, 1] = 0.0, 1.0  # clamped logs
        target[0, 0], target[0, 1] = 1.0, 0.0
    if name == "binary_cross_entropy_with_logits":
        x[0, 0], x[0, 1] = 200.0, -200.0  # stable at large logits
    m, t = both(x)
    mt, tt = both(target)
    kwargs = [{}]
    if name.startswith("binary"):
        w = rng.uniform(0.5, 2, (4,))
        kwargs.append({"weight": w})
    if name.endswith("logits"):
        kwargs.append({"pos_weight": rng.uniform(0.5, 2, (4,)), "weight": w})
    for kw in kwargs:
        m.grad = t.grad = mt.grad = tt.grad = None
        mo = getattr(F, name)(m, mt, reduction=reduction,
                              **{k: minidl.tensor(v) for k, v in kw.items()})
        to = getattr(TF, name)(t, tt, reduction=reduction,
                               **{k: torch.tensor(v) for k, v in kw.items()})
        if name == "binary_cross_entropy":  # torch gives no target gradient here
            check(mo, to, [m], [t], atol=1e-8)
        else:
            check(mo, to, [m, mt], [t, tt], atol=1e-8)


def test_loss_argument_errors_and_legacy_flags():
    x = minidl.tensor([[0.5, 0.5]])
    with pytest.raises(ValueError, match="same size"):
        F.binary_cross_entropy(x, minidl.tensor([[1.0], [0.0]]))
    with pytest.raises(ValueError, match="same as input size"):
        F.binary_cross_entropy_with_logits(x, minidl.tensor([[1.0], [0.0]]))
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(minidl.tensor([1.5]), minidl.tensor([1.0]))
    with pytest.raises(RuntimeError, match="Long"):
        F.nll_loss(x, minidl.tensor([0.0]))
    with pytest.raises(IndexError):
        F.nll_loss(x, minidl.tensor([5]))
    with pytest.warns(UserWarning):
        mo = F.mse_loss(minidl.tensor([0.5, 0.5]), minidl.tensor([[1.0], [0.0]]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        to = TF.mse_loss(torch.tensor([0.5, 0.5]), torch.tensor([[1.0], [0.0]]))
        assert F.mse_loss(x, x, size_average=False).item() == 0.0
    assert mo.item() == pytest.approx(to.item())


def test_one_hot_like_torch():
    t = [0, 3, 1]
    out = F.one_hot(minidl.tensor(t))
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), TF.one_hot(torch.tensor(t)).numpy())
    np.testing.assert_array_equal(F.one_hot(minidl.tensor([[1], [2]]), 5).numpy(),
                                  TF.one_hot(torch.tensor([[1], [2]]), 5).numpy())
    for bad, n in (([-1], 3), ([3], 3)):
        with pytest.raises(RuntimeError):
            F.one_hot(minidl.tensor(bad), n)
    with pytest.raises(RuntimeError, match="LongTensor"):
        F.one_hot(minidl.tensor(np.array([1], dtype=np.int32)))
    with pytest.raises(RuntimeError, match="empty"):
        F.one_hot(minidl.tensor(np.zeros(0, dtype=np.int64)))


@given(st.data(), st.integers(1, 3), st.integers(1, 4), st.sampled_from(REDUCTIONS))
def test_loss_gradients(data, n, c, reduction):
    x = T(data.draw(arrays((n, c))))
    t = T(data.draw(arrays((n, c))))
    assert minidl.gradcheck(lambda x, t: F.mse_loss(x, t, reduction=reduction), [x, t])
    x_off = T(np.where(np.abs(x.data - t.data) < 0.05, t.data + 0.5, x.data))
    assert minidl.gradcheck(lambda x, t: F.l1_loss(x, t, reduction=reduction), [x_off, t])
    p = T(data.draw(arrays((n, c), min_value=0.05, max_value=0.95)))
    q = T(data.draw(arrays((n, c), min_value=0.0, max_value=1.0)))
    w = minidl.tensor(data.draw(arrays((c,), min_value=0.5, max_value=2.0)))
    assert minidl.gradcheck(
        lambda p, q: F.binary_cross_entropy(p, q, w, reduction=reduction), [p, q])
    assert minidl.gradcheck(lambda x, q: F.binary_cross_entropy_with_logits(
        x, q, w, reduction=reduction, pos_weight=w * 1.5), [x, q])
    target = minidl.tensor(np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n,
                                                       max_size=n))))
    assert minidl.gradcheck(lambda x: F.nll_loss(x, target, w, reduction=reduction), [x])


# -- 4. tensor methods -------------------------------------------------------------------------

UNARY = {"exp2": (-2, 2), "log2": (0.2, 3), "log10": (0.2, 3), "log1p": (-0.5, 3),
         "expm1": (-2, 2), "sin": (-3, 3), "cos": (-3, 3), "square": (-3, 3),
         "rsqrt": (0.2, 3), "reciprocal": (0.3, 3), "sign": (-3, 3), "round": (-3, 3),
         "floor": (-3, 3), "ceil": (-3, 3), "neg": (-3, 3), "abs": (-3, 3), "relu": (-3, 3)}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_methods_match_torch(name):
    lo, hi = UNARY[name]
    x = np.random.default_rng(2).uniform(lo, hi, (3, 4))
    x[0, 0] = 0.5 if lo >= 0 else 2.5  # a half (round to even)
    m, t = both(x)
    check(getattr(m, name)(), getattr(t, name)(), [m], [t])
    m.grad = t.grad = None
    check(getattr(minidl, name)(m) if hasattr(minidl, name) else getattr(F, name)(m),
          getattr(torch, name)(t))
    xi = np.array([1, 2, 3])
    if name not in ("log2", "log10", "log1p", "rsqrt"):
        mi, ti = getattr(minidl.tensor(xi), name)(), getattr(torch.tensor(xi), name)()
        assert mi.dtype == np.dtype(str(ti.dtype).replace("torch.", ""))


@given(st.data(), shapes(max_dims=3))
def test_unary_gradients(data, shape):
    name = data.draw(st.sampled_from(["exp2", "log2", "log10", "log1p", "expm1", "sin", "cos",
                                      "square", "rsqrt", "reciprocal"]))
    lo, hi = UNARY[name]
    x = T(data.draw(arrays(shape, min_value=lo, max_value=hi)))
    assert minidl.gradcheck(lambda x: getattr(x, name)(), [x])


def test_pos_neg_abs_and_comparisons():
    x = minidl.tensor([1.0, -2.0, 3.0])
    assert +x is x and np.all((-x).numpy() == [-1, 2, -3]) and np.all(abs(x).numpy() == [1, 2, 3])
    with pytest.raises(RuntimeError):
        +minidl.tensor([True])
    t = torch.tensor([1.0, -2.0, 3.0])
    for op in ["eq", "ne", "lt", "le", "gt", "ge"]:
        np.testing.assert_array_equal(getattr(x, op)(1.0).numpy(), getattr(t, op)(1.0).numpy())
        np.testing.assert_array_equal(getattr(x, op)(x).numpy(), getattr(t, op)(t).numpy())
    a, b = minidl.tensor([1.0, 0.0, 2.0]), minidl.tensor([1, 1, 0])
    ta, tb = torch.tensor([1.0, 0.0, 2.0]), torch.tensor([1, 1, 0])
    for op in ["logical_and", "logical_or", "logical_xor"]:
        np.testing.assert_array_equal(getattr(minidl, op)(a, b).numpy(),
                                      getattr(torch, op)(ta, tb).numpy())
        np.testing.assert_array_equal(getattr(a, op)(b).numpy(), getattr(ta, op)(tb).numpy())
    np.testing.assert_array_equal(a.logical_not().numpy(), ta.logical_not().numpy())
    assert x.numel() == x.nelement() == 3 and x.element_size() == 4 and x.dim() == 1
    assert x.size(0) == 3 and x.size(-1) == 3


@pytest.mark.parametrize("seed", range(4))
def test_reductions_match_torch(seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 2, (3, 4, 2)) * rng.choice([-1, 1], (3, 4, 2))
    for dim, keep in [(None, False), (1, False), ((0, 2), True), (-1, True)]:
        for kw in [{}, {"correction": 0}, {"correction": 2}]:
            for fn in ["var", "std"]:
                m, t = both(x)
                args = () if dim is None else (dim,)
                check(getattr(m, fn)(*args, keepdim=keep, **kw),
                      getattr(t, fn)(*args, keepdim=keep, **kw), [m], [t])
        for p in [1, 2, 3, float("inf"), "fro"]:
            if p == "fro" and isinstance(dim, tuple) is False and dim is not None:
                continue
            m, t = both(x)
            check(m.norm(p, dim, keep), t.norm(p, dim, keep), [m], [t])
        if dim is not None:
            m, t = both(x)
            check(m.logsumexp(dim, keep), t.logsumexp(dim, keep), [m], [t])
    m, t = both(x)
    check(m.var(1, False, True), t.var(1, False, True), [m], [t])
    check(m.var(False), t.var(False))
    for dim in [None, 0, 2]:
        m, t = both(x)
        check(m.prod() if dim is None else m.prod(dim),
              t.prod() if dim is None else t.prod(dim), [m], [t])
        if dim is not None:
            m, t = both(x)
            check(m.cumsum(dim), t.cumsum(dim), [m], [t])
    xz = x.copy()
    xz[0, 0, 0] = 0.0
    xz[1, 1, :] = 0.0
    m, t = both(xz)
    check(m.prod(1), t.prod(1), [m], [t])  # zeros need no division
    check(m.norm(), t.norm())
    big = np.array([1000.0, 1000.0, -np.inf])
    check(minidl.logsumexp(minidl.tensor(big), 0), torch.logsumexp(torch.tensor(big), 0))
    assert minidl.tensor([1, 2], dtype="int32").prod().dtype == np.int64
    assert minidl.tensor([1, 2], dtype="int32").cumsum(0).dtype == np.int64


def test_any_all_like_torch():
    x = np.array([[0, 1, 0], [0, 0, 0]])
    for dtype in ["float32", "uint8", "bool"]:
        m, t = minidl.tensor(x.astype(dtype)), torch.tensor(x.astype(dtype))
        for fn in ["any", "all"]:
            for args in [(), (0,), (1, True)]:
                mo, to = getattr(m, fn)(*args), getattr(t, fn)(*args)
                np.testing.assert_array_equal(mo.numpy(), to.numpy())
                assert str(mo.dtype) == str(to.dtype).replace("torch.", "")


@given(st.data(), shapes(min_dims=1, max_dims=3))
def test_reduction_gradients(data, shape):
    x = T(data.draw(distinct_arrays(shape)))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    keep = data.draw(st.booleans())
    assume(x.data.size > 1)
    if shape[dim] > 1:
        assert minidl.gradcheck(lambda x: x.var(dim, keepdim=keep), [x])
    x = T(x.data + np.where(x.data >= 0, 0.1, -0.1))  # away from 0, still distinct
    assert minidl.gradcheck(lambda x: x.std(correction=0), [x])
    assert minidl.gradcheck(lambda x: x.prod(dim, keep), [x])
    assert minidl.gradcheck(lambda x: x.cumsum(dim), [x])
    assert minidl.gradcheck(lambda x: x.logsumexp(dim, keep), [x])
    for p in [1, 2, 3, float("inf")]:
        assert minidl.gradcheck(lambda x: x.norm(p, dim, keep), [x])


def test_sort_topk_gather_repeat_masked_match_torch():
    rng = np.random.default_rng(5)
    x = rng.permutation(24).reshape(2, 3, 4) + rng.uniform(0, 0.1, (2, 3, 4))
    for dim in [0, 1, -1]:
        for desc in [False, True]:
            m, t = both(x)
            mv, mi = m.sort(dim, descending=desc)
            tv, ti = t.sort(dim, descending=desc)
            np.testing.assert_array_equal(mi.numpy(), ti.numpy())
            check(mv, tv, [m], [t])
            np.testing.assert_array_equal(m.argsort(dim, desc).numpy(), t.argsort(dim, desc))
        for largest in [True, False]:
            m, t = both(x)
            mv, mi = m.topk(2, dim, largest)
            tv, ti = t.topk(2, dim, largest)
            np.testing.assert_array_equal(mi.numpy(), ti.numpy())
            check(mv, tv, [m], [t])
    index = rng.integers(0, 3, (2, 5, 3))
    m, t = both(x)
    check(m.gather(1, minidl.tensor(index)), t.gather(1, torch.tensor(index)), [m], [t])
    m, t = both(x)
    index = index[:, :3]
    check(minidl.gather(m, 2, minidl.tensor(index)), torch.gather(t, 2, torch.tensor(index)),
          [m], [t])
    for reps in [(2, 1, 3), (1, 2, 1, 2)]:
        m, t = both(x)
        check(m.repeat(*reps), t.repeat(*reps), [m], [t])
    with pytest.raises(RuntimeError):
        minidl.tensor(x).repeat(2)
    mask = x[0] > 10
    m, t = both(x)
    check(m.masked_fill(minidl.tensor(mask), -1.5), t.masked_fill(torch.tensor(mask), -1.5),
          [m], [t])
    m, t = both(x)
    mv, tv = both(2.5)
    check(m.masked_fill(minidl.tensor(mask), mv), t.masked_fill(torch.tensor(mask), tv),
          [m, mv], [t, tv])
    m, t = both(x)
    check(m.masked_select(minidl.tensor(mask)), t.masked_select(torch.tensor(mask)), [m], [t])
    assert minidl.tensor([1, 2]).masked_fill(minidl.tensor([True, False]), 2.7).tolist() == [2, 2]
    with pytest.raises(RuntimeError, match="boolean"):
        minidl.tensor([1, 2]).masked_fill(minidl.tensor([1, 0]), 0)


@given(st.data(), shapes(min_dims=1, max_dims=3, min_side=2))
def test_sort_gather_repeat_gradients(data, shape):
    x = T(data.draw(distinct_arrays(shape)))
    dim = data.draw(st.integers(0, len(shape) - 1))
    assert minidl.gradcheck(lambda x: x.sort(dim, descending=True).values * 2, [x])
    assert minidl.gradcheck(lambda x: x.topk(2, dim).values * 2, [x])
    index = np.array(data.draw(arrays(shape, min_value=0, max_value=shape[dim] - 1))).astype(
        np.int64)  # repeated indices accumulate
    assert minidl.gradcheck(lambda x: x.gather(dim, minidl.tensor(index)), [x])
    reps = data.draw(st.lists(st.integers(1, 2), min_size=len(shape), max_size=len(shape) + 1))
    assert minidl.gradcheck(lambda x: x.repeat(*reps), [x])
    mask = minidl.tensor(x.data > 0)
    assert minidl.gradcheck(lambda x: x.masked_fill(mask, 0.5), [x])


# -- 5. indexing -------------------------------------------------------------------------------

def test_indexing_like_torch():
    x = np.arange(12.0).reshape(3, 4)
    for index in ([[0, 1], [1, 2]], [[0, 1]], [0, slice(None)], [None, 0], [[0], [1]]):
        m, t = both(x)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check(m[index], t[index], [m], [t])
    for index in ([0, 2, 2], [True, False, True], (slice(None), [3, 0])):
        m, t = both(x)
        check(m[index], t[index], [m], [t])
    m, t = both(x)
    check(m[minidl.tensor([[0, 1], [2, 2]])], t[torch.tensor([[0, 1], [2, 2]])], [m], [t])
    m, t = both(x)
    check(m[minidl.tensor(1)], t[torch.tensor(1)], [m], [t])
    m, t = both(x)
    check(m[minidl.tensor(x > 4)], t[torch.tensor(x > 4)], [m], [t])
    m, t = both(x)
    check(m[minidl.tensor([True, False, True]), 1:], t[torch.tensor([True, False, True]), 1:],
          [m], [t])


def test_setitem_like_torch():
    m, t = minidl.tensor(np.zeros((3, 4))), torch.zeros(3, 4, dtype=torch.float64)
    m[0] = 5.0
    t[0] = 5.0
    m[:, 1] = minidl.tensor([1.0, 2.0, 3.0])
    t[:, 1] = torch.tensor([1.0, 2.0, 3.0])
    m[minidl.tensor([1, 2])] = minidl.tensor([7.0, 8.0, 9.0, 10.0])  # broadcast rows
    t[torch.tensor([1, 2])] = torch.tensor([7.0, 8.0, 9.0, 10.0], dtype=torch.float64)
    m[minidl.tensor(m.numpy() > 8)] = -1.0
    t[t > 8] = -1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m[[[0, 1], [2, 3]]] = 4.0
        t[[[0, 1], [2, 3]]] = 4.0
    np.testing.assert_array_equal(m.numpy(), t.numpy())


# -- 6. uint8 wrap-around ----------------------------------------------------------------------

@pytest.mark.parametrize("value", [300, -1, 256, 1000, 2 ** 63, 2 ** 64 - 1, -(2 ** 63)])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "eq", "lt", "div", "floordiv"])
def test_uint8_with_out_of_range_python_ints_like_torch(op, value):
    a = np.array([250, 3, 0, 128], dtype=np.uint8)
    m, t = minidl.tensor(a), torch.tensor(a)
    fns = {"add": lambda x: x + value, "sub": lambda x: x - value, "mul": lambda x: x * value,
           "eq": lambda x: x == value, "lt": lambda x: x < value, "div": lambda x: x / value,
           "floordiv": lambda x: x // value}
    try:
        expected = fns[op](t)
    except (RuntimeError, ZeroDivisionError):
        with pytest.raises((RuntimeError, ZeroDivisionError)):
            fns[op](m)
        return
    out = fns[op](m)
    assert str(out.dtype) == str(expected.dtype).replace("torch.", "")
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6)


def test_python_ints_beyond_64_bits_overflow_like_torch():
    with pytest.raises(OverflowError):
        minidl.tensor(np.array([1], dtype=np.uint8)) + 2 ** 70
    x = minidl.tensor(np.array([1, 2], dtype=np.int8))
    np.testing.assert_array_equal((x * 1000).numpy(), [-24, -48])
