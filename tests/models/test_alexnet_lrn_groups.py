"""The paper's LRN within each GPU's maps (``lrn_groups=2``, what AlexNet's two towers run)
against minidl's default LRN across all maps: equal to PyTorch's LRN on each half, and
different from the all-maps LRN only in the maps within size//2 of the split."""
import numpy as np
import pytest

import minidl
from minidl import nn
from minidl.models.alexnet import AlexNet, GroupLocalResponseNorm


def test_group_lrn_equals_pytorchs_lrn_on_each_half():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 12, 3, 3)).astype(np.float64) * 3
    ours = GroupLocalResponseNorm(2, 5, alpha=1e-2, beta=0.75, k=2.0)(minidl.tensor(x)).data
    lrn = torch.nn.LocalResponseNorm(5, alpha=1e-2, beta=0.75, k=2.0)   # the same convention
    halves = [lrn(torch.from_numpy(h)).numpy() for h in np.split(x, 2, axis=1)]
    assert np.allclose(ours, np.concatenate(halves, axis=1), rtol=1e-12)


def test_group_lrn_differs_from_all_maps_lrn_only_at_the_split():
    x = np.random.default_rng(1).standard_normal((2, 24, 4, 4)) * 5
    grouped = GroupLocalResponseNorm(2, 5, alpha=1e-2)(minidl.tensor(x)).data
    across = nn.LocalResponseNorm(5, alpha=1e-2, k=2.0)(minidl.tensor(x)).data
    differs = np.nonzero(~np.isclose(grouped, across, rtol=1e-12).all(axis=(0, 2, 3)))[0]
    assert differs.tolist() == [10, 11, 12, 13]    # within 2 of the boundary 11|12


def test_alexnet_lrn_groups_option():
    net = AlexNet(10, 1, 28, channels=(8, 12, 16, 16, 12), hidden=16, conv1=(5, 1, 2),
                  lrn_groups=2, init="kaiming")
    assert isinstance(net.features[2], GroupLocalResponseNorm)
    assert isinstance(AlexNet(10, 1, 28, channels=(8, 12, 16, 16, 12), hidden=16,
                              conv1=(5, 1, 2)).features[2], nn.LocalResponseNorm)
    with pytest.raises(ValueError, match=r"GroupLocalResponseNorm\(groups=2\).*\(1, 3, 2, 2\)"):
        GroupLocalResponseNorm(2)(minidl.zeros(1, 3, 2, 2))
