"""Bad input gets a clear error; CUDA is optional."""
import subprocess
import sys

import numpy as np
import pytest

import minidl
import minidl.functional as F


def test_matmul_shape_mismatch():
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) do not align"):
        minidl.randn(2, 3) @ minidl.randn(4, 5)


def test_broadcast_mismatch():
    with pytest.raises(ValueError, match=r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        minidl.randn(2, 3) + minidl.randn(4)
    with pytest.raises(ValueError, match="mul"):
        minidl.randn(2, 3) * minidl.randn(2, 1, 4, 2)


def test_cross_entropy_rejects_float_targets():
    with pytest.raises(TypeError, match="integer class indices"):
        F.cross_entropy(minidl.randn(4, 3), minidl.tensor([0.0, 1.0, 2.0, 1.0]))


def test_cross_entropy_target_shape_and_range():
    with pytest.raises(ValueError, match="target of shape"):
        F.cross_entropy(minidl.randn(4, 3), minidl.tensor([0, 1]))
    with pytest.raises(IndexError, match="out of range"):
        F.cross_entropy(minidl.randn(2, 3), minidl.tensor([0, 3]))


def test_unknown_device_string():
    with pytest.raises(ValueError, match="unknown device 'gpu'"):
        minidl.tensor([1.0], device="gpu")
    with pytest.raises(ValueError, match="unknown device"):
        minidl.tensor([1.0]).to("cuda:x")


@pytest.mark.skipif(minidl.cuda.is_available(), reason="a GPU is present")
def test_asking_for_cuda_without_a_gpu_is_a_clear_error():
    with pytest.raises(RuntimeError, match="cuda:0 requested"):
        minidl.tensor([1.0], device="cuda")
    with pytest.raises(RuntimeError, match="requested"):
        minidl.ones(2).to("cuda")


def test_import_works_without_cupy():
    code = ("import sys; sys.modules['cupy'] = None\n"
            "import minidl, minidl.functional\n"
            "assert not minidl.cuda.is_available()\n"
            "print((minidl.ones(2) * 2).sum().item())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "4.0"


def test_cross_entropy_is_stable_for_huge_logits():
    logits = minidl.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], requires_grad=True)
    loss = F.cross_entropy(logits, minidl.tensor([1, 0]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(logits.grad.numpy()).all()
    np.testing.assert_allclose(loss.item(), (2e4 + (2e4 + np.log(2))) / 2, rtol=1e-6)
    p = F.softmax(logits.detach(), dim=1).numpy()
    assert np.isfinite(p).all()
    assert np.isfinite(F.log_softmax(logits.detach(), dim=1).numpy()).all()


def test_gradcheck_catches_a_wrong_backward():
    class BadSquare(minidl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x  # should be 2 * g * x

    x = minidl.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    with pytest.raises(minidl.GradcheckError, match=r"input 0 .* index \(0,\).*analytic 1.*numeric 2"):
        minidl.gradcheck(BadSquare.apply, [x])
    with pytest.raises(minidl.GradcheckError, match="random direction"):
        minidl.gradcheck(BadSquare.apply, [x], mode="direction")
    assert minidl.gradcheck(BadSquare.apply, [x], raise_exception=False) is False


def test_gradcheck_requires_float64():
    with pytest.raises(TypeError, match="float64"):
        minidl.gradcheck(lambda x: x * 2, [minidl.tensor([1.0], requires_grad=True)])
