"""``SGD``: stochastic gradient descent with momentum, Nesterov momentum and weight decay."""
from ..autograd import no_grad
from ..tensor import Tensor
from .optimizer import Optimizer, required


class SGD(Optimizer):
    r"""Stochastic gradient descent, with PyTorch's update rule exactly.

    For each parameter ``p`` with gradient ``g``, at every ``step()``::

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

    Updates happen in place on ``p.data`` (NumPy or CuPy, whichever holds the parameter), in
    the parameter's dtype: options are Python floats, so a float32 parameter never goes
    through float64 temporaries.
    """

    def __init__(self, params, lr=required, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False):
        if lr is not required and lr < 0.0:
            raise ValueError(f"SGD: invalid learning rate {lr}")
        if momentum < 0.0:
            raise ValueError(f"SGD: invalid momentum {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"SGD: invalid weight_decay {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                # Python floats: NumPy then keeps float32 arrays in float32
                lr, momentum = float(group["lr"]), float(group["momentum"])
                dampening, weight_decay = float(group["dampening"]), float(group["weight_decay"])
                for p in group["params"]:
                    if p.grad is not None:
                        self._update(p, lr, momentum, dampening, weight_decay, group["nesterov"])
        return loss

    def _update(self, p, lr, momentum, dampening, weight_decay, nesterov):
        g = p.grad.data
        if g.shape != p.data.shape:
            raise ValueError(f"SGD: gradient of shape {g.shape} for a parameter of shape {p.shape}")
        if weight_decay != 0:
            g = g + weight_decay * p.data  # a new array: p.grad itself is left alone
        if momentum != 0:
            state = self.state[p]
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = Tensor._make(g.copy())
            else:
                buf.data *= momentum
                buf.data += g if dampening == 0 else (1 - dampening) * g
            g = g + momentum * buf.data if nesterov else buf.data
        p.data -= lr * g
