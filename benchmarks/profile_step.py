"""Where a training step's time goes: minidl per layer (forward and backward), PyTorch per op.

    python benchmarks/profile_step.py [--arch alexnet|vgg16] [--batch 32] [--steps 3]

minidl: every autograd node is timed as it runs forward and backward, and charged to the layer
(module) that created it; the SGD step, zero_grad and whatever falls between nodes (Python,
the engine) are their own rows. PyTorch: torch.profiler's self CPU time per aten op, the
busiest first (its LRN is a composite of small ops; they are summed under one row).

`run.py` puts both tables in RESULTS.md; run alone, this prints them.
"""
import argparse
import collections
import contextlib
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import nets  # noqa: E402


def _subclasses(cls):
    for s in cls.__subclasses__():
        yield s
        yield from _subclasses(s)


@contextlib.contextmanager
def _timed_nodes(net, totals):
    """Patch Module.__call__, Function.apply and every backward to add seconds to
    totals[(layer, op, 'forward'|'backward')]; restored on exit."""
    from minidl.autograd import Function
    from minidl.nn import Module
    names = {id(m): f"{name} {type(m).__name__}" for name, m in net.named_modules() if name}
    stack = ["(no layer)"]
    saved = [(Module, "__call__", Module.__dict__["__call__"]),
             (Function, "apply", Function.__dict__["apply"])]
    call, apply = Module.__call__, Function.apply.__func__

    def module_call(self, *args, **kwargs):
        stack.append(names.get(id(self), stack[-1]))
        try:
            return call(self, *args, **kwargs)
        finally:
            stack.pop()

    def timed_apply(cls, *args):
        t = time.perf_counter()
        out = apply(cls, *args)
        totals[(stack[-1], cls.__name__, "forward")] += time.perf_counter() - t
        if out.grad_fn is not None:
            object.__setattr__(out.grad_fn, "_layer", stack[-1])
        return out

    def timed_backward(fn, name):
        def backward(ctx, g):
            t = time.perf_counter()
            out = fn(ctx, g)
            layer = ctx.__dict__.get("_layer", "(no layer)")
            totals[(layer, name, "backward")] += time.perf_counter() - t
            return out
        return staticmethod(backward)

    for cls in set(_subclasses(Function)):
        if "backward" in cls.__dict__:
            saved.append((cls, "backward", cls.__dict__["backward"]))
            setattr(cls, "backward", timed_backward(cls.backward, cls.__name__))
    Module.__call__ = module_call
    Function.apply = classmethod(timed_apply)
    try:
        yield
    finally:
        for owner, attr, value in saved:
            setattr(owner, attr, value)


def minidl_profile(arch, n, steps):
    """[(layer, op, forward s, backward s)] per step, plus rows for the optimizer and the rest."""
    import minidl
    import minidl.functional as F
    from minidl.optim import SGD
    x, y = nets.batch(n)
    net = nets.minidl_net(arch)
    net.train()
    opt = SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    xt, yt = minidl.tensor(x), minidl.tensor(y)
    parts = collections.defaultdict(float)

    def step():
        t0 = time.perf_counter()
        opt.zero_grad()
        t1 = time.perf_counter()
        loss = F.cross_entropy(net(xt), yt)
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        t3 = time.perf_counter()
        parts["zero_grad"] += t1 - t0
        parts["fwd+bwd"] += t2 - t1
        parts["SGD step"] += t3 - t2

    step()   # warm-up: first-touch of buffers, cache loads
    parts.clear()
    totals = collections.defaultdict(float)
    with _timed_nodes(net, totals):
        for _ in range(steps):
            step()
    rows = collections.OrderedDict()
    for (layer, op, kind), sec in totals.items():
        row = rows.setdefault((layer, op), [0.0, 0.0])
        row[0 if kind == "forward" else 1] += sec / steps
    timed = sum(sum(v) for v in rows.values())
    out = [(layer, op, f, b) for (layer, op), (f, b) in rows.items()]
    out.append(("SGD step", "", parts["SGD step"] / steps, 0.0))
    out.append(("zero_grad", "", parts["zero_grad"] / steps, 0.0))
    out.append(("between nodes (Python, autograd engine)", "",
                parts["fwd+bwd"] / steps - timed, 0.0))
    return out, sum(parts.values()) / steps


def torch_profile(arch, n, steps, top=15):
    """[(aten op, self CPU s per step, calls per step)], busiest first, and the step's time."""
    import torch
    from torch.profiler import ProfilerActivity, profile
    x, y = nets.batch(n)
    step = nets.torch_train_step(nets.torch_net(arch), x, y)
    step()
    t = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    total = (time.perf_counter() - t) / steps
    events = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
    rows = [(e.key, e.self_cpu_time_total / 1e6 / steps, e.count // steps) for e in events[:top]]
    return rows, total, torch.__version__


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", choices=["alexnet", "vgg16"], default="alexnet")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--no-torch", action="store_true")
    args = ap.parse_args()
    rows, total = minidl_profile(args.arch, args.batch, args.steps)
    print(f"minidl {args.arch} training step, batch {args.batch}: {total * 1e3:.0f} ms")
    for layer, op, f, b in sorted(rows, key=lambda r: -(r[2] + r[3])):
        print(f"  {layer:40s} {op:18s} fwd {f * 1e3:7.1f} ms  bwd {b * 1e3:7.1f} ms")
    if not args.no_torch:
        import torch
        torch.set_num_threads(os.cpu_count() or 1)
        trows, ttotal, _ = torch_profile(args.arch, args.batch, args.steps)
        print(f"PyTorch: {ttotal * 1e3:.0f} ms per step (under the profiler)")
        for key, sec, calls in trows:
            print(f"  {key:40s} {sec * 1e3:7.1f} ms  ×{calls}")


if __name__ == "__main__":
    main()
