"""Pictures of a run, as PNG files: the loss/accuracy curves and the first layer's filters.

Drawn with matplotlib's object API (``matplotlib.figure.Figure``, rendered by Agg): no window,
no pyplot global state, so it works on a server and inside tests. matplotlib is imported only
when a picture is drawn (it is an optional extra: ``pip install minidl[examples]``).
"""
import math
import os

import numpy as np

from ..backend import CPU, to_device
from ..tensor import Tensor


def _save(fig, path):
    """Write to a temporary file, then rename: a viewer never sees a half-written PNG."""
    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    fig.savefig(tmp, format="png")
    os.replace(tmp, path)


def plot_curves(history, path, title=None):
    """Loss (left) and top-1/top-5 accuracy (right) per epoch, from the epoch records of a
    run (``Trainer.history`` or ``read_log(path, "epoch")``); keys that are missing are skipped."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    epochs = [r["epoch"] for r in history]
    curves = [(ax_loss, "train_loss", "train", "-"), (ax_loss, "val_loss", "validation", "-"),
              (ax_acc, "train_acc1", "train top-1", "-"),
              (ax_acc, "val_acc1", "validation top-1", "-"),
              (ax_acc, "val_acc5", "validation top-5", "--")]
    for ax, key, label, style in curves:
        values = [r.get(key) for r in history]
        if any(v is not None for v in values):
            ax.plot(epochs, [np.nan if v is None else v for v in values], style, marker="o",
                    markersize=3, label=label)
    # mark where the learning rate was divided: that is where the curves usually bend
    lrs = [r.get("lr") for r in history]
    for e, before, after in zip(epochs[1:], lrs, lrs[1:]):
        if before and after and after < before:
            for ax in (ax_loss, ax_acc):
                ax.axvline(e - 0.5, color="grey", linewidth=0.8, linestyle=":")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend()
    if title:
        fig.suptitle(title)
    _save(fig, path)


def filter_grid(weight, ncols=None, pad=1):
    """Tile conv filters into one image: weight (OC, IC, KH, KW) -> (rows*(KH+pad)+pad,
    cols*(KW+pad)+pad, 3) floats in [0, 1], each filter stretched to its own min..max (as in the
    AlexNet paper's figure 3). IC == 3 shows colour; any other IC shows channel 0 in grey."""
    w = to_device(weight.data if isinstance(weight, Tensor) else weight, CPU).astype(np.float64)
    if w.ndim != 4:
        raise ValueError(f"filter_grid: expected conv weights (OC, IC, KH, KW), got shape {w.shape}")
    oc, ic, kh, kw = w.shape
    tiles = w.transpose(0, 2, 3, 1)                       # (OC, KH, KW, IC): images, HWC
    if ic != 3:
        tiles = np.repeat(tiles[..., :1], 3, axis=3)       # channel 0 as grey
    lo = tiles.min(axis=(1, 2, 3), keepdims=True)
    hi = tiles.max(axis=(1, 2, 3), keepdims=True)
    tiles = (tiles - lo) / np.where(hi > lo, hi - lo, 1.0)
    ncols = ncols or math.ceil(math.sqrt(oc))
    nrows = math.ceil(oc / ncols)
    grid = np.ones((nrows * (kh + pad) + pad, ncols * (kw + pad) + pad, 3))
    for i in range(oc):
        r, c = divmod(i, ncols)
        y, x = pad + r * (kh + pad), pad + c * (kw + pad)
        grid[y:y + kh, x:x + kw] = tiles[i]
    return grid


def save_filter_grid(weight, path, title=None, ncols=None):
    """Save ``filter_grid(weight)`` as a PNG, large enough to see each filter's pixels."""
    from matplotlib.figure import Figure

    grid = filter_grid(weight, ncols)
    height, width = grid.shape[:2]
    fig = Figure(figsize=(8, 8 * height / width + (0.4 if title else 0)), layout="constrained")
    ax = fig.subplots()
    ax.imshow(grid, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    _save(fig, path)
