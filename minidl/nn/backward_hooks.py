"""Module backward hooks: ``register_full_backward_hook`` and ``register_full_backward_pre_hook``,
with PyTorch's semantics.

    hook(module, grad_input, grad_output) -> None or a replacement grad_input tuple
    pre_hook(module, grad_output)         -> None or a replacement grad_output tuple

``grad_output``: the gradients w.r.t. the module's outputs (a tuple, one entry per output
tensor); ``grad_input``: w.r.t. its **positional** arguments (a tuple as long as the positional
arguments; None for a non-tensor argument; for a tensor that does not require grad, zeros when
another argument requires grad and None when none does, as PyTorch's).

How, in a graph of one-output nodes: a module call with backward hooks wraps its inputs and its
outputs in two extra nodes, as PyTorch's ``BackwardHook`` wraps them in ``BackwardHookFunction``:

    inputs -> _Pack (one node) -> unpacked views -> forward -> outputs -> _Pack -> unpacked views

A ``_Pack`` node takes all the tensors (one flat array, or the tensor itself when there is only
one), so its backward receives every gradient of the group at once: the output pack's backward
is where ``grad_output`` is complete (pre-hooks run there), the input pack's backward is where
``grad_input`` is (full hooks run there, after every node inside the module has run). Each
returns the hooks' replacements, if any, as the gradients that flow on. The extra copy is made
only for modules that have backward hooks.
"""
import numpy as np

from ..autograd import Function, is_grad_enabled
from ..backend import get_array_module
from ..tensor import Tensor


class _Pack(Function):
    """(t_1, ..., t_n) -> t_1 itself (n = 1) or the flat concatenation; backward splits the
    gradient and hands it to `on_grads`, whose result is what flows on."""

    @staticmethod
    def forward(ctx, on_grads, *arrays):
        ctx.on_grads, ctx.shapes = on_grads, [a.shape for a in arrays]
        if len(arrays) == 1:
            return arrays[0].view()
        xp = get_array_module(arrays[0])
        return xp.concatenate([a.reshape(-1) for a in arrays])

    @staticmethod
    def backward(ctx, g):
        grads, start = [], 0
        for shape in ctx.shapes:
            n = int(np.prod(shape))
            grads.append(g if len(ctx.shapes) == 1 else g[start:start + n].reshape(shape))
            start += n
        return (None, *ctx.on_grads(grads))


class _Unpack(Function):
    """flat -> flat[start:start + size].reshape(shape) in `dtype`; backward scatters back."""

    @staticmethod
    def forward(ctx, flat, start, shape, dtype):
        ctx.start, ctx.n, ctx.total = start, int(np.prod(shape)), flat.shape[0]
        return flat[start:start + ctx.n].reshape(shape).astype(dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        xp = get_array_module(g)
        out = xp.zeros(ctx.total, dtype=g.dtype)
        out[ctx.start:ctx.start + ctx.n] = g.reshape(-1)
        return out, None, None, None


def _wrap(tensors, on_grads):
    """The tensors routed through one _Pack node whose backward calls `on_grads`."""
    packed = _Pack.apply(on_grads, *tensors)
    if len(tensors) == 1:
        return [packed]
    out, start = [], 0
    for t in tensors:
        out.append(_Unpack.apply(packed, start, t.shape, t.dtype))
        start += t.data.size
    return out


def _as_tuple(result, n, who):
    result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    if len(result) != n:
        raise RuntimeError(f"{who} returned {len(result)} gradients, expected {n}")
    return result


def _checked_grads(result, originals, who):
    """Raw arrays from a hook's replacement tuple, checked against the originals' shapes."""
    out = []
    for i, (r, o) in enumerate(zip(result, originals)):
        if r is None or o is None:
            out.append(None if r is None else (r.data if isinstance(r, Tensor) else r))
            continue
        r = r.data if isinstance(r, Tensor) else r
        if tuple(r.shape) != tuple(o.shape):
            raise RuntimeError(f"{who}: the gradient {i} it returned has shape {tuple(r.shape)}, "
                               f"expected {tuple(o.shape)}")
        out.append(r)
    return out


class BackwardHook:
    """One module call's backward hooks: wraps its inputs (``setup_input``) and its outputs
    (``setup_output``) and runs the hooks when the gradients come back."""

    def __init__(self, module, hooks, pre_hooks):
        self.module, self.name = module, module._get_name()
        self.hooks, self.pre_hooks = list(hooks.values()), list(pre_hooks.values())
        self.n_args, self.input_index, self.grad_outputs = 0, None, None

    def setup_input(self, args):
        self.n_args = len(args)
        index = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        if not (index and is_grad_enabled()):
            return args
        self.input_index = index
        # PyTorch gives zeros (not None) for the other tensor arguments once one requires grad
        self.input_zeros = {i: (a.shape, a.dtype, a.xp) for i, a in enumerate(args)
                            if isinstance(a, Tensor) and i not in index}
        wrapped = _wrap([args[i] for i in index], self._on_grad_input)
        args = list(args)
        for i, t in zip(index, wrapped):
            args[i] = t
        return tuple(args)

    def setup_output(self, result):
        single = isinstance(result, Tensor)
        outputs = [result] if single else list(result) if isinstance(result, (tuple, list)) else None
        if outputs is None:
            return result
        index = [i for i, o in enumerate(outputs) if isinstance(o, Tensor) and o.requires_grad]
        if not (index and is_grad_enabled()):
            return result
        self.n_outputs, self.output_index = len(outputs), index
        for i, t in zip(index, _wrap([outputs[i] for i in index], self._on_grad_output)):
            outputs[i] = t
        return outputs[0] if single else type(result)(outputs)

    def _spread(self, grads, index, n):
        full = [None] * n
        for i, g in zip(index, grads):
            full[i] = Tensor._make(g)
        return tuple(full)

    def _on_grad_output(self, grads):
        grad_outputs = self._spread(grads, self.output_index, self.n_outputs)
        for hook in self.pre_hooks:
            result = hook(self.module, grad_outputs)
            if result is not None:
                who = f"{self.name}: a full backward pre-hook"
                result = _as_tuple(result, self.n_outputs, who)
                arrays = _checked_grads(result, [None if g is None else g.data
                                                 for g in grad_outputs], who)
                grad_outputs = tuple(None if a is None else Tensor._make(a) for a in arrays)
        self.grad_outputs = grad_outputs
        if self.input_index is None and self.hooks:   # no input requires grad: call them now
            grad_inputs = (None,) * self.n_args
            for hook in self.hooks:
                result = hook(self.module, grad_inputs, grad_outputs)
                if result is not None and not all(r is None for r in _as_tuple(
                        result, self.n_args, f"{self.name}: a full backward hook")):
                    raise RuntimeError(f"{self.name}: a backward hook for a module whose inputs "
                                       "do not require grad must return None or all None")
        return tuple(grad_outputs[i].data if grad_outputs[i] is not None
                     else get_array_module(g).zeros_like(g)
                     for i, g in zip(self.output_index, grads))

    def _on_grad_input(self, grads):
        grad_inputs = list(self._spread(grads, self.input_index, self.n_args))
        for i, (shape, dtype, xp) in self.input_zeros.items():
            grad_inputs[i] = Tensor._make(xp.zeros(shape, dtype))
        grad_inputs = tuple(grad_inputs)
        grad_outputs = self.grad_outputs if self.grad_outputs is not None else ()
        for hook in self.hooks:
            result = hook(self.module, grad_inputs, grad_outputs)
            if result is not None:
                who = f"{self.name}: a full backward hook"
                result = _as_tuple(result, self.n_args, who)
                arrays = _checked_grads(result, [None if g is None else g.data
                                                 for g in grad_inputs], who)
                grad_inputs = tuple(None if a is None else Tensor._make(a) for a in arrays)
        self.grad_outputs = None
        return tuple(None if grad_inputs[i] is None else grad_inputs[i].data
                     for i in self.input_index)


def register(module, hooks_name, hook, prepend):
    """Register `hook` in the module's ordered dict `hooks_name` (made on first use)."""
    hooks = module.__dict__.get(hooks_name)
    if hooks is None:
        from collections import OrderedDict
        hooks = OrderedDict()
        object.__setattr__(module, hooks_name, hooks)
    return module._add_hook(hooks, hook, prepend, [])


def has_hooks(module):
    return bool(module.__dict__.get("_backward_hooks") or module.__dict__.get("_backward_pre_hooks"))


def backward_hook_for(module):
    """A BackwardHook for this call when the module has backward hooks, else None."""
    hooks = module.__dict__.get("_backward_hooks")
    pre_hooks = module.__dict__.get("_backward_pre_hooks")
    if not hooks and not pre_hooks:
        return None
    return BackwardHook(module, hooks or {}, pre_hooks or {})
