"""The backward engine: accumulation, reuse, deep graphs, freeing, grad mode."""
import gc
import weakref

import numpy as np
import pytest

import minidl
from minidl.autograd import Function


def test_gradients_accumulate_until_zeroed():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_node_used_twice_gets_both_gradients():
    x = minidl.tensor([3.0], requires_grad=True)
    y = x * 2          # y feeds two consumers
    z = y * y + y      # dz/dy = 2y + 1 = 13, dz/dx = 26
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [26.0])


def test_leaf_used_twice_in_one_op():
    x = minidl.tensor([2.0, 5.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 10.0])
    y = minidl.tensor([1.0], requires_grad=True)
    (y + y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [2.0])


def test_deep_chain_needs_no_recursion():
    x = minidl.tensor([1.0], dtype=minidl.float64, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001 ** 10_000], rtol=1e-9)


def test_backward_on_non_scalar_needs_a_gradient():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="explicit gradient"):
        y.backward()
    y.backward(minidl.tensor([1.0, 0.5]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 1.0])
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).backward(minidl.tensor([1.0, 2.0, 3.0]))


def test_backward_through_tensor_without_grad_is_an_error():
    x = minidl.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        (x * 2).sum().backward()


def test_no_grad_and_detach_record_nothing():
    x = minidl.tensor([1.0], requires_grad=True)
    with minidl.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None
    z = (x * 2).detach()
    assert not z.requires_grad
    assert minidl.is_grad_enabled()


def test_saved_tensors_are_freed_after_backward():
    x = minidl.tensor(np.ones(1000), requires_grad=True)
    big = x * 2
    ref = weakref.ref(big.data)
    loss = big.exp().sum()   # Exp saves its output; Mul saves nothing of big
    node = loss.grad_fn
    del big
    loss.backward()
    gc.collect()
    assert node.inputs == ()
    with pytest.raises(RuntimeError, match="retain_graph"):
        loss.backward()
    assert ref() is None


def test_retain_graph_allows_a_second_backward():
    x = minidl.tensor([2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [8.0])


def test_arrays_must_go_through_save_for_backward():
    class Leaky(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.x = x
            return x

    with pytest.raises(TypeError, match="save_for_backward"):
        Leaky.apply(minidl.tensor([1.0], requires_grad=True))


def test_branch_without_gradient_does_not_block_the_rest():
    x = minidl.tensor([2.0], requires_grad=True)
    y = x * 3
    idx = y.argmax()            # non-differentiable use
    z = y[idx] * 2 + y.sum()
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), [9.0])


def test_autograd_grad_leaves_dot_grad_alone():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    (g,) = minidl.autograd.grad((x * x).sum(), [x])
    np.testing.assert_allclose(g.numpy(), [2.0, 4.0])
    assert x.grad is None


def test_float32_default_and_float64_kept():
    assert minidl.tensor([1.0]).dtype == np.float32
    assert minidl.tensor(np.ones(2)).dtype == np.float64
    assert minidl.tensor([1, 2]).dtype == np.int64
    x = minidl.tensor(np.ones(2), requires_grad=True)
    (x * 2.0).sum().backward()
    assert x.grad.dtype == np.float64
    assert (minidl.tensor([1.0]) * np.float64(2)).dtype == np.float32


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating"):
        minidl.tensor([1, 2], requires_grad=True)


def test_tensor_basics():
    t = minidl.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.shape == (2, 2) and t.ndim == 2 and t.numel() == 4
    assert t.device == "cpu" and str(t.device) == "cpu"
    assert t.sum().item() == 10.0
    assert isinstance(t.numpy(), np.ndarray)
    assert "tensor(" in repr(t)
    v, i = t.max(dim=1)
    np.testing.assert_allclose(v.numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(i.numpy(), [1, 1])
