"""Right answers written differently from minidl's files pass: the checks test what a function
computes, not how minidl happens to write it."""
from course_util import mutate, run_check, standalone_source, write

WINOGRAD_HALF_IN_AT = [
    ("""G2 = np.array([[1, 0, 0],
               [0.5, 0.5, 0.5],
               [0.5, -0.5, 0.5],
               [0, 0, 1]], dtype=np.float64)""",
     """G2 = np.array([[1, 0, 0],
               [1, 1, 1],
               [1, -1, 1],
               [0, 0, 1]], dtype=np.float64)"""),
    ("""AT2 = np.array([[1, 1, 1, 0],
                [0, 1, -1, -1]], dtype=np.float64)""",
     """AT2 = np.array([[1, 0.5, 0.5, 0],
                [0, 0.5, -0.5, -1]], dtype=np.float64)"""),
]


def test_winograd_with_the_half_in_the_output_transform(tmp_path):
    src = standalone_source("kernels/conv/winograd_reference.py")
    for old, new in WINOGRAD_HALF_IN_AT:
        src = mutate(src, old, new)
    passed, total, report = run_check("winograd", write(tmp_path, "w.py", src))
    assert passed == total, report


CONV_BY_INDEX_LOOPS = '''
import numpy as np


def im2col(x, spec):
    N, C, H, W = x.shape
    sh, sw = spec.stride
    ph, pw = spec.padding
    dh, dw = spec.dilation
    col = np.zeros((C * spec.KH * spec.KW, N * spec.OH * spec.OW), dtype=x.dtype)
    for c in range(C):
        for kh in range(spec.KH):
            for kw in range(spec.KW):
                row = (c * spec.KH + kh) * spec.KW + kw
                for oh in range(spec.OH):
                    for ow in range(spec.OW):
                        ih, iw = oh * sh - ph + kh * dh, ow * sw - pw + kw * dw
                        if 0 <= ih < H and 0 <= iw < W:
                            col[row, np.arange(N) * spec.OH * spec.OW + oh * spec.OW + ow] = \\
                                x[:, c, ih, iw]
    return col


def col2im(col, x_shape, spec):
    N, C, H, W = x_shape
    sh, sw = spec.stride
    ph, pw = spec.padding
    dh, dw = spec.dilation
    x = np.zeros(x_shape, dtype=col.dtype)
    for c in range(C):
        for kh in range(spec.KH):
            for kw in range(spec.KW):
                row = (c * spec.KH + kh) * spec.KW + kw
                for oh in range(spec.OH):
                    for ow in range(spec.OW):
                        ih, iw = oh * sh - ph + kh * dh, ow * sw - pw + kw * dw
                        if 0 <= ih < H and 0 <= iw < W:
                            x[:, c, ih, iw] += col[row, np.arange(N) * spec.OH * spec.OW
                                                   + oh * spec.OW + ow]
    return x


def conv2d_forward(x, w, b, spec):
    N = x.shape[0]
    G = spec.groups
    col = im2col(x, spec).reshape(G, -1, N * spec.OH * spec.OW)
    wg = w.reshape(G, spec.OC // G, -1)
    y = np.einsum("gok,gkp->gop", wg, col).reshape(spec.OC, N, spec.OH, spec.OW)
    if b is not None:
        y = y + b[:, None, None, None]
    return np.ascontiguousarray(y.transpose(1, 0, 2, 3)).astype(x.dtype)


def conv2d_backward(gy, x, w, spec, needs):
    G, N = spec.groups, x.shape[0]
    gy3 = gy.transpose(1, 0, 2, 3).reshape(G, spec.OC // G, -1)
    wg = w.reshape(G, spec.OC // G, -1)
    gx = gw = gb = None
    if needs[2]:
        gb = gy.sum(axis=(0, 2, 3))
    if needs[1]:
        col = im2col(x, spec).reshape(G, -1, N * spec.OH * spec.OW)
        gw = np.einsum("gop,gkp->gok", gy3, col).reshape(w.shape)
    if needs[0]:
        gcol = np.einsum("gok,gop->gkp", wg, gy3).reshape(-1, N * spec.OH * spec.OW)
        gx = col2im(gcol, x.shape, spec)
    return gx, gw, gb
'''


def test_conv_by_index_loops_and_einsum(tmp_path):
    passed, total, report = run_check("conv", write(tmp_path, "c.py", CONV_BY_INDEX_LOOPS))
    assert passed == total, report


LRN_BY_CUMSUM = '''
import numpy as np


def _window(a, before, after):
    C = a.shape[1]
    z = np.zeros_like(a[:, :1])
    c = np.concatenate([z, np.cumsum(a, axis=1)], axis=1)     # c[:, i] = sum a[:, :i]
    lo = np.clip(np.arange(C) - before, 0, C)
    hi = np.clip(np.arange(C) + after + 1, 0, C)
    return c[:, hi] - c[:, lo]


def lrn_forward(x, size, alpha, beta, k):
    s = k + alpha * _window(x.astype(np.float64) ** 2, size // 2, (size - 1) // 2)
    return (x / s ** beta).astype(x.dtype)


def lrn_backward(gy, x, size, alpha, beta, k):
    x64, g64 = x.astype(np.float64), gy.astype(np.float64)
    s = k + alpha * _window(x64 ** 2, size // 2, (size - 1) // 2)
    r = _window(g64 * x64 / s ** (beta + 1), (size - 1) // 2, size // 2)
    return (g64 / s ** beta - 2 * alpha * beta * x64 * r).astype(x.dtype)
'''


def test_lrn_by_prefix_sums(tmp_path):
    passed, total, report = run_check("lrn", write(tmp_path, "l.py", LRN_BY_CUMSUM))
    assert passed == total, report


POOL_BY_ADD_AT = standalone_source("kernels/pool/reference.py").replace(
    "            gx[n, c, argmax[:, :, oh, ow]] += gy[:, :, oh, ow]    # distinct (n, c): no clash",
    "            np.add.at(gx, (n, c, argmax[:, :, oh, ow]), gy[:, :, oh, ow])")


def test_pool_backward_by_add_at(tmp_path):
    assert "np.add.at" in POOL_BY_ADD_AT
    passed, total, report = run_check("pool", write(tmp_path, "p.py", POOL_BY_ADD_AT))
    assert passed == total, report


AUTOGRAD_WITH_DEQUE = '''
from collections import deque

from minidl.autograd import _checked, _Gradients, _node_backward


def _count_consumers(roots):
    counts, todo = {}, deque(n for n in roots if n is not None)
    for n in todo:
        counts[n] = 0
    while todo:
        node = todo.popleft()
        for t in node.inputs:
            parent = None if t is None else t.grad_fn
            if parent is None:
                continue
            if parent not in counts:
                counts[parent] = 0
                todo.append(parent)
            counts[parent] += 1
    return counts


def run_backward(roots, root_grads, retain_graph=False, capture=None):
    grads = _Gradients(capture, taken={id(g) for g in root_grads})
    left = _count_consumers([r.grad_fn for r in roots])
    for r, g in zip(roots, root_grads):
        grads.deliver(r, g)
    ready = deque(n for n, c in left.items() if c == 0)
    while ready:
        node = ready.popleft()
        outs = _node_backward(node, grads.take(node))
        for t, g in zip(node.inputs, outs):
            if t is None:
                continue
            if g is not None:
                grads.deliver(t, _checked(node, t, g))
            if t.grad_fn is not None:
                left[t.grad_fn] -= 1
                if not left[t.grad_fn]:
                    ready.append(t.grad_fn)
        if not retain_graph:
            node.release()
    grads.finish()
'''


def test_autograd_breadth_first_kahn(tmp_path):
    passed, total, report = run_check("autograd", write(tmp_path, "a.py", AUTOGRAD_WITH_DEQUE))
    assert passed == total, report
