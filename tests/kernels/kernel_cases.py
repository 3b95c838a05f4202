"""Shared cases for the kernel tests: hypothesis strategies for layer geometries, the independent
direct-convolution oracle (`conv2d_direct`, which lives in `minidl.kernels.conv.naive` as the
naive teaching version), tolerances per dtype, and the conv algorithm tests' common checks
(float32 error against float64, agreement with PyTorch under a conv algorithm)."""
import numpy as np
import pytest
from hypothesis import assume
from hypothesis import strategies as st

from minidl.kernels.conv.naive import conv2d_direct  # noqa: F401  (re-exported for the tests)
from minidl.kernels.conv.spec import make_spec
from minidl.kernels.pool.spec import make_spec as make_pool_spec
from minidl.kernels.shapes import conv_output_size, pool_output_size

TOL = {np.float64: dict(rtol=1e-10, atol=1e-10), np.float32: dict(rtol=1e-4, atol=1e-4)}


def assert_close(actual, expected, dtype=np.float64, **kw):
    np.testing.assert_allclose(actual, expected, **{**TOL[np.dtype(dtype).type], **kw})


def T(a):
    """A float64 minidl tensor that requires grad."""
    import minidl
    return minidl.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def float32_errors(conv, x, w, gy, args, need_x=True):
    """Normwise errors of kernel module `conv` in float32 against minidl's im2col in float64:
    [forward, and the input (when need_x) and weight gradients]. args: (stride, padding,
    dilation, groups)."""
    from minidl.kernels.conv import cpu
    args = make_spec(x.shape, w.shape, *args)
    exact = (cpu.conv2d_forward(x, w, None, args),) + \
        cpu.conv2d_backward(gy, x, w, args, (need_x, True, False))[:2]
    x32, w32, gy32 = (v.astype(np.float32) for v in (x, w, gy))
    got = (conv.conv2d_forward(x32, w32, None, args),) + \
        conv.conv2d_backward(gy32, x32, w32, args, (need_x, True, False))[:2]
    assert all(g is None or g.dtype == np.float32 for g in got)
    return [float(np.linalg.norm(g - e) / np.linalg.norm(e))
            for g, e in zip(got, exact) if e is not None]


NEEDS = [(True, False, False), (False, True, False), (False, False, True), (False, True, True)]


def assert_computes_only_what_is_asked(conv, x, w, spec, needs):
    """conv.conv2d_backward with `needs` gives the reference's gradients where asked and None
    elsewhere."""
    from minidl.kernels.conv import reference
    gy = np.ones(spec.out_shape(x.shape[0]))
    got = conv.conv2d_backward(gy, x, w, spec, needs)
    want = reference.conv2d_backward(gy, x, w, spec, (True, True, True))
    for need, g, r in zip(needs, got, want):
        if need:
            assert_close(g, r)
        else:
            assert g is None


def alexnet_float32_errors(conv, x_shape, w_shape, gy_shape, args):
    """float32_errors of `conv` at one of AlexNet's layers, batch 1, weights He-scaled."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal(w_shape) * (2 / np.prod(w_shape[1:])) ** 0.5
    return float32_errors(conv, x, w, rng.standard_normal(gy_shape), args)


def gradcheck_under_winograd(x, w, b, spec, kind):
    """F.conv2d's gradients (b None: no bias) under ``use(conv_algo="winograd")``, whose
    kernels for this layer must be `kind`: winograd_cpu itself, or a rewrite class around it."""
    import minidl
    import minidl.functional as F
    from minidl.kernels import use
    from minidl.kernels.conv import dispatch, winograd_cpu
    inputs = [T(x), T(w)] + ([] if b is None else [T(b)])
    with use(conv_algo="winograd"):
        kern = dispatch.conv_kernels(x, spec)
        if kind is winograd_cpu:
            assert kern is winograd_cpu
        else:
            assert isinstance(kern, kind) and kern.inner is winograd_cpu
        return minidl.gradcheck(lambda x, w, *b: F.conv2d(
            x, w, *(b or [None]), stride=spec.stride, padding=spec.padding, groups=spec.groups),
            inputs)


def auto_im2col(batch=8):
    """What ``conv_algo="auto"`` runs the layers its rule gives to im2col (1×1 ones apart) for
    a batch of `batch` images: "direct" while dispatch.direct_in_auto(), "percore" while
    PERCORE_IN_AUTO and the batch has an image for every core, else "im2col"."""
    from minidl.kernels.conv import dispatch
    from minidl.kernels.threads import cpu_threads
    if dispatch.direct_in_auto():
        return "direct"
    return "percore" if dispatch.PERCORE_IN_AUTO and batch >= cpu_threads() else "im2col"


def pick(x_shape, w_shape, stride, dilation, groups):
    """What the dispatch picks for a layer of these shapes."""
    from minidl.kernels.conv import dispatch
    return dispatch.choose(x_shape, make_spec(x_shape, w_shape, stride, 0, dilation, groups))


def kernels_for(x, w_shape, stride, dilation, groups):
    """The kernel module the dispatch gives a layer of these shapes."""
    from minidl.kernels.conv import dispatch
    return dispatch.conv_kernels(x, make_spec(x.shape, w_shape, stride, 0, dilation, groups))


def assert_conv_equals_torch(x, w, b, stride, padding, groups, algo):
    """F.conv2d's output and gradients under ``kernels.use(conv_algo=algo)`` equal PyTorch's."""
    torch = pytest.importorskip("torch")
    import minidl
    import minidl.functional as F
    from minidl.kernels import use
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = torch.nn.functional.conv2d(xt, wt, bt, stride, padding, 1, groups)
    gy = np.random.default_rng(2).standard_normal(tuple(yt.shape))
    yt.backward(torch.tensor(gy))
    xm, wm, bm = T(x), T(w), T(b)
    with use(conv_algo=algo):
        y = F.conv2d(xm, wm, bm, stride=stride, padding=padding, groups=groups)
        y.backward(minidl.tensor(gy))
    assert_close(y.detach().numpy(), yt.detach().numpy())
    for m, t in ((xm, xt), (wm, wt), (bm, bt)):
        assert_close(m.grad.numpy(), t.grad.numpy())


@st.composite
def conv_cases(draw, max_side=8):
    """A valid conv2d geometry: a dict of N, C, OC, H, W, KH, KW, stride, padding, dilation,
    groups."""
    groups = draw(st.integers(1, 3))
    case = dict(N=draw(st.integers(1, 2)), groups=groups,
                C=groups * draw(st.integers(1, 3)), OC=groups * draw(st.integers(1, 3)),
                H=draw(st.integers(1, max_side)), W=draw(st.integers(1, max_side)),
                KH=draw(st.integers(1, 4)), KW=draw(st.integers(1, 4)),
                stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
                padding=(draw(st.integers(0, 2)), draw(st.integers(0, 2))),
                dilation=(draw(st.integers(1, 2)), draw(st.integers(1, 2))))
    assume(conv_output_size(case["H"], case["KH"], case["stride"][0], case["padding"][0],
                            case["dilation"][0]) >= 1)
    assume(conv_output_size(case["W"], case["KW"], case["stride"][1], case["padding"][1],
                            case["dilation"][1]) >= 1)
    return case


def conv_arrays(case, dtype=np.float64, seed=0):
    """x, w, b for a conv case."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((case["N"], case["C"], case["H"], case["W"])).astype(dtype)
    w = rng.standard_normal((case["OC"], case["C"] // case["groups"], case["KH"], case["KW"]))
    b = rng.standard_normal(case["OC"])
    return x, w.astype(dtype), b.astype(dtype)


def spec_of(case):
    """The case's ConvSpec."""
    return make_spec((case["N"], case["C"], case["H"], case["W"]),
                     (case["OC"], case["C"] // case["groups"], case["KH"], case["KW"]),
                     case["stride"], case["padding"], case["dilation"], case["groups"])


@st.composite
def pool_cases(draw, max_side=9):
    """A valid pooling geometry: kernel, stride, padding <= kernel // 2, ceil_mode."""
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    case = dict(N=draw(st.integers(1, 2)), C=draw(st.integers(1, 3)),
                H=draw(st.integers(1, max_side)), W=draw(st.integers(1, max_side)),
                kernel_size=k, stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
                padding=(draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2))),
                ceil_mode=draw(st.booleans()))
    for i, side in enumerate(("H", "W")):
        assume(pool_output_size(case[side], k[i], case["stride"][i], case["padding"][i],
                                case["ceil_mode"]) >= 1)
    return case


def pool_args(case, count_include_pad=True):
    """The case's PoolSpec."""
    return make_pool_spec((case["N"], case["C"], case["H"], case["W"]), case["kernel_size"],
                          case["stride"], case["padding"], case["ceil_mode"], count_include_pad)


def distinct(shape, seed, dtype=np.float64):
    """Values all different and shuffled: max pooling has no ties to break."""
    n = int(np.prod(shape))
    v = (np.arange(n) - n / 2) * 0.1
    np.random.default_rng(seed).shuffle(v)
    return v.reshape(shape).astype(dtype)
