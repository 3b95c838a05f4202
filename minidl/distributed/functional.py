"""Collectives as autograd Functions: what model parallelism (AlexNet's two towers) is made of.

    y = all_gather_cat(x, dim=1)          x (N, C, ...) on each of P ranks -> y (N, P·C, ...),
                                          rank r's x in channels r·C .. (r+1)·C - 1

Forward is an all-gather. Backward depends on who uses ``y``:

- ``consumer="split"`` (each rank feeds ``y`` into its *own* half of the next layer, e.g.
  AlexNet's conv3): the loss depends on ``y`` through every rank's computation, so the gradient
  of rank r's ``x`` is the sum over ranks of their ``dL/dy`` in block r -- a reduce-scatter:

      dx_r = sum_q  dy_q[:, r·C:(r+1)·C]

- ``consumer="replicated"`` (every rank runs the *same* computation on ``y``, e.g. one
  classifier layer held whole on each rank): each rank already has the full ``dL/dy``; summing
  the identical copies would count it P times, so rank r takes its own block and nothing is
  sent.

``exchange_time`` adds up the seconds spent inside these collectives (forward and backward),
so a training script can say where its time went.
"""
import time


from ..autograd import Function
from ..backend import get_array_module
from . import process_group as pg

exchange_time = {"forward_s": 0.0, "backward_s": 0.0, "bytes": 0}


def reset_exchange_time():
    exchange_time.update(forward_s=0.0, backward_s=0.0, bytes=0)


class AllGatherCat(Function):
    @staticmethod
    def forward(ctx, x, dim, consumer):
        g = pg._default()
        xp = get_array_module(x)
        start = time.perf_counter()
        send = xp.ascontiguousarray(x)
        recv = xp.empty((g.size,) + send.shape, send.dtype)
        g.wait(g.all_gather(recv, send), "all_gather_cat")
        y = xp.concatenate(list(recv), axis=dim)
        exchange_time["forward_s"] += time.perf_counter() - start
        exchange_time["bytes"] += recv.nbytes
        ctx.dim, ctx.consumer, ctx.rank, ctx.size = dim, consumer, g.rank, g.size
        return y

    @staticmethod
    def backward(ctx, gy):
        xp = get_array_module(gy)
        blocks = xp.split(gy, ctx.size, axis=ctx.dim)         # block r: rank r's channels
        if ctx.consumer == "replicated":
            return xp.ascontiguousarray(blocks[ctx.rank]), None, None
        g = pg._default()
        start = time.perf_counter()
        send = xp.ascontiguousarray(xp.stack(blocks))          # (P, *x.shape)
        recv = xp.empty(send.shape[1:], send.dtype)
        g.wait(g.reduce_scatter(recv, send, pg.ReduceOp.SUM), "all_gather_cat backward")
        exchange_time["backward_s"] += time.perf_counter() - start
        exchange_time["bytes"] += send.nbytes
        return recv, None, None


def all_gather_cat(x, dim=1, consumer="split"):
    """All ranks' `x` concatenated along `dim` in rank order, differentiably (see the module
    docstring for `consumer`). Every rank's `x` must have the same shape."""
    if consumer not in ("split", "replicated"):
        raise ValueError(f"all_gather_cat: consumer must be 'split' or 'replicated', got "
                         f"{consumer!r}")
    dim = dim % x.ndim
    return AllGatherCat.apply(x, dim, consumer)
