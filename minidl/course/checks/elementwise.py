"""Checks of assignment `elementwise` (minidl/ops/elementwise.py's backward rules): each class
applied to minidl Tensors, its gradients against the derivative written here and against
float64 finite differences (minidl.gradcheck)."""
import numpy as np

from ..grading import Check, Mismatch, compare, rng

BINARY = {"Mul": (lambda a, b: (b, a), "d(a*b)/da = b, d(a*b)/db = a"),
          "Div": (lambda a, b: (1 / b, -a / b ** 2), "d(a/b)/da = 1/b, d(a/b)/db = -a/b**2")}
UNARY = {"Exp": (np.exp, lambda a: np.exp(a), "exp' = exp = y", False),
         "Log": (np.log, lambda a: 1 / a, "log' = 1/a", True),
         "Sqrt": (np.sqrt, lambda a: 0.5 / np.sqrt(a), "sqrt' = 1/(2 sqrt(a)) = 1/(2y)", True),
         "Tanh": (np.tanh, lambda a: 1 - np.tanh(a) ** 2, "tanh' = 1 - y**2", False),
         "Sigmoid": (lambda a: 1 / (1 + np.exp(-a)),
                     lambda a: np.exp(-a) / (1 + np.exp(-a)) ** 2, "sigmoid' = y (1 - y)", False)}


def _tensor(a, grad=True):
    import minidl
    return minidl.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _operand(shape, seed, positive):
    a = rng(seed).standard_normal(shape)
    return np.abs(a) + 0.5 if positive else a


def _sum_to(g, shape):
    """Sum g back to shape (written out here: the oracle does not use the student's)."""
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for i, n in enumerate(shape):
        if n == 1 and g.shape[i] != 1:
            g = g.sum(axis=i, keepdims=True)
    return g


def _binary(name, sa, sb, needs=(True, True)):
    deriv, rule = BINARY[name]

    def run(mod):
        cls = getattr(mod, name)
        a0, b0 = _operand(sa, 51, False), _operand(sb, 52, name == "Div")
        a, b = _tensor(a0, needs[0]), _tensor(b0, needs[1])
        y = cls.apply(a, b)
        g = rng(53).standard_normal(y.shape)
        import minidl
        y.backward(minidl.tensor(g))
        da, db = deriv(np.broadcast_to(a0, y.shape), np.broadcast_to(b0, y.shape))
        for t, d, label, s, need in ((a, da, "a.grad", sa, needs[0]),
                                     (b, db, "b.grad", sb, needs[1])):
            if not need:
                continue
            if t.grad is None:
                raise Mismatch(f"{label} is None: return one gradient per input")
            compare(t.grad.data, _sum_to(g * d, s), label, rtol=1e-10, atol=1e-12,
                    hint=f"{rule}; then sum_to_shape to the input's shape {s}")
        return rule
    what = f"a {sa}, b {sb}" + ("" if all(needs) else f", requires_grad {needs}")
    return Check(f"{name}.backward", what, run)


def _unary(name, shape):
    f, deriv, rule, positive = UNARY[name]

    def run(mod):
        cls = getattr(mod, name)
        a0 = _operand(shape, 54, positive)
        a = _tensor(a0)
        y = cls.apply(a)
        g = rng(55).standard_normal(y.shape)
        import minidl
        y.backward(minidl.tensor(g))
        if a.grad is None:
            raise Mismatch("a.grad is None")
        return compare(a.grad.data, g * deriv(a0), "a.grad", rtol=1e-10, atol=1e-12, hint=rule)
    return Check(f"{name}.backward", f"a {shape}", run)


def _gradcheck(mod):
    from minidl.gradcheck import GradcheckError, gradcheck
    M, D = mod.Mul, mod.Div
    E, L, S, T, G = mod.Exp, mod.Log, mod.Sqrt, mod.Tanh, mod.Sigmoid
    a = _tensor(np.abs(rng(56).standard_normal((2, 3))) + 0.5)
    b = _tensor(np.abs(rng(57).standard_normal((3,))) + 0.5)

    def f(a, b):
        h = M.apply(T.apply(a), E.apply(b))
        return D.apply(G.apply(h), S.apply(M.apply(a, b))) + L.apply(M.apply(b, b))
    try:
        gradcheck(f, (a, b), mode="full", seed=0)
    except GradcheckError as e:
        raise Mismatch(f"a composition of your ops disagrees with finite differences: {e}") \
            from None
    return "sigmoid(tanh(a) * exp(b)) / sqrt(a * b) + log(b * b) against finite differences"


def checks():
    out = []
    for name in BINARY:
        out += [_binary(name, (3, 4), (3, 4)), _binary(name, (3, 1), (4,)),
                _binary(name, (2, 3, 4), (1, 4)), _binary(name, (), (2, 3)),
                _binary(name, (3, 4), (4,), needs=(True, False)),
                _binary(name, (3, 4), (3, 1), needs=(False, True)),
                _binary(name, (0, 3), (3,))]
    for name in UNARY:
        out += [_unary(name, (3, 4)), _unary(name, (1,)), _unary(name, (0, 2))]
    out.append(Check("composition", "all seven in one graph, float64 finite differences",
                     _gradcheck))
    return out
