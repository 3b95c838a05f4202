"""`check` passes minidl's own files made standalone, says "not implemented yet" for every
untouched stub (no traceback), and catches the classic mistakes (mutants of minidl's files)."""
import pytest

from course_util import mutate, run_check, standalone_source, write
from minidl.course import assignments
from minidl.course.cli import stub_path

IN_PROCESS = [a for a in assignments.ASSIGNMENTS if a.stub and a.name != "cuda"]


def _rebuilt(a):
    return a.rebuilds


@pytest.mark.parametrize("a", IN_PROCESS, ids=lambda a: a.name)
def test_minidl_file_made_standalone_passes(a, tmp_path):
    path = write(tmp_path, f"{a.name}.py", standalone_source(_rebuilt(a)))
    passed, total, report = run_check(a.name, path)
    assert total >= 5, report
    # numba's timed check is asserted by no unit test (speed belongs to benchmarks):
    # here it must run and print its measured factor, pass or fail
    timed = [line for line in report.splitlines() if "speed:" in line]
    assert len(timed) == (a.name == "numba"), report
    assert all("x the NumPy reference" in line and "best of" in line for line in timed), report
    failed = [line for line in report.splitlines()
              if line.startswith(("FAIL", "ERROR", "TODO")) and "speed:" not in line]
    assert not failed and passed >= total - len(timed), report


@pytest.mark.parametrize("a", IN_PROCESS, ids=lambda a: a.name)
def test_untouched_stub_fails_cleanly(a, tmp_path):
    path = write(tmp_path, f"{a.name}.py", open(stub_path(a.name), encoding="utf-8").read())
    passed, total, report = run_check(a.name, path)
    assert passed < total, report
    assert "not implemented yet" in report
    assert "Traceback" not in report and "ERROR" not in report and "FAIL" not in report, report
    named = {line.split("not implemented yet: ")[1] for line in report.splitlines()
             if "not implemented yet: " in line}
    allowed = set(a.functions) | {f + ".backward" for f in a.functions} | {"@njit kernels"}
    assert named and named <= allowed, (named, report)   # the student's own function names


def _mutant(a_name, old, new, count=1):
    a = assignments.get(a_name)
    return mutate(standalone_source(a.rebuilds), old, new, count)


# (assignment, what the mistake is, old, new, the function the report must blame)
MUTANTS = [
    ("relu", "a gradient passes where ReLU is off (y == 0)", "np.where(y <= 0, 0, gy)",
     "np.where(y < 0, 0, gy)", "relu_backward"),
    ("relu", "the gradient passes everywhere", "np.where(y <= 0, 0, gy)", "gy.copy()",
     "relu_backward"),
    ("relu", "forward returns a float64 copy", "np.maximum(x, 0)", "np.maximum(x, 0.0).astype(float)",
     "relu_forward"),
    ("dropout", "missing 1 / (1 - p) in forward", "(x * mask * x.dtype.type(1 / (1 - p)))",
     "(x * mask)", "dropout_forward"),
    ("dropout", "missing 1 / (1 - p) in backward", "(gy * mask * gy.dtype.type(1 / (1 - p)))",
     "(gy * mask)", "dropout_backward"),
    ("dropout", "p read as the keep probability", ">= keep_threshold(p)", ">= keep_threshold(1 - p)",
     "dropout_forward"),
    ("dropout", "the hash starts at index i, not i + 1", "+ np.uint64(1)) * GOLDEN", ") * GOLDEN",
     "uniform_bits"),
    ("lrn", "a lost factor 2 in the backward", "2 * alpha * beta * x * r", "alpha * beta * x * r",
     "lrn_backward"),
    ("lrn", "the backward sums over the forward's window (wrong for even sizes)",
     "_window_sum(t, (size - 1) // 2, size // 2)", "_window_sum(t, size // 2, (size - 1) // 2)",
     "lrn_backward"),
    ("lrn", "alpha divided by size (PyTorch's convention)", "return k + alpha * _window_sum",
     "return k + alpha / size * _window_sum", "lrn_forward"),
    ("lrn", "the even window placed after c", "_window_sum(x * x, size // 2, (size - 1) // 2)",
     "_window_sum(x * x, (size - 1) // 2, size // 2)", "lrn_forward"),
    ("broadcast", "kept size-1 dims not summed",
     "if n == 1 and g.shape[lead + i] != 1)", "if False)", "sum_to_shape"),
    ("broadcast", "leading dims not summed", "axes = tuple(range(lead)) + tuple(",
     "axes = tuple(", "sum_to_shape"),
    ("sgd", "dampening on the first step too", "buf[...] = d", "buf[...] = (1 - dampening) * d",
     "_step"),
    ("sgd", "nesterov steps by buf alone", "d += momentum * buf", "d[...] = buf", "_step"),
    ("sgd", "weight decay subtracted", "d += g", "d = g - d", "_step"),
    ("elementwise", "Div's gradient for b has the wrong sign", "gb = sum_to_shape(-g * a / (b * b)",
     "gb = sum_to_shape(g * a / (b * b)", "Div.backward"),
    ("elementwise", "Mul forgets to undo broadcasting",
     "ga = sum_to_shape(g * (b if b is not None else b_s), ctx.in_shapes[0]) if na else None",
     "ga = g * (b if b is not None else b_s) if na else None", "Mul.backward"),
    ("elementwise", "Sigmoid's derivative without (1 - y)", "return g * y * (1 - y)",
     "return g * y", "Sigmoid.backward"),
    ("elementwise", "Sqrt's derivative missing the 2", "return g / (2 * y)", "return g / y",
     "Sqrt.backward"),
    ("direct_conv", "a group reads the wrong input channels", "g = oc // (OC // groups)",
     "g = oc % groups", "conv2d_direct"),
    ("direct_conv", "dilation ignored", "ih = oh * stride[0] - padding[0] + kh * dilation[0]",
     "ih = oh * stride[0] - padding[0] + kh", "conv2d_direct"),
    ("direct_conv", "bias added to every channel at once", "y[:, oc] += b[oc]", "y[:, oc] += b[0]",
     "conv2d_direct"),
    ("conv", "col2im overwrites instead of accumulating",
     "kw * dw: kw * dw + sw * OW: sw] += \\", "kw * dw: kw * dw + sw * OW: sw] = \\", "col2im"),
    ("conv", "a group's weight gradient from the wrong columns",
     "@ col[g * K:(g + 1) * K].T", "@ col[0:K].T", "conv2d_backward"),
    ("conv", "a group's input gradient from the first group's weights",
     "w_g = w[g * OCg:(g + 1) * OCg].reshape(OCg, K)", "w_g = w[0:OCg].reshape(OCg, K)",
     "conv2d_backward"),
    ("conv", "the bias gradient summed over the wrong axis", "gb = gy2.sum(axis=1)",
     "gb = gy2.sum(axis=0)[:OC]", "conv2d_backward"),
    ("conv", "im2col ignores dilation", "window = xp[:, :, kh * dh: kh * dh + sh * OH: sh, kw * dw",
     "window = xp[:, :, kh: kh + sh * OH: sh, kw * dw", "im2col"),
    ("conv", "the forward's output left transposed (N and OC swapped)",
     "return np.ascontiguousarray(y.reshape(OC, N, OH, OW).transpose(1, 0, 2, 3))",
     "return np.ascontiguousarray(y.reshape(N, OC, OH, OW))", "conv2d_forward"),
    ("pool", "max pooling's backward overwrites (=) instead of accumulating (+=)",
     "gx[n, c, argmax[:, :, oh, ow]] += gy[:, :, oh, ow]",
     "gx[n, c, argmax[:, :, oh, ow]] = gy[:, :, oh, ow]", "max_pool2d"),
    ("pool", "ties go to the last cell", "i = window.argmax(axis=2)",
     "i = window.shape[2] - 1 - window[..., ::-1].argmax(axis=2)", "max_pool2d_forward"),
    ("pool", "padding takes part in the max", "return max(start, 0), min(start + k, size)",
     "return start, start + k", "max_pool2d_forward"),
    ("pool", "average pooling's backward overwrites",
     "gx[:, :, h0:h1, w0:w1] += gy[:, :, oh, ow, None, None] / div",
     "gx[:, :, h0:h1, w0:w1] = gy[:, :, oh, ow, None, None] / div", "avg_pool2d_backward"),
    ("pool", "count_include_pad ignored", "    if spec.count_include_pad:\n        return (he - hs)",
     "    if True:\n        return (he - hs)", "avg_pool2d"),
    ("pool", "adaptive windows with floor at both ends",
     "return (o * size) // out, -(-((o + 1) * size) // out)",
     "return (o * size) // out, ((o + 1) * size) // out", "adaptive_avg_pool2d"),
    ("winograd", "G2's second row [0.5, 0.5, 0] (the issue's exercise)",
     "[0.5, 0.5, 0.5],\n               [0.5, -0.5", "[0.5, 0.5, 0],\n               [0.5, -0.5",
     "BT2, G2, AT2"),
    ("winograd", "AT2's second row sign", "[0, 1, -1, -1]], dtype", "[0, 1, -1, 1]], dtype",
     "BT2, G2, AT2"),
    ("winograd", "the tiles do not overlap", "xp[:, :, i: i + m * TH: m, j: j + m * TW: m]",
     "xp[:, :, i: i + a * TH: a, j: j + a * TW: a]", "input_tiles"),
    ("winograd", "the overhang not cut", "return y.reshape(N, OC, TH * m, TW * m)[:, :, :OH, :OW]",
     "return y.reshape(N, OC, TH * m, TW * m)", "output_transform"),
]


@pytest.mark.parametrize("name,what,old,new,func", MUTANTS, ids=[f"{m[0]}: {m[1]}" for m in MUTANTS])
def test_classic_mistake_is_caught(name, what, old, new, func, tmp_path):
    path = write(tmp_path, f"{name}.py", _mutant(name, old, new))
    passed, total, report = run_check(name, path)
    assert passed < total, report
    blamed = [line for line in report.splitlines()
              if line.startswith(("FAIL", "ERROR")) and func in line]
    assert blamed, report
    assert "Traceback" not in report


SGD_DECAY_AFTER_MOMENTUM = '''
def _step(p, g, buf, lr, momentum, dampening, weight_decay, nesterov, first, maximize=False):
    d = -g if maximize else g.copy()
    if momentum != 0:
        buf[...] = d if first else momentum * buf + (1 - dampening) * d
        d = d + momentum * buf if nesterov else buf.copy()
    d = d + weight_decay * p          # the mistake: decay after momentum
    p -= lr * d
'''

SGD_RIGHT_WRITTEN_DIFFERENTLY = '''
import numpy as np

def _step(p, g, buf, lr, momentum, dampening, weight_decay, nesterov, first, maximize=False):
    grad = np.negative(g) if maximize else np.array(g, copy=True)
    if weight_decay:
        grad = grad + weight_decay * p
    if momentum:
        if first:
            np.copyto(buf, grad)
        else:
            np.copyto(buf, momentum * buf + (1.0 - dampening) * grad)
        grad = grad + momentum * buf if nesterov else buf
    np.subtract(p, (lr * grad).astype(p.dtype), out=p)
'''


def test_sgd_decay_after_momentum_is_caught(tmp_path):
    passed, total, report = run_check("sgd", write(tmp_path, "sgd.py", SGD_DECAY_AFTER_MOMENTUM))
    assert passed < total and "FAIL  _step" in report, report


def test_sgd_written_differently_passes(tmp_path):
    passed, total, report = run_check("sgd", write(tmp_path, "sgd.py",
                                                   SGD_RIGHT_WRITTEN_DIFFERENTLY))
    assert passed == total, report


AUTOGRAD_HEAD = '''
from minidl.autograd import _checked, _Gradients, _node_backward

def _count_consumers(roots):
    consumers, stack = {}, [n for n in roots if n is not None]
    for n in stack:
        consumers.setdefault(n, 0)
    seen = set(stack)
    while stack:
        node = stack.pop()
        for t in node.inputs:
            if t is None or t.grad_fn is None:
                continue
            consumers[t.grad_fn] = consumers.get(t.grad_fn, 0) + 1
            if t.grad_fn not in seen:
                seen.add(t.grad_fn)
                stack.append(t.grad_fn)
    return consumers
'''

# runs a node as soon as one consumer has run (breadth first, no counting): wrong order
AUTOGRAD_NO_WAIT = AUTOGRAD_HEAD + '''
def run_backward(roots, root_grads, retain_graph=False, capture=None):
    gradients = _Gradients(capture, taken={id(g) for g in root_grads})
    for r, g in zip(roots, root_grads):
        gradients.deliver(r, g)
    queue, done = [r.grad_fn for r in roots if r.grad_fn is not None], set()
    while queue:
        node = queue.pop(0)
        if node in done:
            continue
        done.add(node)
        grads = _node_backward(node, gradients.take(node))
        for t, g in zip(node.inputs, grads):
            if t is None:
                continue
            if g is not None:
                gradients.deliver(t, _checked(node, t, g))
            if t.grad_fn is not None:
                queue.append(t.grad_fn)
        if not retain_graph:
            node.release()
    gradients.finish()
'''

# its own pending dict, overwritten instead of summed
AUTOGRAD_OVERWRITE = AUTOGRAD_HEAD + '''
def run_backward(roots, root_grads, retain_graph=False, capture=None):
    gradients = _Gradients(capture, taken={id(g) for g in root_grads})
    consumers = _count_consumers([r.grad_fn for r in roots])
    pending = {}
    for r, g in zip(roots, root_grads):
        if r.grad_fn is None:
            gradients.deliver(r, g)
        else:
            pending[r.grad_fn] = g
    ready = [n for n in consumers if consumers[n] == 0]
    while ready:
        node = ready.pop()
        grads = _node_backward(node, pending.pop(node, None))
        for t, g in zip(node.inputs, grads):
            if t is None:
                continue
            if g is not None:
                g = _checked(node, t, g)
                if t.grad_fn is None:
                    gradients.deliver(t, g)
                else:
                    pending[t.grad_fn] = g       # the mistake: = instead of +=
            if t.grad_fn is not None:
                consumers[t.grad_fn] -= 1
                if consumers[t.grad_fn] == 0:
                    ready.append(t.grad_fn)
        if not retain_graph:
            node.release()
    gradients.finish()
'''

AUTOGRAD_RECURSIVE = AUTOGRAD_HEAD + '''
def run_backward(roots, root_grads, retain_graph=False, capture=None):
    gradients = _Gradients(capture, taken={id(g) for g in root_grads})
    order, seen = [], set()

    def visit(node):                       # recursive depth-first: fine until 1000 deep
        if node in seen:
            return
        seen.add(node)
        for t in node.inputs:
            if t is not None and t.grad_fn is not None:
                visit(t.grad_fn)
        order.append(node)
    for r in roots:
        if r.grad_fn is not None:
            visit(r.grad_fn)
    for r, g in zip(roots, root_grads):
        gradients.deliver(r, g)
    for node in reversed(order):
        grads = _node_backward(node, gradients.take(node))
        for t, g in zip(node.inputs, grads):
            if t is not None and g is not None:
                gradients.deliver(t, _checked(node, t, g))
        if not retain_graph:
            node.release()
    gradients.finish()
'''


@pytest.mark.parametrize("source,blamed", [(AUTOGRAD_NO_WAIT, "FAIL  run_backward"),
                                           (AUTOGRAD_OVERWRITE, "FAIL  run_backward"),
                                           (AUTOGRAD_RECURSIVE, "ERROR run_backward")],
                         ids=["no waiting for consumers", "overwrite, not accumulate",
                              "recursion"])
def test_autograd_mistakes_are_caught(source, blamed, tmp_path):
    passed, total, report = run_check("autograd", write(tmp_path, "autograd.py", source))
    assert passed < total and blamed in report, report
    assert "Traceback" not in report


def test_autograd_recursive_order_is_otherwise_right(tmp_path):
    """The recursive engine computes the right gradients on small graphs: only the 3000-deep
    chain fails, so the check blames depth, not order."""
    passed, total, report = run_check("autograd", write(tmp_path, "autograd.py",
                                                        AUTOGRAD_RECURSIVE))
    fails = [line for line in report.splitlines() if line.startswith(("FAIL", "ERROR", "TODO"))]
    assert len(fails) == 1 and "3000 deep" in fails[0] and "RecursionError" in fails[0], report
    assert "autograd.py, line" in report     # the student's own file and line


def test_the_same_file_gets_the_same_report(tmp_path):
    """Deterministic: fixed seeds and fixed cases, so a file's report never changes."""
    path = write(tmp_path, "lrn.py", _mutant("lrn", "2 * alpha * beta * x * r",
                                             "alpha * beta * x * r"))
    first, second = run_check("lrn", path)[2], run_check("lrn", path)[2]
    assert first == second
