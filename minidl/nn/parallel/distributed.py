"""``DistributedDataParallel``: each rank trains a copy of the model on its own shard of the
batch; after ``backward()`` every ``.grad`` is the mean over the ranks, so every rank's
optimizer takes the same step and the copies stay equal.

    model = DistributedDataParallel(net)      # broadcasts rank 0's parameters and buffers
    loss_fn(model(images), labels).backward() # grads: mean over ranks of each rank's grads
    optimizer.step()                          # the same update on every rank
    model.module                              # `net` itself (its state_dict has plain keys)

With P ranks at batch b each, one step equals one process at batch P·b whenever the loss is a
mean over the batch (the default of every loss): mean over ranks of per-rank means = the mean
over all P·b images.

**Buckets.** The gradients are not sent one parameter at a time: the trainable parameters, in
reverse order of registration (roughly the order backward produces their gradients), are
packed into buckets of at most ``bucket_cap_mb`` (25 MB, PyTorch's default), one allreduce
each. A bucket starts (``MPI_Iallreduce``) as soon as all its gradients are known, while
backward goes on with earlier layers: a forward pre-hook on each module that owns parameters
puts a tensor hook on its input, and the input's gradient being complete means the module's
backward -- and so its parameters' gradients -- are done. Buckets start in index order only
(MPI requires every rank to issue collectives in the same order). What is left when backward
ends (the first layer, whose input needs no gradient; parameters used twice) starts then, from
a hook on a one-element "token" tensor that joins the graph at the model's output and whose
(leaf) hook the engine runs after every other gradient has been delivered.

**Mismatches are errors, not hangs.** At construction every rank's parameter and buffer
signature (names, shapes, dtypes, ``requires_grad``) is compared. Each bucket carries, after
its gradients, one flag per parameter: 1 if this rank produced a gradient for it. After the
reduction a flag sum strictly between 0 and P means some rank skipped that parameter: every
rank sees the same sums, so every rank raises the same error. A parameter no rank produced a
gradient for is an error too, unless ``find_unused_parameters=True`` (then its ``.grad`` is
left alone, on every rank alike). Frozen parameters (``requires_grad=False``) are in no bucket.

Limits: a hook you register on a parameter itself makes the engine deliver its gradient after
the token's hook, so DDP would see it as missing; use a hook on the module's output instead.
"""
import contextlib
import time
import weakref
import zlib

import numpy as np

from ... import distributed as dist
from ...autograd import Function, is_grad_enabled
from ...backend import get_array_module
from ...tensor import Tensor
from ..module import Module


class _SyncPoint(Function):
    """Identity on the model output; its second input is the token whose leaf hook ends the
    reduction (see the module docstring)."""

    @staticmethod
    def forward(ctx, y, token):
        return y.view()

    @staticmethod
    def backward(ctx, gy):
        return gy, get_array_module(gy).zeros((), np.float32)


class _Bucket:
    """Parameters packed into one flat buffer: gradients, then one has-a-gradient flag each."""

    def __init__(self, index, params, names):
        self.index, self.params, self.names = index, params, names
        self.sizes = [p.data.size for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(int)
        self.numel = int(self.offsets[-1])
        xp = np if isinstance(params[0].data, np.ndarray) else __import__("cupy")
        self.buffer = xp.zeros(self.numel + len(params), params[0].data.dtype)
        self.requests = None

    def pack(self, ready):
        flags = self.buffer[self.numel:]
        for k, p in enumerate(self.params):
            part = self.buffer[self.offsets[k]:self.offsets[k + 1]]
            if ready[k]:
                part[...] = p.grad.data.reshape(-1)
                flags[k] = 1
            else:
                part[...] = 0
                flags[k] = 0


class DistributedDataParallel(Module):
    """``DistributedDataParallel(module, device_ids=None, output_device=None, dim=0,
    broadcast_buffers=True, bucket_cap_mb=25, find_unused_parameters=False)`` (PyTorch's
    signature; ``device_ids``/``output_device``/``dim`` are accepted for it and unused: each
    rank's module already lives on its device)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 bucket_cap_mb=None, find_unused_parameters=False, **unused):
        super().__init__()
        if not dist.is_initialized():
            raise RuntimeError("DistributedDataParallel: call minidl.distributed."
                               "init_process_group() first")
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.bucket_cap_bytes = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 2**20)
        self._group = dist.process_group._default()
        self.world_size = self._group.size
        self._check_same_model()
        with_names = list(module.named_parameters())
        self._sync_tensors([p for _, p in with_names] + list(module.buffers()), "parameters")
        self._buckets = self._make_buckets([(n, p) for n, p in with_names if p.requires_grad])
        self._owner = {}   # id(module) -> its direct trainable parameters (the hook sets)
        self._hooks = []
        for m in module.modules():
            own = [p for p in m.parameters(recurse=False) if p.requires_grad]
            if own:
                self._owner[id(m)] = own
                self._hooks.append(m.register_forward_pre_hook(self._pre_hook))
        self._armed, self._sync = False, True
        self.stats = {"buckets": len(self._buckets), "started_in_backward": 0, "wait_s": 0.0,
                      "steps": 0}

    # -- construction: the same model everywhere -----------------------------------------------
    def _check_same_model(self):
        """Every rank must hold the same parameters and buffers (names, shapes, dtypes,
        requires_grad), in the same order; otherwise the buckets would not line up."""
        items = [(f"parameter {n}", p, p.requires_grad) for n, p in self.module.named_parameters()]
        items += [(f"buffer {n}", b, False) for n, b in self.module.named_buffers()]
        crcs = [zlib.crc32(f"{what}|{tuple(t.shape)}|{t.dtype}|{grad}".encode())
                for what, t, grad in items]
        head = np.array([len(items), zlib.crc32(np.array(crcs, np.int64).tobytes())], np.int64)
        heads = self._gather(head)
        if (heads == heads[0]).all():
            return
        if (heads[:, 0] != heads[0, 0]).any():
            counts = ", ".join(f"rank {r}: {c}" for r, c in enumerate(heads[:, 0]))
            raise RuntimeError(f"DistributedDataParallel: the ranks' models differ: parameters "
                               f"+ buffers per rank: {counts}")
        table = self._gather(np.array(crcs, np.int64))
        k = int(np.nonzero((table != table[0]).any(axis=0))[0][0])
        ranks = [r for r in range(self.world_size) if table[r, k] != table[0, k]]
        what, t, grad = items[k]
        raise RuntimeError(f"DistributedDataParallel: the ranks' models differ at {what}: here "
                           f"(rank {self._group.rank}) {tuple(t.shape)} {t.dtype} "
                           f"requires_grad={grad}; ranks {ranks} differ from rank 0")

    def _gather(self, row):
        table = np.empty((self.world_size,) + row.shape, row.dtype)
        self._group.wait(self._group.host_all_gather(table, row), "DistributedDataParallel check")
        return table

    def _sync_tensors(self, tensors, what):
        """Rank 0's values into every rank's `tensors`: one broadcast per dtype, packed."""
        by_dtype = {}
        for t in tensors:
            by_dtype.setdefault(t.data.dtype, []).append(t)
        for dtype, ts in by_dtype.items():
            xp = np if isinstance(ts[0].data, np.ndarray) else __import__("cupy")
            flat = xp.concatenate([t.data.reshape(-1) for t in ts]) if ts else None
            self._group.wait(self._group.broadcast(flat, 0), f"broadcast of {what}")
            at = 0
            for t in ts:
                t.data[...] = flat[at:at + t.data.size].reshape(t.data.shape)
                at += t.data.size

    def _make_buckets(self, named):
        """Reverse registration order, split by dtype and at `bucket_cap_bytes`."""
        buckets, params, names, size = [], [], [], 0
        for name, p in reversed(named):
            if params and (size + p.data.nbytes > self.bucket_cap_bytes or
                           p.data.dtype != params[0].data.dtype):
                buckets.append(_Bucket(len(buckets), params, names))
                params, names, size = [], [], 0
            params.append(p)
            names.append(name)
            size += p.data.nbytes
        if params:
            buckets.append(_Bucket(len(buckets), params, names))
        return buckets

    # -- one step ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def no_sync(self):
        """Backward inside it only accumulates local gradients (gradient accumulation); the
        first synchronised backward after it reduces the accumulated sums."""
        old, self._sync = self._sync, False
        try:
            yield
        finally:
            self._sync = old

    def forward(self, *inputs, **kwargs):
        if self.broadcast_buffers and self.world_size > 1:
            buffers = list(self.module.buffers())
            if buffers:
                self._sync_tensors(buffers, "buffers")
        armed = self._sync and is_grad_enabled() and self.world_size > 1
        if armed:
            self._arm()
        out = self.module(*inputs, **kwargs)
        if not armed:
            return out
        out, attached = _attach_token(out, self._make_token)
        if not attached:
            self._armed = False   # nothing to backpropagate through: no reduction this step
        return out

    def _arm(self):
        self._armed = True
        # which gradient array each parameter holds now: a new one after backward means a
        # gradient arrived (the engine never updates .grad in place)
        self._before = {id(p): None if p.grad is None else _ref(p.grad.data)
                        for b in self._buckets for p in b.params}
        self._uses, self._pending, self._final = {}, {}, set()
        self._next = 0   # the next bucket to start
        for b in self._buckets:
            b.requests = None

    def _make_token(self, like):
        """The one-element leaf whose hook runs when this backward has delivered every other
        gradient (on the output's device)."""
        zero = get_array_module(like.data).zeros((), np.float32)
        token = Tensor._make(zero, requires_grad=True)
        token.register_hook(self._backward_done)
        return token

    def _pre_hook(self, module, args):
        if not self._armed:
            return None
        key = id(module)
        self._uses[key] = self._uses.get(key, 0) + 1
        inputs = [a for a in args if isinstance(a, Tensor) and a.requires_grad]
        self._pending[key] = self._pending.get(key, 0) + len(inputs)
        for a in inputs:
            a.register_hook(lambda grad, key=key: self._input_grad_done(key))
        return None

    def _ready(self, p):
        before = self._before.get(id(p))
        return p.grad is not None and (before is None or before() is not p.grad.data)

    def _input_grad_done(self, key):
        """A module's input gradient is complete, so its own backward has run."""
        if not self._armed or key not in self._pending:   # (a graph from an earlier step)
            return None
        self._pending[key] -= 1
        if self._pending[key] == 0 and self._uses[key] == 1:
            self._final.update(id(p) for p in self._owner[key] if self._ready(p))
        while self._next < len(self._buckets) and \
                all(id(p) in self._final for p in self._buckets[self._next].params):
            self._start(self._buckets[self._next])
            self.stats["started_in_backward"] += 1
        if self._next:   # let MPI progress the buckets already started
            self._group.MPI.Request.Testall([r for b in self._buckets[:self._next]
                                             for r in b.requests])
        return None

    def _start(self, bucket):
        bucket.pack([self._ready(p) for p in bucket.params])
        bucket.requests = self._group.all_reduce(bucket.buffer, dist.ReduceOp.SUM)
        self._next = bucket.index + 1

    def _backward_done(self, grad):
        """The token's hook: every other gradient of this backward has been delivered."""
        if not self._armed:
            return None
        self._armed = False
        start = time.perf_counter()
        for b in self._buckets[self._next:]:
            self._start(b)
        self._group.wait([r for b in self._buckets for r in b.requests],
                         "DistributedDataParallel gradient allreduce")
        self.stats["wait_s"] += time.perf_counter() - start
        self.stats["steps"] += 1
        self._unpack()
        return None

    def _unpack(self):
        P, problems, unused = self.world_size, [], []
        for b in self._buckets:
            counts = b.buffer[b.numel:]
            for k, p in enumerate(b.params):
                n = int(round(float(counts[k])))
                if n == P:
                    mean = b.buffer[b.offsets[k]:b.offsets[k + 1]] / P
                    p.grad.data[...] = mean.reshape(p.data.shape)
                elif n == 0:
                    unused.append(b.names[k])
                else:
                    problems.append(f"{b.names[k]} (on {n} of {P} ranks)")
        if problems:
            raise RuntimeError("DistributedDataParallel: some ranks produced no gradient for "
                               f"parameters that others did: {', '.join(problems[:10])}. Every "
                               "rank must run the same layers each step")
        if unused and not self.find_unused_parameters:
            raise RuntimeError("DistributedDataParallel: no rank produced a gradient for "
                               f"{', '.join(unused[:10])}; freeze them (requires_grad=False) "
                               "before wrapping, or pass find_unused_parameters=True")

    # -- the wrapped model ---------------------------------------------------------------------
    def __repr__(self):
        return f"DistributedDataParallel(world_size={self.world_size}, " \
               f"buckets={len(self._buckets)},\n  module={self.module!r})"


def _ref(array):
    """A weak reference to `array` (so that DDP keeps no old gradient alive), or a strong one
    for an array type that cannot be weakly referenced."""
    try:
        return weakref.ref(array)
    except TypeError:
        return lambda: array


def _attach_token(out, make_token):
    """Route the first Tensor of `out` that requires grad through _SyncPoint (with a token
    from ``make_token(that_tensor)``); returns the output (same structure) and whether a
    tensor was found."""
    if isinstance(out, Tensor):
        if out.requires_grad:
            return _SyncPoint.apply(out, make_token(out)), True
        return out, False
    if isinstance(out, (tuple, list)):
        items, attached = list(out), False
        for i, item in enumerate(items):
            items[i], attached = _attach_token(item, make_token)
            if attached:
                break
        if hasattr(out, "_fields"):            # a namedtuple (GoogLeNetOutputs)
            return type(out)(*items), attached
        return type(out)(items), attached
    if isinstance(out, dict):
        items, attached = dict(out), False
        for k, v in items.items():
            items[k], attached = _attach_token(v, make_token)
            if attached:
                break
        return type(out)(items), attached
    return out, False
