"""From minidl modules and autograd ops to ONNX nodes: one small function each.

A module conversion is ``f(g, module, names, inputs, out, where) -> name``: `names` are the
ONNX names of the module's inputs, `inputs` the traced tensors (their shapes), `out` the traced
output, `where` the module's name in the model (``features.0``), used for its initializers;
it adds nodes to the graph `g` (``minidl.onnx.graph.Graph``) and returns its output's name.
An op conversion (``F.relu``, ``flatten``, ``cat`` called in a ``forward``) is
``f(g, fn, names, inputs, out)`` for the autograd node `fn`.

Conventions that differ between PyTorch and ONNX, handled here:

- **LRN**: ONNX's LRN is PyTorch's, alpha divides by size:
  ``y = x / (bias + alpha / size * sum x^2) ** beta``. ``lrn_attributes`` converts from the
  convention the module computes (the AlexNet paper's, alpha times the plain sum, or
  PyTorch's), which it asks the module itself. An even window is centred differently by
  ONNX (one more channel after than before; PyTorch has one more before), so it is refused.
- **ceil_mode** pools: PyTorch drops a last window that starts in the right padding; the
  output size ONNX computes is checked against the traced one, and a mismatch is refused.
- **Adaptive average pooling** exists in ONNX only where it is an ordinary pooling: output
  1×1 (GlobalAveragePool), an input side divisible by the output side (AveragePool), or an
  output side a multiple of the input side (each cell repeated: Resize, nearest).
"""
import copy
import math
from types import SimpleNamespace

import numpy as np


class ExportError(RuntimeError):
    """A model, module or op that ``minidl.onnx.export`` cannot write as ONNX."""


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _shape(t):
    return tuple(t.shape)


# -- modules ----------------------------------------------------------------------------------

def conv2d(g, m, names, inputs, out, where):
    kh, kw = m.kernel_size
    dh, dw = _pair(m.dilation)
    if m.padding == "valid":
        pads = [0, 0, 0, 0]
    elif m.padding == "same":   # PyTorch puts the odd one of the total padding after
        th, tw = dh * (kh - 1), dw * (kw - 1)
        pads = [th // 2, tw // 2, th - th // 2, tw - tw // 2]
    else:
        ph, pw = _pair(m.padding)
        pads = [ph, pw, ph, pw]
    ins = [names[0], g.const(m.weight.data, f"{where}.weight")]
    if m.bias is not None:
        ins.append(g.const(m.bias.data, f"{where}.bias"))
    return g.node("Conv", ins, kernel_shape=[kh, kw], strides=list(_pair(m.stride)), pads=pads,
                  dilations=[dh, dw], group=int(m.groups))


def relu(g, m, names, inputs, out, where=None):
    return g.node("Relu", names[:1])


def identity(g, m, names, inputs, out, where=None):
    return names[0]


def lrn_attributes(m):
    """ONNX LRN's (size, alpha, beta, bias) computing what the minidl LRN module `m` computes.

    The module's convention is what it declares (``m.alpha_convention``: "sum" or "paper"
    for the paper's alpha times the plain sum, "mean" or "pytorch" for alpha / size), or, if
    it declares none, what it computes: one float64 forward with a single nonzero channel of
    value v gives y = v (k + a v²)^-beta, from which a is alpha (the paper's) or alpha / size
    (PyTorch's).
    """
    src = m if hasattr(m, "size") else m.lrn   # a grouped LRN: its inner LRN's numbers
    size, alpha, beta, k = int(src.size), float(src.alpha), float(src.beta), float(src.k)
    if size % 2 == 0:
        raise ExportError(f"LocalResponseNorm(size={size}): ONNX centres an even window one "
                          "channel later than PyTorch; only odd sizes export")
    declared = str(getattr(src, "alpha_convention", "")).lower()
    convention = _CONVENTIONS.get(declared) or _lrn_convention(m, size, alpha, beta, k)
    return size, alpha * size if convention == "sum" else alpha, beta, k


_CONVENTIONS = {"sum": "sum", "paper": "sum", "alexnet": "sum", "chainer": "sum",
                "mean": "mean", "pytorch": "mean", "torch": "mean", "caffe": "mean",
                "onnx": "mean"}


def _lrn_convention(m, size, alpha, beta, k):
    from ..autograd import no_grad
    from ..tensor import Tensor
    if alpha == 0 or size == 1:
        return "mean"   # the same number either way
    v = math.sqrt(max(k, 1.0) / alpha)   # a v² about k: the sum counts as much as k
    x = np.zeros((1, int(getattr(m, "groups", 1)), 1, 1))   # (a grouped LRN needs C = groups)
    x[0, 0] = v
    m = copy.deepcopy(m).to("cpu")   # parameterless, but it may sit on a GPU
    with no_grad():
        try:
            y = m(Tensor(x))
        except TypeError:   # float32 only: still far apart (a factor `size`)
            y = m(Tensor(x.astype(np.float32)))
    y = float(np.asarray(y.data).reshape(-1)[0])
    a = ((v / y) ** (1 / beta) - k) / v ** 2
    return "sum" if abs(a - alpha) < abs(a - alpha / size) else "mean"


def local_response_norm(g, m, names, inputs, out, where=None, lrn=None):
    size, alpha, beta, bias = lrn_attributes(lrn or m)
    return g.node("LRN", names[:1], size=size, alpha=alpha, beta=beta, bias=bias)


def group_local_response_norm(g, m, names, inputs, out, where):
    """The paper's LRN within each GPU's half of the maps: Split, an LRN each, Concat."""
    groups, c = int(m.groups), _shape(inputs[0])[1]
    lrn = getattr(m, "lrn", m)   # the LRN it runs in each group (or its own attributes)
    if groups == 1:
        return local_response_norm(g, m, names, inputs, out, lrn=lrn)
    sizes = [c // groups] * groups
    if g.opset < 13:   # the sizes were an attribute before opset 13, an input since
        parts = g.node("Split", names[:1], n_out=groups, axis=1, split=sizes)
    else:
        parts = g.node("Split", [names[0], g.ints(sizes, f"{where}.split")], n_out=groups, axis=1)
    return g.node("Concat", [local_response_norm(g, m, [p], inputs, out, lrn=lrn)
                             for p in parts], axis=1)


def _pool_attrs(kind, m, inputs, out):
    """kernel_shape, strides, pads of a pooling module, checked against the traced output."""
    k, s, p = _pair(m.kernel_size), _pair(m.stride or m.kernel_size), _pair(m.padding)
    d = _pair(getattr(m, "dilation", 1))
    h, w = _shape(inputs[0])[-2:]
    rnd = math.ceil if m.ceil_mode else math.floor
    onnx_out = tuple(rnd((n + 2 * pp - dd * (kk - 1) - 1) / ss) + 1
                     for n, kk, ss, pp, dd in zip((h, w), k, s, p, d))
    if onnx_out != _shape(out)[-2:]:
        raise ExportError(f"{kind}: with ceil_mode the traced output is {_shape(out)[-2:]} but "
                          f"ONNX would compute {onnx_out} (PyTorch drops a last window that "
                          "starts in the padding); use another input size or ceil_mode=False")
    attrs = dict(kernel_shape=list(k), strides=list(s), pads=[p[0], p[1], p[0], p[1]],
                 ceil_mode=int(bool(m.ceil_mode)))
    if d != (1, 1):
        attrs["dilations"] = list(d)
    return attrs


def max_pool2d(g, m, names, inputs, out, where=None):
    if getattr(m, "return_indices", False):
        raise ExportError("MaxPool2d(return_indices=True): the indices do not export")
    return g.node("MaxPool", names[:1], **_pool_attrs("MaxPool2d", m, inputs, out))


def avg_pool2d(g, m, names, inputs, out, where=None):
    if getattr(m, "divisor_override", None):
        raise ExportError("AvgPool2d(divisor_override=...) has no ONNX counterpart")
    return g.node("AveragePool", names[:1], count_include_pad=int(bool(m.count_include_pad)),
                  **_pool_attrs("AvgPool2d", m, inputs, out))


def adaptive_avg_pool2d(g, m, names, inputs, out, where):
    (h, w), (oh, ow) = _shape(inputs[0])[-2:], _shape(out)[-2:]
    if (oh, ow) == (1, 1):
        return g.node("GlobalAveragePool", names[:1])
    if (h, w) == (oh, ow):
        return names[0]
    if h % oh == 0 and w % ow == 0:
        kh, kw = h // oh, w // ow
        return g.node("AveragePool", names[:1], kernel_shape=[kh, kw], strides=[kh, kw])
    if oh % h == 0 and ow % w == 0:   # every output cell averages exactly one input cell
        scales = g.const(np.array([1, 1, oh // h, ow // w], np.float32), f"{where}.scales")
        roi = "" if g.opset >= 13 else g.const(np.zeros(0, np.float32), f"{where}.roi")
        return g.node("Resize", [names[0], roi, scales], mode="nearest",
                      coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    raise ExportError(f"AdaptiveAvgPool2d({m.output_size}) from {h}×{w} to {oh}×{ow}: ONNX "
                      "has no adaptive pooling, and these sides are not multiples of each "
                      "other (choose an input size for which they are)")


def linear(g, m, names, inputs, out, where):
    weight = m.weight.data
    bias = getattr(m, "bias", None)
    if len(_shape(inputs[0])) == 2:   # Gemm: x W^T + b
        ins = [names[0], g.const(weight, f"{where}.weight")]
        if bias is not None:
            ins.append(g.const(bias.data, f"{where}.bias"))
        return g.node("Gemm", ins, transB=1)
    y = g.node("MatMul", [names[0], g.const(np.ascontiguousarray(weight.T), f"{where}.weight_t")])
    return y if bias is None else g.node("Add", [y, g.const(bias.data, f"{where}.bias")])


def flatten(g, m, names, inputs, out, where=None):
    return reshape(g, None, names, inputs, out)


def _axis(dim, ndim):
    if dim is None:    # PyTorch's legacy implicit dim
        return 0 if ndim in (0, 1, 3) else 1
    return dim + ndim if dim < 0 else dim


def _softmax(g, op, name, axis, ndim):
    axis = _axis(axis, ndim)
    if g.opset < 13 and axis != ndim - 1:   # before 13: over everything from `axis` on
        raise ExportError(f"{op} over dim {axis} of a {ndim}-D tensor needs opset_version 13 "
                          "or later")
    return g.node(op, [name], axis=axis)


def softmax(g, m, names, inputs, out, where=None, op="Softmax"):
    return _softmax(g, op, names[0], m.dim, len(_shape(inputs[0])))


def log_softmax(g, m, names, inputs, out, where=None):
    return softmax(g, m, names, inputs, out, op="LogSoftmax")


def _unary(op):
    return lambda g, m, names, inputs, out, where=None: g.node(op, names[:1])


MODULES = {"Conv2d": conv2d, "ReLU": relu, "LocalResponseNorm": local_response_norm,
           "GroupLocalResponseNorm": group_local_response_norm, "MaxPool2d": max_pool2d,
           "AvgPool2d": avg_pool2d, "AdaptiveAvgPool2d": adaptive_avg_pool2d,
           "Linear": linear, "Flatten": flatten, "Dropout": identity, "Identity": identity,
           "Softmax": softmax, "LogSoftmax": log_softmax, "Tanh": _unary("Tanh"),
           "Sigmoid": _unary("Sigmoid")}


# -- autograd ops (what a forward calls between modules) --------------------------------------

def _need(fn, names, n):
    if len(names) != n:
        raise ExportError(f"minidl.onnx.export: {type(fn).__name__} with a constant operand (a "
                          "tensor not computed from the inputs) is not supported")


def reshape(g, fn, names, inputs, out):
    """flatten(x, 1) as ONNX's Flatten; any other reshape as Reshape, the batch dim kept as 0
    ("copy it from the input") so that a dynamic batch stays dynamic."""
    _need(fn, names, 1) if fn is not None else None
    ins, outs = _shape(inputs[0]), _shape(out)
    if len(outs) == 2 and len(ins) >= 2 and ins[0] == outs[0]:
        return g.node("Flatten", names[:1], axis=1)
    shape = list(outs)
    if ins and outs and ins[0] == outs[0]:
        shape[0] = 0
    return g.node("Reshape", [names[0], g.ints(shape, "shape")])


def cat(g, fn, names, inputs, out):
    _need(fn, names, len(fn.sizes))
    return g.node("Concat", names, axis=int(fn.axis))


def _binary(op):
    def convert(g, fn, names, inputs, out):
        scalars = getattr(fn, "scalars", None)   # Mul and Div keep a Python-number operand
        if len(names) == 1 and scalars is not None and sum(v is not None for v in scalars) == 1:
            dtype = np.dtype(out.dtype)
            ins = [names[0] if v is None else g.const(np.asarray(v, dtype), "scalar")
                   for v in scalars]
            return g.node(op, ins)
        _need(fn, names, 2)
        return g.node(op, names)
    return convert


def _op_unary(op):
    def convert(g, fn, names, inputs, out):
        _need(fn, names, 1)
        return g.node(op, names)
    return convert


def linear_fn(g, fn, names, inputs, out):
    if len(names) not in (2, 3) or len(_shape(inputs[0])) != 2:
        raise ExportError("F.linear: expected (x, weight[, bias]) with a 2-D x")
    return g.node("Gemm", names, transB=1)


def softmax_fn(g, fn, names, inputs, out, op="Softmax"):
    _need(fn, names, 1)
    axis = fn.axis if isinstance(fn.axis, int) else fn.axis[0]
    return _softmax(g, op, names[0], axis, len(_shape(inputs[0])))


# the functional layers called in a forward (``F.max_pool2d(x, 2)``, as PyTorch's tutorials
# write them): their autograd nodes carry the settings, handed to the module conversions above

def _pool_fn(convert):
    def fn_convert(g, fn, names, inputs, out):
        _need(fn, names, 1)
        spec = fn.args[1]
        m = SimpleNamespace(kernel_size=(spec.KH, spec.KW), stride=tuple(spec.stride),
                            padding=tuple(spec.padding), ceil_mode=spec.ceil_mode,
                            count_include_pad=spec.count_include_pad)
        return convert(g, m, names, inputs, out)
    return fn_convert


def adaptive_avg_pool2d_fn(g, fn, names, inputs, out):
    _need(fn, names, 1)
    m = SimpleNamespace(output_size=fn.args[1])
    return adaptive_avg_pool2d(g, m, names, inputs, out, "adaptive_avg_pool2d")


def local_response_norm_fn(g, fn, names, inputs, out):
    """The node computes ``x / (k + a * sum x^2) ** beta`` with its own ``a`` (PyTorch's
    alpha / size already divided): the paper's convention, with that ``a``."""
    _need(fn, names, 1)
    size, a, beta, k = fn.args
    m = SimpleNamespace(size=size, alpha=a, beta=beta, k=k, alpha_convention="sum")
    return local_response_norm(g, m, names, inputs, out)


def conv2d_fn(g, fn, names, inputs, out):
    spec = fn.spec
    if len(names) != 2 + bool(fn.has_bias):
        raise ExportError("minidl.onnx.export: F.conv2d with a weight or bias not computed "
                          "from the inputs or parameters is not supported")
    ph, pw = _pair(spec.padding)
    return g.node("Conv", names, kernel_shape=[spec.KH, spec.KW], strides=list(spec.stride),
                  pads=[ph, pw, ph, pw], dilations=list(_pair(spec.dilation)),
                  group=int(spec.groups))


FUNCTIONS = {"ReLU": _op_unary("Relu"), "Reshape": reshape, "Cat": cat, "Add": _binary("Add"),
             "Sub": _binary("Sub"), "Mul": _binary("Mul"), "Div": _binary("Div"),
             "MatMul": _binary("MatMul"), "Linear": linear_fn, "Tanh": _op_unary("Tanh"),
             "Sigmoid": _op_unary("Sigmoid"), "Softmax": softmax_fn,
             "LogSoftmax": lambda g, fn, n, i, o: softmax_fn(g, fn, n, i, o, op="LogSoftmax"),
             "Clone": _op_unary("Identity"), "MaxPool2d": _pool_fn(max_pool2d),
             "AvgPool2d": _pool_fn(avg_pool2d), "AdaptiveAvgPool2d": adaptive_avg_pool2d_fn,
             "LocalResponseNorm": local_response_norm_fn, "Conv2d": conv2d_fn}
