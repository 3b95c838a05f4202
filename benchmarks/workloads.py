"""The work each figure times, built for one framework: `build(framework, spec)` -> a callable.

A spec is a tuple a worker process receives (see `workers.py`):

    ("gemm", n)                           NumPy float32 n×n matmul (the GEMM-rate yardstick)
    ("copy", mib)                         NumPy copy of mib MiB (the bandwidth yardstick)
    ("net", arch, batch, kind, weights)   a training step or an inference pass (`nets.py`);
                                          weights: an .npz of minidl's state dict, or None;
                                          in the peers' workers (jax, tinygrad) a training
                                          step of `peers/`'s net from those weights
    ("conv", N, C, OC, k, s, p, g, size, first[, "percore"])   one conv layer, forward +
                                          backward, by the algorithm the dispatch picks (the
                                          worker's conv_algo) or by percore_cpu.py
    ("conv-gemms", N, C, OC, k, s, p, g, size, first)   minidl: only that layer's GEMMs
    ("op", name, shape)                   LRN, max-pool, ReLU or dropout, forward + backward
    ("conv-fft", N)                       minidl: AlexNet's conv2 by the FFT prototype,
                                          forward + backward (`conv_fft.py`)

minidl's side calls its kernels as the autograd nodes do; PyTorch's side calls
``torch.nn.functional`` with autograd. Inputs come from the same seeds on both sides.
"""
import os

import numpy as np

import layer_ops
import nets


def build(framework, spec):
    kind = spec[0]
    if kind == "gemm":
        a = np.random.default_rng(0).standard_normal((spec[1], spec[1]), dtype=np.float32)
        out = np.empty_like(a)
        return lambda: np.matmul(a, a, out=out)
    if kind == "copy":
        src = np.ones(spec[1] << 18, np.float32)
        dst = np.empty_like(src)
        return lambda: np.copyto(dst, src)
    if kind == "net":
        if framework in ("jax", "tinygrad"):
            return _peer_net(framework, *spec[1:])
        return _net(framework, *spec[1:])
    if kind == "conv":
        return (_minidl_conv if framework == "minidl" else _torch_conv)(*spec[1:])
    if kind == "conv-gemms":
        return _minidl_conv_gemms(*spec[1:])
    if kind == "conv-fft":
        import conv_fft
        return conv_fft.workload(*spec[1:])
    if kind == "op":
        x = np.random.default_rng(0).standard_normal(spec[2], dtype=np.float32)
        return (layer_ops.minidl_step if framework == "minidl" else layer_ops.torch_step)(
            spec[1], x)
    raise ValueError(f"unknown workload {spec!r}")


_built = {}   # the last net built, (framework, arch, batch) -> (net, x, y): one net per worker


def _net(framework, arch, n, kind, weights):
    """A training step or inference pass of `arch`; the inference and training figures of one
    arch share the net (built once: VGG-16's 138M weights take seconds to draw and to pass)."""
    key = (framework, arch, n)
    fresh = framework == "minidl" and weights and not os.path.exists(weights)
    if key not in _built or fresh:   # new weights to write: from a net no figure has trained
        _built.clear()
        x, y = nets.batch(n)
        build = _build_minidl if framework == "minidl" else _build_torch
        _built[key] = build(arch, weights), x, y
    net, x, y = _built[key]
    if fresh:
        np.savez(weights, **{k: v.numpy() for k, v in net.state_dict().items()})
    if framework == "minidl":
        fn = nets.minidl_train_step(net, x, y) if kind == "train" else nets.minidl_inference(net, x)
        fn.logits = lambda: _logits_minidl(net, x[:2])
        fn.updates = lambda: _updates_minidl(net, x, y)
    else:
        fn = nets.torch_train_step(net, x, y) if kind == "train" else nets.torch_inference(net, x)
        fn.logits = lambda: _logits_torch(net, x[:2])
    return fn


def _build_minidl(arch, weights):
    import minidl
    minidl.manual_seed(0)
    return nets.minidl_net(arch)


def _updates_minidl(net, x, y):
    from peers import check
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    return check.digest(before, *check.minidl_updated_weights(net, x, y))


def _peer_net(framework, arch_name, n, kind, weights):
    """A peer's training step of `arch_name` from minidl's weights (the .npz minidl's worker
    wrote); .logits() and .updates() for the checks before timing."""
    import importlib
    from peers import arch, check
    if kind != "train" or not weights:
        raise ValueError(f"{framework}: the peers time training steps from minidl's weights; "
                         f"got kind={kind!r}, weights={weights!r}")
    with np.load(weights) as f:
        state = {k: f[k] for k in f.files}
    x, y = nets.batch(n)
    net = importlib.import_module(f"peers.{framework}_nets").Net(arch.layers(arch_name), state)
    fn = net.train_step(x, y)
    fn.logits = lambda: net.logits(x[:2])
    fn.updates = lambda: check.digest(state, *net.updated_weights(x, y))
    return fn


def _build_torch(arch, weights):
    import torch_nets
    state = None
    if weights:
        with np.load(weights) as f:
            state = {k: f[k] for k in f.files}
    return torch_nets.build(arch, state)


def _logits_minidl(net, x):
    import minidl
    net.eval()
    with minidl.no_grad():
        return net(minidl.tensor(x)).numpy()


def _logits_torch(net, x):
    import torch
    net.eval()
    with torch.no_grad():
        return net(torch.from_numpy(x)).numpy()


def _minidl_conv(N, C, OC, k, s, p, g, size, first, algo=None):
    """The kernels the autograd node picks for this layer (the worker's conv_algo, default
    auto), or with algo="percore" kernels/conv/percore_cpu.py."""
    from minidl.kernels.conv import percore_cpu
    from minidl.kernels.conv.dispatch import conv_kernels
    from minidl.kernels.conv.spec import make_spec
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, size, size), dtype=np.float32)
    w = rng.standard_normal((OC, C // g, k, k), dtype=np.float32) * 0.01
    b = np.zeros(OC, np.float32)
    args = make_spec(x.shape, w.shape, s, p, 1, g)
    conv = percore_cpu if algo == "percore" else conv_kernels(x, args)
    gy = rng.standard_normal(conv.conv2d_forward(x, w, b, args).shape, dtype=np.float32)

    def step():
        conv.conv2d_forward(x, w, b, args)
        conv.conv2d_backward(gy, x, w, args, (not first, True, True))
    return step


def _minidl_conv_gemms(N, C, OC, k, s, p, g, size, first):
    """Only the GEMMs minidl's conv kernel runs for this layer (forward, weight gradient and,
    unless first, input gradient), with its chunking: what the layer would cost if im2col,
    col2im and the layout copies were free."""
    from minidl.kernels.conv import cpu
    from minidl.kernels.shapes import conv_output_size
    OH = OW = conv_output_size(size, k, s, p)
    K, OCg = C // g * k * k, OC // g
    widths = [(r1 - r0) * OW for r0, r1 in cpu._chunks(N, OH, C * k * k * OW * 4)]
    J = max(widths)
    rng = np.random.default_rng(0)
    col = rng.standard_normal((g, K, J), dtype=np.float32)
    gyr = rng.standard_normal((g, OCg, J), dtype=np.float32)
    w = rng.standard_normal((g, OCg, K), dtype=np.float32)
    out, gwt = np.empty((g, OCg, J), np.float32), np.empty((g, K, OCg), np.float32)

    def step():
        for j in widths:
            for i in range(g):
                np.matmul(w[i], col[i, :, :j], out=out[i, :, :j])
                np.matmul(col[i, :, :j], gyr[i, :, :j].T, out=gwt[i])
                if not first:
                    np.matmul(w[i].T, gyr[i, :, :j], out=col[i, :, :j])
    return step


def _torch_conv(N, C, OC, k, s, p, g, size, first, algo=None):
    import torch
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.standard_normal((N, C, size, size), dtype=np.float32))
    w = torch.from_numpy(rng.standard_normal((OC, C // g, k, k), dtype=np.float32) * 0.01)
    b = torch.zeros(OC, requires_grad=True)
    x.requires_grad_(not first)
    w.requires_grad_()
    with torch.no_grad():
        shape = torch.nn.functional.conv2d(x, w, None, s, p, 1, g).shape
    gy = torch.from_numpy(rng.standard_normal(tuple(shape), dtype=np.float32))

    def step():
        x.grad = w.grad = b.grad = None
        torch.nn.functional.conv2d(x, w, b, s, p, 1, g).backward(gy)
    return step
