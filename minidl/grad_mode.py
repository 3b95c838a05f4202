"""Grad mode: whether ops record the graph, per thread. ``no_grad``, ``enable_grad``,
``set_grad_enabled`` and ``inference_mode`` are context managers that also decorate
functions; ``is_grad_enabled()`` is what ``Function.apply`` asks. All importable from
``minidl.autograd`` and ``minidl``.
"""
import functools
import threading

_state = threading.local()


def is_grad_enabled():
    return getattr(_state, "enabled", True)


class _GradMode:
    """Base of the grad-mode switches: a context manager that is also a function decorator."""

    mode = None

    def __enter__(self):
        self.previous = is_grad_enabled()
        _state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _state.enabled = self.previous

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper


class set_grad_enabled(_GradMode):
    """Switch gradient recording on or off, as in PyTorch:

    - ``set_grad_enabled(False)`` as a plain call switches it off from then on;
    - ``with set_grad_enabled(False): ...`` switches it for the block and restores it after;
    - ``@set_grad_enabled(False)`` does so for each call of the decorated function.
    """

    def __init__(self, mode):
        self.previous = is_grad_enabled()
        self.mode = bool(mode)
        _state.enabled = self.mode  # takes effect at once, like PyTorch's

    def __enter__(self):
        return self  # already switched in __init__; __exit__ restores `previous`

    def __call__(self, fn):
        _state.enabled = self.previous  # as a decorator it only applies inside fn
        return super().__call__(fn)


class _NoParamGradMode(_GradMode):
    """``@no_grad``, ``@no_grad()`` and ``with no_grad():`` all work."""

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        return self if fn is None else self(fn)


class no_grad(_NoParamGradMode):
    """Ops inside record no graph (inference, parameter updates). A context manager, or a
    decorator with or without parentheses."""

    mode = False


class enable_grad(_NoParamGradMode):
    """Record the graph again inside a ``no_grad`` region (context manager or decorator)."""

    mode = True


class inference_mode(_GradMode):
    """PyTorch's ``inference_mode(mode=True)``: no graph is recorded inside, as under
    ``no_grad`` (minidl has no separate inference tensors, so that is all it does here).
    ``with inference_mode():``, ``@inference_mode()`` and ``@inference_mode`` all work;
    ``inference_mode(False)`` leaves gradient recording as it is."""

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode) and not isinstance(mode, bool):   # @inference_mode without ()
            self.__init__(True)
            return self(mode)
        return self

    def __init__(self, mode=True):
        self.enabled = bool(mode)

    def __enter__(self):
        self.previous = is_grad_enabled()
        self.previous_inference = getattr(_state, "inference", False)
        if self.enabled:
            _state.enabled, _state.inference = False, True
        return self

    def __exit__(self, *exc):
        _state.enabled, _state.inference = self.previous, self.previous_inference

    def __call__(self, fn):
        enabled = self.enabled

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(enabled):
                return fn(*args, **kwargs)
        return wrapper


def is_inference_mode_enabled():
    return getattr(_state, "inference", False)
