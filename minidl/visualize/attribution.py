"""Where does the net look? Three answers for one image and one class c, each (N, ...) NumPy.

    saliency(model, x, c)               (N, H, W)    max_ch |dS_c / dx|   Simonyan et al. 2013
    grad_cam(model, x, c, layer)        (N, h, w)    ReLU(sum_k a_k A^k), a_k = mean_ij dS_c/dA^k_ij
                                                     (upsample=True: (N, H, W))  Selvaraju 2017
    occlusion(model, x, c, window, s)   (N, nh, nw)  p_c(x with a window×window patch set to fill)
                                                     nh = (H - window)//s + 1   Zeiler & Fergus 2014

S_c is the class's score before the softmax (the logit): the softmax's probability can rise
because other classes fall, which says less about class c itself (Simonyan et al., section 3).
`target` is an int, one int per image, or None for each image's top-1 class. Each gradient is
one backward pass of minidl's autograd (``minidl.autograd.grad``, which leaves every ``.grad``
alone); the model runs in eval mode and is handed back as it came (see ``_common.inspecting``).
"""
import numpy as np

from ..autograd import enable_grad, grad, no_grad
from ..tensor import Tensor
from ._common import (as_batch, find_layer, inspecting, logits_of, one_hot, targets_for,
                      to_numpy)


def _class_score(logits, targets):
    """sum_n S_{target_n}(x_n): one scalar whose gradient holds every image's own gradient
    (in eval mode the images of a batch do not interact)."""
    return (logits * one_hot(targets, logits)).sum()


def saliency(model, x, target=None):
    """Image-specific class saliency: |dS_c/dx| at each pixel, max over the colour channels.

    x (N, C, H, W) -> (N, H, W). For a linear model S = W·x + b the map is |W[c]| itself: the
    first-order Taylor expansion S_c(x) ≈ w·x + b that the paper's map reads is exact there.
    """
    with inspecting(model):
        x = as_batch(x, model, "saliency").requires_grad_()
        with enable_grad():
            logits = logits_of(model(x), "saliency")
            targets = targets_for(target, logits, "saliency")
            (g,) = grad(_class_score(logits, targets), [x])
    return np.abs(to_numpy(g.data)).max(axis=1)


def grad_cam(model, x, target, layer, upsample=False):
    """Gradient-weighted class activation map of the named layer's output A (N, K, h, w).

    alpha_k = (1/hw) sum_ij dS_c/dA^k_ij (how much map k matters to class c), and
    map = ReLU(sum_k alpha_k A^k): (N, h, w), unnormalised, at the layer's resolution;
    ``upsample=True`` resizes it bilinearly to the input's (N, H, W) (``resize_bilinear``).
    For conv -> ReLU -> global average pool -> linear, with `layer` the ReLU, alpha_k =
    W[c, k]/(hw): the map is ReLU(CAM)/(hw), Zhou et al.'s class activation map over its area.

    The layer's output is captured by a forward hook, which hands the rest of the net a leaf
    copy of it that requires grad: the backward pass starts at the score and stops there.
    """
    what = f"grad_cam(layer={layer!r})"
    module = find_layer(model, layer, what)
    seen = []

    def hook(mod, args, output):
        if seen:
            raise RuntimeError(f"{what}: the layer ran twice in one forward pass; pick a "
                               "layer the model calls once")
        a = output.detach().requires_grad_()
        seen.append((a, to_numpy(output.data)))   # its value, before anything later runs
        return a

    with inspecting(model) as handles:
        xb = as_batch(x, model, what)
        handles.append(module.register_forward_hook(hook))
        with enable_grad():
            logits = logits_of(model(xb), what)
            if not seen:
                raise RuntimeError(f"{what}: the layer did not run in the forward pass")
            a, maps = seen[0]
            if maps.ndim != 4:
                raise ValueError(f"{what}: expected the layer's output to be maps (N, K, h, w), "
                                 f"got shape {maps.shape}")
            targets = targets_for(target, logits, what)
            (g,) = grad(_class_score(logits, targets), [a], allow_unused=True)
    if g is None:        # the score does not depend on the layer at all
        cam = np.zeros((maps.shape[0],) + maps.shape[2:], maps.dtype)
    else:
        alpha = to_numpy(g.data).mean(axis=(2, 3))                    # (N, K)
        cam = np.maximum(np.einsum("nk,nkij->nij", alpha, maps), 0)
    return resize_bilinear(cam, xb.shape[2:]) if upsample else cam


def occlusion(model, x, target, window, stride, fill=0.0, batch_size=256):
    """Occlusion sensitivity: p_c with a window×window patch of every channel set to `fill`.

    x (N, C, H, W) -> (N, nh, nw), nh = (H - window)//stride + 1 (likewise nw): entry (i, j) is
    the softmax probability of the target class with rows i·stride .. i·stride + window - 1
    and the same columns covered. A low value marks a region the class depends on. The
    occluded copies of each image run through the net `batch_size` at a time.
    """
    what = "occlusion"
    for name, v in (("window", window), ("stride", stride)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{what}: {name} must be a positive int, got {v!r}")
    with inspecting(model):
        xb = as_batch(x, model, what)
        n, c, h, w = xb.shape
        if window > h or window > w:
            raise ValueError(f"{what}: a {window}×{window} window does not fit {h}×{w} images")
        rows = range(0, h - window + 1, stride)
        cols = range(0, w - window + 1, stride)
        corners = [(i, j) for i in rows for j in cols]
        images = to_numpy(xb.data)
        with no_grad():
            logits = logits_of(model(xb), what)
        targets = targets_for(target, logits, what)
        out = np.empty((n, len(corners)), np.float64)
        xp = xb.xp
        for k in range(n):
            for start in range(0, len(corners), batch_size):
                part = corners[start:start + batch_size]
                copies = np.repeat(images[k:k + 1], len(part), axis=0)
                for m, (i, j) in enumerate(part):
                    copies[m, :, i:i + window, j:j + window] = fill
                with no_grad():
                    z = logits_of(model(Tensor._make(xp.asarray(copies))), what)
                out[k, start:start + len(part)] = _softmax(to_numpy(z.data))[:, targets[k]]
    return out.reshape(n, len(rows), len(cols)).astype(images.dtype)


def _softmax(z):
    z = z.astype(np.float64) - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def resize_bilinear(maps, size):
    """Bilinear resize of (N, h, w) maps to (N, H, W) = size, as PyTorch's
    ``F.interpolate(mode="bilinear", align_corners=False)``: output pixel i samples the input
    at (i + 0.5)·h/H - 0.5, clamped at 0 and at the last row (pixel centres line up)."""
    maps = np.asarray(maps)
    if maps.ndim != 3:
        raise ValueError(f"resize_bilinear: expected maps (N, h, w), got shape {maps.shape}")
    (h, w), (oh, ow) = maps.shape[1:], size

    def axis(n_in, n_out):
        pos = np.maximum((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0)
        lo = np.minimum(np.floor(pos).astype(np.int64), n_in - 1)
        hi = np.minimum(lo + 1, n_in - 1)
        return lo, hi, (pos - lo)

    r0, r1, fr = axis(h, oh)
    c0, c1, fc = axis(w, ow)
    fr, fc = fr[:, None], fc[None, :]
    top = maps[:, r0][:, :, c0] * (1 - fc) + maps[:, r0][:, :, c1] * fc
    bottom = maps[:, r1][:, :, c0] * (1 - fc) + maps[:, r1][:, :, c1] * fc
    return (top * (1 - fr) + bottom * fr).astype(maps.dtype, copy=False)
