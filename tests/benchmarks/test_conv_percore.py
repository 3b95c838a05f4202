"""benchmarks/conv_percore.py (issue 25's per-core im2col prototype) == the im2col reference.

float64, forward and all three gradients, on small layers shaped like AlexNet's conv1
(11×11 stride 4, padded) and conv2 (5×5, groups 2), plus odd ones; batches of 1-3 images so
that the threads get one image, several, or none; whole images and bands of one row.
"""
import os
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

from minidl.kernels.conv import reference  # noqa: E402
from minidl.kernels.conv.spec import make_spec  # noqa: E402

# (N, C, OC, k, stride, padding, groups, size)
CASES = [(3, 3, 8, 11, 4, 2, 1, 35), (2, 4, 6, 5, 1, 2, 2, 9), (1, 4, 6, 3, 2, 1, 2, 9),
         (2, 6, 4, 5, 1, 0, 2, 8)]


@pytest.mark.parametrize("N, C, OC, k, s, p, g, size", CASES)
@pytest.mark.parametrize("needs", [(True, True, True), (False, True, False)])
@pytest.mark.parametrize("band_bytes", [None, 1])   # whole images; bands of one output row
def test_matches_the_reference(N, C, OC, k, s, p, g, size, needs, band_bytes):
    import conv_percore
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, size, size))
    w = rng.standard_normal((OC, C // g, k, k))
    b = rng.standard_normal(OC)
    spec = make_spec(x.shape, w.shape, s, p, 1, g)
    y = conv_percore.conv2d_forward(x, w, b, spec, band_bytes)
    np.testing.assert_allclose(y, reference.conv2d_forward(x, w, b, spec), rtol=1e-10,
                               atol=1e-10)
    gy = rng.standard_normal(y.shape)
    got = conv_percore.conv2d_backward(gy, x, w, spec, needs, band_bytes)
    want = reference.conv2d_backward(gy, x, w, spec, needs)
    for a, e, need in zip(got, want, needs):
        assert (a is None) == (not need)
        if need:
            np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-10)
