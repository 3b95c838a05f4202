"""``summary(model, input_shape)``: every layer's output shape, parameters and cost, in one table.

One forward pass of a zero image, batch 1, in eval mode and without gradients. Each module has
its ``forward`` wrapped for the duration to record what it returns; the wrappers are removed
afterwards. Leaf modules (no children: Conv2d, ReLU, Linear, ...) are the table's rows; a
block of several layers with its own ``forward`` (an Inception module) gets a row too, after
its layers, showing the shape it hands on (its parameters are already in its layers' rows).
Sequential containers and the model itself get no row.

Multiply-accumulates (MACs) per image, counting only the layers with weights:

    Conv2d  OC · OH · OW · (C / groups) · KH · KW     (one MAC per weight per output position)
    Linear  in_features · out_features

e.g. AlexNet conv1: 96 · 55 · 55 · 3 · 11 · 11 = 105,415,200 MACs. FLOPs ≈ 2 × MACs.

The "algorithm" column says which convolution algorithm the current kernel settings run for
each Conv2d at this input size (``minidl.kernels.conv.algorithm_for``: im2col, winograd, ...;
``minidl.kernels.use(conv_algo=...)`` changes it).
"""
from dataclasses import dataclass, field

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..factories import zeros
from ..kernels.conv import algorithm_for
from ..tensor import Tensor


@dataclass
class LayerRow:
    name: str
    kind: str
    output_shape: tuple
    params: int
    macs: int
    block: bool = False
    algorithm: str = ""     # a Conv2d's: what the kernel settings run for it


@dataclass(repr=False)
class Summary:
    """What ``summary`` measured; ``str()`` and ``repr()`` give the table, so a REPL shows it
    once (as torchinfo's ``ModelStatistics``).

    total_params counts every parameter of the model, including layers the forward pass did not
    use (GoogLeNet's auxiliary heads in eval mode); the rows' params add up to params_used.
    """
    rows: list = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0
    params_used: int = 0
    total_macs: int = 0
    input_shape: tuple = ()
    output_shape: tuple = ()

    def __str__(self):
        head = (f"{'layer':<34}{'type':<20}{'output shape':<22}{'params':>13}{'MACs':>16}"
                f"  {'algorithm'}")
        lines = [head, "=" * len(head)]
        for r in self.rows:
            if r.block:
                lines.append(f"{r.name:<34}{r.kind:<20}{str(r.output_shape)}")
            else:
                lines.append(f"{r.name:<34}{r.kind:<20}{str(r.output_shape):<22}"
                             f"{r.params:>13,}{r.macs:>16,}  {r.algorithm}".rstrip())
        lines.append("=" * len(head))
        lines.append(f"Input shape: {self.input_shape}   output shape: {self.output_shape}")
        lines.append(f"Total params: {self.total_params:,} ({_short(self.total_params)})")
        lines.append(f"Trainable params: {self.trainable_params:,}")
        if self.params_used != self.total_params:
            lines.append(f"Params used by this forward pass: {self.params_used:,} "
                         f"({_short(self.params_used)})")
        lines.append(f"Multiply-accumulates per image: {self.total_macs:,} "
                     f"({_short(self.total_macs)}, ~{2 * self.total_macs / 1e9:.2f} GFLOPs)")
        return "\n".join(lines)

    __repr__ = __str__


def _short(n):
    for unit, size in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.2f}{unit}"
    return str(n)


def _shape_of(out):
    if isinstance(out, Tensor):
        return out.shape
    if isinstance(out, (tuple, list)):
        return tuple(_shape_of(o) for o in out)
    return ()


def layer_macs(module, output_shape):
    """Multiply-accumulates of one layer for one image, given its output shape (N, ...)."""
    if isinstance(module, nn.Conv2d):
        _, oc, oh, ow = output_shape
        kh, kw = module.kernel_size
        return oc * oh * ow * (module.in_channels // module.groups) * kh * kw
    if isinstance(module, nn.Linear):
        positions = int(np.prod(output_shape[1:-1])) if len(output_shape) > 2 else 1
        return module.in_features * module.out_features * positions
    return 0


def _own_params(module):
    return sum(p.numel() for p in module.parameters(recurse=False))


def summary(model, input_shape, print_fn=None, dtype=None):
    """Run one forward pass of zeros of `input_shape` ((C, H, W), or (1, C, H, W)) through
    `model` and return a ``Summary``, whose ``repr``/``str`` is the table: a REPL shows it once,
    a script prints it with ``print(summary(...))``. ``print_fn`` (e.g. ``print``, or a
    logger's method) is also called with the table when given."""
    shape = tuple(input_shape)
    if len(shape) == 3:
        shape = (1,) + shape
    if len(shape) != 4 or shape[0] != 1:
        raise ValueError(f"summary: input_shape must be (C, H, W) or (1, C, H, W), got "
                         f"{tuple(input_shape)}")
    first = next(model.parameters(), None)
    if dtype is None:
        dtype = first.dtype if first is not None else None
    device = first.device if first is not None else None

    rows, wrapped = [], []

    def wrap(name, module, block):
        original = module.forward

        def forward(*args, **kwargs):
            out = original(*args, **kwargs)
            out_shape = _shape_of(out)
            if block:
                rows.append(LayerRow(name, type(module).__name__, out_shape, 0, 0, block=True))
            else:
                algorithm = ""
                if isinstance(module, nn.Conv2d) and args and isinstance(args[0], Tensor):
                    algorithm = algorithm_for(module, args[0].shape)
                rows.append(LayerRow(name, type(module).__name__, out_shape,
                                     _own_params(module), layer_macs(module, out_shape),
                                     algorithm=algorithm))
            return out
        module.forward = forward  # an instance attribute shadows the class's method
        wrapped.append(module)

    for name, m in model.named_modules():
        if name and not isinstance(m, (nn.Sequential, nn.ModuleList)):
            kids = sum(1 for _ in m.children())
            if kids != 1:  # a one-child wrapper (conv + functional ReLU) adds nothing to read
                wrap(name, m, block=kids > 1)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            out = model(zeros(*shape, dtype=dtype, device=device))
    finally:
        for m in wrapped:
            del m.forward
        model.train(was_training)

    params = list(model.parameters())
    result = Summary(rows=rows,
                     total_params=sum(p.numel() for p in params),
                     trainable_params=sum(p.numel() for p in params if p.requires_grad),
                     params_used=sum(r.params for r in rows),
                     total_macs=sum(r.macs for r in rows),
                     input_shape=shape, output_shape=_shape_of(out))
    if print_fn is not None:
        print_fn(str(result))
    return result
