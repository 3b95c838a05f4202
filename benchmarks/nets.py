"""Whole-net figures: a training step and an inference pass, minidl and PyTorch side by side.

A training step is what a training loop does per batch: zero the gradients, forward, cross-
entropy loss, backward, SGD with momentum 0.9 and weight decay 5e-4 (the AlexNet paper's
recipe). Inference is a forward pass in eval mode without a graph (``no_grad``).

Both frameworks get the same weights (minidl's, loaded into the PyTorch copy of the net from
`torch_nets.py`) and the same batch, and `check_same_function` verifies that their logits agree
before anything is timed: the comparison is between two implementations of one computation.
"""
import numpy as np

SIZE = 224   # input side; AlexNet pads conv1 by 2 at 224, as torchvision does


def batch(n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3, SIZE, SIZE), dtype=np.float32)
    y = rng.integers(0, 1000, n).astype(np.int64)
    return x, y


def minidl_net(arch):
    from minidl.models import alexnet, vgg16
    return alexnet(input_size=SIZE) if arch == "alexnet" else vgg16()


def minidl_train_step(net, x, y):
    import minidl
    import minidl.functional as F
    from minidl.optim import SGD
    opt = SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    xt, yt = minidl.tensor(x), minidl.tensor(y)
    net.train()

    def step():
        opt.zero_grad()
        F.cross_entropy(net(xt), yt).backward()
        opt.step()
    return step


def minidl_inference(net, x):
    import minidl
    xt = minidl.tensor(x)

    def forward():
        net.eval()
        with minidl.no_grad():
            net(xt)
    return forward


def torch_net(arch, minidl_model=None):
    import torch_nets
    state = None if minidl_model is None else {
        k: v.numpy() for k, v in minidl_model.state_dict().items()}
    return torch_nets.build(arch, state)


def torch_train_step(net, x, y):
    import torch
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    net.train()

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(xt), yt).backward()
        opt.step()
    return step


def torch_inference(net, x):
    import torch
    xt = torch.from_numpy(x)

    def forward():
        net.eval()
        with torch.no_grad():
            net(xt)
    return forward


def check_same_function(mnet, tnet, x):
    """Largest |logit difference| between the two nets in eval mode, relative to the logits'
    scale; raises if they compute different functions (a wrong port would make ratios moot)."""
    import minidl
    import torch
    mnet.eval()
    tnet.eval()
    with minidl.no_grad():
        a = mnet(minidl.tensor(x)).numpy()
    with torch.no_grad():
        b = tnet(torch.from_numpy(x)).numpy()
    scale = max(float(np.abs(b).max()), 1e-12)
    diff = float(np.abs(a - b).max()) / scale
    if not diff < 1e-3:
        raise RuntimeError(f"minidl and PyTorch nets disagree: max |Δ logit| / max |logit| = "
                           f"{diff:.2e}")
    return diff
