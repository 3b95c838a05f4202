"""Convolution kernels: Numba CPU == NumPy reference == the direct definition, forward and back."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel_cases import (NEEDS, assert_close, assert_computes_only_what_is_asked, conv_arrays,
                          conv_cases, spec_of)

from minidl.kernels.conv import cpu, reference
from minidl.kernels.conv.naive import conv2d_direct
from minidl.kernels.conv.spec import make_spec


@settings(max_examples=15)
@given(conv_cases(max_side=6))
def test_reference_matches_the_direct_definition(case):
    x, w, b = conv_arrays(case)
    assert_close(reference.conv2d_forward(x, w, b, spec_of(case)),
                 conv2d_direct(x, w, b, spec_of(case)))


@given(conv_cases(), st.sampled_from([np.float64, np.float32]), st.sampled_from([0, 1, 2, 3]))
def test_cpu_forward_and_backward_match_reference(case, dtype, buffer_rows):
    """buffer_rows: the column buffer holds that many output rows (0: the default size), so the
    chunks are bands of one image (1 row, or several) or runs of whole images."""
    x, w, b = conv_arrays(case, dtype)
    args = spec_of(case)
    old = cpu.COL_BUFFER_BYTES
    OW = cpu.conv2d_forward(x, w, b, args).shape[3]
    row_bytes = x.shape[1] * case["KH"] * case["KW"] * OW * x.itemsize
    cpu.COL_BUFFER_BYTES = buffer_rows * row_bytes if buffer_rows else old
    try:
        y = cpu.conv2d_forward(x, w, b, args)
        assert y.dtype == dtype and y.flags.c_contiguous
        assert_close(y, reference.conv2d_forward(x, w, b, args), dtype)
        gy = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
        got = cpu.conv2d_backward(gy, x, w, args, (True, True, True))
        want = reference.conv2d_backward(gy, x, w, args, (True, True, True))
    finally:
        cpu.COL_BUFFER_BYTES = old
    for g, r, a in zip(got, want, (x, w, b)):
        assert g.shape == a.shape and g.dtype == dtype
        assert_close(g, r, dtype)


@given(conv_cases(), st.sampled_from(NEEDS))
def test_backward_computes_only_what_is_asked(case, needs):
    x, w, _ = conv_arrays(case)
    assert_computes_only_what_is_asked(cpu, x, w, spec_of(case), needs)


@given(conv_cases())
def test_im2col_and_col2im_match_reference_and_are_adjoint(case):
    x, w, _ = conv_arrays(case)
    geo = spec_of(case)
    col = cpu.im2col(x, geo)
    np.testing.assert_array_equal(col, reference.im2col(x, geo))
    c = np.random.default_rng(2).standard_normal(col.shape)
    gx = cpu.col2im(c, x.shape, geo)
    assert_close(gx, reference.col2im(c, x.shape, geo))
    # col2im is im2col's transpose: <im2col(x), c> == <x, col2im(c)>
    assert_close((col * c).sum(), (x * gx).sum())


def test_alexnet_conv1_column_matrix_is_363_by_3025():
    x = np.zeros((1, 3, 227, 227), np.float32)
    col = cpu.im2col(x, make_spec(x.shape, (96, 3, 11, 11), stride=4))
    assert col.shape == (363, 3025) and col.dtype == np.float32


def test_non_contiguous_inputs_and_buffer_reuse_across_shapes():
    rng = np.random.default_rng(3)
    for H, C in ((9, 4), (5, 2), (12, 6)):        # the workspace grows and is reused
        x = rng.standard_normal((2, H, H, C)).transpose(0, 3, 1, 2)   # NHWC memory, NCHW view
        w = rng.standard_normal((3, C, 3, 3))[:, :, ::-1]
        args = make_spec(x.shape, w.shape, padding=1)
        assert_close(cpu.conv2d_forward(x, w, None, args),
                     reference.conv2d_forward(x, w, None, args))


@pytest.mark.parametrize("layer", [(3, 96, 11, 4, 2, 1, 35), (96, 256, 5, 1, 2, 2, 13)])
def test_alexnet_layer_shapes_float32(layer):
    C, OC, k, s, p, g, size = layer
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, C, size, size), dtype=np.float32)
    w = rng.standard_normal((OC, C // g, k, k), dtype=np.float32) * 0.1
    b = rng.standard_normal(OC, dtype=np.float32)
    args = make_spec(x.shape, w.shape, s, p, 1, g)
    assert_close(cpu.conv2d_forward(x, w, b, args),
                 reference.conv2d_forward(x.astype(np.float64), w.astype(np.float64),
                                          b.astype(np.float64), args), np.float32, atol=1e-3)


@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pointwise_1x1_path_skips_im2col_and_agrees(groups, dtype):
    case = dict(N=3, C=4, OC=6, H=5, W=6, KH=1, KW=1, stride=(1, 1), padding=(0, 0),
                dilation=(1, 1), groups=groups)
    x, w, b = conv_arrays(case, dtype)
    args = spec_of(case)
    assert_close(cpu.conv2d_forward(x, w, b, args), reference.conv2d_forward(x, w, b, args),
                 dtype)
    gy = np.random.default_rng(5).standard_normal((3, 6, 5, 6)).astype(dtype)
    for got, want in zip(cpu.conv2d_backward(gy, x, w, args, (True, True, True)),
                         reference.conv2d_backward(gy, x, w, args, (True, True, True))):
        assert got.dtype == dtype
        assert_close(got, want, dtype)
