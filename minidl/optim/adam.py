"""``Adam`` and ``AdamW``: adaptive moment estimation, with PyTorch's update rule exactly.

For each parameter ``p`` with gradient ``g``, at every ``step()`` (t counts the steps, from 1)::

    g = -g if maximize else g
    if weight_decay != 0:
        AdamW (decoupled):  p = p * (1 - lr * weight_decay)
        Adam:               g = g + weight_decay * p          # L2 penalty in the gradient
    m = m + (1 - beta1) * (g - m)                             # exp_avg (PyTorch's lerp)
    v = beta2 * v + (1 - beta2) * g * g                       # exp_avg_sq
    if amsgrad: v_max = max(v_max, v); v_hat = v_max else v_hat = v
    denom = sqrt(v_hat) / sqrt(1 - beta2 ** t) + eps
    p = p - lr / (1 - beta1 ** t) * m / denom

State per parameter, in PyTorch's layout and names (so a state dict maps key for key):
``step`` (a 0-d float32 tensor), ``exp_avg``, ``exp_avg_sq`` and, with ``amsgrad``,
``max_exp_avg_sq``. Updates run in place on ``p.data`` in the parameter's dtype (NumPy or CuPy).
"""
import math

from ..autograd import no_grad
from ..backend import get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer


class Adam(Optimizer):
    """``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
    foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
    decoupled_weight_decay=False)``: PyTorch's signature, defaults and rule (module docstring).

    ``foreach``, ``fused`` and ``capturable`` pick PyTorch's kernels and change nothing here;
    ``differentiable=True`` (autograd through the step) is not supported and raises.
    """

    _optional_options = dict(amsgrad=False, maximize=False, foreach=None, capturable=False,
                             differentiable=False, fused=None, decoupled_weight_decay=False)
    _state_keys = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    _nonnegative_options = ("lr", "initial_lr", "eps", "weight_decay")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        name = type(self).__name__
        if not 0.0 <= lr:
            raise ValueError(f"{name}: invalid learning rate: {lr} (expected lr >= 0)")
        if not 0.0 <= eps:
            raise ValueError(f"{name}: invalid epsilon value: {eps} (expected eps >= 0)")
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"{name}: invalid beta parameter at index {i}: {beta} "
                                 "(expected 0 <= beta < 1)")
        if not 0.0 <= weight_decay:
            raise ValueError(f"{name}: invalid weight_decay value: {weight_decay} "
                             "(expected weight_decay >= 0)")
        if fused and foreach:
            raise RuntimeError(f"{name}: `fused` and `foreach` cannot be `True` together.")
        if differentiable:
            raise NotImplementedError(f"{name}: differentiable=True (autograd through the update) "
                                      "is not supported by minidl; use differentiable=False")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        self._update(p, group)
        return loss

    def _update(self, p, group):
        lr, eps, wd = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
        beta1, beta2 = (float(b) for b in group["betas"])
        amsgrad = group.get("amsgrad", False)
        g = p.grad.data
        if g.shape != p.data.shape:
            raise ValueError(f"{type(self).__name__}: gradient of shape {g.shape} for a parameter "
                             f"of shape {p.shape}")
        xp = get_array_module(g)
        state = self.state[p]
        if not state:
            state["step"] = Tensor._make(xp.zeros((), dtype="float32"))
            state["exp_avg"] = Tensor._make(xp.zeros_like(p.data))
            state["exp_avg_sq"] = Tensor._make(xp.zeros_like(p.data))
            if amsgrad:
                state["max_exp_avg_sq"] = Tensor._make(xp.zeros_like(p.data))
        if amsgrad and state.get("max_exp_avg_sq") is None:   # amsgrad switched on later
            state["max_exp_avg_sq"] = Tensor._make(xp.zeros_like(p.data))
        m, v, param = state["exp_avg"].data, state["exp_avg_sq"].data, p.data

        if group.get("maximize", False):
            g = -g
        state["step"].data += 1
        if wd != 0:
            if group.get("decoupled_weight_decay", False):
                param *= 1 - lr * wd
            else:
                g = g + wd * param
        m += (1 - beta1) * (g - m)
        v *= beta2
        v += (1 - beta2) * g * g                   # PyTorch's addcmul order: (value * g) * g
        t = float(state["step"].data)
        step_size = lr / (1 - beta1 ** t)
        root_bias2 = math.sqrt(1 - beta2 ** t)
        if amsgrad:
            v_max = state["max_exp_avg_sq"].data
            xp.maximum(v_max, v, out=v_max)
            denom = xp.sqrt(v_max) / root_bias2 + eps
        else:
            denom = xp.sqrt(v) / root_bias2 + eps
        param -= step_size * m / denom             # addcdiv's order: (value * m) / denom


class AdamW(Adam):
    """``AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
    *, maximize=False, foreach=None, capturable=False, differentiable=False, fused=None)``: Adam
    with decoupled weight decay (``p *= 1 - lr * weight_decay`` before the Adam step), as
    PyTorch's (whose default weight_decay is 1e-2)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)
