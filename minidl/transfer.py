"""Transfer learning: take a trained net to a new task -- freeze, load, probe.

    from minidl import transfer
    net = models.alexnet_small(num_classes=10)
    transfer.load_pretrained(net, "runs/alexnet/checkpoint_best.safetensors")  # head skipped
    net.reset_classifier(5)                                   # a new head for the new task
    transfer.freeze(net, until="features.12")                 # conv1..conv5 fixed
    opt = SGD(transfer.param_groups(net, lr_backbone=0.001, lr_head=0.01), momentum=0.9)

    feats, labels = transfer.extract_features(net, loader, "classifier.4")   # fc7, once
    head = transfer.train_linear(feats, labels, num_classes=5)               # seconds

PyTorch's own workflow works unchanged (``p.requires_grad_(False)``, ``model.classifier[6] =
nn.Linear(4096, C)``, ``load_state_dict(strict=False)``, SGD parameter groups); these helpers
only save the loops, and settle three places where PyTorch's users trip:

1. **Frozen is not the same as eval.** ``requires_grad_(False)`` stops the weights from
   changing, but Dropout still drops (and a BatchNorm would still update its running mean and
   variance) in training mode: a "frozen" feature extractor that behaves differently in every
   step. ``freeze`` therefore also puts the frozen layers in eval mode.
2. **``model.train()`` undoes ``model.features.eval()``.** Every training loop calls
   ``model.train()`` at the start of each epoch, and it sets every sub-module back to training
   mode. ``freeze`` gives each frozen layer its own ``train`` that keeps it in eval mode, so
   ``model.train()`` trains what is trainable and leaves the frozen layers alone;
   ``unfreeze`` removes it again. (Pass ``eval_mode=False`` for PyTorch's plain behaviour:
   frozen weights, training-mode dropout.)
3. **The optimizer and frozen parameters.** A frozen parameter gets no ``.grad``, and SGD
   skips a parameter without one entirely -- no weight decay, no momentum -- so handing SGD all
   of ``model.parameters()`` is safe, as in PyTorch. ``param_groups`` hands it only the
   trainable ones, in two groups with their own rates.

**"Up to a layer"** means in registration order of the layers (the modules without children),
which is the order of the forward pass for AlexNet and VGG; ``until`` is **inclusive**:
``freeze(net, until="features.12")`` freezes conv5 and everything registered before it.
``until`` may name a container (``"features"``: all of it). GoogLeNet registers its auxiliary
heads and ``fc`` after ``inception5b``, so ``until="inception5b"`` leaves all three heads
trainable; ``freeze(net, keep=["fc", "aux1.fc2", "aux2.fc2"])`` freezes all but their last
layers.
"""
import types
from collections import namedtuple

import numpy as np

from . import functional as F
from . import nn
from .autograd import no_grad
from .backend import CPU, to_device
from .random import Generator
from .tensor import Tensor, from_numpy


# -- freezing -----------------------------------------------------------------------------
def layers(model):
    """``[(name, module)]`` of the layers of `model` (modules without children), in
    registration order: the order ``freeze``'s ``until`` counts in."""
    return [(name, m) for name, m in model.named_modules() if name and not m._modules]


def _up_to(model, until, what):
    """The layers up to and including `until` (every layer when `until` is None)."""
    all_layers = layers(model)
    if until is None:
        return all_layers
    names = [name for name, _ in all_layers]
    last = [i for i, name in enumerate(names) if name == until or name.startswith(until + ".")]
    if not last:
        shown = ", ".join(names[:8]) + (f", ... ({len(names)} layers)" if len(names) > 8 else "")
        raise ValueError(f"{what}: {type(model).__name__} has no layer {until!r}; its layers "
                         f"are {shown}")
    return all_layers[:last[-1] + 1]


def _train_frozen(self, mode=True):
    """``train`` of a frozen layer: it stays in eval mode whatever ``mode`` is."""
    object.__setattr__(self, "training", False)
    return self


def _is_kept_in_eval(module):
    method = module.__dict__.get("train")
    return isinstance(method, types.MethodType) and method.__func__ is _train_frozen


def freeze(model, until=None, *, keep=(), eval_mode=True):
    """Freeze every layer of `model` up to and including `until` (None: the whole model),
    except the layers named by `keep` (names or prefixes: ``keep=["fc", "aux1.fc2"]`` freezes
    all but GoogLeNet's heads).

    Frozen: ``requires_grad_(False)`` on their parameters and, with `eval_mode` (the default),
    eval mode that ``model.train()`` keeps (see the module's docstring). Returns the names of
    the parameters frozen (``["features.0.weight", ...]``).
    """
    keep = (keep,) if isinstance(keep, str) else tuple(keep)
    chosen = [(name, m) for name, m in _up_to(model, until, "freeze")
              if not any(name == k or name.startswith(k + ".") for k in keep)]
    ids = {id(m) for _, m in chosen}
    frozen = [name for name, p in _named_by_layer(model) if id(p[1]) in ids]
    for _, m in chosen:
        for p in m.parameters():
            p.requires_grad_(False)
        if eval_mode:
            # an instance attribute shadows Module.train for this layer only; a bound method so
            # that copy.deepcopy rebinds it to the copy
            object.__setattr__(m, "train", types.MethodType(_train_frozen, m))
            object.__setattr__(m, "training", False)
    return frozen


def unfreeze(model, until=None):
    """Undo ``freeze`` for the layers up to and including `until` (None: all of them): their
    parameters require gradients again and they follow ``model.train()``/``eval()`` again
    (each takes the mode of `model` now). Returns the names of the parameters unfrozen."""
    chosen = _up_to(model, until, "unfreeze")
    ids = {id(m) for _, m in chosen}
    names = [name for name, p in _named_by_layer(model) if id(p[1]) in ids]
    for _, m in chosen:
        for p in m.parameters():
            p.requires_grad_(True)
        if _is_kept_in_eval(m):
            del m.__dict__["train"]
            object.__setattr__(m, "training", model.training)
    return names


def _named_by_layer(model):
    """(parameter name, (parameter, owning layer)) for every parameter, without duplicates."""
    out, seen = [], set()
    for lname, m in layers(model):
        for pname, p in m._parameters.items():
            if p is not None and id(p) not in seen:
                seen.add(id(p))
                out.append((f"{lname}.{pname}", (p, m)))
    return out


def frozen_parameters(model):
    """Names of the parameters of `model` that do not require gradients."""
    return [name for name, p in model.named_parameters() if not p.requires_grad]


def param_groups(model, lr_backbone, lr_head, head=None, **options):
    """SGD parameter groups for fine-tuning: the head at `lr_head`, the rest at `lr_backbone`
    (the usual choice: a tenth of the head's rate). Only trainable parameters are included;
    an empty group is left out.

    `head`: the head module (default ``model.get_classifier()``, plus GoogLeNet's auxiliary
    heads) or a list of parameter-name prefixes. `options` (momentum, weight_decay, ...) go
    into both groups.
    """
    prefixes = _head_prefixes(model, head)
    backbone, top = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        is_head = any(name == q or name.startswith(q + ".") for q in prefixes)
        (top if is_head else backbone).append(p)
    groups = [dict(params=ps, lr=lr, **options)
              for ps, lr in ((backbone, lr_backbone), (top, lr_head)) if ps]
    if not groups:
        raise ValueError(f"param_groups: every parameter of {type(model).__name__} is frozen; "
                         "nothing to train")
    return groups


def _head_prefixes(model, head):
    if head is None:
        if not hasattr(model, "get_classifier"):
            raise ValueError(f"param_groups: {type(model).__name__} has no get_classifier(); "
                             "pass head= (a module or parameter-name prefixes)")
        heads = [model.get_classifier()] + list(getattr(model, "aux_classifiers", list)())
    elif isinstance(head, nn.Module):
        heads = [head]
    elif isinstance(head, str):
        return [head]
    else:
        return list(head)
    names = {id(m): name for name, m in model.named_modules()}
    missing = [h for h in heads if id(h) not in names]
    if missing:
        raise ValueError(f"param_groups: the head {type(missing[0]).__name__} is not a "
                         f"sub-module of {type(model).__name__}")
    return [names[id(h)] for h in heads]


# -- loading a pretrained state dict ------------------------------------------------------
Transferred = namedtuple("Transferred", ["loaded", "skipped", "missing"])
Transferred.__doc__ = ("What ``load_pretrained`` did: `loaded` (keys copied), `skipped` ({key: "
                       "reason} for the source's keys left out) and `missing` (the model's keys "
                       "the source had nothing for, e.g. a new head: they keep their values).")


def load_pretrained(model, source, skip=(), *, skip_mismatched=True):
    """Copy a pretrained net's weights into `model`, leaving out what does not fit the new task.

    `source`: a state dict, or a file -- a minidl state dict or training checkpoint, a
    torchvision ``.pth``/``.safetensors`` or a timm VGG safetensors file (read by
    ``minidl.models.read_weights``). `skip`: parameter-name prefixes never copied (the head
    by name, e.g. ``("classifier.6",)``, or every layer after the n-th to re-initialise them).
    With `skip_mismatched` (the default) a key whose shape differs from the model's -- a head
    for another number of classes -- is skipped too; otherwise it is an error.

    Nothing is copied unless everything that will be copied fits. Returns
    ``Transferred(loaded, skipped, missing)``.
    """
    if not isinstance(source, dict):
        from .models.pretrained import read_weights   # models sit above this room's imports
        source = read_weights(source, model)
    if isinstance(skip, str):
        skip = (skip,)
    own = model.state_dict()
    take, skipped = {}, {}
    for key, value in source.items():
        shape = tuple(np.shape(value.data if isinstance(value, Tensor) else value))
        if any(key == q or key.startswith(q + ".") for q in skip):
            skipped[key] = "skipped by name"
        elif key not in own:
            skipped[key] = "not in the model"
        elif shape != tuple(own[key].shape):
            if not skip_mismatched:
                raise ValueError(f"load_pretrained: {key} has shape {shape} in the source, "
                                 f"{tuple(own[key].shape)} in {type(model).__name__} (pass "
                                 "skip_mismatched=True to leave it out)")
            skipped[key] = f"shape {shape}, model {tuple(own[key].shape)}"
        else:
            take[key] = value
    model.load_state_dict(take, strict=False)
    return Transferred(list(take), skipped, [k for k in own if k not in take])


# -- features computed once ---------------------------------------------------------------
class _Captured(Exception):
    """Raised by the hook to stop the forward pass once the layer's output is in hand."""

    def __init__(self, output):
        super().__init__()
        self.output = output


def _device_of(model):
    p = next(iter(model.parameters()), None)
    return CPU if p is None else p.device


def extract_features(model, loader, layer=None, *, flatten=True):
    """Run `model` once over `loader` and keep the output of `layer` for every image.

    `loader` yields ``(images, labels)`` batches (a DataLoader). `layer` names a sub-module
    (``"features"``: pool5's maps; ``"classifier.4"``: fc7 after its ReLU), None the model's
    output. The model runs in eval mode (dropout off) without building a graph, and stops at
    `layer`: the layers after it are not computed. The model's modes are restored afterwards.

    Returns ``(features, labels)`` as NumPy arrays: (N, D) float32 with `flatten` (the
    default), else (N, *layer output shape); labels (N,) int64.
    """
    target = model if layer is None else model.get_submodule(layer)

    def hook(module, args, output):
        raise _Captured(output)

    modes = [(m, m.training) for m in model.modules() if not _is_kept_in_eval(m)]
    device = _device_of(model)
    handle = target.register_forward_hook(hook)
    feats, labels = [], []
    try:
        model.eval()
        with no_grad():
            for batch in loader:
                images, y = batch[0], batch[1]
                images = images if isinstance(images, Tensor) else from_numpy(np.asarray(images))
                try:
                    out = model(images.to(device))
                except _Captured as c:
                    out = c.output
                if isinstance(out, tuple):   # GoogLeNetOutputs in training: never in eval mode
                    out = out[0]
                a = to_device(out.data, CPU).astype(np.float32, copy=False)
                feats.append(a.reshape(len(a), -1) if flatten else a)
                y = to_device(y.data, CPU) if isinstance(y, Tensor) else np.asarray(y)
                labels.append(y.astype(np.int64).reshape(-1))
    finally:
        handle.remove()
        for m, mode in modes:
            object.__setattr__(m, "training", mode)
    if not feats:
        raise ValueError("extract_features: the loader yielded no batches")
    return np.concatenate(feats), np.concatenate(labels)


# -- a linear classifier on fixed features -------------------------------------------------
def train_linear(features, labels, num_classes, *, epochs=30, lr=0.1, momentum=0.9,
                 weight_decay=1e-4, batch_size=256, seed=0, standardize=True):
    """Softmax regression on fixed features (the linear probe of DeCAF and VGG's appendix).

    (N, D) features, (N,) labels -> a trained ``nn.Linear(D, num_classes)``. Mini-batch SGD
    with momentum, the rate cosine-annealed to 0 over `epochs`. With `standardize`, the
    features' per-dimension mean and std (of these training features) are folded into the
    returned layer, so it takes raw features: ``head(from_numpy(test_features))``.
    """
    from .optim import SGD
    x = np.asarray(features, dtype=np.float32)
    y = np.asarray(labels).astype(np.int64).reshape(-1)
    if x.ndim != 2 or len(x) != len(y):
        raise ValueError(f"train_linear: expected (N, D) features and (N,) labels, got "
                         f"{x.shape} and {y.shape}")
    if len(y) == 0 or y.min() < 0 or y.max() >= num_classes:
        raise ValueError(f"train_linear: labels must lie in 0..{num_classes - 1}, got "
                         f"{'none' if len(y) == 0 else f'{y.min()}..{y.max()}'}")
    mean = x.mean(axis=0) if standardize else np.zeros(x.shape[1], np.float32)
    std = x.std(axis=0) + 1e-6 if standardize else np.ones(x.shape[1], np.float32)
    xs = (x - mean) / std
    g = Generator(seed)
    head = nn.Linear(x.shape[1], num_classes)
    with no_grad():
        nn.init.normal_(head.weight, 0.0, 0.01, generator=g)
        nn.init.zeros_(head.bias)
    opt = SGD(head.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    order = np.random.default_rng(seed)
    steps, step = epochs * -(-len(y) // batch_size), 0
    for _ in range(epochs):
        perm = order.permutation(len(y))
        for i in range(0, len(y), batch_size):
            idx = perm[i:i + batch_size]
            for group in opt.param_groups:
                group["lr"] = lr * 0.5 * (1 + np.cos(np.pi * step / steps))
            loss = F.cross_entropy(head(from_numpy(xs[idx])), from_numpy(y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
    with no_grad():   # fold the standardisation in: W (x - m)/s + b = (W/s) x + (b - W m/s)
        w = head.weight.data / std
        head.bias.data[...] = head.bias.data - w @ mean
        head.weight.data[...] = w
    return head


def accuracy(head, features, labels):
    """Top-1 accuracy (in %) of a linear `head` on fixed (N, D) features."""
    with no_grad():
        logits = head(from_numpy(np.asarray(features, dtype=np.float32)))
    pred = to_device(logits.data, CPU).argmax(axis=1)
    return 100.0 * float((pred == np.asarray(labels).reshape(-1)).mean())
