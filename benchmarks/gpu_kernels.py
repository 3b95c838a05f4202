"""Every kernel family's numba.cuda kernels against its NumPy reference (`benchmarks/gpu.py`).

    rows = check_kernels(xp, size="full")    # xp: cupy on a GPU; numpy under the simulator

For each family (conv by im2col and by Winograd F(2×2, 3×3), ReLU, LRN, max/avg/adaptive-avg
pooling, dropout) and each of its ops, forward and backward: the CUDA kernel on float32 device
arrays against the reference (kernels/*/reference.py, plain NumPy) in float64 on the host, from
the same float32 numbers; error = ||gpu - ref|| / ||ref|| per output, the worst of them.
"full" uses AlexNet-like layer shapes at batch 4; "tiny" a few pixels and channels, for Numba's
CUDA simulator (NUMBA_ENABLE_CUDASIM=1), which runs the kernels in Python and checks this
script's logic without a GPU. Dropout's mask must be bit-equal (one counter-based hash on both).
"""
import numpy as np

TOL = {"conv": 1e-4, "default": 1e-5}   # float32 against float64, normwise

# (name, N, C, H, OC, k, stride, padding, groups, algorithm)
CONV = {"full": [("AlexNet conv1", 4, 3, 227, 96, 11, 4, 0, 1, "im2col"),
                 ("AlexNet conv2", 4, 96, 27, 256, 5, 1, 2, 2, "im2col"),
                 ("AlexNet conv3", 4, 256, 13, 384, 3, 1, 1, 1, "im2col"),
                 ("AlexNet conv3", 4, 256, 13, 384, 3, 1, 1, 1, "winograd"),
                 ("VGG conv3_1", 2, 128, 56, 256, 3, 1, 1, 1, "winograd"),
                 ("AlexNet conv4", 4, 384, 13, 384, 3, 1, 1, 2, "winograd")],
        "tiny": [("strided 5×5", 2, 3, 11, 4, 5, 2, 1, 1, "im2col"),
                 ("grouped 3×3", 1, 4, 6, 4, 3, 1, 1, 2, "im2col"),
                 ("grouped 3×3", 1, 4, 6, 4, 3, 1, 1, 2, "winograd"),
                 ("odd 3×3", 2, 2, 5, 3, 3, 1, 1, 1, "winograd")]}
MAPS = {"full": (4, 96, 55), "tiny": (2, 6, 7)}   # (N, C, side) for ReLU, LRN, pooling, dropout


def _err(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-30))


def _host(a):
    return a.get() if hasattr(a, "get") else np.asarray(a)


def _row(family, what, shape, fwd, bwd, tol=None):
    tol = tol or TOL["default"]
    return {"family": family, "op": what, "shape": shape, "forward": fwd, "backward": bwd,
            "ok": fwd <= tol and bwd <= tol}


def conv_rows(xp, size):
    from minidl.kernels.conv import cuda, reference, winograd_cuda
    from minidl.kernels.conv.spec import make_spec
    rows, rng = [], np.random.default_rng(0)
    for name, N, C, H, OC, k, s, p, g, algo in CONV[size]:
        x = rng.standard_normal((N, C, H, H), dtype=np.float32)
        w = rng.standard_normal((OC, C // g, k, k), dtype=np.float32) * (C // g * k * k) ** -0.5
        b = rng.standard_normal(OC, dtype=np.float32)
        spec = make_spec(x.shape, w.shape, s, p, 1, g)
        kernels = cuda if algo == "im2col" else winograd_cuda
        y = _host(kernels.conv2d_forward(xp.asarray(x), xp.asarray(w), xp.asarray(b), spec))
        x64, w64 = x.astype(np.float64), w.astype(np.float64)
        y_ref = reference.conv2d_forward(x64, w64, b.astype(np.float64), spec)
        gy = rng.standard_normal(y.shape, dtype=np.float32)
        got = kernels.conv2d_backward(xp.asarray(gy), xp.asarray(x), xp.asarray(w), spec,
                                      (True, True, True))
        want = reference.conv2d_backward(gy.astype(np.float64), x64, w64, spec,
                                         (True, True, True))
        bwd = max(_err(_host(a), e) for a, e in zip(got, want))
        rows.append(_row(f"conv ({algo})", name,
                         f"{N}×{C}×{H}² → {OC}, {k}×{k}/{s} p{p} g{g}", _err(y, y_ref), bwd,
                         TOL["conv"]))
    return rows


def map_rows(xp, size):
    from minidl.kernels.dropout import cuda as drop_cuda, reference as drop_ref
    from minidl.kernels.lrn import cuda as lrn_cuda, reference as lrn_ref
    from minidl.kernels.pool import cuda as pool_cuda, reference as pool_ref
    from minidl.kernels.pool.spec import make_spec
    from minidl.kernels.relu import cuda as relu_cuda, reference as relu_ref
    N, C, S = MAPS[size]
    rng = np.random.default_rng(1)
    x = rng.standard_normal((N, C, S, S), dtype=np.float32)
    x64, dx = x.astype(np.float64), xp.asarray(x)
    shape = f"{N}×{C}×{S}²"
    rows = []

    y = relu_cuda.relu_forward(dx)
    gy = rng.standard_normal(x.shape, dtype=np.float32)
    y_ref = relu_ref.relu_forward(x64)
    rows.append(_row("relu", "relu", shape, _err(_host(y), y_ref), _err(
        _host(relu_cuda.relu_backward(xp.asarray(gy), y)),
        relu_ref.relu_backward(gy.astype(np.float64), y_ref))))

    lrn = (5, 1e-4, 0.75, 2.0)
    rows.append(_row("lrn", "size 5, α 1e-4, β 0.75, k 2", shape,
                     _err(_host(lrn_cuda.lrn_forward(dx, *lrn)), lrn_ref.lrn_forward(x64, *lrn)),
                     _err(_host(lrn_cuda.lrn_backward(xp.asarray(gy), dx, *lrn)),
                          lrn_ref.lrn_backward(gy.astype(np.float64), x64, *lrn))))

    spec = make_spec(x.shape, 3, 2)
    y, argmax = pool_cuda.max_pool2d_forward(dx, spec)
    y_ref, argmax_ref = pool_ref.max_pool2d_forward(x64, spec)
    g = rng.standard_normal(y_ref.shape, dtype=np.float32)
    same_argmax = bool(np.array_equal(_host(argmax), argmax_ref))
    rows.append(_row("pool", "max 3×3/2" + ("" if same_argmax else " (argmax differs)"), shape,
                     _err(_host(y), y_ref) if same_argmax else np.inf,
                     _err(_host(pool_cuda.max_pool2d_backward(xp.asarray(g), argmax, x.shape,
                                                              spec)),
                          pool_ref.max_pool2d_backward(g.astype(np.float64), argmax_ref,
                                                       x.shape, spec))))

    spec = make_spec(x.shape, 3, 2, 1, False, False)
    y_ref = pool_ref.avg_pool2d_forward(x64, spec)
    g = rng.standard_normal(y_ref.shape, dtype=np.float32)
    rows.append(_row("pool", "avg 3×3/2 p1, count_include_pad=False", shape,
                     _err(_host(pool_cuda.avg_pool2d_forward(dx, spec)), y_ref),
                     _err(_host(pool_cuda.avg_pool2d_backward(xp.asarray(g), x.shape, spec)),
                          pool_ref.avg_pool2d_backward(g.astype(np.float64), x.shape, spec))))

    out = (6, 6) if size == "full" else (3, 2)
    y_ref = pool_ref.adaptive_avg_pool2d_forward(x64, out)
    g = rng.standard_normal(y_ref.shape, dtype=np.float32)
    rows.append(_row("pool", f"adaptive avg to {out[0]}×{out[1]}", shape,
                     _err(_host(pool_cuda.adaptive_avg_pool2d_forward(dx, out)), y_ref),
                     _err(_host(pool_cuda.adaptive_avg_pool2d_backward(xp.asarray(g), x.shape,
                                                                       out)),
                          pool_ref.adaptive_avg_pool2d_backward(g.astype(np.float64), x.shape,
                                                                out))))

    key, p = 0x0123456789ABCDEF, 0.5
    y, mask = drop_cuda.dropout_forward(dx, p, key)
    y_ref, mask_ref = drop_ref.dropout_forward(x, p, key)
    same_mask = bool(np.array_equal(_host(mask), mask_ref))
    rows.append(_row("dropout", "p 0.5" + ("" if same_mask else " (mask differs)"), shape,
                     _err(_host(y), y_ref) if same_mask else np.inf,
                     _err(_host(drop_cuda.dropout_backward(xp.asarray(gy), mask, p)),
                          drop_ref.dropout_backward(gy, mask_ref, p))))
    return rows


def check_kernels(xp, size="full"):
    """A list of rows (family, op, shape, forward and backward errors, ok) for every family."""
    return conv_rows(xp, size) + map_rows(xp, size)
