"""Checks of assignment `autograd` (minidl/autograd.py's engine): the student's `run_backward`
is swapped into minidl and real graphs run through it; oracles are gradients derived by hand,
minidl's own engine, and float64 finite differences (minidl.gradcheck, through autograd.grad)."""
import contextlib

import numpy as np

from ..grading import Check, Mismatch, compare, rng

HINT = ("a node may run only after ALL consumers of its output ran (count them first, Kahn's "
        "algorithm); its gradient is the SUM of what they delivered")


@contextlib.contextmanager
def engine(mod):
    """minidl running on the student's run_backward."""
    import minidl.autograd as A
    saved = A.run_backward
    A.run_backward = mod.run_backward
    try:
        yield
    finally:
        A.run_backward = saved


def _t(a, grad=True):
    import minidl
    return minidl.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _counts(mod):
    x = _t([1.0, 2.0])
    a = x * 2.0                 # used three times below: twice by b's node, once by c's
    b = a * a
    c = a + b
    out = c.sum()
    got = mod._count_consumers([out.grad_fn])
    if not isinstance(got, dict):
        raise Mismatch(f"_count_consumers returned {type(got).__name__}, expected a dict "
                       "node -> count")
    want = {out.grad_fn: 0, c.grad_fn: 1, b.grad_fn: 1, a.grad_fn: 3}
    names = {out.grad_fn: "sum", c.grad_fn: "c = a + b", b.grad_fn: "b = a * a",
             a.grad_fn: "a = x * 2"}
    for node, n in want.items():
        if got.get(node) != n:
            raise Mismatch(f"the node of {names[node]} has {got.get(node)} consumers, expected "
                           f"{n} (count EDGES: a * a uses a twice); hint: start every node at 0")
    if len(got) != len(want):
        raise Mismatch(f"{len(got)} nodes counted, expected {len(want)} (leaves have no node)")
    return "a = 2x, b = a*a, c = a + b, sum(c): counts 0, 1, 1, 3"


def _grad_case(label, build, expected, **kw):
    def run(mod):
        with engine(mod):
            x = _t(rng(41).standard_normal((3,)) if kw.get("rand", True) else [1.0, 2.0, 3.0])
            out = build(x)
            out.backward()
        if x.grad is None:
            raise Mismatch("x.grad is None after backward: the leaf never got its gradient")
        return compare(x.grad.data, expected(x.data), "x.grad", rtol=1e-10, atol=1e-10,
                       hint=HINT)
    return Check("run_backward", label, run)


def _order_graph(x):
    y = x * 2.0
    z = y * 3.0
    w = y + z                   # y feeds w directly and through z: y must wait for both
    return (w * w).sum()


def _chain(x):
    y = x
    for _ in range(3000):
        y = y + x               # x gets 3001 deliveries, the chain is 3000 nodes deep
    return y.sum()


def _vs_minidl(mod):
    import minidl
    r = rng(42)
    a0, b0 = r.standard_normal((3, 4)), r.standard_normal((4,))

    def build():
        a, b = _t(a0), _t(b0)
        h = (a * b).tanh()
        g = h * a + (h.exp() * b).sigmoid() - h / (b * b + 1.0)
        (g.sum(0) * (g.mean(0) + b)).sum().backward()
        return a.grad.data, b.grad.data
    want = build()
    with engine(mod):
        got = build()
    compare(got[0], want[0], "a.grad", rtol=1e-12, atol=1e-12, hint=HINT)
    compare(got[1], want[1], "b.grad", rtol=1e-12, atol=1e-12, hint=HINT)
    del minidl
    return "a graph of 15 nodes, two leaves each used several times"


def _gradcheck(mod):
    from minidl.gradcheck import GradcheckError, gradcheck
    a, b = _t(rng(43).standard_normal((2, 3))), _t(rng(44).standard_normal((3,)))
    with engine(mod):
        try:
            gradcheck(lambda a, b: ((a * b).exp() + a * a).sum(1) * (b * b).sum(), (a, b),
                      mode="full", seed=0)
        except GradcheckError as e:
            raise Mismatch(f"autograd.grad on your engine disagrees with finite differences: "
                           f"{e}; hint: {HINT}") from None
    return "autograd.grad (capture) on your engine agrees with float64 finite differences"


def _accumulate_calls(mod):
    with engine(mod):
        x = _t([1.0, 2.0])
        (x * 3.0).sum().backward()
        (x * x).sum().backward()
    return compare(x.grad.data, [3.0 + 2.0, 3.0 + 4.0], "x.grad", rtol=1e-12, atol=0,
                   hint="hand every leaf gradient to gradients.deliver: it adds into .grad")


def _release(mod):
    with engine(mod):
        x = _t([1.0, 2.0])
        y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        compare(x.grad.data, [4.0, 8.0], "x.grad after two backward calls", rtol=1e-12, atol=0,
                hint="retain_graph=True must keep the nodes (no release)")
        try:
            y.backward()
        except RuntimeError:
            return "retain_graph keeps the graph; without it, a second backward raises"
    raise Mismatch("a third backward through a graph released by the second ran without error: "
                   "call node.release() after each node's backward when not retain_graph")


def _hook(mod):
    seen = []
    with engine(mod):
        x = _t([1.0, 2.0])
        x.register_hook(lambda g: seen.append(g.data.copy()))
        (x * 2.0 + x * 3.0).sum().backward()
    if len(seen) != 1:
        raise Mismatch(f"a leaf's hook ran {len(seen)} times, expected once: call "
                       "gradients.finish() at the end")
    return compare(seen[0], [5.0, 5.0], "the hook's gradient", rtol=1e-12, atol=0)


def _two_roots(mod):
    x = _t([1.0, 2.0])
    y = x * 2.0
    z = x * x
    mod.run_backward([y, z], [np.ones(2), np.ones(2)])
    return compare(x.grad.data, [2.0 + 2.0, 2.0 + 4.0], "x.grad", rtol=1e-12, atol=0,
                   hint="start from every root: deliver each root's gradient, and count the "
                   "consumers from all the roots' nodes")


def checks():
    out = [Check("_count_consumers", "known answer: a node used twice by one op", _counts),
           _grad_case("y = 2x, z = 3y, w = y + z, sum(w*w): y waits for w and z",
                      _order_graph, lambda x: 2 * (8 * x) * 8),
           _grad_case("diamond: a = 2x, sum(a*a + a)", lambda x: ((x * 2.0) * (x * 2.0) +
                                                                    x * 2.0).sum(),
                      lambda x: 8 * x + 2),
           _grad_case("a chain 3000 deep, x used 3001 times (no recursion)", _chain,
                      lambda x: np.full_like(x, 3001.0)),
           Check("run_backward", "against minidl's own engine", _vs_minidl),
           Check("run_backward", "autograd.grad against finite differences", _gradcheck),
           Check("run_backward", ".grad accumulates across backward calls", _accumulate_calls),
           Check("run_backward", "retain_graph and release", _release),
           Check("run_backward", "a leaf hook sees the total once", _hook)]
    out.append(Check("run_backward", "two roots at once: run_backward([2x, x*x], [1, 1])",
                     _two_roots))
    return out
