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
