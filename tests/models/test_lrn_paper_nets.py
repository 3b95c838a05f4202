"""The paper nets' LRN layers compute exactly what they computed before ``nn.LocalResponseNorm``
took PyTorch's convention (alpha / size): bit for bit, in float64 and float32.

Three independent witnesses per net:
1. SHA-256 of the layer's output on a fixed input, recorded with minidl at commit 0cecd49 (the
   paper's convention then: ``LocalResponseNorm(5, alpha=1e-4, k=2.0)``), on the project's machine;
2. the LRN kernel called directly with the paper's constants typed here (alpha on the plain sum);
3. the paper's formula in NumPy (to rounding: it sums in another order).
"""
import hashlib

import numpy as np
import pytest

import minidl
from minidl import kernels
from minidl.models.alexnet import AlexNet, GroupLocalResponseNorm, alexnet_small
from minidl.models.googlenet import googlenet_small
from minidl.models.vgg import vgg_small

# net -> (paper alpha on the plain sum, k, {dtype: recorded sha256[:16] of the layer's output})
AK = {"alexnet": (1e-4, 2.0, {"float64": "9e143a70510decb6", "float32": "3d2984ed436541d5"}),
      "googlenet": (2e-5, 1.0, {"float64": "0c79aadb1903c2a1", "float32": "b04492b3be3acfda"})}
NETS = {"alexnet_small": (alexnet_small, "alexnet"),
        "alexnet_lrn_groups": (lambda: AlexNet(10, 1, 28, channels=(8, 12, 16, 16, 12), hidden=16,
                                               conv1=(5, 1, 2), lrn_groups=2, init="kaiming"),
                               "alexnet"),
        "vgg_small_A-LRN": (lambda: vgg_small("A-LRN"), "alexnet"),
        "googlenet_small": (googlenet_small, "googlenet")}
X = np.random.default_rng(21).standard_normal((2, 24, 5, 5)) * 4


def _lrn_layers(net):
    return [m for m in net.modules() if isinstance(m, minidl.nn.LocalResponseNorm)]


def _paper_numpy(x, alpha, k, size=5, beta=0.75):
    sq = np.pad(x.astype(np.float64) ** 2, ((0, 0), (size // 2, (size - 1) // 2), (0, 0), (0, 0)))
    s = sum(sq[:, i:i + x.shape[1]] for i in range(size))
    return x / (k + alpha * s) ** beta


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(NETS))
def test_paper_nets_lrn_is_bit_identical(name, dtype):
    make, family = NETS[name]
    alpha, k, recorded = AK[family]
    layers = _lrn_layers(make())
    assert layers
    x = X.astype(dtype)
    kernel = kernels.select("lrn", x).lrn_forward(x, 5, alpha, 0.75, k)
    for lrn in layers:
        y = lrn(minidl.tensor(x)).numpy()
        assert y.dtype == np.dtype(dtype)
        assert hashlib.sha256(np.ascontiguousarray(y).tobytes()).hexdigest()[:16] == recorded[dtype]
        assert np.array_equal(y, kernel)
        tol = 1e-13 if dtype == "float64" else 1e-6
        np.testing.assert_allclose(y, _paper_numpy(x, alpha, k), rtol=tol, atol=tol)


def test_group_lrn_keeps_the_papers_window_per_half():
    x = X.astype(np.float64)
    y = GroupLocalResponseNorm(2)(minidl.tensor(x)).numpy()      # defaults: the paper's
    halves = [kernels.select("lrn", h).lrn_forward(np.ascontiguousarray(h), 5, 1e-4, 0.75, 2.0)
              for h in np.split(x, 2, axis=1)]
    assert np.array_equal(y, np.concatenate(halves, axis=1))


def test_the_conversion_is_exact_for_the_papers_constants():
    # what makes (1) and (2) above possible: alpha / size lands on the paper's alpha exactly
    assert 5e-4 / 5 == 1e-4 and 1e-4 / 5 == 2e-5
