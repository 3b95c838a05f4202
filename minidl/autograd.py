"""Reverse-mode automatic differentiation: ``Function``, saved tensors and the backward engine.

How it works, in three steps:

1. Every differentiable op is a ``Function`` subclass with a static ``forward(ctx, *arrays)``
   and ``backward(ctx, grad_output)``. Both work on raw arrays (NumPy or CuPy), not Tensors.
2. ``Function.apply(*inputs)`` runs ``forward`` and, when gradients are wanted, records the
   call itself as a node of the graph: the output Tensor's ``grad_fn`` is that node, and the
   node remembers its input Tensors.
3. ``Tensor.backward()`` walks the graph from the output in reverse topological order (Kahn's
   algorithm: a node runs once all consumers of its output have run; no recursion, so a
   10,000-op chain is fine), hands each node the sum of the gradients of all its consumers,
   and accumulates the results into the ``.grad`` of leaves.

The file in reading order: ``Function``; the engine (``run_backward``, the loop on its own);
where gradients go (``_Gradients``: leaves, hooks, ``autograd.grad``'s capture); hooks and
``retain_grad``; ``grad``. Beside it: `grad_mode.py` (``no_grad`` and friends) and `graph.py`
(``print_graph`` / ``to_dot``, to look at a graph).

**Saved tensors.** A backward needs some forward values (``x`` for ``x * y``, the output for
``exp``). They are kept through one mechanism only, ``ctx.save_for_backward(*arrays)``, read
back as ``ctx.saved_tensors``. The engine drops them (and the node's links to its inputs) as
soon as the node's backward has run, so memory is freed while backward is still under way.
Storing an array as an ad-hoc attribute (``ctx.x = x``) raises an error; plain settings such as
``ctx.stride = 2`` are fine.

**Accumulation.** As in PyTorch, gradients *add up* in ``.grad`` across ``backward()`` calls
until you zero them (``optimizer.zero_grad()``, ``t.grad.zero_()`` or ``t.grad = None``). A
leaf's ``.grad`` is its own writable array, never shared with another tensor or with the
``gradient`` passed to ``backward`` (``_owned`` copies only when that would happen).

**Integer results** (casts, comparisons, indices) never join the graph, as in PyTorch.
"""
import itertools
import weakref

import numpy as np

from .backend import is_cupy_array
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled,  # noqa: F401
                        is_inference_mode_enabled, no_grad, set_grad_enabled)


def _is_array(value):
    return isinstance(value, np.ndarray) or is_cupy_array(value)


# ---------------------------------------------------------------------------------------------
# Function: one node of the graph


class Function:
    """Base class of every differentiable op. Subclass it like ``torch.autograd.Function``::

        class Exp(Function):
            @staticmethod
            def forward(ctx, x):            # x: a raw array
                y = np.exp(x)
                ctx.save_for_backward(y)
                return y
            @staticmethod
            def backward(ctx, gy):          # gy: gradient w.r.t. the output, same shape
                (y,) = ctx.saved_tensors
                return gy * y               # one gradient (or None) per forward input

        y = Exp.apply(x_tensor)

    Non-Tensor arguments (strides, axes, ...) are passed through to ``forward`` unchanged and
    get ``None`` as their gradient.
    """

    # Only these names may be set on a node by the engine; ops may add non-array settings.
    def __init__(self):
        object.__setattr__(self, "_saved", ())
        object.__setattr__(self, "_freed", False)
        object.__setattr__(self, "inputs", ())
        object.__setattr__(self, "needs_input_grad", ())

    def __setattr__(self, name, value):
        if _is_array(value):
            raise TypeError(
                f"{type(self).__name__}: keep arrays for backward with ctx.save_for_backward(...), "
                f"not as the attribute ctx.{name}")
        object.__setattr__(self, name, value)

    def save_for_backward(self, *arrays):
        """Keep `arrays` (or None) until this node's backward has run."""
        # NumPy returns 0-d results as scalars; keep them as 0-d arrays
        arrays = tuple(np.asarray(a) if isinstance(a, np.generic) else a for a in arrays)
        for a in arrays:
            if a is not None and not _is_array(a):
                raise TypeError(f"{type(self).__name__}.save_for_backward takes arrays, "
                                f"got {type(a).__name__}")
        object.__setattr__(self, "_saved", arrays)

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(
                f"{type(self).__name__}: its saved tensors were freed after a first backward; "
                "call backward(retain_graph=True) to backpropagate through the graph twice")
        return self._saved

    def release(self):
        """Free what the node holds: saved arrays and links to inputs."""
        object.__setattr__(self, "_saved", ())
        object.__setattr__(self, "inputs", ())
        object.__setattr__(self, "_freed", True)

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad_output):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args):
        from .tensor import Tensor

        ctx = cls()
        device = None
        raw = []
        for a in args:
            if isinstance(a, Tensor):
                if device is None:
                    device = a.device
                elif a.device != device:
                    raise RuntimeError(f"{cls.__name__}: expected all tensors on one device, "
                                       f"got {device} and {a.device}")
                raw.append(a.data)
            else:
                raw.append(a)
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        track = is_grad_enabled() and any(needs)
        object.__setattr__(ctx, "needs_input_grad", needs)
        out = cls.forward(ctx, *raw)
        # integer and bool results (casts, comparisons, indices) have no gradient: as in
        # PyTorch they never require grad, so backward through them raises
        track = track and out.dtype.kind in "fc"
        result = Tensor._make(out, requires_grad=track)
        if track:
            object.__setattr__(ctx, "inputs", tuple(a if n else None for a, n in zip(args, needs)))
            result.grad_fn = ctx
        else:
            ctx.release()
        return result

    def __repr__(self):
        return f"<{type(self).__name__}Backward>"


# ---------------------------------------------------------------------------------------------
# The backward engine: Kahn's algorithm over the graph, in reverse
#
# A node may run its backward only once every node that consumed its output has run (its
# output's gradient is then complete: the sum over all consumers). That is a topological order,
# found by Kahn's algorithm: count each node's consumers, start from the nodes with none left,
# and each time a node runs, take one off the count of each node that made its inputs; a node
# whose count reaches 0 is ready. Where the gradients go (leaves' ``.grad``, hooks,
# ``autograd.grad``'s capture) is ``_Gradients``' business, below the loop.


def _count_consumers(roots):
    """Kahn's first step: every node reachable from `roots`, with how many graph edges point at
    it (how many consumers its output has).

    An explicit stack instead of recursion: a chain of 10,000 ops is fine.
    """
    consumers = {}
    stack = [n for n in roots if n is not None]
    seen = set(id(n) for n in stack)
    for n in stack:
        consumers.setdefault(n, 0)
    while stack:
        node = stack.pop()
        for t in node.inputs:
            if t is None or t.grad_fn is None:
                continue
            parent = t.grad_fn
            consumers[parent] = consumers.get(parent, 0) + 1
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return consumers


def run_backward(roots, root_grads, retain_graph=False, capture=None):
    """Backpropagate `root_grads` (arrays) from the Tensors `roots`.

    Leaves accumulate into ``.grad``; or, when `capture` is a dict keyed by ``id(tensor)``,
    gradients of those tensors are collected there instead and ``.grad`` is left alone
    (``autograd.grad``).
    """
    gradients = _Gradients(capture, taken={id(g) for g in root_grads})
    consumers = _count_consumers([r.grad_fn for r in roots])
    for r, g in zip(roots, root_grads):
        gradients.deliver(r, g)

    ready = [n for n in consumers if consumers[n] == 0]
    while ready:
        node = ready.pop()
        input_grads = _node_backward(node, gradients.take(node))
        for t, g in zip(node.inputs, input_grads):
            if t is None:
                continue
            if g is not None:
                gradients.deliver(t, _checked(node, t, g))
            if t.grad_fn is not None:            # one consumer of t's node done
                parent = t.grad_fn
                consumers[parent] -= 1
                if consumers[parent] == 0:
                    ready.append(parent)
        if not retain_graph:
            node.release()                       # saved arrays freed while backward goes on
    gradients.finish()


def _node_backward(node, grad_out):
    """One gradient (or None) per input of `node`, given the gradient of its output."""
    if grad_out is None:  # no gradient reached this node: its inputs get none from it
        return (None,) * len(node.inputs)
    if node._freed:
        raise RuntimeError(
            f"{type(node).__name__}: backward through this graph a second time; its "
            "buffers were freed after the first (use backward(retain_graph=True))")
    if "_tensor_hooks" in node.__dict__ or "_retained" in node.__dict__:
        grad_out = _run_tensor_hooks(node, grad_out)   # only when some were registered
    grads = type(node).backward(node, grad_out)
    if not isinstance(grads, tuple):
        grads = (grads,)
    if len(grads) != len(node.inputs):
        raise RuntimeError(f"{type(node).__name__}.backward returned {len(grads)} "
                           f"gradients for {len(node.inputs)} inputs")
    return grads


def _checked(node, t, g):
    """`g`, checked against the input `t` it is for (shape) and cast to its dtype."""
    if g.shape != t.shape:
        raise RuntimeError(f"{type(node).__name__}.backward returned a gradient of "
                           f"shape {tuple(g.shape)} for an input of shape {t.shape}")
    return g.astype(t.dtype) if g.dtype != t.dtype else g


# ---------------------------------------------------------------------------------------------
# Where the gradients go: nodes waiting to run, leaves' .grad, hooks, autograd.grad's capture


def _owned(g, taken):
    """`g` itself when a leaf may keep it as its ``.grad``, else a copy.

    A backward may hand out a read-only broadcast view (sum), a view of another array
    (reshape), the same array to two inputs (add) or the caller's own seed gradient; keeping
    any of those would make ``.grad`` read-only or shared, and ``grad.zero_()`` would then fail
    or write through. A fresh array (the usual case: conv, linear) is kept without a copy.
    `taken` holds the ids of arrays already handed out (kept alive by the caller).
    """
    flags = getattr(g, "flags", None)
    writeable = getattr(flags, "writeable", True)
    owns = getattr(flags, "owndata", True) and getattr(g, "base", None) is None
    if not (writeable and owns) or id(g) in taken:
        g = g.copy()
    taken.add(id(g))
    return g


def _accumulate(t, g, taken):
    """Add `g` into the leaf `t`'s ``.grad``: the first gradient is kept (copied if shared or
    read-only), later ones are added out of place into the same Tensor, so nothing aliases."""
    from .tensor import Tensor

    if t.grad is None:
        t.grad = Tensor._make(_owned(g, taken))
    else:
        t.grad.data = t.grad.data + g


class _Gradients:
    """The gradients of one backward pass: summed per node until the node runs (``pending``),
    accumulated into leaves, held back for leaves with hooks (their hooks see the total, at the
    end), or collected for ``autograd.grad`` (`capture`: id(tensor) -> gradient)."""

    def __init__(self, capture, taken):
        self.capture = capture
        self.taken = taken        # ids of arrays a leaf may not keep as they are
        self.pending = {}         # node -> gradient of its output, summed over consumers so far
        self.leaf_hooked = {}     # id(leaf with hooks) -> [leaf, summed gradient]

    def take(self, node):
        """The complete gradient of `node`'s output (None if none reached it)."""
        return self.pending.pop(node, None)

    def deliver(self, t, g):
        """Hand the gradient `g` to the tensor `t`: to its node, or to the leaf."""
        capture = self.capture
        if capture is None and t.grad_fn is None and getattr(t, "_hooks", None):
            entry = self.leaf_hooked.get(id(t))
            if entry is None:
                self.leaf_hooked[id(t)] = [t, g]
            else:
                entry[1] = entry[1] + g
            return
        if capture is not None and id(t) in capture:
            prev = capture[id(t)]
            capture[id(t)] = _owned(g, self.taken) if prev is None else prev + g
            if t.grad_fn is None:
                return
        if t.grad_fn is not None:
            node = t.grad_fn
            self.pending[node] = g if node not in self.pending else self.pending[node] + g
        elif capture is None:
            _accumulate(t, g, self.taken)

    def finish(self):
        """The leaves with hooks: run their hooks on the total, then accumulate."""
        for t, g in self.leaf_hooked.values():
            _accumulate(t, _call_hooks(t._hooks, g), self.taken)


def _call_hooks(hooks, g):
    """Run tensor hooks in order on the gradient array `g`; a hook's non-None result (a
    Tensor or array of g's shape) replaces it."""
    from .tensor import Tensor

    for hook in list(hooks.values()):
        result = hook(Tensor._make(g))
        if result is not None:
            r = result.data if isinstance(result, Tensor) else result
            if tuple(r.shape) != tuple(g.shape):
                raise RuntimeError(f"hook returned a gradient of shape {tuple(r.shape)}, "
                                   f"expected {tuple(g.shape)}")
            g = r.astype(g.dtype, copy=False)
    return g


def _run_tensor_hooks(node, g):
    """The hooks registered on the node's output tensor, then retain_grad (last, as in
    PyTorch)."""
    from .tensor import Tensor

    hooks = node.__dict__.get("_tensor_hooks")
    if hooks:
        g = _call_hooks(hooks, g)
    ref = node.__dict__.get("_retained")
    t = ref() if ref is not None else None
    if t is not None:
        if t.grad is None:
            t.grad = Tensor._make(g.copy())
        else:
            t.grad.data = t.grad.data + g
    return g


class RemovableHandle:
    """What ``Tensor.register_hook`` and ``Module.register_forward_hook`` and friends return:
    ``remove()`` takes the hook out of its dict (and out of any per-hook flag dicts; twice is
    harmless); usable as a context manager, which removes it on exit."""
    _next_id = itertools.count()

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(RemovableHandle._next_id)
        extras = [] if extra_dict is None else (
            extra_dict if isinstance(extra_dict, list) else [extra_dict])
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extras)

    def remove(self):
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            d = ref()
            if d is not None:
                d.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Gradients of `outputs` w.r.t. `inputs`, returned (not accumulated into ``.grad``).

    Like ``torch.autograd.grad``: `outputs` a Tensor or list of Tensors, `inputs` likewise;
    returns a tuple with one Tensor per input. An input the outputs do not depend on raises,
    unless ``allow_unused=True`` (then its gradient is None). `retain_graph` defaults to
    `create_graph`; ``create_graph=True`` (higher-order gradients) is not supported.
    """
    from .tensor import Tensor

    if create_graph:
        raise NotImplementedError("autograd.grad(create_graph=True): minidl's backward "
                                  "computes on raw arrays and records no graph, so higher-order "
                                  "gradients are not supported")
    retain_graph = create_graph if retain_graph is None else retain_graph
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"autograd.grad: input {i} does not require grad (pass only "
                               "tensors with requires_grad=True, or results computed from them)")
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        from .ops._util import ShapeError   # a leaf module of NumPy helpers: no cycle
        raise ShapeError(f"autograd.grad: {len(grad_outputs)} grad_outputs for "
                         f"{len(outputs)} outputs")
    roots, root_grads = [], []
    for out, g in zip(outputs, grad_outputs):
        roots.append(out)
        root_grads.append(_root_grad(out, g))
    capture = {id(t): None for t in inputs}
    run_backward(roots, root_grads, retain_graph=retain_graph, capture=capture)
    result = []
    for i, t in enumerate(inputs):
        g = capture[id(t)]
        if g is None and not allow_unused:
            raise RuntimeError(f"autograd.grad: input {i} was not used in the graph of the "
                               "outputs; pass allow_unused=True to get None for it")
        result.append(None if g is None else Tensor._make(g))
    return tuple(result)


def _root_grad(out, gradient):
    """The starting gradient for backward from `out`: explicit, or 1 for a scalar."""
    from .tensor import Tensor

    if not out.requires_grad:
        raise RuntimeError("backward through a tensor that does not require grad: none of its "
                           "inputs has requires_grad=True (or it was computed under no_grad)")
    if gradient is None:
        if out.data.size != 1:
            raise RuntimeError(f"backward() on a non-scalar tensor of shape {out.shape} needs an "
                               "explicit gradient of that shape: out.backward(gradient)")
        return out.xp.ones_like(out.data)
    g = gradient.data if isinstance(gradient, Tensor) else out.xp.asarray(gradient)
    if g.shape != out.data.shape:
        raise RuntimeError(f"backward(gradient): gradient has shape {tuple(g.shape)}, "
                           f"the tensor has shape {out.shape}")
    return g.astype(out.dtype, copy=False)


# the graph printing moved to graph.py; these names stay importable from here
from .graph import format_graph, graph_nodes, print_graph, to_dot  # noqa: E402,F401
