"""What a layer computes: its maps for a batch, and the dataset images that excite a channel most.

    feature_maps(model, x, "features.4")           x (N, C, H, W) -> the layer's output, NumPy
    top_images(model, loader, "features.12", 7, k) the k images whose channel-7 map peaks highest,
                                                   with the patch of each image that peak sees
    receptive_field(model, "features.12", (1, 28, 28))   which input pixels a unit sees

The layer is a ``named_modules()`` name ("features.4", "classifier.4") or the module itself.
Its output is taken by a forward hook, which then stops the forward pass: the layers after it
do not run. Zeiler & Fergus (2014, figure 2) show, for a few units of each layer, the nine
strongest activations over the validation set and the image patch under each (a unit at
position (i, j) of a layer sees only its receptive field of the input): ``top_images``.
"""
from collections import namedtuple

import numpy as np

from ..autograd import no_grad
from ..backend import to_device
from ..nn.conv import Conv2d
from ..nn.layers import MaxPool2d, AvgPool2d
from ..tensor import Tensor
from ._common import (_Captured, as_batch, batches, device_and_dtype, find_layer, inspecting,
                      to_numpy)


def _capture(model, module, x, what, handles):
    """The output of `module` for the batch `x`, the forward pass stopped there."""
    def hook(mod, args, output):
        raise _Captured(output)

    handles.append(module.register_forward_hook(hook))
    try:
        with no_grad():
            model(x)
    except _Captured as c:
        out = c.output[0] if isinstance(c.output, tuple) else c.output
        return to_numpy(out.data)
    finally:
        handles.pop().remove()
    raise RuntimeError(f"{what}: the layer did not run in the forward pass")


def feature_maps(model, x, layer):
    """The named layer's output for the batch x (N, C, H, W): (N, K, h, w) for a convolution or
    pooling layer, (N, D) for a linear one; a NumPy copy, in eval mode (dropout off)."""
    what = f"feature_maps(layer={layer!r})"
    module = find_layer(model, layer, what)
    with inspecting(model) as handles:
        return _capture(model, module, as_batch(x, model, what), what, handles)


# -- receptive fields ------------------------------------------------------------------------
class ReceptiveField(namedtuple("ReceptiveField", ["size", "jump", "start", "input_size"])):
    """Per axis (rows, columns): the unit at index i of the layer sees input pixels
    start + i·jump ... start + i·jump + size - 1 (before clipping to the image; a negative
    start is the padding). A layer after global pooling or a linear layer sees the whole
    image: jump 0, size = the input's side."""

    def box(self, i, j):
        """(top, left, bottom, right) of unit (i, j), bottom/right exclusive, unclipped."""
        (rh, rw), (jh, jw), (sh, sw) = self.size, self.jump, self.start
        top, left = sh + i * jh, sw + j * jw
        return top, left, top + rh, left + rw


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _geometry(module):
    """(kernel, stride, padding, dilation) pairs of a convolution or pooling layer."""
    k, s, d = _pair(module.kernel_size), _pair(module.stride), _pair(getattr(module, "dilation", 1))
    p = module.padding
    if isinstance(p, str):               # Conv2d's "valid" / "same" (PyTorch's: left = total//2)
        p = (0, 0) if p == "valid" else tuple(di * (ki - 1) // 2 for ki, di in zip(k, d))
    return k, s, _pair(p), d


def receptive_field(model, layer, input_shape):
    """The receptive field of the named layer's units for inputs of `input_shape` (C, H, W).

    The convolutions and poolings that run before the layer (found by running the model once
    on zeros with forward hooks on its leaf modules) compose, per axis, as
        start -= padding·jump;  size += (kernel - 1)·dilation·jump;  jump *= stride.
    Exact for a chain of layers (AlexNet, VGG); for branches that run side by side (GoogLeNet's
    inception blocks) the chain through all of them is an upper bound. Layers that keep the
    spatial shape (ReLU, LRN, dropout, batch norm) do not change it.
    """
    what = f"receptive_field(layer={layer!r})"
    module = find_layer(model, layer, what)
    shape = tuple(input_shape)
    if len(shape) != 3:
        raise ValueError(f"{what}: input_shape must be (C, H, W), got {shape}")
    calls = []

    def record(mod, args, output):
        calls.append((mod, tuple(args[0].shape), tuple(getattr(output, "shape", ()))))

    def stop(mod, args, output):
        raise _Captured(output)

    device, dtype = device_and_dtype(model)
    x = Tensor._make(to_device(np.zeros((1,) + shape, dtype), device))
    with inspecting(model) as handles:
        for m in model.modules():
            if not m._modules:
                handles.append(m.register_forward_hook(record))
        handles.append(module.register_forward_hook(stop))
        try:
            with no_grad():
                model(x)
        except _Captured:
            pass
    size, jump, start = [1, 1], [1, 1], [0, 0]
    for mod, shape_in, shape_out in calls:
        if jump == [0, 0]:
            break                         # already the whole image
        if isinstance(mod, (Conv2d, MaxPool2d, AvgPool2d)):
            for a, (k, s, p, d) in enumerate(zip(*_geometry(mod))):
                start[a] -= p * jump[a]
                size[a] += (k - 1) * d * jump[a]
                jump[a] *= s
        elif len(shape_in) == 4 and len(shape_out) == 4 and shape_in[2:] == shape_out[2:]:
            continue                      # pointwise in space
        elif len(shape_out) != 4 or shape_out[2:] == (1, 1):
            size, jump, start = list(shape[1:]), [0, 0], [0, 0]   # global pooling, linear
        else:
            raise ValueError(f"{what}: cannot follow {mod._get_name()} ({shape_in} -> "
                             f"{shape_out}) through the receptive field")
    return ReceptiveField(tuple(size), tuple(jump), tuple(start), shape[1:])


# -- the images that excite a unit most ------------------------------------------------------
TopImages = namedtuple("TopImages", ["indices", "values", "positions", "boxes", "crops",
                                     "images", "labels"])
TopImages.__doc__ = """The k strongest activations of one channel over a dataset, strongest first.

indices (k,) positions in the loader's order (dataset indices for a loader without shuffle);
values (k,) the channel's maximum over its map; positions (k, 2) where that maximum is (row,
column of the layer's map; the first in row-major order on ties); boxes (k, 4) the receptive
field of that unit in input pixels (top, left, bottom, right; exclusive, unclipped); crops
(k, C, rh, rw) the image under each box, zero (the convolutions' padding) outside the image;
images (k, C, H, W) the whole images; labels (k,) their labels (-1 when the loader has none)."""


def _crop(image, box, size):
    """The part of `image` (C, H, W) under `box`, (C, *size), zero outside the image."""
    c, h, w = image.shape
    top, left, bottom, right = box
    out = np.zeros((c,) + tuple(size), image.dtype)
    r0, r1, c0, c1 = max(top, 0), min(bottom, h), max(left, 0), min(right, w)
    if r0 < r1 and c0 < c1:
        out[:, r0 - top:r1 - top, c0 - left:c1 - left] = image[:, r0:r1, c0:c1]
    return out


def top_images(model, loader, layer, channel, k=9):
    """The k images of `loader` that most excite `channel` of the named layer (one pass).

    A channel's activation for an image is the maximum of its map over positions (of the unit
    itself, for a linear layer's output). `channel` is an int (returns a ``TopImages``) or a
    sequence of ints (returns a list of them, from the same single pass over the data).
    `loader` yields ``(images, labels)`` batches (a DataLoader) or image batches.
    """
    what = f"top_images(layer={layer!r})"
    module = find_layer(model, layer, what)
    several = not isinstance(channel, (int, np.integer))
    channels = [int(c) for c in (channel if several else [channel])]
    if not channels or isinstance(channel, bool):
        raise ValueError(f"{what}: channel must be an int or a non-empty sequence of ints")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"{what}: k must be a positive int, got {k!r}")
    best = [None] * len(channels)        # per channel: (values, indices, positions, images, labels)
    seen, image_shape = 0, None
    with inspecting(model) as handles:
        for images, labels in batches(loader, what):
            xb = as_batch(images, model, what)
            acts = _capture(model, module, xb, what, handles)
            if acts.ndim not in (2, 4):
                raise ValueError(f"{what}: expected the layer's output to be (N, K, h, w) or "
                                 f"(N, D), got shape {acts.shape}")
            bad = [c for c in channels if not 0 <= c < acts.shape[1]]
            if bad:
                raise ValueError(f"{what}: channel {bad[0]} is not one of the layer's "
                                 f"{acts.shape[1]} channels")
            n = len(acts)
            image_shape = tuple(xb.shape[1:])
            lab = (np.full(n, -1, np.int64) if labels is None
                   else to_numpy(labels).reshape(-1).astype(np.int64))
            for t, c in enumerate(channels):
                a = acts[:, c].reshape(n, -1)
                flat = a.argmax(axis=1)
                values = a[np.arange(n), flat]
                cols = acts.shape[3] if acts.ndim == 4 else 1
                pos = np.stack([flat // cols, flat % cols], axis=1)
                keep = np.lexsort((np.arange(n), -values))[:k]      # largest first, then index
                cand = (values[keep], seen + keep, pos[keep], to_numpy(xb.data)[keep], lab[keep])
                if best[t] is not None:
                    cand = tuple(np.concatenate([b, x]) for b, x in zip(best[t], cand))
                order = np.lexsort((cand[1], -cand[0]))[:k]
                best[t] = tuple(v[order] for v in cand)
            seen += n
    if image_shape is None:
        raise ValueError(f"{what}: the loader yielded no images")
    rf = receptive_field(model, module, image_shape)
    results = []
    for values, indices, pos, imgs, lab in best:
        boxes = np.array([rf.box(i, j) for i, j in pos], np.int64).reshape(-1, 4)
        crops = np.stack([_crop(img, b, rf.size) for img, b in zip(imgs, boxes)])
        results.append(TopImages(indices.astype(np.int64), values, pos.astype(np.int64), boxes,
                                 crops, imgs, lab))
    return results if several else results[0]
