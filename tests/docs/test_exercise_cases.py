"""Known-answer checks the guide's "break it" exercises name: fixed inputs (no random search),
each chosen so that the chapter's broken line fails it on every run.

    python -m pytest tests/docs/test_exercise_cases.py -q -k broadcast     # chapter 1's exercise

tests/docs/test_exercises.py proves it: it applies each exercise's broken line in memory and
runs the command the chapter prints, which must fail on the named test.
"""
import numpy as np

import minidl
from minidl.kernels.conv import naive, winograd_reference
from minidl.kernels.conv.spec import make_spec
from minidl.kernels.dropout import reference as dropout
from minidl.kernels.lrn import reference as lrn
from minidl.kernels.pool import reference as pool
from minidl.kernels.pool.spec import make_spec as make_pool_spec


def test_broadcast_gradient_is_summed_back_to_the_operand():
    # (2, 3) + (3,): b is used by both rows, so its gradient is gy summed over axis 0
    a = minidl.tensor(np.ones((2, 3)), requires_grad=True)
    b = minidl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    ((a + b) * minidl.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    assert b.grad.shape == (3,)
    np.testing.assert_array_equal(b.grad.data, [5.0, 7.0, 9.0])


def test_exp_gradient_is_exp():
    x = minidl.tensor([0.5, -1.0, 2.0], dtype=minidl.float64, requires_grad=True)
    x.exp().sum().backward()
    np.testing.assert_allclose(x.grad.data, np.exp([0.5, -1.0, 2.0]))


def test_winograd_reference_equals_the_direct_loop():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((1, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3))
    y = winograd_reference.winograd_conv(x, w, None, (1, 1), 1, 2)
    np.testing.assert_allclose(y, naive.conv2d_direct(x, w, None, make_spec(x.shape, w.shape,
                                                                            padding=1)),
                               atol=1e-10)


def test_lrn_backward_is_the_transposed_jacobian_for_an_even_size():
    # one pixel, six channels, size 4 (forward window c-2..c+1): J built by central differences
    rng = np.random.default_rng(1)
    v, gy = rng.standard_normal(6), rng.standard_normal(6)

    def forward(u):
        return lrn.lrn_forward(u.reshape(1, 6, 1, 1), 4, 0.5, 0.75, 1.0).ravel()

    eps = 1e-6
    J = np.stack([(forward(v + eps * e) - forward(v - eps * e)) / (2 * eps) for e in np.eye(6)],
                 axis=1)
    gx = lrn.lrn_backward(gy.reshape(1, 6, 1, 1), v.reshape(1, 6, 1, 1), 4, 0.5, 0.75, 1.0)
    np.testing.assert_allclose(gx.ravel(), J.T @ gy, atol=1e-7)


def test_max_pool_backward_adds_the_windows_a_cell_won():
    # AlexNet's 3×3 windows 2 apart on 5×5: the centre wins all four windows
    x = np.zeros((1, 1, 5, 5))
    x[0, 0, 2, 2] = 1.0
    spec = make_pool_spec(x.shape, 3, stride=2)
    y, argmax = pool.max_pool2d_forward(x, spec)
    gx = pool.max_pool2d_backward(np.array([[[[1.0, 10.0], [100.0, 1000.0]]]]), argmax, x.shape,
                                  spec)
    assert gx[0, 0, 2, 2] == 1111.0 and gx.sum() == 1111.0


def test_dropout_scales_the_kept_units_by_one_over_keep():
    x = np.ones(1000)
    y, mask = dropout.dropout_forward(x, 0.75, key=7)
    np.testing.assert_array_equal(y[mask], 4.0)
    np.testing.assert_array_equal(y[~mask], 0.0)
