"""What a PyTorch user types in the first hour works: PyTorch's module paths, formatting a 0-d
tensor, the repr's dtype rule, the layout queries, ``new_*``, ``view_as``, ``inference_mode``.
Each is checked against torch itself where torch is installed."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl

torch = pytest.importorskip("torch")


def test_pytorch_module_paths_are_minidls_modules():
    import minidl.nn.functional as F
    import minidl.utils.data as data
    from minidl.nn.functional import relu
    from minidl.utils.data import DataLoader, TensorDataset  # noqa: F401

    assert F is minidl.functional and relu is minidl.functional.relu
    assert data is minidl.data and minidl.utils.data is minidl.data
    assert minidl.nn.functional is minidl.functional


@pytest.mark.parametrize("spec", ["", ".4f", ".2e", "10.3f", "g"])
def test_a_0d_tensor_formats_like_its_number(spec):
    for value in (1.23456789, -0.5):
        ours, theirs = minidl.tensor(value), torch.tensor(value)
        assert format(ours, spec) == format(theirs, spec)
    assert format(minidl.tensor(7), "03d") == format(torch.tensor(7), "03d") == "007"
    assert f"{minidl.ones(2)}" == str(minidl.ones(2))
    with pytest.raises(TypeError):
        f"{minidl.ones(2):.2f}"


@pytest.mark.parametrize("name", ["float32", "float64", "float16", "int64", "int32", "int16",
                                  "int8", "uint8", "bool"])
def test_repr_names_a_dtype_exactly_when_pytorch_does(name):
    values = [1, 0] if name != "bool" else [True, False]
    ours = minidl.tensor(np.array(values, dtype=name))
    theirs = torch.tensor(np.array(values, dtype=name))
    assert ("dtype=" in repr(ours)) == ("dtype=" in repr(theirs))
    if "dtype=" in repr(theirs):
        assert f"dtype=minidl.{name}" in repr(ours)
        assert getattr(minidl, name) == np.dtype(name)        # the name it prints exists
    empty_ours, empty_theirs = ours[:0], theirs[:0]
    assert ("dtype=" in repr(empty_ours)) == ("dtype=" in repr(empty_theirs))


def test_repr_of_the_issue():
    assert repr(minidl.tensor([1, 2], dtype=minidl.int32)) == "tensor([1, 2], dtype=minidl.int32)"
    assert repr(minidl.tensor([1, 2])) == "tensor([1, 2])"


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=4), st.randoms(use_true_random=False),
       st.sampled_from(["float32", "float64", "int32", "uint8"]))
def test_layout_queries_match_torch_after_permute_and_slice(shape, rnd, dtype):
    a = np.zeros(shape, dtype=dtype)
    perm = list(range(len(shape)))
    rnd.shuffle(perm)
    ours, theirs = minidl.tensor(a).permute(*perm), torch.tensor(a).permute(*perm)
    if 0 not in shape:      # PyTorch's strides of an empty tensor are a convention, not a layout
        assert ours.stride() == theirs.stride()
        assert ours.stride(0) == theirs.stride(0)
        assert ours.is_contiguous() == theirs.is_contiguous()
    assert ours.contiguous().is_contiguous()
    assert ours.contiguous().stride() == theirs.contiguous().stride() or 0 in shape
    assert ours.is_floating_point() == theirs.is_floating_point()
    assert ours.element_size() == theirs.element_size()


def test_contiguous_copies_and_keeps_the_gradient():
    x = minidl.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = x.t()
    assert not y.is_contiguous() and y.contiguous().is_contiguous()
    (y.contiguous() * minidl.tensor([[1.0, 2.0]] * 3)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 1, 1], [2, 2, 2]])
    assert x.contiguous() is x


def test_new_factories_follow_torch():
    ours = minidl.zeros(2, dtype=minidl.float64)
    theirs = torch.zeros(2, dtype=torch.float64)
    for name, args in [("new_zeros", (2, 3)), ("new_ones", ((3,),)), ("new_empty", (1, 2))]:
        o, t = getattr(ours, name)(*args), getattr(theirs, name)(*args)
        assert o.shape == tuple(t.shape) and o.dtype.name == str(t.dtype).split(".")[1]
    o, t = ours.new_full((2, 2), 3), theirs.new_full((2, 2), 3)
    np.testing.assert_array_equal(o.numpy(), t.numpy())
    assert o.dtype == minidl.float64 and t.dtype == torch.float64   # self's dtype, not the value's
    assert ours.new_zeros(2, dtype=minidl.int32).dtype == minidl.int32
    assert ours.new_ones(2, requires_grad=True).requires_grad
    o, t = ours.new_tensor([1, 2]), theirs.new_tensor([1, 2])
    assert o.dtype == minidl.float64 and t.dtype == torch.float64 and o.tolist() == t.tolist()


def test_view_as():
    x = minidl.tensor(np.arange(6.0), requires_grad=True)
    y = x.view_as(minidl.zeros(2, 3))
    assert y.shape == (2, 3)
    y.sum().backward()
    assert x.grad.shape == (6,)


def test_inference_mode_context_and_decorators():
    w = minidl.ones(2, requires_grad=True)
    with minidl.inference_mode():
        assert not (w * 2).requires_grad and minidl.is_inference_mode_enabled()
    assert (w * 2).requires_grad and not minidl.is_inference_mode_enabled()
    with minidl.inference_mode(False):
        assert (w * 2).requires_grad

    @minidl.inference_mode()
    def f():
        return (w * 2).requires_grad

    @minidl.inference_mode
    def g():
        return (w * 2).requires_grad
    assert f() is False and g() is False and (w * 2).requires_grad
