"""Weights from a file: ``vgg16(weights="vgg16-397923af.pth")`` and friends.

minidl downloads nothing and ships no weights; the constructors take a *file* instead:

    torchvision layout   ``features.N.weight``, ``classifier.{0,3,6}.weight`` (and biases): a
                         ``.pth`` downloaded at torchvision's URLs (read by ``minidl.load``,
                         without pickle) or the same tensors as ``.safetensors``
    timm layout (VGG)    ``features.N.*`` as torchvision; fc6 and fc7 as convolutions,
                         ``pre_logits.fc1.weight`` (4096, 512, 7, 7) and
                         ``pre_logits.fc2.weight`` (4096, 4096, 1, 1); fc8 as
                         ``head.fc.weight`` (1000, 4096) -- e.g. ``timm/vgg16.tv_in1k``'s
                         ``model.safetensors``
    minidl               ``minidl.save(model.state_dict(), path)`` or a training checkpoint
                         (``runs/<arch>/checkpoint_best.safetensors``)

The layout is told from the keys. timm's fc6 is a 7×7 convolution over the 7×7 pool5 maps:
the same arithmetic as a Linear over their flattening in (C, H, W) order, so its weight is
just reshaped to (4096, 512·7·7); fc7's 1×1 convolution likewise to (4096, 4096).

A file that does not fit the net raises ``CheckpointError`` naming the missing and unexpected
keys and the shape mismatches; the net is then not returned at all, so nothing half-loaded
ever escapes.
"""
import math
import os

import numpy as np

from ..checkpoint import FORMAT as CHECKPOINT_FORMAT, check_model_state
from ..quoting import quote, quote_list
from ..serialization import CheckpointError, load
from ..tensor import Tensor

TIMM_VGG = {"pre_logits.fc1": "classifier.0", "pre_logits.fc2": "classifier.3",
            "head.fc": "classifier.6"}
WEIGHT_SUFFIXES = (".pth", ".pt", ".safetensors", ".bin", ".ckpt")

WHERE_TO_GET = ("get the file on a machine with internet and pass its path, e.g. "
                "torchvision's https://download.pytorch.org/models/vgg16-397923af.pth or "
                "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth, or timm's "
                "model.safetensors from https://huggingface.co/timm/vgg16.tv_in1k "
                "(README: Transfer learning)")


def is_weights_path(weights):
    """A path to read, as opposed to a torchvision enum name such as "IMAGENET1K_V1"."""
    if isinstance(weights, os.PathLike):
        return True
    if not isinstance(weights, str):
        return False
    return (os.path.exists(weights) or os.sep in weights or "/" in weights
            or weights.lower().endswith(WEIGHT_SUFFIXES))


def layout(keys):
    """"timm" (VGG's ``pre_logits``/``head.fc`` keys) or "torchvision" (minidl's own keys)."""
    keys = list(keys)
    if any(k.startswith(tuple(p + "." for p in TIMM_VGG)) for k in keys):
        return "timm"
    return "torchvision"


def from_timm(state, path="the state dict"):
    """timm's VGG keys -> torchvision's, reshaping the two convolutional FC layers.

    A weight that is not at least 2-d (out, in, ...), or that has no outputs, raises
    ``CheckpointError`` naming `path` and the key (a reshape could not tell what was wrong).
    """
    out = {}
    for key, value in state.items():
        prefix, _, leaf = key.rpartition(".")
        if prefix in TIMM_VGG:
            a = value.data if isinstance(value, Tensor) else np.asarray(value)
            if leaf == "weight":
                if a.ndim < 2 or a.shape[0] == 0:
                    raise CheckpointError(f"{path}: {quote(key)} has shape {tuple(a.shape)}; "
                                          "timm's VGG has (out, in) or (out, in, kh, kw) there")
                # (O, C, KH, KW) -> (O, C·KH·KW): C, H, W order
                a = a.reshape(a.shape[0], math.prod(a.shape[1:]))
            out[f"{TIMM_VGG[prefix]}.{leaf}"] = a
        else:
            out[key] = value
    return out


def read_weights(path, model=None):
    """The state dict in `path` -- a minidl file or checkpoint, a torchvision ``.pth`` or
    ``.safetensors``, a timm VGG safetensors file -- in minidl's (torchvision's) keys.
    Also unwraps ``{"state_dict": ...}``/``{"model": ...}`` wrappers and DataParallel's
    ``module.`` prefix. (`model` is accepted for symmetry with ``load_weights``; unused.)"""
    state = read_state_dict(path)
    return from_timm(state, path) if layout(state) == "timm" else state


def read_state_dict(path):
    """The plain state dict in `path`, keys as stored (timm's stay timm's): a minidl training
    checkpoint gives its model weights, wrappers and ``module.`` prefixes are taken off, and
    anything that is not str -> tensor raises ``CheckpointError``."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"weights file {path!r} not found")
    obj = load(path)   # safetensors; torch's .pth formats too, where minidl.load reads them
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path}: holds a {type(obj).__name__}, not a state dict")
    if obj.get("format") == CHECKPOINT_FORMAT:
        obj = obj.get("model")
        if not isinstance(obj, dict):
            raise CheckpointError(f"{path}: a minidl training checkpoint without model weights")
    for wrapper in ("state_dict", "model"):
        inner = obj.get(wrapper)
        if isinstance(inner, dict) and all(isinstance(k, str) for k in inner):
            obj = inner
            break
    state, source = {}, {}
    for key, value in obj.items():
        if not isinstance(key, str):
            raise CheckpointError(f"{path}: key {quote(key)} is not a string; not a state dict")
        if isinstance(value, dict):
            raise CheckpointError(f"{path}: entry {quote(key)} is a dict; not a plain state dict "
                                  f"(keys: {quote_list(obj, 5)})")
        name = key[len("module."):] if key.startswith("module.") else key
        if name in state:   # "module.X" and "X": which one is meant? never merge silently
            raise CheckpointError(f"{path}: keys {quote(source[name])} and {quote(key)} both "
                                  f"name {quote(name)} once DataParallel's 'module.' prefix is "
                                  "taken off; keep one of them")
        state[name], source[name] = value, key
    return state


def check_weights(name, weights, pretrained=False):
    """Before a net is built: None and paths pass; a torchvision enum name such as
    "IMAGENET1K_V1" (or a weights enum), or torchvision's old ``pretrained=True``, is an error
    saying how to get the file instead, and a path that is not there is a FileNotFoundError."""
    if pretrained:
        raise ValueError(f"{name}(pretrained=True): minidl ships and downloads no weights; pass "
                         f"the file instead, {name}(weights=PATH): {WHERE_TO_GET}")
    if weights is None:
        return
    if not is_weights_path(weights):
        raise ValueError(f"{name}: weights={weights!r}: minidl has no pretrained weights and "
                         f"downloads nothing; {WHERE_TO_GET}")
    if not os.path.isfile(os.fspath(weights)):
        raise FileNotFoundError(f"{name}: weights file {os.fspath(weights)!r} not found")


def load_weights(model, weights, name):
    """What the constructors do with ``weights=``: None returns `model` as built; a path is
    loaded strictly -- every key, every shape -- or raises ``CheckpointError`` listing the
    missing and unexpected keys and the shape mismatches (the net is then never returned)."""
    check_weights(name, weights)
    if weights is None:
        return model
    path = os.fspath(weights)
    raw = read_state_dict(path)
    kind = layout(raw)
    state = from_timm(raw, path) if kind == "timm" else raw
    check_model_state(model, state, f"{path} ({kind} layout, for {name})")
    model.load_state_dict(state)
    return model
