"""Pictures of what ``minidl.visualize`` computes (matplotlib, drawn on ``Figure`` objects: no
window and no pyplot state; save them with ``fig.savefig(path)``).

Each ``plot_*`` takes the NumPy arrays its function returned and, where it makes sense, the
image they are about and an ``ax`` to draw into (a new Figure otherwise); it returns the
Figure. Maps get a colorbar; class indices become class names when ``class_names`` is given.
Images are shown min-max scaled (they are normalised inputs, not pixels).
"""
import numpy as np

from .attribution import resize_bilinear


def figure(figsize):
    """A new matplotlib Figure (no pyplot)."""
    from matplotlib.figure import Figure       # matplotlib only when a picture is drawn
    return Figure(figsize=figsize)


def _axes(ax, figsize=(3.2, 3)):
    if ax is None:
        ax = figure(figsize).subplots()
    return ax.figure, ax


def display_image(image):
    """One input image (C, H, W) -> (H, W) grey or (H, W, 3) RGB in [0, 1], min-max scaled."""
    a = np.asarray(image, np.float64)
    if a.ndim == 3:
        a = a[0] if a.shape[0] == 1 else a[:3].transpose(1, 2, 0)
    lo, hi = np.nanmin(a), np.nanmax(a)
    return (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)


def show_image(ax, image, title=None):
    """Draw one input image (C, H, W) into `ax`, min-max scaled, without ticks."""
    a = display_image(image)
    ax.imshow(a, cmap="gray" if a.ndim == 2 else None, interpolation="nearest")
    ax.set_xticks([]), ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=8)


def _name(i, class_names):
    return str(class_names[i]) if class_names is not None else str(i)


def plot_feature_maps(maps, images=None, max_maps=12, title=None):
    """maps (N, K, h, w) from ``feature_maps``: one row per image, its first `max_maps` maps
    (after the input image, when `images` (N, C, H, W) is given). (N, D) vectors: one bar row."""
    maps = np.asarray(maps)
    if maps.ndim == 2:
        maps = maps[:, None, None, :]
    n, k = maps.shape[:2]
    shown = min(k, max_maps)
    extra = images is not None
    fig = figure((1.0 * (shown + extra) + 0.6, 1.05 * n + 0.5))
    axes = np.asarray(fig.subplots(n, shown + extra, squeeze=False))
    for r in range(n):
        if extra:
            show_image(axes[r, 0], images[r], "input" if r == 0 else None)
        for c in range(shown):
            ax = axes[r, c + extra]
            ax.imshow(maps[r, c], cmap="magma", interpolation="nearest", aspect="auto")
            ax.set_xticks([]), ax.set_yticks([])
            if r == 0:
                ax.set_title(f"map {c}", fontsize=7)
    if title:
        fig.suptitle(f"{title} ({k} maps of {maps.shape[2]}×{maps.shape[3]}, first {shown})",
                     fontsize=9)
    return fig


def _colorbar(fig, im, ax, label):
    bar = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    if label:
        bar.set_label(label, fontsize=7)
    bar.ax.tick_params(labelsize=6)
    bar.ax.yaxis.set_major_formatter("{x:.2g}")     # Grad-CAM's values can be ~0.01
    return bar


def plot_saliency(image, saliency_map, ax=None, title=None, label="|dS/dx|"):
    """A saliency map (H, W) on its own (as the paper shows it): bright = the class score is
    sensitive to that pixel. `label` names the colorbar (None: unlabelled)."""
    fig, ax = _axes(ax)
    im = ax.imshow(saliency_map, cmap="hot", interpolation="nearest")
    _colorbar(fig, im, ax, label)
    ax.set_xticks([]), ax.set_yticks([])
    ax.set_title(title or "saliency", fontsize=8)
    return fig


def plot_grad_cam(image, cam, ax=None, title=None, alpha=0.5, label="Grad-CAM"):
    """A Grad-CAM map (h, w) or (H, W), resized bilinearly to the image and laid over it."""
    fig, ax = _axes(ax)
    h, w = np.asarray(image).shape[-2:]
    cam = np.asarray(cam, np.float64)
    if cam.shape != (h, w):
        cam = resize_bilinear(cam[None], (h, w))[0]
    show_image(ax, image)
    im = ax.imshow(cam, cmap="jet", alpha=alpha, interpolation="bilinear")
    _colorbar(fig, im, ax, label)
    ax.set_title(title or "Grad-CAM", fontsize=8)
    return fig


def plot_occlusion(image, occ, window, stride, ax=None, title=None, alpha=0.6,
                   label="p(class), patch covered"):
    """An occlusion map (nh, nw) over the image: each cell drawn at the centre of its patch
    (the patch at (i, j) covers rows i·stride .. i·stride + window - 1). The colours span the
    map's own range (a confident net moves little), the colorbar says which."""
    fig, ax = _axes(ax)
    occ = np.asarray(occ)
    nh, nw = occ.shape
    half = (window - stride) / 2 - 0.5          # pixel edges are at -0.5, 0.5, ...
    extent = (half, half + nw * stride, half + nh * stride, half)
    show_image(ax, image)
    im = ax.imshow(occ, cmap="viridis", alpha=alpha, extent=extent, interpolation="nearest")
    h, w = np.asarray(image).shape[-2:]
    ax.set_xlim(-0.5, w - 0.5), ax.set_ylim(h - 0.5, -0.5)
    _colorbar(fig, im, ax, label)
    ax.set_title(title or f"occlusion ({window}×{window}, stride {stride})", fontsize=8)
    return fig


def plot_top_images(tops, titles=None, class_names=None):
    """``top_images``'s result: one TopImages (the whole images with the receptive field
    boxed, and the crops beneath) or a list of them (one row of crops per channel)."""
    from matplotlib.patches import Rectangle

    if not isinstance(tops, list):
        t = tops
        k = len(t.indices)
        fig = figure((1.1 * k + 0.5, 2.6))
        axes = np.asarray(fig.subplots(2, k, squeeze=False))
        for i in range(k):
            top, left, bottom, right = t.boxes[i]
            label = "" if t.labels[i] < 0 else _name(t.labels[i], class_names) + "\n"
            show_image(axes[0, i], t.images[i], f"{label}{t.values[i]:.2f}")
            axes[0, i].add_patch(Rectangle((left - 0.5, top - 0.5), right - left, bottom - top,
                                           fill=False, edgecolor="red", linewidth=1))
            show_image(axes[1, i], t.crops[i])
        if titles:
            fig.suptitle(titles if isinstance(titles, str) else titles[0], fontsize=9, y=1.04)
        return fig
    k = max(len(t.indices) for t in tops)
    fig = figure((0.9 * k + 1.2, 1.0 * len(tops) + 0.4))
    axes = np.asarray(fig.subplots(len(tops), k, squeeze=False))
    for r, t in enumerate(tops):
        for i in range(k):
            ax = axes[r, i]
            if i < len(t.indices):
                label = "" if t.labels[i] < 0 else _name(t.labels[i], class_names)
                show_image(ax, t.crops[i], label)
            else:
                ax.axis("off")
        if titles:
            axes[r, 0].set_ylabel(titles[r], fontsize=8)
    return fig


def plot_class_models(images, targets=None, class_names=None, cols=5):
    """``class_model``'s images (T, C, H, W), each titled with its class."""
    images = np.asarray(images)
    t = len(images)
    targets = range(t) if targets is None else np.atleast_1d(targets)
    rows = -(-t // cols)
    fig = figure((1.5 * min(t, cols), 1.6 * rows))
    axes = np.asarray(fig.subplots(rows, min(t, cols), squeeze=False)).ravel()
    for ax in axes[t:]:
        ax.axis("off")
    for ax, img, c in zip(axes, images, targets):
        show_image(ax, img, _name(int(c), class_names))
    return fig


def plot_confusion_matrix(cm, class_names=None, ax=None, title=None):
    """A confusion matrix (K, K): counts in each cell, row = true class, column = predicted."""
    cm = np.asarray(cm)
    k = len(cm)
    fig, ax = _axes(ax, (0.55 * k + 2.5, 0.5 * k + 1.8))
    im = ax.imshow(cm, cmap="Blues")
    _colorbar(fig, im, ax, "images")
    names = [_name(i, class_names) for i in range(k)]
    ax.set_xticks(range(k)), ax.set_yticks(range(k))
    ax.set_xticklabels(names, rotation=45, ha="right", fontsize=7)
    ax.set_yticklabels(names, fontsize=7)
    ax.set_xlabel("predicted"), ax.set_ylabel("true")
    top = cm.max() if cm.size else 0
    for i in range(k):
        for j in range(k):
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=6,
                    color="white" if cm[i, j] > top / 2 else "black")
    acc = np.trace(cm) / max(cm.sum(), 1)
    ax.set_title(title or f"confusion matrix (top-1 {100 * acc:.1f}%)", fontsize=9)
    return fig


def plot_embedding(points, labels, class_names=None, ax=None, title=None):
    """2-D points (N, 2) from ``embed``, coloured by class, with a legend."""
    from matplotlib import colormaps

    points, labels = np.asarray(points), np.asarray(labels)
    fig, ax = _axes(ax, (6, 4.5))
    classes = np.unique(labels)
    cmap = colormaps["tab10" if len(classes) <= 10 else "tab20"]
    for n, c in enumerate(classes):
        p = points[labels == c]
        ax.scatter(p[:, 0], p[:, 1], s=4, color=cmap(n % cmap.N), label=_name(int(c), class_names))
    ax.legend(fontsize=7, markerscale=3, loc="center left", bbox_to_anchor=(1, 0.5))
    ax.set_xticks([]), ax.set_yticks([])
    ax.set_title(title or "embedding", fontsize=9)
    return fig
