"""``minidl.onnx.export``: a minidl net as an ONNX file, for onnxruntime, Netron and friends.

    import minidl, minidl.onnx
    net = minidl.models.alexnet()
    minidl.onnx.export(net, minidl.randn(1, 3, 227, 227), "alexnet.onnx",
                       input_names=["images"], output_names=["logits"],
                       dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}})

PyTorch's signature (``torch.onnx.export``). What is exported is one eval-mode forward of the
model on `args` (the model's mode is restored after), recorded as ``minidl.onnx.trace``
describes; ``minidl.onnx.ops`` lists the modules and ops it converts: Conv (groups, strides,
pads, dilations), Relu, LRN, MaxPool/AveragePool (ceil_mode, count_include_pad), adaptive
average pooling where ONNX can express it, Flatten, Gemm/MatMul, Add, Concat, Softmax; Dropout
is gone in eval. Anything else is an ``ExportError`` naming the module or op. Shapes are the
traced ones, except the axes named in `dynamic_axes` (typically the batch).

Needs the ``onnx`` package (``pip install minidl[onnx]``, which brings onnxruntime too).
"""
import os

import numpy as np

from ..backend import CPU, to_device
from .ops import ExportError, lrn_attributes  # noqa: F401
from .trace import Traced

DEFAULT_OPSET = 17


def _onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError("minidl.onnx.export needs the onnx package: pip install "
                          "'minidl[onnx]' (or pip install onnx onnxruntime)") from None
    return onnx


class Graph:
    """The ONNX graph being built: nodes, initializers (weights) and fresh names."""

    def __init__(self, onnx, opset):
        self.onnx, self.opset, self.nodes, self.initializers = onnx, opset, [], []
        self._taken, self._consts = set(), {}

    def fresh(self, hint):
        name, i = hint, 1
        while name in self._taken:
            name, i = f"{hint}_{i}", i + 1
        self._taken.add(name)
        return name

    def node(self, op, inputs, n_out=1, **attrs):
        """Add an `op` node; its output's name (a list of `n_out` names if more than one)."""
        outputs = [self.fresh(f"{op.lower()}_out") for _ in range(n_out)]
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), outputs,
                                                     name=self.fresh(op), **attrs))
        return outputs[0] if n_out == 1 else outputs

    def const(self, array, hint):
        """An initializer holding `array` (one per array, however often it is used)."""
        key = id(array)
        if key not in self._consts:
            host = to_device(array, CPU)   # a CuPy array: copied to the host
            name = self.fresh(hint)
            self.initializers.append(self.onnx.numpy_helper.from_array(
                np.ascontiguousarray(host), name))
            self._consts[key] = (name, array)   # the array kept: its id stays its own
        return self._consts[key][0]

    def ints(self, values, hint):
        return self.const(np.array(values, np.int64), hint)


def export(model, args, f, *, kwargs=None, export_params=True, verbose=False, input_names=None,
           output_names=None, opset_version=None, dynamic_axes=None, do_constant_folding=True,
           dynamo=True, external_data=True, optimize=True, training=None,
           keep_initializers_as_inputs=False, operator_export_type=None, custom_opsets=None,
           export_modules_as_functions=False, autograd_inlining=True, dynamic_shapes=None,
           report=False, verify=False, profile=False, dump_exported_program=False,
           artifacts_dir="."):
    """Write `model`'s forward on `args` (a tensor or a tuple of them) to `f` (a path or a
    binary file object) as an ONNX model; return the ``onnx.ModelProto``.

    `input_names`/`output_names` name the graph's inputs and outputs (default ``input``,
    ``input_1``..., ``output``, ``output_1``...); `dynamic_axes` maps a name to the axes left
    open, ``{"input": {0: "batch"}}`` or ``{"input": [0]}``; `opset_version` defaults to 17
    (at least 11). `verbose` prints the graph; `do_constant_folding` is accepted (nothing is
    left to fold: the weights are initializers already).

    PyTorch's other keywords are accepted where their default (or what they choose between
    PyTorch's exporters: `dynamo`, `optimize`, `external_data`, `autograd_inlining`) gives
    this same file: `training` may be ``TrainingMode.EVAL`` (or ``PRESERVE`` on an eval-mode
    model); anything else (`kwargs`, `dynamic_shapes`, `verify`, `report`, ...) is refused.
    """
    _check_torch_options(model, training, dict(
        kwargs=(kwargs, None), keep_initializers_as_inputs=(keep_initializers_as_inputs, False),
        custom_opsets=(custom_opsets, None), dynamic_shapes=(dynamic_shapes, None),
        export_modules_as_functions=(export_modules_as_functions, False),
        report=(report, False), verify=(verify, False), profile=(profile, False),
        dump_exported_program=(dump_exported_program, False)), operator_export_type)
    onnx = _onnx()
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if opset < 11:
        raise ExportError(f"minidl.onnx.export: opset_version {opset} is too old; use 11 or later")
    if not export_params:
        raise ExportError("minidl.onnx.export: export_params=False is not supported (the "
                          "weights are always stored in the file)")
    args = args if isinstance(args, (tuple, list)) else (args,)
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        traced = Traced(model, args)
    finally:
        for m, training in modes:
            m.training = training
    in_names = _names(input_names, len(traced.inputs), "input")
    out_names = _names(output_names, len(traced.outputs), "output")
    dynamic = _dynamic(dynamic_axes, in_names + out_names)
    g = Graph(onnx, opset)
    for name in in_names + out_names:
        g._taken.add(name)
    made = traced.build(g, in_names)
    outputs = []
    for produced, name, t in zip(made, out_names, traced.outputs):
        # every output gets its own Identity: the name asked for, even for a graph input
        g.nodes.append(onnx.helper.make_node("Identity", [produced], [name],
                                             name=g.fresh("Identity")))
        outputs.append(_value_info(onnx, name, t, dynamic.get(name)))
    inputs = [_value_info(onnx, n, t, dynamic.get(n)) for n, t in zip(in_names, traced.inputs)]
    graph = onnx.helper.make_graph(g.nodes, type(model).__name__, inputs, outputs,
                                   initializer=g.initializers)
    proto = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", opset)],
                                   producer_name="minidl")
    if verbose:
        print(onnx.helper.printable_graph(proto.graph))
    if hasattr(f, "write"):
        f.write(proto.SerializeToString())
    else:
        onnx.save(proto, os.fspath(f))
    return proto


def _check_torch_options(model, training, options, operator_export_type):
    """Refuse PyTorch's exporter options that would ask for something this exporter cannot do."""
    mode = getattr(training, "name", training)   # torch.onnx.TrainingMode.EVAL -> "EVAL"
    if mode in ("PRESERVE", 1) and any(m.training for m in model.modules()):
        mode = "TRAINING"
    if mode not in (None, False, 0, "EVAL", "PRESERVE", 1):
        raise ExportError(f"minidl.onnx.export: training={training!r} is not supported: the "
                          "export records an eval-mode forward (TrainingMode.EVAL)")
    op_type = getattr(operator_export_type, "name", operator_export_type)
    if op_type not in (None, 0, "ONNX"):
        raise ExportError(f"minidl.onnx.export: operator_export_type={operator_export_type!r} is "
                          "not supported; only plain ONNX operators are written")
    for name, (value, default) in options.items():
        if value is not default and value != default and not (name == "kwargs" and value == {}):
            raise ExportError(f"minidl.onnx.export: {name}={value!r} is not supported by "
                              f"minidl's exporter (leave it {default!r})")


def _names(given, n, default):
    names = list(given or [])
    if len(names) > n:
        raise ExportError(f"minidl.onnx.export: {len(names)} {default} names for {n} "
                          f"{default}s")
    names += [default if i == 0 else f"{default}_{i}" for i in range(len(names), n)]
    if len(set(names)) != len(names):
        raise ExportError(f"minidl.onnx.export: {default} names repeat: {names}")
    return names


def _dynamic(dynamic_axes, names):
    out = {}
    for name, axes in (dynamic_axes or {}).items():
        if name not in names:
            raise ExportError(f"minidl.onnx.export: dynamic_axes names {name!r}, which is not "
                              f"an input or output ({', '.join(names)})")
        out[name] = (dict(axes) if isinstance(axes, dict)
                     else {a: f"{name}_dynamic_axes_{i + 1}" for i, a in enumerate(axes)})
    return out


def _value_info(onnx, name, t, dynamic):
    dims = list(t.shape)
    for axis, label in (dynamic or {}).items():
        if not -len(dims) <= axis < len(dims):
            raise ExportError(f"minidl.onnx.export: dynamic axis {axis} of {name!r}, which has "
                              f"{len(dims)} dimensions")
        dims[axis] = str(label)
    elem = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(t.dtype))
    return onnx.helper.make_tensor_value_info(name, elem, dims)


__all__ = ["export", "ExportError", "lrn_attributes"]
