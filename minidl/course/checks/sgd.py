"""Checks of assignment `sgd` (minidl/optim/sgd.py's `_step`): PyTorch's rule written out here
in float64, the AlexNet paper's rule as a known trajectory, in-place and dtype rules."""
import numpy as np

from ..grading import Check, Mismatch, compare, rng


def oracle(p, grads, lr, momentum, dampening, weight_decay, nesterov, maximize):
    """PyTorch's rule, element by element in float64: the trajectory of p after each step."""
    p = p.astype(np.float64).copy()
    buf = None
    out = []
    for t, g in enumerate(grads):
        g = -g.astype(np.float64) if maximize else g.astype(np.float64)
        g = g + weight_decay * p
        if momentum != 0:
            buf = g.copy() if t == 0 else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
        out.append(p.copy())
    return out


def run_student(mod, p, grads, lr, momentum, dampening, weight_decay, nesterov, maximize,
                lrs=None):
    p = p.copy()
    buf = np.empty_like(p) if momentum != 0 else None
    out = []
    for t, g in enumerate(grads):
        g_before = g.copy()
        p_id = id(p)
        r = mod._step(p, g, buf, lrs[t] if lrs else lr, momentum, dampening, weight_decay,
                      nesterov, t == 0, maximize)
        if r is not None and id(r) != p_id:
            raise Mismatch("_step returned a value: it must update p (and buf) in place")
        if not np.array_equal(g, g_before):
            raise Mismatch("_step changed the gradient g: work on a new array for d")
        out.append(p.copy())
    return out


CASES = [dict(lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False),
         dict(lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.01, nesterov=False, maximize=False),
         dict(lr=0.01, momentum=0.9, dampening=0.0, weight_decay=0.0005, nesterov=False, maximize=False),
         dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.1, nesterov=False, maximize=False),
         dict(lr=0.05, momentum=0.9, dampening=0.0, weight_decay=0.1, nesterov=True, maximize=False),
         dict(lr=0.05, momentum=0.5, dampening=0.0, weight_decay=0.2, nesterov=False, maximize=True),
         dict(lr=0.02, momentum=0.7, dampening=0.0, weight_decay=0.0, nesterov=True, maximize=True)]


def _label(c):
    return ", ".join(f"{k}={v}" for k, v in c.items())


HINTS = ("weight decay is added to the gradient BEFORE momentum: d = g + wd * p, then the "
         "buffer; on the first step buf = d (no dampening); nesterov steps by d + momentum * buf")


def _case(c, dtype):
    def run(mod):
        r = rng(31)
        p = r.standard_normal((3, 4)).astype(dtype)
        grads = [r.standard_normal((3, 4)).astype(dtype) for _ in range(4)]
        got = run_student(mod, p, grads, **c)
        want = oracle(p, grads, **c)
        tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
        for t, (a, b) in enumerate(zip(got, want)):
            try:
                compare(a, b, f"p after step {t + 1}", dtype=dtype, hint=HINTS, **tol)
            except Mismatch as e:
                raise Mismatch(str(e)) from None
        return "4 steps agree"
    return Check("_step", f"{_label(c)}, {np.dtype(dtype).name}", run)


def _paper(mod):
    """The paper's v-rule, with lr constant, gives the same weights."""
    r = rng(32)
    w = r.standard_normal(6)
    grads = [r.standard_normal(6) for _ in range(5)]
    lr, v, wp = 0.01, np.zeros(6), w.copy()
    paper = []
    for g in grads:
        v = 0.9 * v - 0.0005 * lr * wp - lr * g
        wp = wp + v
        paper.append(wp.copy())
    got = run_student(mod, w, grads, lr, 0.9, 0.0, 0.0005, False, False)
    for t, (a, b) in enumerate(zip(got, paper)):
        compare(a, b, f"w after step {t + 1}", rtol=1e-12, atol=1e-14,
                hint="with momentum 0.9, weight decay 0.0005 and a constant lr, PyTorch's rule "
                "IS the paper's v <- 0.9 v - 0.0005 lr w - lr dL/dw, w <- w + v")
    return "5 steps of the paper's v <- 0.9 v - 0.0005 lr w - lr dL/dw, w <- w + v"


def _lr_change(mod):
    """After lr drops tenfold, PyTorch rescales the whole buffer; the paper would not."""
    r = rng(33)
    w = r.standard_normal(5)
    grads = [r.standard_normal(5) for _ in range(4)]
    lrs = [0.1, 0.1, 0.01, 0.01]
    got = run_student(mod, w, grads, 0.1, 0.9, 0.0, 0.0005, False, False, lrs=lrs)
    p, buf, want = w.copy(), None, []
    for t, (g, lr) in enumerate(zip(grads, lrs)):
        d = g + 0.0005 * p
        buf = d if t == 0 else 0.9 * buf + d
        p = p - lr * buf
        want.append(p.copy())
    for t, (a, b) in enumerate(zip(got, want)):
        compare(a, b, f"w after step {t + 1}", rtol=1e-12, atol=1e-14,
                hint="use the lr passed to THIS call: p -= lr * buf (PyTorch's rule: the "
                "buffer holds gradients, not steps)")
    return "lr 0.1 -> 0.01 after step 2: the next step is new_lr * buf, as in PyTorch"


def _single(mod):
    p = np.array([2.0], np.float32)
    g = np.array([0.5], np.float32)
    buf = np.empty_like(p)
    mod._step(p, g, buf, 0.1, 0.9, 0.0, 0.1, False, True, False)
    compare(p, [2.0 - 0.1 * (0.5 + 0.1 * 2.0)], "p", rtol=1e-6, atol=0, dtype=np.float32,
            hint="first step: buf = g + wd * p = 0.7, p = 2 - 0.1 * 0.7")
    compare(buf, [0.7], "buf", rtol=1e-6, atol=0, hint="first step: buf = d")
    return "p = 2, g = 0.5, lr 0.1, wd 0.1, first step: p = 1.93, buf = 0.7"


def _empty(mod):
    p = np.zeros((0, 3), np.float32)
    mod._step(p, p.copy(), np.empty_like(p), 0.1, 0.9, 0.0, 0.1, False, True, False)
    return "a (0, 3) parameter"


def checks():
    out = [Check("_step", "known answer, a single element", _single)]
    out += [_case(c, np.float64) for c in CASES]
    out += [_case(CASES[2], np.float32), _case(CASES[4], np.float32)]
    out += [Check("_step", "the AlexNet paper's rule, momentum 0.9, weight decay 0.0005", _paper),
            Check("_step", "lr divided by 10 mid-run: PyTorch's rescaling", _lr_change),
            Check("_step", "empty parameter", _empty)]
    return out
