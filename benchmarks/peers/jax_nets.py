"""The suite's nets in JAX: one jitted training step (XLA), from minidl's weights.

    net = Net(arch.layers("alexnet"), state)     # state: minidl's state dict as NumPy arrays
    step = net.train_step(x, y)                  # jitted: forward, loss, grad, SGD; blocks
    net.logits(x)                                # eval-mode forward, NumPy (N, classes)
    net.updated_weights(x, y)                    # (weights, grads) of one SGD step without
                                                 # dropout, NumPy, PyTorch's layout

Recipe as minidl's and PyTorch's step: mean cross-entropy, SGD with momentum 0.9 and weight
decay 5e-4 added to the gradient (PyTorch's rule: buf = m*buf + g + wd*w; w -= lr*buf).
Layout: NHWC maps and HWIO filters, XLA's native CPU convolution layout (as Flax writes them);
the batch is transposed once, outside the timed step, and the maps go back to NCHW before
flatten so fc6 takes minidl's weights unchanged. Parameters and momentum buffers are donated
to the step, so XLA updates them in place.
"""
import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

LR, MOMENTUM, WEIGHT_DECAY = 0.01, 0.9, 5e-4


def _to_jax(key, v):
    v = np.asarray(v, np.float32)
    return jnp.asarray(v.transpose(2, 3, 1, 0) if v.ndim == 4 else v)   # OIHW -> HWIO


def _to_numpy(v):
    v = np.asarray(v)
    return v.transpose(3, 2, 0, 1) if v.ndim == 4 else v   # HWIO -> OIHW


def _lrn(x, size, alpha, beta, k):
    """x (N, H, W, C): x / (k + alpha * sum of x² over `size` neighbouring channels)^beta."""
    sq = jnp.pad(x * x, ((0, 0), (0, 0), (0, 0), (size // 2, (size - 1) // 2)))
    c = x.shape[-1]
    window = sum(sq[..., i:i + c] for i in range(size))
    return x / (k + alpha * window) ** beta


def forward(params, x, layers, key=None):
    """x (N, H, W, C) -> logits (N, classes); dropout only when `key` (a PRNG key) is given."""
    for layer in layers:
        kind = layer[0]
        if kind == "conv":
            _, name, s, p, g = layer
            x = lax.conv_general_dilated(x, params[name + ".weight"], (s, s), [(p, p), (p, p)],
                                         dimension_numbers=("NHWC", "HWIO", "NHWC"),
                                         feature_group_count=g) + params[name + ".bias"]
        elif kind == "relu":
            x = jnp.maximum(x, 0.0)
        elif kind == "lrn":
            x = _lrn(x, *layer[1:])
        elif kind == "maxpool":
            k, s = layer[1:]
            x = lax.reduce_window(x, -jnp.inf, lax.max, (1, k, k, 1), (1, s, s, 1), "VALID")
        elif kind == "avgpool_to":
            n, h, w, c = x.shape
            side = layer[1]
            if h % side or w % side:
                raise ValueError(f"jax_nets: avgpool_to({side}) needs sides divisible by it, "
                                 f"got {h}×{w}")
            x = x.reshape(n, side, h // side, side, w // side, c).mean(axis=(2, 4))
        elif kind == "flatten":
            x = x.transpose(0, 3, 1, 2).reshape(x.shape[0], -1)   # NCHW order, as minidl's
        elif kind == "linear":
            x = x @ params[layer[1] + ".weight"].T + params[layer[1] + ".bias"]
        elif kind == "dropout":
            if key is not None:
                key, sub = jax.random.split(key)
                keep = 1.0 - layer[1]
                x = jnp.where(jax.random.bernoulli(sub, keep, x.shape), x / keep, 0.0)
        else:
            raise ValueError(f"jax_nets: unknown layer {layer!r}")
    return x


def loss(params, x, y, layers, key):
    logits = forward(params, x, layers, key)
    picked = jnp.take_along_axis(logits, y[:, None], axis=1)[:, 0]
    return jnp.mean(jax.nn.logsumexp(logits, axis=1) - picked)


def sgd(params, bufs, grads):
    bufs = {k: MOMENTUM * bufs[k] + grads[k] + WEIGHT_DECAY * params[k] for k in params}
    return {k: params[k] - LR * bufs[k] for k in params}, bufs


class Net:
    def __init__(self, layers, state, seed=0):
        self.layers = tuple(layers)
        self.params = {k: _to_jax(k, v) for k, v in state.items()}
        self.bufs = {k: jnp.zeros_like(v) for k, v in self.params.items()}
        self.key = jax.random.PRNGKey(seed)
        layers = self.layers

        @functools.partial(jax.jit, donate_argnums=(0, 1))
        def step(params, bufs, x, y, key):
            key, sub = jax.random.split(key)
            grads = jax.grad(loss)(params, x, y, layers, sub)
            params, bufs = sgd(params, bufs, grads)
            return params, bufs, key

        @jax.jit
        def plain_step(params, x, y):   # dropout off, momentum buffers fresh
            grads = jax.grad(loss)(params, x, y, layers, None)
            zeros = {k: jnp.zeros_like(v) for k, v in params.items()}
            return sgd(params, zeros, grads)[0], grads

        self._step, self._plain_step = step, plain_step
        self._forward = jax.jit(lambda params, x: forward(params, x, layers))

    @staticmethod
    def _batch(x, y=None):
        xj = jnp.asarray(np.ascontiguousarray(np.asarray(x, np.float32).transpose(0, 2, 3, 1)))
        return xj if y is None else (xj, jnp.asarray(np.asarray(y, np.int32)))

    def logits(self, x):
        return np.asarray(self._forward(self.params, self._batch(x)))

    def updated_weights(self, x, y):
        new, grads = self._plain_step(self.params, *self._batch(x, y))
        return ({k: _to_numpy(v) for k, v in new.items()},
                {k: _to_numpy(v) for k, v in grads.items()})

    def train_step(self, x, y):
        xj, yj = self._batch(x, y)

        def run():
            self.params, self.bufs, self.key = self._step(self.params, self.bufs, xj, yj,
                                                          self.key)
            jax.block_until_ready(self.params)
        return run
