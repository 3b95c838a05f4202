"""Recording a forward as a graph: leaf modules through hooks, the glue between them through
autograd.

One eval-mode forward runs with the inputs requiring grad, so every op leaves its autograd
node (``Function``) behind and every tensor knows the node that made it (``grad_fn``). Two
records come out of it:

- **modules**: a forward pre-hook and a forward hook on every module minidl knows how to
  export (``ops.MODULES``: Conv2d, LocalResponseNorm, the pools, Linear, ...) and on every
  leaf module, noting ``grad_fn of the output -> (module, its inputs)``;
- **glue**: what a ``forward`` does between modules (``flatten(x, 1)``, ``cat(branches, 1)``,
  ``x + y``, ``F.relu``) is read from the autograd nodes themselves (``ops.FUNCTIONS``).

The graph is then walked back from the outputs: a tensor made by a recorded module becomes
that module's ONNX nodes (its insides are never visited: an Inception or a grouped LRN is
exported as a whole); any other tensor becomes its autograd node's ONNX op; the traced
inputs become the graph's inputs. Whatever has no conversion is an error naming the module
(``features.3 (Foo)``) or the op.
"""
import numpy as np

from ..autograd import enable_grad
from ..tensor import Tensor
from .ops import FUNCTIONS, MODULES, ExportError


class Traced:
    """One recorded forward: its inputs, outputs, module calls and module names."""

    def __init__(self, model, args):
        self.names = {id(m): name or type(m).__name__ for name, m in model.named_modules()}
        self.weights = {id(p.data) for p in list(model.parameters()) + list(model.buffers())}
        self.calls = {}       # id(grad_fn of a module's output) -> (module, input tensors)
        self.leaf_calls = {}  # the same, for leaf modules minidl cannot export (for messages)
        self._keep = []       # what those ids refer to, kept alive
        stack, handles = [], []

        def pre(module, inputs):
            stack.append(inputs)

        def post(module, inputs, output):
            inputs = stack.pop()
            fn = output.grad_fn if isinstance(output, Tensor) else None
            if fn is None or any(isinstance(x, Tensor) and x.grad_fn is fn for x in inputs):
                return        # the identity (Dropout in eval, Identity), or no tensor out
            table = self.calls if _converter(module, MODULES) else self.leaf_calls
            table.setdefault(id(fn), (module, inputs))   # a module's own call, not a child's
            self._keep.append(fn)

        for _, m in model.named_modules():
            if _converter(m, MODULES) or not any(True for _ in m.children()):
                handles.append(m.register_forward_pre_hook(pre))
                handles.append(m.register_forward_hook(post))
        # copies that require grad (so that every op leaves its node), on the inputs' device
        self.inputs = [Tensor(a.data.copy() if isinstance(a, Tensor) else np.array(a),
                              requires_grad=True) for a in args]
        try:
            with enable_grad():
                out = model(*self.inputs)
        finally:
            for h in handles:
                h.remove()
        self.outputs = list(out) if isinstance(out, (tuple, list)) else [out]
        for i, o in enumerate(self.outputs):
            if not isinstance(o, Tensor):
                raise ExportError(f"minidl.onnx.export: output {i} of the model is a "
                                  f"{type(o).__name__}, not a tensor")

    # -- the walk -------------------------------------------------------------------------
    def build(self, graph, input_names):
        """Emit every node the outputs depend on into `graph`; return the outputs' names."""
        self.graph, self.values = graph, {}
        for t, name in zip(self.inputs, input_names):
            self.values[id(t)] = name
        return [self.value(t) for t in self.outputs]

    def value(self, t):
        """The ONNX name of tensor `t`, emitting what makes it first."""
        key = id(t.grad_fn) if t.grad_fn is not None else id(t)
        if key not in self.values:
            self.values[key] = self._make(t)
        return self.values[key]

    def _make(self, t):
        fn = t.grad_fn
        if fn is None:
            if any(t is x for x in self.inputs):
                return self.values[id(t)]
            if id(t.data) in self.weights:   # a parameter or buffer used outside a module
                return self.graph.const(t.data, "param")
            raise ExportError("minidl.onnx.export: the forward uses a tensor computed outside "
                              f"autograd (detach(), numpy(), ...), shape {tuple(t.shape)}: it "
                              "cannot be traced")
        if id(fn) in self.calls:
            module, inputs = self.calls[id(fn)]
            names = [self.value(x) if isinstance(x, Tensor) else None for x in inputs]
            convert = _converter(module, MODULES)
            return convert(self.graph, module, names, list(inputs), t,
                           self.names.get(id(module), type(module).__name__))
        convert = FUNCTIONS.get(type(fn).__name__)
        if convert is None:
            raise ExportError(self._cannot(fn))
        tensors = [x for x in fn.inputs if x is not None]   # None: a constant or a setting
        names = [self.value(x) for x in tensors]
        try:
            return convert(self.graph, fn, names, tensors, t)
        except ExportError as e:
            raise ExportError(f"{e}{self._where(fn)}") from None

    def _where(self, fn):
        if id(fn) in self.leaf_calls:
            m = self.leaf_calls[id(fn)][0]
            return f" (in {self.names.get(id(m), '?')} ({type(m).__name__}))"
        return ""

    def _cannot(self, fn):
        if id(fn) in self.leaf_calls:
            m = self.leaf_calls[id(fn)][0]
            return (f"minidl.onnx.export: cannot export module {self.names.get(id(m), '?')} "
                    f"({type(m).__name__}): no ONNX conversion for it (known modules: "
                    f"{', '.join(sorted(MODULES))})")
        return (f"minidl.onnx.export: cannot export the op {type(fn).__name__} (called in a "
                f"forward): no ONNX conversion for it (known ops: {', '.join(sorted(FUNCTIONS))})")


def _converter(module, table):
    """The conversion of `module`'s class or of the nearest minidl class it derives from."""
    for cls in type(module).__mro__:
        if cls.__name__ in table and cls.__module__.startswith("minidl."):
            return table[cls.__name__]
    return None
