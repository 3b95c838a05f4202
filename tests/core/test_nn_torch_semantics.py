"""minidl.nn and the kernel-backed ops follow PyTorch's signatures and semantics.

Each test pins one behaviour a PyTorch user relies on: positional argument order, TypeErrors for
non-integer geometry, state-dict keys of shared modules, container slicing, registration on
assignment, in-place loading, init rules, empty batches, unbatched inputs, padding strings and
reprs. Where PyTorch is installed the values are compared with it; otherwise the expectations
are hand-computed.
"""
from collections import OrderedDict

import numpy as np
import pytest

import minidl
import minidl.functional as F
import minidl.nn as nn


def T(a, requires_grad=False):
    return minidl.tensor(np.asarray(a), requires_grad=requires_grad)


def A(t):
    """A minidl or torch tensor's values as a NumPy array."""
    return t.detach().numpy()


def randn(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# -- 1. max_pool2d's argument order, return_indices, repr ------------------------------------

def test_max_pool2d_positional_order_is_torchs():
    x = T(randn(1, 1, 8, 8))
    # (input, kernel_size, stride, padding, dilation, ceil_mode): the 5th is dilation
    assert F.max_pool2d(x, 3, 2, 0, 1).shape == (1, 1, 3, 3)
    assert F.max_pool2d(x, 3, 2, 0, 1, True).shape == (1, 1, 4, 4)
    assert nn.MaxPool2d(3, 2, 0, 1, False, True)(x).shape == (1, 1, 4, 4)  # ..., ceil_mode


def test_max_pool2d_dilation_other_than_1_is_a_clear_error():
    with pytest.raises(ValueError, match=r"max_pool2d: dilation=2 is not implemented"):
        F.max_pool2d(T(randn(1, 1, 8, 8)), 3, 1, 0, 2)
    with pytest.raises(ValueError, match=r"MaxPool2d: dilation=\(2, 1\) is not implemented"):
        nn.MaxPool2d(3, dilation=(2, 1))


def test_max_pool2d_return_indices_matches_torch():
    torch = pytest.importorskip("torch")
    x = randn(2, 3, 9, 9)
    y, i = F.max_pool2d(T(x), 3, 2, 1, return_indices=True)
    ty, ti = torch.nn.functional.max_pool2d(torch.from_numpy(x), 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(A(y), A(ty))
    np.testing.assert_array_equal(A(i), A(ti))
    assert i.dtype == np.int64
    y, i = nn.MaxPool2d(3, 2, return_indices=True, ceil_mode=True)(T(x[0]))      # unbatched
    ty, ti = torch.nn.MaxPool2d(3, 2, return_indices=True, ceil_mode=True)(torch.from_numpy(x[0]))
    np.testing.assert_array_equal(A(i), A(ti))
    assert y.shape == tuple(ty.shape)


def test_pooling_reprs_are_torchs():
    assert repr(nn.MaxPool2d(3, stride=2)) == \
        "MaxPool2d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.MaxPool2d(2)) == \
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool2d(3, 2)) == "AvgPool2d(kernel_size=3, stride=2, padding=0)"


# -- 2. non-integer geometry is a TypeError; 1-tuples repeat ---------------------------------

@pytest.mark.parametrize("call", [
    lambda x: F.max_pool2d(x, 1.5),
    lambda x: F.max_pool2d(x, True),
    lambda x: F.max_pool2d(x, 3, 2.0),
    lambda x: F.avg_pool2d(x, 3, padding=1.0),
    lambda x: F.avg_pool2d(x, (3, 2.5)),
    lambda x: F.adaptive_avg_pool2d(x, 1.5),
    lambda x: F.adaptive_avg_pool2d(x, (2, True)),
    lambda x: F.conv2d(x, T(randn(4, 3, 3, 3)), stride=1.5),
    lambda x: F.conv2d(x, T(randn(4, 3, 3, 3)), padding=True),
    lambda x: nn.Conv2d(3, 4, 1.5),
    lambda x: nn.Conv2d(3, 4, 3, dilation=2.0),
    lambda x: nn.MaxPool2d(1.5),
])
def test_non_integer_geometry_is_a_type_error(call):
    with pytest.raises(TypeError, match=r"must be an int or a tuple of ints"):
        call(T(randn(2, 3, 8, 8)))


def test_one_element_tuples_repeat_as_in_torch():
    x = T(randn(2, 3, 8, 8))
    assert F.max_pool2d(x, (3,), (2,)).shape == (2, 3, 3, 3)
    assert F.avg_pool2d(x, (2,)).shape == (2, 3, 4, 4)
    assert F.conv2d(x, T(randn(4, 3, 3, 3)), stride=(2,), padding=(1,)).shape == (2, 4, 4, 4)
    assert nn.Conv2d(3, 4, (3,)).kernel_size == (3, 3)
    with pytest.raises(ValueError, match=r"output_size must be an int or a pair"):
        F.adaptive_avg_pool2d(x, (3,))        # torch rejects this one too


# -- 3. state dicts keep shared modules under every name -------------------------------------

def test_shared_module_appears_under_each_name_in_state_dict():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert len(list(seq.parameters())) == 2                     # still de-duplicated
    assert [k for k, _ in seq.named_parameters()] == ["0.weight", "0.bias"]


class _Shared(nn.Module):
    def __init__(self):
        super().__init__()
        self.seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        self.shared = self.seq[0]

    def forward(self, x):
        return self.seq(x)


def test_shared_submodule_strict_loads_torchs_state_dict():
    torch = pytest.importorskip("torch")

    class TorchShared(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.seq = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(),
                                           torch.nn.Linear(4, 2))
            self.shared = self.seq[0]

    theirs = TorchShared().state_dict()
    ours = _Shared()
    assert list(ours.state_dict()) == list(theirs)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.items()}, strict=True)
    np.testing.assert_array_equal(A(ours.shared.weight), A(theirs["shared.weight"]))


# -- 4. containers ---------------------------------------------------------------------------

def test_sequential_slice_keeps_names_and_modulelist_slice_is_a_modulelist():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 4))
    tail = seq[1:]
    assert isinstance(tail, nn.Sequential)
    assert list(tail._modules) == ["1", "2"]
    assert list(tail.state_dict()) == ["2.weight", "2.bias"]
    assert tail[-1] is seq[2]
    named = nn.Sequential(OrderedDict(conv=nn.Identity(), act=nn.ReLU()))
    assert list(named[1:]._modules) == ["act"]
    with pytest.raises(IndexError):
        seq[3]

    ml = nn.ModuleList([nn.ReLU(), nn.Tanh(), nn.Identity()])
    part = ml[1:]
    assert isinstance(part, nn.ModuleList) and list(part._modules) == ["0", "1"]
    assert part[0] is ml[1]


def test_container_append_extend_insert():
    a, b, c, d = nn.ReLU(), nn.Tanh(), nn.Identity(), nn.Flatten()
    seq = nn.Sequential(a).append(b)
    assert list(seq._modules) == ["0", "1"] and seq[1] is b
    ml = nn.ModuleList([a])
    ml.append(b)
    ml.extend([c])
    ml.insert(1, d)
    assert list(ml) == [a, d, b, c]
    assert list(ml._modules) == ["0", "1", "2", "3"]


def test_non_module_children_are_type_errors():
    with pytest.raises(TypeError, match=r"int is not a Module subclass"):
        nn.Sequential(3)
    with pytest.raises(TypeError, match=r"str is not a Module subclass"):
        nn.Sequential().add_module("a", "relu")
    with pytest.raises(TypeError, match=r"int is not a Module subclass"):
        nn.ModuleList([nn.ReLU(), 3])


# -- 5. assignment to registered names -------------------------------------------------------

def test_assigning_a_plain_tensor_to_a_parameter_name_is_a_type_error():
    lin = nn.Linear(3, 2)
    with pytest.raises(TypeError, match=r"cannot assign 'Tensor' as parameter 'weight' "
                                        r"\(nn.Parameter or None expected\)"):
        lin.weight = T(np.zeros((2, 3), np.float32))
    assert isinstance(lin.weight, nn.Parameter)
    lin.bias = None                        # stays registered, as an absent parameter
    assert "bias" in lin._parameters and lin.bias is None
    assert list(lin.state_dict()) == ["weight"]
    lin.bias = nn.Parameter(T(np.zeros(2, np.float32)))
    assert list(lin._parameters) == ["weight", "bias"]          # order kept


def test_reassigning_a_buffer_keeps_it_a_buffer():
    m = nn.Module()
    m.register_buffer("running", T(np.zeros(3, np.float32)))
    m.running = T(np.ones(3, np.float32))
    assert "running" in m._buffers and "running" not in m.__dict__
    np.testing.assert_array_equal(m.state_dict()["running"].detach().numpy(), np.ones(3))
    with pytest.raises(TypeError, match=r"cannot assign 'int' as buffer 'running'"):
        m.running = 3
    m.child = nn.ReLU()
    with pytest.raises(TypeError, match=r"cannot assign 'int' as child module 'child'"):
        m.child = 3


# -- 6. load_state_dict copies in place ------------------------------------------------------

def test_load_state_dict_copies_into_existing_arrays():
    lin = nn.Linear(3, 2)
    before = lin.state_dict()
    weight_array = lin.weight.data
    new = {"weight": np.full((2, 3), 7.0), "bias": np.arange(2)}          # float64 and int64
    lin.load_state_dict(new)
    assert lin.weight.data is weight_array and lin.weight.dtype == np.float32
    np.testing.assert_array_equal(A(before["weight"]), np.full((2, 3), 7.0))
    np.testing.assert_array_equal(A(before["bias"]), [0.0, 1.0])
    # all or nothing: one bad shape and nothing changes
    with pytest.raises(nn.StateDictError, match=r"bias: checkpoint shape \(3,\)"):
        lin.load_state_dict({"weight": np.zeros((2, 3)), "bias": np.zeros(3)})
    np.testing.assert_array_equal(A(lin.weight), np.full((2, 3), 7.0))


# -- 7. nn.init ------------------------------------------------------------------------------

def test_kaiming_mode_is_checked():
    w = T(np.zeros((4, 3), np.float32))
    for fn in (nn.init.kaiming_normal_, nn.init.kaiming_uniform_):
        with pytest.raises(ValueError, match=r"mode must be 'fan_in' or 'fan_out', got 'fan_avg'"):
            fn(w, mode="fan_avg")


def test_calculate_gain_matches_torch():
    torch = pytest.importorskip("torch")
    for name in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                 "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"):
        assert nn.init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    assert nn.init.calculate_gain("leaky_relu", 0.2) == \
        pytest.approx(torch.nn.init.calculate_gain("leaky_relu", 0.2))
    with pytest.raises(ValueError):
        nn.init.calculate_gain("gelu")


def test_trunc_normal_and_orthogonal():
    w = T(np.zeros((200, 100), np.float32))
    nn.init.trunc_normal_(w, mean=1.0, std=2.0, a=0.0, b=3.0, generator=minidl.Generator(0)
                          if hasattr(minidl, "Generator") else None)
    v = A(w)
    assert v.min() >= 0.0 and v.max() <= 3.0 and 1.2 < v.mean() < 1.8
    q = T(np.zeros((3, 5), np.float32))
    nn.init.orthogonal_(q, gain=2.0)
    np.testing.assert_allclose(A(q) @ A(q).T, 4 * np.eye(3), atol=1e-5)
    q = T(np.zeros((6, 2, 1, 1), np.float32))
    nn.init.orthogonal_(q)
    m = A(q).reshape(6, 2)
    np.testing.assert_allclose(m.T @ m, np.eye(2), atol=1e-5)


# -- 8. LRN ranks and empty batches ----------------------------------------------------------

@pytest.mark.parametrize("shape", [(2, 6, 5), (2, 6, 4, 4), (2, 6, 3, 2, 2)])
def test_lrn_layer_takes_the_ranks_the_function_takes(shape):
    x = T(randn(*shape))
    y = nn.LocalResponseNorm(3, alpha=1e-2)(x)
    np.testing.assert_allclose(A(y), F.local_response_norm(x, 3, alpha=1e-2).detach().numpy())
    with pytest.raises(ValueError, match=r"LocalResponseNorm\(size=3\): .*at least 3 dim"):
        nn.LocalResponseNorm(3)(T(randn(2, 6)))


@pytest.mark.parametrize("layer, out_shape", [
    (lambda: nn.LocalResponseNorm(3), (0, 4, 8, 8)),
    (lambda: nn.MaxPool2d(3, 2), (0, 4, 3, 3)),
    (lambda: nn.AvgPool2d(2), (0, 4, 4, 4)),
    (lambda: nn.AdaptiveAvgPool2d((2, 3)), (0, 4, 2, 3)),
    (lambda: nn.Conv2d(4, 5, 3, padding=1), (0, 5, 8, 8)),
    (lambda: nn.Sequential(nn.Flatten(), nn.Linear(256, 3)), (0, 3)),
])
def test_empty_batch_forward_and_backward(layer, out_shape):
    x = T(np.zeros((0, 4, 8, 8), np.float32), requires_grad=True)
    m = layer()
    y = m(x)
    assert y.shape == out_shape
    y.sum().backward()
    assert x.grad.shape == x.shape
    for p in m.parameters():
        assert p.grad is not None and p.grad.shape == p.shape
        assert not A(p.grad).any()


# -- 9. linear dtypes ------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.int64])
def test_linear_dtype_mismatch_is_a_clear_error(dtype):
    lin = nn.Linear(3, 2)
    x = T(np.zeros((4, 3), dtype))
    with pytest.raises(TypeError, match=rf"Linear\(3→2\): input dtype {np.dtype(dtype)} does "
                                        r"not match the weight's dtype float32"):
        lin(x)
    with pytest.raises(TypeError, match=rf"linear: .*input {np.dtype(dtype)}, weight float32"):
        F.linear(x, lin.weight, lin.bias)


def test_linear_1d_and_nd_inputs_match_torch():
    torch = pytest.importorskip("torch")
    lin = nn.Linear(3, 2)
    tl = torch.nn.Linear(3, 2)
    with torch.no_grad():
        tl.weight.copy_(torch.from_numpy(A(lin.weight)))
        tl.bias.copy_(torch.from_numpy(A(lin.bias)))
    for shape in [(3,), (5, 3), (2, 4, 3)]:
        x = randn(*shape)
        xt = torch.from_numpy(x).requires_grad_()
        xm = T(x, requires_grad=True)
        y, yt = lin(xm), tl(xt)
        np.testing.assert_allclose(A(y), A(yt), rtol=1e-5, atol=1e-6)
        y.sum().backward()
        yt.sum().backward()
        np.testing.assert_allclose(A(xm.grad), A(xt.grad), rtol=1e-5, atol=1e-6)


# -- 10. constructor errors and signatures ---------------------------------------------------

@pytest.mark.parametrize("kwargs, message", [
    (dict(groups=0), r"Conv2d\(4→6\): groups must be a positive integer, got 0"),
    (dict(groups=4), r"Conv2d\(4→6\): in and out channels must be divisible by groups=4"),
    (dict(kernel_size=(3, 3, 3)), r"Conv2d\(4→6\): kernel_size must be an int or a pair"),
    (dict(padding="full"), r"Conv2d\(4→6\): invalid padding string 'full'"),
    (dict(padding="same", stride=2), r"padding='same' is not supported for strided"),
])
def test_conv2d_constructor_errors(kwargs, message):
    args = dict(in_channels=4, out_channels=6, kernel_size=3)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        nn.Conv2d(**args)


def test_dropout_second_positional_is_inplace():
    d = nn.Dropout(0.5, False)
    assert d.inplace is False and d.generator is None
    assert repr(d) == "Dropout(p=0.5, inplace=False)"
    g = minidl.Generator(1) if hasattr(minidl, "Generator") else None
    assert nn.Dropout(0.3, generator=g).generator is g
    x = T(np.ones((4, 100), np.float32))
    y = nn.Dropout(0.5, True)(x)                     # computed out of place; input untouched
    assert (A(x) == 1).all() and set(np.unique(A(y))) <= {0.0, 2.0}


def test_small_layer_signatures_and_reprs():
    assert repr(nn.ReLU()) == "ReLU()" and repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.Identity(54, unused="x")) == "Identity()"
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.Flatten(0, 2)) == "Flatten(start_dim=0, end_dim=2)"


def test_cross_entropy_loss_signature_is_torchs():
    x = T(randn(4, 5, dtype=np.float64))
    t = T(np.array([0, 3, -100, 1]))
    loss = nn.CrossEntropyLoss(None, None, -100, None, "sum")
    assert loss.reduction == "sum" and loss.ignore_index == -100
    np.testing.assert_allclose(loss(x, t).item(), F.cross_entropy(x, t, reduction="sum").item())
    with pytest.warns(UserWarning, match=r"reduction='sum'"):
        assert nn.CrossEntropyLoss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning, match=r"reduction='none'"):
        assert nn.CrossEntropyLoss(reduce=False).reduction == "none"
    assert list(nn.CrossEntropyLoss(weight=T(np.ones(5))).state_dict()) == ["weight"]


# -- 11. unbatched inputs and padding strings ------------------------------------------------

def test_unbatched_inputs_give_unbatched_outputs():
    x = randn(3, 9, 9, seed=3)
    conv = nn.Conv2d(3, 4, 3, stride=2, padding=1)
    checks = [(conv, None), (nn.MaxPool2d(3, 2, 1), None), (nn.AvgPool2d(3, 2), None),
              (nn.AdaptiveAvgPool2d(2), None)]
    for layer, _ in checks:
        xb = T(x, requires_grad=True)
        y = layer(xb)
        ref = layer(T(x[None]))
        assert y.shape == ref.shape[1:]
        np.testing.assert_array_equal(A(y), A(ref)[0])
        y.sum().backward()
        assert xb.grad.shape == x.shape
    with pytest.raises(ValueError, match=r"input has 5 channels, expected 3"):
        conv(T(randn(5, 9, 9)))


@pytest.mark.parametrize("kernel, dilation",
                         [(3, 1), (4, 1), ((2, 5), 1), (3, 2), ((4, 3), (1, 2))])
def test_conv2d_padding_same_and_valid_match_torch(kernel, dilation):
    torch = pytest.importorskip("torch")
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    x, w, b = randn(2, 3, 9, 10, seed=1), randn(4, 3, kh, kw, seed=2), randn(4, seed=4)
    for padding in ("same", "valid"):
        xm = T(x, requires_grad=True)
        wm = T(w, requires_grad=True)
        xt = torch.from_numpy(x).requires_grad_()
        wt = torch.from_numpy(w).requires_grad_()
        y = F.conv2d(xm, wm, T(b), padding=padding, dilation=dilation)
        yt = torch.nn.functional.conv2d(xt, wt, torch.from_numpy(b), padding=padding,
                                        dilation=dilation)
        np.testing.assert_allclose(A(y), A(yt), rtol=1e-4, atol=1e-5)
        y.sum().backward()
        yt.sum().backward()
        np.testing.assert_allclose(A(xm.grad), A(xt.grad), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(A(wm.grad), A(wt.grad), rtol=1e-4, atol=1e-4)


def test_conv2d_layer_padding_same_keeps_the_size():
    conv = nn.Conv2d(3, 4, 4, padding="same")
    assert repr(conv) == "Conv2d(3, 4, kernel_size=(4, 4), stride=(1, 1), padding=same)"
    assert conv(T(randn(2, 3, 7, 6))).shape == (2, 4, 7, 6)
    assert nn.Conv2d(3, 4, 3, padding="valid")(T(randn(2, 3, 7, 6))).shape == (2, 4, 5, 4)


@pytest.mark.parametrize("kwargs", [dict(), dict(label_smoothing=0.1), dict(reduction="sum"),
                                    dict(reduction="none", ignore_index=1)])
def test_cross_entropy_loss_weight_and_smoothing_match_torch(kwargs):
    torch = pytest.importorskip("torch")
    import inspect
    if "label_smoothing" not in inspect.signature(F.cross_entropy).parameters:
        pytest.skip("F.cross_entropy has no weight / label_smoothing yet")
    ignored = kwargs.get("ignore_index", -100)
    x, t, w = randn(6, 4, dtype=np.float64), np.array([0, 1, 3, ignored, 2, 1]), np.arange(1.0, 5)
    ours = nn.CrossEntropyLoss(weight=T(w), **kwargs)(T(x), T(t))
    theirs = torch.nn.CrossEntropyLoss(weight=torch.from_numpy(w), **kwargs)(
        torch.from_numpy(x), torch.from_numpy(t))
    np.testing.assert_allclose(A(ours), A(theirs), rtol=1e-10)
