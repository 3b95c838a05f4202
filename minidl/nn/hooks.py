"""Forward pre-hooks and forward hooks of a ``Module`` (PyTorch's signatures, order and
return-value rules), and the registration of its full backward (pre-)hooks, whose machinery is
in ``backward_hooks.py``.

``Module.__init__`` creates the hook dicts (hook id -> hook, and the per-hook option dicts
beside them); ``Module.__call__`` calls ``_call_with_hooks`` only when a module has hooks.
"""
import warnings

from ..autograd import RemovableHandle
from . import backward_hooks


class HooksMixin:
    def _call_with_hooks(self, args, kwargs):
        """PyTorch's order and return-value rules (see the ``register_*`` methods)."""
        for hook_id, hook in list(self._forward_pre_hooks.items()):
            if hook_id in self._forward_pre_hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(f"{self._get_name()}: a forward pre-hook with "
                                           "with_kwargs=True must return None or a tuple "
                                           f"(new_args, new_kwargs), but got {result!r}")
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        bw_hook = backward_hooks.backward_hook_for(self)   # None without backward hooks
        if bw_hook is not None:
            args = bw_hook.setup_input(args)
        called = set()
        result = None
        try:
            result = self.forward(*args, **kwargs)
            for hook_id, hook in list(self._forward_hooks.items()):
                if hook_id in self._forward_hooks_always_called:
                    called.add(hook_id)
                if hook_id in self._forward_hooks_with_kwargs:
                    out = hook(self, args, kwargs, result)
                else:
                    out = hook(self, args, result)
                if out is not None:
                    result = out
        except Exception:
            for hook_id, hook in list(self._forward_hooks.items()):
                if hook_id not in self._forward_hooks_always_called or hook_id in called:
                    continue
                try:
                    if hook_id in self._forward_hooks_with_kwargs:
                        out = hook(self, args, kwargs, result)
                    else:
                        out = hook(self, args, result)
                    if out is not None:
                        result = out
                except Exception as e:
                    warnings.warn(f"{self._get_name()}: a forward hook with always_call=True "
                                  f"raised an exception that was ignored: {e!r}")
            raise
        return result if bw_hook is None else bw_hook.setup_output(result)

    def register_full_backward_hook(self, hook, prepend=False):
        """Call ``hook(module, grad_input, grad_output)`` when the gradients w.r.t. the module's
        positional inputs are computed; a tuple it returns replaces ``grad_input``. PyTorch's
        semantics (``backward_hooks.py``). Returns a handle whose ``remove()`` unregisters it."""
        return backward_hooks.register(self, "_backward_hooks", hook, prepend)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """Call ``hook(module, grad_output)`` when the gradients w.r.t. the module's outputs are
        computed, before the module's own backward; a tuple it returns replaces
        ``grad_output``. Returns a handle whose ``remove()`` unregisters it."""
        return backward_hooks.register(self, "_backward_pre_hooks", hook, prepend)

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call ``hook(module, args)`` before each ``forward``.

        A result other than None replaces the positional arguments (a non-tuple is wrapped
        into a 1-tuple). With ``with_kwargs=True`` the hook is ``hook(module, args, kwargs)``
        and may return ``(new_args, new_kwargs)``. ``prepend=True`` runs it before the hooks
        already registered. Returns a handle whose ``remove()`` unregisters it.
        """
        return self._add_hook(self._forward_pre_hooks, hook, prepend,
                              [(self._forward_pre_hooks_with_kwargs, with_kwargs)])

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False,
                              always_call=False):
        """Call ``hook(module, args, output)`` after each ``forward``; a result other than
        None replaces the output.

        ``with_kwargs=True``: ``hook(module, args, kwargs, output)``. ``always_call=True``: the
        hook runs even when ``forward`` raises (its own exceptions are then only warned about).
        ``prepend=True`` runs it first. Returns a handle whose ``remove()`` unregisters it.
        """
        return self._add_hook(self._forward_hooks, hook, prepend,
                              [(self._forward_hooks_with_kwargs, with_kwargs),
                               (self._forward_hooks_always_called, always_call)])

    @staticmethod
    def _add_hook(hooks, hook, prepend, flags):
        """Register `hook` in the ordered dict `hooks` (first if `prepend`) and in each
        per-hook flag dict of `flags`, (dict, set?) pairs, that is set; the handle removes it
        from all of them."""
        handle = RemovableHandle(hooks, extra_dict=[d for d, _ in flags])
        hooks[handle.id] = hook
        for d, is_set in flags:
            if is_set:
                d[handle.id] = True
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle
