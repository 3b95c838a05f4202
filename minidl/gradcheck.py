"""``minidl.gradcheck``: is backprop right? Compare it with finite differences, in float64.

For a function f of tensors x_1..x_k, backprop gives vᵀJ (the gradient of v·f for any weighting
v of the outputs). Central finite differences give the same numbers independently:

    d/dε v·f(x + ε·u) ≈ (v·f(x + ε·u) - v·f(x - ε·u)) / 2ε

Two modes:

- ``"full"``: the whole Jacobian, one column per input element by finite differences and one
  row per output element by backprop. Exact to the last entry; costs 2 forward passes per input
  element and one backward per output element, so only for small inputs.
- ``"direction"``: one random direction u over all inputs at once and one random output
  weighting v: the directional derivative vᵀJu from two forward passes, against
  Σ_i <grad_i, u_i> from one backward. Any size, any cost of f (Chainer's ``check_backward``).

``"auto"`` (the default) takes the full check when the Jacobian has at most ``full_max``
entries, the directional one otherwise.
"""
import numpy as np

from .autograd import grad as autograd_grad
from .autograd import no_grad
from .backend import CPU, to_device
from .tensor import Tensor


class GradcheckError(AssertionError):
    """Backprop and finite differences disagree; the message says where."""


def _output(fn, inputs):
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    return out


def _close(analytic, numeric, atol, rtol):
    return abs(analytic - numeric) <= atol + rtol * abs(numeric)


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, mode="auto", full_max=4096,
              seed=0, raise_exception=True):
    """Check the gradients of ``fn(*inputs)`` w.r.t. every input that requires grad.

    fn:      takes the tensors in `inputs`, returns a Tensor of any shape.
    inputs:  a Tensor or a sequence of Tensors (and other values passed through); the ones
             that require grad must be float64 (finite differences in float32 are noise).
    eps, atol, rtol: step of the central difference; agreement is
             ``|analytic - numeric| <= atol + rtol * |numeric|``.
    mode:    "auto", "full" or "direction" (see the module docstring).

    Returns True; on a mismatch raises ``GradcheckError`` naming the input, the element index,
    and the analytic and numeric values (or returns False if ``raise_exception=False``).
    """
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(f"gradcheck: input {i} is {inputs[i].dtype}; finite differences "
                            "need float64 inputs (tensor(..., dtype=minidl.float64))")
    if mode not in ("auto", "full", "direction"):
        raise ValueError(f"gradcheck: mode must be 'auto', 'full' or 'direction', got {mode!r}")

    rng = np.random.default_rng(seed)
    out = _output(fn, inputs)
    if not out.requires_grad:
        raise GradcheckError("gradcheck: the output does not depend on any input that requires "
                             "grad (was it computed under no_grad or detached?)")
    n_in = sum(inputs[i].numel() for i in checked)
    if mode == "auto":
        mode = "full" if n_in * out.numel() <= full_max else "direction"

    def fail(message):
        if raise_exception:
            raise GradcheckError(message)
        return False

    if mode == "direction":
        v = rng.standard_normal(out.shape)
        dirs = [rng.standard_normal(t.shape) if i in checked else None
                for i, t in enumerate(inputs)]
        grads = autograd_grad(out, [inputs[i] for i in checked],
                              grad_outputs=Tensor(out.xp.asarray(v, dtype=out.dtype)),
                              allow_unused=True)
        analytic = 0.0
        for i, g in zip(checked, grads):
            if g is not None:
                analytic += float((to_device(g.data, CPU) * dirs[i]).sum())
        numeric = float((v.reshape(-1) * _column(fn, inputs, dirs, eps)).sum())
        if not _close(analytic, numeric, atol, rtol):
            return fail(f"gradcheck (random direction) failed for inputs {checked}: directional "
                        f"derivative from backprop {analytic:.8g}, from finite differences "
                        f"{numeric:.8g}")
        return True

    # full Jacobian: row r by backprop of the one-hot output r, column by finite differences
    n_out = out.numel()
    analytic = {i: np.zeros((n_out, inputs[i].numel())) for i in checked}
    for r in range(n_out):
        onehot = np.zeros(n_out)
        onehot[r] = 1.0
        g_out = Tensor(out.xp.asarray(onehot.reshape(out.shape), dtype=out.dtype))
        grads = autograd_grad(out, [inputs[i] for i in checked], grad_outputs=g_out,
                              retain_graph=True, allow_unused=True)
        for i, g in zip(checked, grads):
            if g is not None:
                analytic[i][r] = to_device(g.data, CPU).reshape(-1)
    for i in checked:
        t = inputs[i]
        for k in range(t.numel()):
            u = np.zeros(t.numel())
            u[k] = 1.0
            dirs = [u.reshape(t.shape) if j == i else None for j in range(len(inputs))]
            column = _column(fn, inputs, dirs, eps)
            for r in range(n_out):
                numeric = column[r]
                a = analytic[i][r, k]
                if not _close(a, numeric, atol, rtol):
                    index = np.unravel_index(k, t.shape) if t.ndim else ()
                    out_index = np.unravel_index(r, out.shape) if out.ndim else ()
                    return fail(f"gradcheck failed for input {i} (shape {t.shape}) at index "
                                f"{tuple(int(j) for j in index)}, output index "
                                f"{tuple(int(j) for j in out_index)}: analytic {a:.8g}, "
                                f"numeric {numeric:.8g}")
    return True


def _column(fn, inputs, directions, eps):
    """One Jacobian column: (f(x + eps·u) - f(x - eps·u)) / 2 eps for every output element."""
    saved = [t.data.copy() if isinstance(t, Tensor) else None for t in inputs]
    outs = []
    with no_grad():
        for sign in (1.0, -1.0):
            for t, base, u in zip(inputs, saved, directions):
                if u is not None:
                    t.data = t.xp.asarray(base + sign * eps * t.xp.asarray(u))
            outs.append(to_device(_output(fn, inputs).data, CPU).astype(np.float64).reshape(-1))
            for t, base, u in zip(inputs, saved, directions):
                if u is not None:
                    t.data = base
    return (outs[0] - outs[1]) / (2 * eps)
