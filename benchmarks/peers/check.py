"""Are a peer's net and minidl's the same function? Logits, and one SGD step's weight updates.

The suite's workers each run the step in their own process and send back a `digest`: for each
parameter, its gradient and its update (new - old weights) at the same 2048 positions, drawn
from a fixed seed. `update_error` compares two digests (or two full sets) normwise per entry:
||a - b|| / ||b||, the worst one. Updates rather than weights: an update is lr × (gradient +
weight decay × weight), ~1e-4 of the weight, so a wrong one would hide below the float32
rounding of the weights. Gradients too: with the paper's N(0, 0.01²) init the gradients of
the first layers can be far below weight decay × weight, so the updates alone would check
the weight decay and little of the backward pass.
"""
import numpy as np

SAMPLES = 2048
# logits; all parameters' updates and gradients together (normwise); each parameter alone.
# Per parameter the bound is loose: with the paper's init conv1's gradient is ~1000× smaller
# than fc8's, a long float32 sum with cancellation, and two correct float32 frameworks differ
# by ~1e-2 there (measured: JAX against minidl 1.2e-2, AlexNet, batch 1); a wrong gradient
# is off by O(1). Together, the parameters must agree to float32 accuracy.
LOGIT_TOL, UPDATE_TOL, PARAM_TOL = 1e-3, 1e-3, 5e-2


def digest(before, after, grads, samples=SAMPLES):
    """{"update NAME": [float, ...], "grad NAME": [...]}: each parameter's update and gradient
    at `samples` fixed positions (the same positions in every process)."""
    out = {}
    for i, name in enumerate(sorted(before)):
        d = (np.asarray(after[name], np.float64) - np.asarray(before[name], np.float64)).ravel()
        idx = np.random.default_rng(i).integers(0, d.size, min(samples, d.size))
        out["update " + name] = d[idx].tolist()
        out["grad " + name] = np.asarray(grads[name], np.float64).ravel()[idx].tolist()
    return out


def update_error(a, b):
    """(worst ||a - b|| / ||b|| over parameters, its name); a, b: digests or full updates."""
    if sorted(a) != sorted(b):
        raise ValueError(f"update_error: different parameters: {sorted(set(a) ^ set(b))}")
    worst = (0.0, "")
    for name in a:
        x, y = np.asarray(a[name], np.float64), np.asarray(b[name], np.float64)
        err = float(np.linalg.norm(x - y) / max(np.linalg.norm(y), 1e-30))
        if err >= worst[0]:
            worst = (err, name)
    return worst


def total_error(a, b):
    """||a - b|| / ||b|| over all entries of two digests at once, updates and gradients apart:
    the worse of the two."""
    worst = 0.0
    for kind in ("update ", "grad "):
        keys = [k for k in b if k.startswith(kind)]
        x = np.concatenate([np.asarray(a[k], np.float64) for k in keys])
        y = np.concatenate([np.asarray(b[k], np.float64) for k in keys])
        worst = max(worst, float(np.linalg.norm(x - y) / max(np.linalg.norm(y), 1e-30)))
    return worst


def logit_error(a, b):
    """max |a - b| / max |b| (the suite's check against PyTorch)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12))


def minidl_updated_weights(net, x, y, lr=0.01, momentum=0.9, weight_decay=5e-4):
    """(weights, gradients): minidl's weights after one SGD step on (x, y) in eval mode (dropout
    off), fresh momentum, and the gradients it took; the net's weights are put back afterwards.
    NumPy arrays by state-dict name."""
    import minidl
    import minidl.functional as F
    from minidl.optim import SGD
    saved = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    mode = net.training
    net.eval()
    try:
        opt = SGD(net.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
        opt.zero_grad()
        F.cross_entropy(net(minidl.tensor(x)), minidl.tensor(y)).backward()
        grads = {k: p.grad.numpy().copy() for k, p in net.named_parameters()}
        opt.step()
        opt.zero_grad()
        return {k: v.numpy().copy() for k, v in net.state_dict().items()}, grads
    finally:
        net.load_state_dict({k: minidl.tensor(v) for k, v in saved.items()})
        net.train(mode)
