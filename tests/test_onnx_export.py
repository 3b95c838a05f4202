"""``minidl.onnx.export``: onnx.checker accepts every file and onnxruntime gives minidl's outputs,
for batch sizes 1 and 3 from one file (a dynamic batch dimension)."""
import io

import numpy as np
import pytest

import minidl
from minidl import models, nn
from minidl.models.alexnet import AlexNet

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
import minidl.onnx  # noqa: E402
from minidl.onnx import ExportError, lrn_attributes  # noqa: E402


def _export(net, shape, **kwargs):
    x = minidl.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    f = io.BytesIO()
    kwargs.setdefault("dynamic_axes", {"images": {0: "batch"}, "logits": {0: "batch"}})
    minidl.onnx.export(net, x, f, input_names=["images"], output_names=["logits"], **kwargs)
    model = onnx.load_from_string(f.getvalue())
    onnx.checker.check_model(model, full_check=True)
    return model, f.getvalue()


def _check_outputs(net, shape, batches=(1, 3), rtol=1e-4):
    net.eval()
    model, data = _export(net, (1,) + shape)
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    for n in batches:
        x = np.random.default_rng(n).standard_normal((n,) + shape).astype(np.float32)
        (got,) = session.run(None, {"images": x})
        with minidl.no_grad():
            want = net(minidl.tensor(x)).numpy()
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * np.abs(want).max())
    return {node.op_type for node in model.graph.node}


NETS = {
    "alexnet_small": (lambda: models.alexnet_small(), (1, 28, 28)),
    "vgg_small": (lambda: models.vgg_small(), (1, 28, 28)),
    "googlenet_small": (lambda: models.googlenet_small(), (1, 28, 28)),
    # the paper's AlexNet narrowed: LRN within each half, groups=2, overlapping 3/2 pools
    "alexnet_paper_narrow": (lambda: AlexNet(num_classes=10, input_size=227,
                                             channels=(16, 32, 48, 48, 32), hidden=64,
                                             lrn_groups=2, init="kaiming"), (3, 227, 227)),
    "alexnet_torchvision": (lambda: models.alexnet_torchvision(num_classes=10), (3, 64, 64)),
    # (slow: fc6 alone is 9216 × 4096; its 1×1 -> 6×6 adaptive pool is also tested below)
    "vgg11": (lambda: models.vgg11(num_classes=10, width=0.125), (3, 32, 32)),
    "vgg16": (lambda: models.vgg16(num_classes=10, width=0.125), (3, 32, 32)),
    "googlenet": (lambda: models.googlenet(num_classes=10, width=0.125), (3, 193, 193)),
}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow)
                                  if n == "alexnet_torchvision" else n for n in NETS])
def test_onnxruntime_gives_minidls_outputs(name):
    minidl.manual_seed(0)
    make, shape = NETS[name]
    ops = _check_outputs(make(), shape)
    assert "Dropout" not in ops
    if name == "alexnet_paper_narrow":
        assert {"LRN", "Split", "Concat", "MaxPool", "Conv"} <= ops
    if name.startswith("googlenet"):
        assert {"Concat", "GlobalAveragePool"} <= ops


@pytest.mark.slow
def test_the_papers_alexnet_at_full_size():
    minidl.manual_seed(0)
    net = models.alexnet(num_classes=10)
    conv2 = net.features[4]
    assert conv2.groups == 2
    assert "LRN" in _check_outputs(net, (3, 227, 227), batches=(1, 2))


def _as_output(x, y):
    """`y` as a result computed from `x` (x * 0 + y), so that the trace sees the module's call."""
    return x * 0.0 + minidl.tensor(y.astype(np.float32))


class _TorchConventionLRN(nn.LocalResponseNorm):
    """PyTorch's formula whatever minidl's module computes: alpha divides the sum by size."""

    def forward(self, x):
        a = x.detach().numpy().astype(np.float64)
        n, half = self.size, self.size // 2
        sq = np.pad(a * a, [(0, 0), (half, (n - 1) // 2)] + [(0, 0)] * (a.ndim - 2))
        s = sum(sq[:, i:i + a.shape[1]] for i in range(n))
        return _as_output(x, a / (self.k + self.alpha / n * s) ** self.beta)


class _PaperLRN(nn.LocalResponseNorm):
    """The AlexNet paper's formula: alpha multiplies the plain sum."""

    def forward(self, x):
        a = x.detach().numpy().astype(np.float64)
        n, half = self.size, self.size // 2
        sq = np.pad(a * a, [(0, 0), (half, (n - 1) // 2)] + [(0, 0)] * (a.ndim - 2))
        s = sum(sq[:, i:i + a.shape[1]] for i in range(n))
        return _as_output(x, a / (self.k + self.alpha * s) ** self.beta)


@pytest.mark.parametrize("cls", [nn.LocalResponseNorm, _TorchConventionLRN, _PaperLRN],
                         ids=["minidl", "torch_formula", "paper_formula"])
@pytest.mark.parametrize("size", [1, 3, 5])
def test_lrn_exports_what_the_module_computes(cls, size):
    """A large alpha, so a wrong convention (a factor `size`) shows; compared with the
    module's own forward, whichever convention it follows."""
    lrn = cls(size, alpha=0.5, beta=0.75, k=1.5)
    x = np.random.default_rng(size).standard_normal((2, 7, 4, 3)).astype(np.float32) * 2
    f = io.BytesIO()
    minidl.onnx.export(lrn, minidl.tensor(x), f)
    (got,) = ort.InferenceSession(f.getvalue(), providers=["CPUExecutionProvider"]).run(
        None, {"input": x})
    want = lrn(minidl.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    s, alpha, beta, bias = lrn_attributes(lrn)
    if cls is _PaperLRN and size > 1:
        assert alpha == pytest.approx(0.5 * size)
    if cls is _TorchConventionLRN:
        assert alpha == pytest.approx(0.5)


def test_a_grouped_lrn_is_probed_with_one_channel_per_group():
    from minidl.models.alexnet import GroupLocalResponseNorm
    group = GroupLocalResponseNorm(2, 5, alpha=0.3, beta=0.75, k=2.0)
    inner = lrn_attributes(group.lrn)
    assert lrn_attributes(group) == inner    # the group's own attributes, probed with C = 2
    x = np.random.default_rng(0).standard_normal((1, 8, 3, 3)).astype(np.float32) * 3
    f = io.BytesIO()
    minidl.onnx.export(group, minidl.tensor(x), f)
    (got,) = ort.InferenceSession(f.getvalue(), providers=["CPUExecutionProvider"]).run(
        None, {"input": x})
    np.testing.assert_allclose(got, group(minidl.tensor(x)).numpy(), rtol=1e-4, atol=1e-6)


def test_a_declared_convention_wins_and_even_windows_are_refused():
    lrn = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)
    lrn.alpha_convention = "sum"
    assert lrn_attributes(lrn) == (5, pytest.approx(5e-4), 0.75, 2.0)
    lrn.alpha_convention = "pytorch"
    assert lrn_attributes(lrn)[1] == pytest.approx(1e-4)
    with pytest.raises(ExportError, match="even window"):
        lrn_attributes(nn.LocalResponseNorm(4))


def test_pools_with_ceil_mode_and_count_include_pad():
    net = nn.Sequential(nn.MaxPool2d(3, 2, ceil_mode=True),
                        nn.AvgPool2d(3, 2, padding=1, count_include_pad=False),
                        nn.AvgPool2d(2, 1, padding=1, count_include_pad=True),
                        nn.AdaptiveAvgPool2d((2, 3)), nn.Flatten(), nn.Softmax(dim=1))
    ops = _check_outputs(net, (2, 12, 18))   # last maps 4×6: adaptive (2, 3) is a pooling
    assert {"MaxPool", "AveragePool", "Softmax", "Flatten"} <= ops


def test_adaptive_pooling_that_repeats_cells():
    net = nn.Sequential(nn.Conv2d(2, 3, 3), nn.AdaptiveAvgPool2d((6, 4)), nn.Flatten(),
                        nn.Linear(72, 5))
    assert "Resize" in _check_outputs(net, (2, 5, 4))   # 3×2 maps -> 6×4: each cell twice


def test_glue_in_forward_add_and_cat():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Conv2d(2, 3, 3, padding=1), nn.Conv2d(2, 3, 1, dilation=1)
            self.c = nn.Conv2d(6, 4, 3, stride=2, padding=2, dilation=2)

        def forward(self, x):
            y = minidl.functional.relu(self.a(x) + self.b(x))
            return self.c(minidl.cat([y, self.b(x)], 1))

    assert {"Add", "Concat", "Relu", "Conv"} <= _check_outputs(Net(), (2, 9, 8))


def test_unknown_modules_and_ops_are_named():
    class Odd(nn.Module):
        def forward(self, x):
            return x + 2.0   # (x * 2.0 exports: Mul keeps its number; Add does not)

    net = nn.Sequential(nn.Conv2d(1, 2, 3), Odd())
    with pytest.raises(ExportError, match="Add with a constant"):
        _export(net, (1, 1, 5, 5))
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.AdaptiveAvgPool2d(2))
    with pytest.raises(ExportError, match=r"AdaptiveAvgPool2d.*3×3 to 2×2"):
        _export(net, (1, 1, 5, 5))


def test_the_mode_is_restored_and_the_file_path_works(tmp_path):
    net = models.alexnet_small()
    net.train()
    net.features[0].eval()   # a mixed mode survives too
    path = tmp_path / "a.onnx"
    minidl.onnx.export(net, minidl.randn(1, 1, 28, 28), path)
    assert net.training and not net.features[0].eval().training
    onnx.checker.check_model(str(path))
    model = onnx.load(str(path))
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == [1, 1, 28, 28] and model.graph.input[0].name == "input"


@pytest.mark.parametrize("opset", [11, 13, 18])
def test_other_opsets(opset):
    minidl.manual_seed(0)
    alexnet = AlexNet(num_classes=4, input_size=67, channels=(8, 16, 16, 16, 8), hidden=16,
                      lrn_groups=2, init="kaiming")
    # Split (grouped LRN), Resize (1×1 -> 2×2 adaptive pool), Softmax change across opsets
    net = nn.Sequential(alexnet.features, nn.AdaptiveAvgPool2d(2), nn.Flatten(),
                        nn.Linear(32, 4), nn.Softmax(dim=1)).eval()
    x = np.random.default_rng(0).standard_normal((2, 3, 67, 67)).astype(np.float32)
    f = io.BytesIO()
    model = minidl.onnx.export(net, minidl.tensor(x), f, opset_version=opset)
    assert model.opset_import[0].version == opset
    onnx.checker.check_model(onnx.load_from_string(f.getvalue()), full_check=True)
    (got,) = ort.InferenceSession(f.getvalue(), providers=["CPUExecutionProvider"]).run(
        None, {"input": x})
    with minidl.no_grad():
        np.testing.assert_allclose(got, net(minidl.tensor(x)).numpy(), rtol=1e-4, atol=1e-6)
    with pytest.raises(ExportError, match="opset_version 10"):
        minidl.onnx.export(net, minidl.tensor(x), io.BytesIO(), opset_version=10)
