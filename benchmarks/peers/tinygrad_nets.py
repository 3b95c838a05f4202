"""The suite's nets in tinygrad: a TinyJit training step, from minidl's weights.

    net = Net(arch.layers("alexnet"), state)     # state: minidl's state dict as NumPy arrays
    step = net.train_step(x, y)                  # TinyJit: forward, loss, backward, SGD
    net.logits(x)                                # eval-mode forward (no dropout), NumPy (N, classes)
    net.updated_weights(x, y)                    # (weights, grads) of one SGD step
                                                 # without dropout, NumPy

Recipe as minidl's and PyTorch's step: mean cross-entropy, tinygrad's SGD with momentum 0.9
and weight decay 5e-4 (its non-classic rule is PyTorch's: buf = m*buf + g + wd*w;
w -= lr*buf). NCHW maps and OIHW filters, tinygrad's own layout. tinygrad has no LRN: it is
written from its tensor ops (channel window sum of shifted slices), as jax_nets.py does.
On the CPU tinygrad compiles its kernels with clang (Debian's ``clang`` package).
"""
import numpy as np
from tinygrad import Context, Tensor, TinyJit, dtypes
from tinygrad.nn.optim import SGD

LR, MOMENTUM, WEIGHT_DECAY = 0.01, 0.9, 5e-4


def _lrn(x, size, alpha, beta, k):
    sq = (x * x).pad(((0, 0), (size // 2, (size - 1) // 2), (0, 0), (0, 0)))
    c = x.shape[1]
    window = sq[:, 0:c]
    for i in range(1, size):
        window = window + sq[:, i:i + c]
    return x / (k + alpha * window).pow(beta)


def forward(params, x, layers, dropout=True):
    """x (N, C, H, W) -> logits; dropout (when `dropout`) only inside Context(TRAINING=1)."""
    for layer in layers:
        kind = layer[0]
        if kind == "conv":
            _, name, s, p, g = layer
            x = x.conv2d(params[name + ".weight"], params[name + ".bias"], groups=g, stride=s,
                         padding=p)
        elif kind == "relu":
            x = x.relu()
        elif kind == "lrn":
            x = _lrn(x, *layer[1:])
        elif kind == "maxpool":
            x = x.max_pool2d(kernel_size=(layer[1], layer[1]), stride=layer[2])
        elif kind == "avgpool_to":
            n, c, h, w = x.shape
            side = layer[1]
            if h % side or w % side:
                raise ValueError(f"tinygrad_nets: avgpool_to({side}) needs sides divisible by "
                                 f"it, got {h}×{w}")
            x = x.reshape(n, c, side, h // side, side, w // side).mean(axis=(3, 5))
        elif kind == "flatten":
            x = x.flatten(1)
        elif kind == "linear":
            x = x.linear(params[layer[1] + ".weight"].T, params[layer[1] + ".bias"])
        elif kind == "dropout":
            x = x.dropout(layer[1]) if dropout else x
        else:
            raise ValueError(f"tinygrad_nets: unknown layer {layer!r}")
    return x


class Net:
    def __init__(self, layers, state):
        self.layers = tuple(layers)
        self.params = {k: Tensor(np.asarray(v, np.float32)).realize()
                       for k, v in state.items()}

    def _loss(self, x, y, dropout=True):
        return forward(self.params, x, self.layers, dropout).sparse_categorical_crossentropy(y)

    @staticmethod
    def _batch(x, y=None):
        xt = Tensor(np.ascontiguousarray(x, np.float32)).realize()
        return xt if y is None else (xt, Tensor(np.asarray(y, np.int32), dtype=dtypes.int32).realize())

    def logits(self, x):
        with Context(TRAINING=0):
            return forward(self.params, self._batch(x), self.layers).numpy()

    def updated_weights(self, x, y):
        """(weights, gradients) of one SGD step with dropout off and fresh momentum; the net's
        weights are put back afterwards."""
        saved = {k: v.numpy() for k, v in self.params.items()}
        try:
            with Context(TRAINING=1):   # the optimizer asks for it; dropout is left out
                opt = SGD(list(self.params.values()), lr=LR, momentum=MOMENTUM,
                          weight_decay=WEIGHT_DECAY)
                opt.zero_grad()
                self._loss(*self._batch(x, y), dropout=False).backward()
                # all gradients in one schedule: realised one by one, each .numpy() would run
                # the whole backward again (16 times for AlexNet)
                Tensor.realize(*(v.grad for v in self.params.values()))
                grads = {k: v.grad.numpy() for k, v in self.params.items()}
                opt.step()
            return {k: v.numpy() for k, v in self.params.items()}, grads
        finally:
            for k, v in saved.items():
                self.params[k].assign(Tensor(v)).realize()

    def train_step(self, x, y):
        xt, yt = self._batch(x, y)
        opt = SGD(list(self.params.values()), lr=LR, momentum=MOMENTUM,
                  weight_decay=WEIGHT_DECAY)

        @TinyJit
        def step(xb, yb):
            opt.zero_grad()
            loss = self._loss(xb, yb).backward()
            opt.step()
            return loss.realize()

        def run():
            with Context(TRAINING=1):
                step(xt, yt).numpy()   # numpy(): waits for the step
        return run
