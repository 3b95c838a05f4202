"""Shape and argument errors are what PyTorch users catch (``RuntimeError``) and what minidl's
users caught before (``ValueError``): wherever torch raises a RuntimeError or a ValueError for
the same mistake, minidl's error is both."""
import warnings

import pytest

import minidl
import minidl.nn.functional as F
from minidl import nn

torch = pytest.importorskip("torch")


def pair(build):
    """The same mistake in both libraries: build(lib, nn, F)."""
    return (lambda: build(minidl, nn, F),
            lambda: build(torch, torch.nn, torch.nn.functional))


CASES = {
    "linear features": pair(lambda t, n, f: n.Linear(3, 4)(t.ones(2, 5))),
    "conv channels": pair(lambda t, n, f: n.Conv2d(3, 4, 3)(t.ones(1, 2, 5, 5))),
    "conv input too small": pair(lambda t, n, f: n.Conv2d(3, 4, 3)(t.ones(1, 3, 2, 2))),
    "max pool input too small": pair(lambda t, n, f: n.MaxPool2d(3)(t.ones(1, 1, 2, 2))),
    "matmul": pair(lambda t, n, f: t.ones(2, 3) @ t.ones(2, 3)),
    "broadcast": pair(lambda t, n, f: t.ones(2, 3) + t.ones(4)),
    "view": pair(lambda t, n, f: t.ones(2, 3).view(4, 2)),
    "cat": pair(lambda t, n, f: t.cat([t.ones(2, 3), t.ones(2, 4)])),
    "mse shapes": pair(lambda t, n, f: f.mse_loss(t.ones(2, 3), t.ones(3, 2))),
    "cross entropy target": pair(lambda t, n, f: f.cross_entropy(t.ones(2, 3), t.tensor([0, 1, 2]))),
    "lrn 2-d input": pair(lambda t, n, f: n.LocalResponseNorm(3)(t.ones(2, 3))),
    "dropout p": pair(lambda t, n, f: f.dropout(t.ones(2), 2.0)),
    "bce target size": pair(lambda t, n, f: f.binary_cross_entropy(t.ones(2) / 2, t.ones(3))),
    "sequential": pair(lambda t, n, f: n.Sequential(n.Linear(3, 4), n.Linear(5, 2))(t.ones(1, 3))),
    "item of many": pair(lambda t, n, f: t.ones(2).item()),
}


@pytest.mark.parametrize("name", list(CASES))
def test_error_is_catchable_as_torchs(name):
    ours, theirs = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as t:
            theirs()
        with pytest.raises(Exception) as o:
            ours()
    expected = (RuntimeError, ValueError) if isinstance(t.value, (RuntimeError, ValueError)) \
        else (type(t.value),)
    for kind in expected:
        assert isinstance(o.value, kind), (name, type(o.value), type(t.value), str(o.value))
