"""``SGD``: stochastic gradient descent with momentum, Nesterov momentum and weight decay."""
import numpy as np

from ..autograd import no_grad
from ..backend import get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer, required


class SGD(Optimizer):
    r"""Stochastic gradient descent, with PyTorch's update rule exactly.

    For each parameter ``p`` with gradient ``g``, at every ``step()``::

        g = -g if maximize else g                     # maximize: ascend the objective
        g = g + weight_decay * p                      # L2 penalty, added to the gradient
        if momentum != 0:
            buf = g                                   # first step: the buffer starts as g
            buf = momentum * buf + (1 - dampening) * g    # later steps
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g

    **The AlexNet paper's rule** (section 5), with momentum 0.9 and weight decay 0.0005::

        v <- 0.9 * v - 0.0005 * lr * w - lr * dL/dw
        w <- w + v

    is the same rule written on a different variable. PyTorch keeps ``buf``, a running sum of
    gradients *without* the learning rate; the paper keeps ``v``, the step itself, with the
    learning rate folded in. With a constant ``lr`` the two are related by ``v = -lr * buf``::

        buf <- 0.9 * buf + (dL/dw + 0.0005 * w)       # PyTorch, dampening 0
        w   <- w - lr * buf                           # = w + v with v = -lr * buf

    so ``SGD(params, lr=0.01, momentum=0.9, weight_decay=0.0005)`` reproduces the paper.
    They part when ``lr`` changes (the paper's "divide by 10"): the paper's ``v`` still holds
    steps taken at the *old* rate, which then fade out at 0.9 per step, while PyTorch's next
    step is ``new_lr * buf``: the whole accumulated velocity is rescaled at once.

    ``SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
    maximize=False, foreach=None, differentiable=False, fused=None)``, PyTorch's signature and
    defaults. ``foreach`` and ``fused`` pick PyTorch's kernels and change nothing here (the
    update below already runs as one fused pass); ``differentiable=True`` (autograd through the
    step) is not supported and raises. Options a group does not set (a state dict saved before
    ``maximize`` existed, say) take these defaults.

    Updates happen in place on ``p.data`` (NumPy or CuPy, whichever holds the parameter), in
    the parameter's dtype: options are Python floats, so a float32 parameter never goes
    through float64 temporaries. On the CPU a parameter is updated 32K elements at a time, so
    the update reads p, g and buf and writes p and buf once each from memory (about 3x faster
    on AlexNet's 61M parameters than whole-array temporaries).
    """

    # options a group may lack (e.g. in an older state dict): filled in with these defaults
    _optional_options = dict(nesterov=False, maximize=False, foreach=None, differentiable=False,
                             fused=None)
    _state_keys = ("momentum_buffer",)
    _nonnegative_options = ("lr", "initial_lr", "momentum", "weight_decay")

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        if lr is not required and lr < 0.0:
            raise ValueError(f"SGD: invalid learning rate: {lr} (expected lr >= 0)")
        if momentum < 0.0:
            raise ValueError(f"SGD: invalid momentum value: {momentum} (expected momentum >= 0)")
        if weight_decay < 0.0:
            raise ValueError(f"SGD: invalid weight_decay value: {weight_decay} "
                             "(expected weight_decay >= 0)")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(f"SGD: Nesterov momentum requires a momentum and zero dampening, "
                             f"got momentum={momentum}, dampening={dampening}")
        if fused and differentiable:
            raise RuntimeError("SGD: `fused` does not support `differentiable`")
        if fused and foreach:
            raise RuntimeError("SGD: `fused` and `foreach` cannot be `True` together.")
        if differentiable:
            raise NotImplementedError("SGD: differentiable=True (autograd through the update) is "
                                      "not supported by minidl; use differentiable=False")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                # Python floats: NumPy then keeps float32 arrays in float32
                lr, momentum = float(group["lr"]), float(group["momentum"])
                dampening, weight_decay = float(group["dampening"]), float(group["weight_decay"])
                nesterov, maximize = group["nesterov"], group.get("maximize", False)
                for p in group["params"]:
                    if p.grad is not None:
                        self._update(p, lr, momentum, dampening, weight_decay, nesterov, maximize)
        return loss

    def _update(self, p, lr, momentum, dampening, weight_decay, nesterov, maximize):
        g = p.grad.data
        if g.shape != p.data.shape:
            raise ValueError(f"SGD: gradient of shape {g.shape} for a parameter of shape {p.shape}")
        buf, first = None, False
        if momentum != 0:
            state = self.state[p]
            if state.get("momentum_buffer") is None:
                state["momentum_buffer"] = Tensor._make(get_array_module(g).empty_like(p.data))
                first = True
            buf = state["momentum_buffer"].data
        # Block by block, so the temporaries are small and stay in cache: AlexNet's fc6 weight
        # alone is 151 MB, and whole-array temporaries tripled the memory traffic of this
        # memory-bound update (and faulted in fresh pages every step).
        arrays = [a for a in (p.data, g, buf) if a is not None]
        if get_array_module(g) is not np or not all(a.flags.c_contiguous for a in arrays):
            _step(p.data, g, buf, lr, momentum, dampening, weight_decay, nesterov, first, maximize)
            return
        pf, gf = p.data.reshape(-1), g.reshape(-1)
        bf = None if buf is None else buf.reshape(-1)
        for s in range(0, pf.size, BLOCK):
            e = s + BLOCK
            _step(pf[s:e], gf[s:e], None if bf is None else bf[s:e], lr, momentum, dampening,
                  weight_decay, nesterov, first, maximize)


BLOCK = 1 << 15   # elements per block: 128 KiB of float32


def _step(p, g, buf, lr, momentum, dampening, weight_decay, nesterov, first, maximize=False):
    """The update rule above on one block, in place on p and buf (g is left alone)."""
    xp = get_array_module(p)
    if weight_decay != 0:   # d: the step's direction
        d = xp.multiply(p, weight_decay)
        if maximize:
            d -= g
        else:
            d += g
    else:
        d = xp.negative(g) if maximize else g.copy()
    if momentum != 0:
        if first:
            buf[...] = d
        else:
            buf *= momentum
            buf += d if dampening == 0 else (1 - dampening) * d
        if nesterov:
            d += momentum * buf
        else:
            d[...] = buf
    d *= lr
    p -= d
