"""numba.cuda kernels == NumPy reference, run by the simulator on tiny shapes (it is slow)."""
import numpy as np
import pytest
from numba import config

from minidl.kernels.conv import cuda as conv_cuda
from minidl.kernels.conv import reference as conv_ref
from minidl.kernels.conv.spec import make_spec
from minidl.kernels.dropout import cuda as drop_cuda
from minidl.kernels.dropout import reference as drop_ref
from minidl.kernels.lrn import cuda as lrn_cuda
from minidl.kernels.lrn import reference as lrn_ref
from minidl.kernels.pool import cuda as pool_cuda
from minidl.kernels.pool import reference as pool_ref
from minidl.kernels.pool.spec import make_spec as make_pool_spec
from minidl.kernels.relu import cuda as relu_cuda

# the simulator runs the kernels' uint64 hash on NumPy scalars, which warn when they wrap
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
rng = np.random.default_rng(0)


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_the_simulator_is_on():
    assert config.ENABLE_CUDASIM


# (N, C, H, W, OC, KH, KW, stride, padding, dilation, groups)
CONV = [(2, 4, 5, 6, 6, 3, 2, (2, 1), (1, 1), (1, 2), 2),
        (1, 3, 6, 6, 2, 3, 3, (1, 1), (1, 1), (1, 1), 1),
        (1, 2, 7, 5, 3, 1, 1, (2, 2), (0, 0), (1, 1), 1)]


@pytest.mark.parametrize("N, C, H, W, OC, KH, KW, stride, padding, dilation, groups", CONV)
@pytest.mark.parametrize("buffer_bytes", [conv_cuda.COL_BUFFER_BYTES, 1])
def test_conv(N, C, H, W, OC, KH, KW, stride, padding, dilation, groups, buffer_bytes,
              monkeypatch):
    monkeypatch.setattr(conv_cuda, "COL_BUFFER_BYTES", buffer_bytes)
    x = rng.standard_normal((N, C, H, W))
    w = rng.standard_normal((OC, C // groups, KH, KW))
    b = rng.standard_normal(OC)
    args = make_spec(x.shape, w.shape, stride, padding, dilation, groups)
    y = conv_cuda.conv2d_forward(x, w, b, args)
    close(y, conv_ref.conv2d_forward(x, w, b, args))
    gy = rng.standard_normal(y.shape)
    for got, want in zip(conv_cuda.conv2d_backward(gy, x, w, args, (True, True, True)),
                         conv_ref.conv2d_backward(gy, x, w, args, (True, True, True))):
        close(got, want)


def test_im2col_col2im():
    x = rng.standard_normal((2, 2, 5, 4))
    geo = make_spec(x.shape, (1, 2, 3, 2), stride=(2, 1), padding=(1, 0))
    col = conv_cuda.im2col(x, geo)
    close(col, conv_ref.im2col(x, geo))
    close(conv_cuda.col2im(col, x.shape, geo), conv_ref.col2im(col, x.shape, geo))


POOL = [((7, 7), (3, 3), (2, 2), (0, 0), False), ((7, 8), (3, 3), (2, 2), (1, 1), True),
        ((5, 6), (2, 3), (2, 1), (1, 1), True)]


@pytest.mark.parametrize("hw, k, s, p, ceil_mode", POOL)
def test_max_pool(hw, k, s, p, ceil_mode):
    x = rng.permutation(2 * 3 * hw[0] * hw[1]).reshape((2, 3) + hw) * 0.5
    spec = make_pool_spec(x.shape, k, s, p, ceil_mode)
    y, argmax = pool_cuda.max_pool2d_forward(x, spec)
    y_ref, argmax_ref = pool_ref.max_pool2d_forward(x, spec)
    close(y, y_ref)
    np.testing.assert_array_equal(argmax, argmax_ref)
    gy = rng.standard_normal(y.shape)
    close(pool_cuda.max_pool2d_backward(gy, argmax, x.shape, spec),
          pool_ref.max_pool2d_backward(gy, argmax, x.shape, spec))


@pytest.mark.parametrize("hw, k, s, p, ceil_mode", POOL)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool(hw, k, s, p, ceil_mode, count_include_pad):
    x = rng.standard_normal((1, 2) + hw)
    args = make_pool_spec(x.shape, k, s, p, ceil_mode, count_include_pad)
    y = pool_cuda.avg_pool2d_forward(x, args)
    close(y, pool_ref.avg_pool2d_forward(x, args))
    gy = rng.standard_normal(y.shape)
    close(pool_cuda.avg_pool2d_backward(gy, x.shape, args),
          pool_ref.avg_pool2d_backward(gy, x.shape, args))


@pytest.mark.parametrize("out", [(1, 1), (3, 2), (4, 5)])
def test_adaptive_avg_pool(out):
    x = rng.standard_normal((1, 2, 5, 7))
    y = pool_cuda.adaptive_avg_pool2d_forward(x, out)
    close(y, pool_ref.adaptive_avg_pool2d_forward(x, out))
    gy = rng.standard_normal(y.shape)
    close(pool_cuda.adaptive_avg_pool2d_backward(gy, x.shape, out),
          pool_ref.adaptive_avg_pool2d_backward(gy, x.shape, out))


@pytest.mark.parametrize("size, alpha, beta, k", [(5, 1e-4, 0.75, 2.0), (4, 1.0, 0.75, 1.0),
                                                   (3, 1.0, 1.3, 0.5)])
def test_lrn(size, alpha, beta, k):
    x = rng.standard_normal((2, 6, 2, 3))
    gy = rng.standard_normal(x.shape)
    close(lrn_cuda.lrn_forward(x, size, alpha, beta, k),
          lrn_ref.lrn_forward(x, size, alpha, beta, k))
    close(lrn_cuda.lrn_backward(gy, x, size, alpha, beta, k),
          lrn_ref.lrn_backward(gy, x, size, alpha, beta, k))


def test_relu():
    x = rng.standard_normal((3, 5, 7))
    gy = rng.standard_normal(x.shape)
    y = relu_cuda.relu_forward(x)
    close(y, np.maximum(x, 0))
    close(relu_cuda.relu_backward(gy, y), np.where(x > 0, gy, 0))


@pytest.mark.parametrize("p", [0.0, 0.5, 0.2])
def test_dropout_makes_the_cpu_mask(p):
    x = rng.standard_normal((4, 50)).astype(np.float32)
    y, mask = drop_cuda.dropout_forward(x, p, 0x0123456789ABCDEF)
    y_ref, mask_ref = drop_ref.dropout_forward(x, p, 0x0123456789ABCDEF)
    np.testing.assert_array_equal(mask, mask_ref)
    np.testing.assert_allclose(y, y_ref, rtol=1e-6)
    gy = np.ones_like(x)
    np.testing.assert_allclose(drop_cuda.dropout_backward(gy, mask, p),
                               drop_ref.dropout_backward(gy, mask_ref, p), rtol=1e-6)
