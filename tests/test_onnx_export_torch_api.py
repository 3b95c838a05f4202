"""``minidl.onnx.export`` called the way a PyTorch user calls ``torch.onnx.export``: after a
plain ``import minidl``, with PyTorch's keywords; onnxruntime's outputs equal PyTorch's for
the same weights."""
import io

import numpy as np
import pytest

import minidl
import minidl.nn as nn

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def _pair():
    minidl.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                      nn.Linear(4 * 4 * 4, 5))
    t = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(),
                            torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(64, 5))
    t.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in m.state_dict().items()})
    return m, t


def test_torch_keywords_accepted_and_onnxruntime_matches_torch():
    m, t = _pair()
    buf = io.BytesIO()
    minidl.onnx.export(m, (minidl.randn(1, 3, 8, 8),), buf, export_params=True, verbose=False,
                       training=torch.onnx.TrainingMode.EVAL, input_names=["input"],
                       output_names=["output"], opset_version=17, do_constant_folding=True,
                       dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                       dynamo=False, keep_initializers_as_inputs=False,
                       operator_export_type=torch.onnx.OperatorExportTypes.ONNX)
    session = ort.InferenceSession(buf.getvalue())
    x = np.random.default_rng(1).standard_normal((3, 3, 8, 8)).astype(np.float32)
    got = session.run(None, {"input": x})[0]
    np.testing.assert_allclose(got, t(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("option", [dict(training="TRAINING"), dict(verify=True),
                                    dict(keep_initializers_as_inputs=True),
                                    dict(dynamic_shapes={"x": {0: "b"}}),
                                    dict(kwargs={"y": 1})])
def test_options_it_cannot_honour_are_refused_by_name(option):
    m, _ = _pair()
    if option.get("training") == "TRAINING":
        option = dict(training=torch.onnx.TrainingMode.TRAINING)
    name = next(iter(option))
    with pytest.raises(minidl.onnx.ExportError, match=name):
        minidl.onnx.export(m, (minidl.randn(1, 3, 8, 8),), io.BytesIO(), **option)


def test_preserve_only_on_an_eval_model():
    m, _ = _pair()
    x = (minidl.randn(1, 3, 8, 8),)
    with pytest.raises(minidl.onnx.ExportError, match="training"):
        minidl.onnx.export(m.train(), x, io.BytesIO(), training=torch.onnx.TrainingMode.PRESERVE)
    minidl.onnx.export(m.eval(), x, io.BytesIO(), training=torch.onnx.TrainingMode.PRESERVE)


def _functional_net(lib):
    """PyTorch's tutorial style: layers called as functions in forward."""
    F = lib.nn.functional

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = lib.nn.Conv2d(1, 6, 5)
            self.w2 = lib.nn.Parameter(lib.zeros(8, 3, 3, 3))   # grouped conv, as F.conv2d
            self.b2 = lib.nn.Parameter(lib.zeros(8))
            self.fc = lib.nn.Linear(8 * 2 * 2, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), 2, ceil_mode=True)          # 24 -> 12
            x = F.local_response_norm(x, 3, alpha=1e-2, beta=0.75, k=2.0)
            x = F.conv2d(x, self.w2, self.b2, stride=1, padding=1, groups=2)   # 6 -> 8 maps
            x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)   # 12 -> 6
            x = F.adaptive_avg_pool2d(x, (2, 2))                                # 6 -> 2
            x = F.dropout(lib.flatten(x, 1), 0.5, training=self.training)
            return F.log_softmax(self.fc(x), dim=1)
    return Net()


def test_functional_layers_in_forward_export_and_match_torch():
    m, t = _functional_net(minidl), _functional_net(torch)
    rng = np.random.default_rng(0)
    state = {k: rng.standard_normal(tuple(v.shape)).astype(np.float32) * 0.3
             for k, v in t.state_dict().items()}
    m.load_state_dict({k: minidl.tensor(v) for k, v in state.items()})
    t.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    buf = io.BytesIO()
    minidl.onnx.export(m, (minidl.randn(1, 1, 28, 28),), buf, input_names=["x"],
                       output_names=["y"], dynamic_axes={"x": {0: "n"}, "y": {0: "n"}})
    x = rng.standard_normal((3, 1, 28, 28)).astype(np.float32)
    got = ort.InferenceSession(buf.getvalue()).run(None, {"x": x})[0]
    np.testing.assert_allclose(got, t.eval()(torch.tensor(x)).detach().numpy(), rtol=1e-4,
                               atol=1e-5)


def _scaled(lib):
    class Scaled(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = lib.nn.Linear(4, 3)

        def forward(self, x):
            y = self.lin(x / 3) * 2.5
            return y / 4 + 0.5 * y, 3 / y * 0.5
    return Scaled()


def test_multiplying_and_dividing_by_a_number_exports_as_torch_computes():
    m, t = _scaled(minidl), _scaled(torch)
    t.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in m.state_dict().items()})
    buf = io.BytesIO()
    minidl.onnx.export(m, minidl.randn(2, 4), buf, dynamic_axes={"input": [0]})
    x = np.random.default_rng(3).standard_normal((5, 4)).astype(np.float32)
    got = ort.InferenceSession(buf.getvalue()).run(None, {"input": x})
    for g, w in zip(got, t(torch.tensor(x))):
        np.testing.assert_allclose(g, w.detach().numpy(), rtol=1e-5, atol=1e-6)
