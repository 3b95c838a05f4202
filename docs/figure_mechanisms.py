"""The guide's pictures of mechanisms (no training): each function draws one PNG into `out`.

Used by docs/make_figures.py; each picture is drawn from minidl's own code (the reference
kernels, ``to_dot``, GoogLeNet's table), so it shows what the code does.
"""
import os
import shutil
import subprocess
import tempfile

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

import minidl
from minidl.autograd import format_graph, to_dot
from minidl.kernels.conv import reference as conv
from minidl.kernels.conv.spec import make_spec
from minidl.kernels.lrn import reference as lrn
from minidl.kernels.pool import reference as pool
from minidl.kernels.pool.spec import make_spec as make_pool_spec
from minidl.kernels.shapes import conv_output_size
from minidl.models.googlenet import INCEPTION


def save(fig, out, name):
    fig.savefig(os.path.join(out, name), dpi=100, bbox_inches="tight")


def output_size_figure(out, W=7, K=3, S=2, P=1):
    """Windows along one axis: padding P each side, kernel K, stride S, and the formula."""
    OW = conv_output_size(W, K, S, P, 1)
    fig = Figure(figsize=(9, 2.9))
    ax = fig.subplots()
    for i in range(W + 2 * P):
        pad = i < P or i >= W + P
        ax.add_patch(Rectangle((i, 0), 1, 1, facecolor="0.85" if pad else "C0",
                               alpha=0.5 if pad else 0.35, edgecolor="k",
                               hatch="//" if pad else None))
        ax.text(i + 0.5, 0.5, "0" if pad else f"x{i - P}", ha="center", va="center", fontsize=9)
    for o in range(OW):
        y = -0.45 - 0.42 * o
        ax.add_patch(Rectangle((o * S + 0.08, y), K - 0.16, 0.3, color=f"C{o + 1}", alpha=0.8))
        ax.text(o * S + K + 0.15, y + 0.15, f"output {o}: x{o * S - P}..x{o * S - P + K - 1}",
                va="center", fontsize=8)
    ax.text(W + 2 * P + 2.6, 0.5, f"W = {W}, P = {P}, K = {K}, S = {S}\n"
            f"O = (W + 2P − K) // S + 1\n  = ({W} + {2 * P} − {K}) // {S} + 1 = {OW}",
            va="center", fontsize=10)
    ax.set_xlim(-0.2, W + 2 * P + 10), ax.set_ylim(-0.55 - 0.42 * OW, 1.2)
    ax.set_aspect("equal"), ax.axis("off")
    ax.set_title("windows along one axis (hatched: zero padding; x-1 and x7 are padding)",
                 fontsize=10)
    save(fig, out, "output_size.png")


def im2col_figure(out, window=1):
    """A 4×4 image, a 3×3 kernel (stride 1): the `window`-th receptive field and its column."""
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    col = conv.im2col(x, make_spec(x.shape, (1, 1, 3, 3)))          # (9, 4)
    oh, ow = divmod(window, 2)
    fig = Figure(figsize=(8, 3.8))
    a, b = fig.subplots(1, 2, gridspec_kw=dict(width_ratios=[1, 1.1], wspace=0.55))
    inside = np.zeros((4, 4), bool)
    inside[oh:oh + 3, ow:ow + 3] = True
    a.imshow(inside, cmap="Oranges", vmin=-0.3, vmax=1.6)
    for (i, j), v in np.ndenumerate(x[0, 0]):
        a.text(j, i, int(v), ha="center", va="center", fontsize=11,
               fontweight="bold" if inside[i, j] else "normal")
    a.add_patch(Rectangle((ow - 0.5, oh - 0.5), 3, 3, fill=False, lw=3, color="C1"))
    a.set_title(f"x: the window of output ({oh}, {ow})", fontsize=10)
    a.set_xticks([]), a.set_yticks([])
    chosen = np.zeros(col.shape, bool)
    chosen[:, window] = True
    b.imshow(chosen, cmap="Oranges", vmin=-0.3, vmax=1.6, aspect="auto")
    for (i, j), v in np.ndenumerate(col):
        b.text(j, i, int(v), ha="center", va="center", fontsize=9,
               fontweight="bold" if chosen[i, j] else "normal")
    b.add_patch(Rectangle((window - 0.5, -0.5), 1, 9, fill=False, lw=3, color="C1"))
    b.set_yticks(range(9), [f"({kh},{kw})" for kh, kw in np.ndindex(3, 3)], fontsize=8)
    b.set_xticks(range(4), [f"({i},{j})" for i, j in np.ndindex(2, 2)], fontsize=8)
    b.set_ylabel("row: kernel tap (kh, kw)", fontsize=9)
    b.set_xlabel("column: output position (oh, ow)", fontsize=9)
    b.set_title(f"col = im2col(x): that window is column {window}", fontsize=10)
    fig.add_artist(FancyArrowPatch((0.43, 0.5), (0.5, 0.5), transform=fig.transFigure,
                                   arrowstyle="-|>", mutation_scale=20, color="C1", lw=2))
    fig.suptitle(f"y[0, 0, {oh}, {ow}] = w.reshape(1, 9) @ col[:, {window}]", fontsize=10)
    save(fig, out, "im2col.png")


def lrn_figure(out, image, size=5, alpha=1e-4, beta=0.75, k=2.0, boosted=3, C=7):
    """The paper's LRN (k=2, n=5, α=1e-4, β=0.75) on C maps of the same image (H, W), channel
    `boosted` 6× stronger than the others. Top: the input; bottom: the gain y/x, which is
    k^-β ≈ 0.59 where no neighbour is active. Channels within n/2 of the boosted one are
    suppressed where it is bright; channels farther away are not."""
    scale = np.full(C, 20.0)
    scale[boosted] = 120.0                        # post-ReLU activations of AlexNet's size
    x = scale[None, :, None, None] * image[None, None]
    y = lrn.lrn_forward(x, size, alpha, beta, k)
    gain = np.where(x > 1e-3, y / np.maximum(x, 1e-12), np.nan)
    fig = Figure(figsize=(11, 3.4))
    axes = fig.subplots(2, C)
    for c in range(C):
        im_x = axes[0, c].imshow(x[0, c], cmap="magma", vmin=0, vmax=scale.max())
        im_g = axes[1, c].imshow(gain[0, c], cmap="viridis", vmin=0.2, vmax=k ** -beta)
        near = abs(c - boosted) <= size // 2
        axes[0, c].set_title(f"channel {c}" + (" (×6)" if c == boosted else ""), fontsize=8)
        axes[1, c].set_title("itself" if c == boosted else
                             ("in its window" if near else "outside it"), fontsize=8)
        axes[0, c].axis("off"), axes[1, c].axis("off")
    fig.colorbar(im_x, ax=list(axes[0]), fraction=0.02, pad=0.01, label="input x")
    fig.colorbar(im_g, ax=list(axes[1]), fraction=0.02, pad=0.01, label="gain y / x")
    fig.suptitle(f"LRN with the paper's constants (n={size}, k={k:g}, α={alpha:g}, β={beta}): "
                 f"channel {boosted} suppresses channels {boosted - size // 2}..."
                 f"{boosted + size // 2}", fontsize=10)
    save(fig, out, "lrn.png")
    return x, y


def autograd_graph_figure(out):
    """y = x*x + exp(x), the autograd chapter's example: Graphviz's dot draws ``to_dot``'s text;
    without dot installed, matplotlib shows ``format_graph``'s text instead. Returns which."""
    x = minidl.tensor([0.5, -1.0, 2.0], dtype=minidl.float64, requires_grad=True)
    y = x * x + x.exp()
    target = os.path.join(out, "autograd_graph.png")
    dot = shutil.which("dot")
    if dot is not None:
        source = to_dot(y).replace(
            "rankdir=BT;", 'rankdir=BT; labelloc=t; label="y = x*x + exp(x): backward runs '
            'from the top (y) down to the leaf x";')
        with tempfile.NamedTemporaryFile("w", suffix=".dot", delete=False) as f:
            f.write(source)
        try:
            subprocess.run([dot, "-Tpng", "-Gdpi=90", f.name, "-o", target], check=True)
        finally:
            os.unlink(f.name)
        return "dot"
    fig = Figure(figsize=(6, 2.4))
    ax = fig.subplots()
    ax.text(0, 1, format_graph(y), family="monospace", fontsize=9, va="top")
    ax.set_title("y = x*x + exp(x) (install Graphviz's dot for the drawn graph)", fontsize=9)
    ax.axis("off")
    save(fig, out, "autograd_graph.png")
    return "matplotlib"


def inception_figure(out, name="3a", in_channels=192):
    """GoogLeNet's Inception block `name`: four branches, concatenated, from its table."""
    one, red3, three, red5, five, proj = INCEPTION[name]
    fig = Figure(figsize=(8.5, 4.2))
    ax = fig.subplots()

    def box(cx, cy, text, color, width=1.8):
        ax.add_patch(Rectangle((cx - width / 2, cy - 0.28), width, 0.56, facecolor=color,
                               alpha=0.35, edgecolor="k"))
        ax.text(cx, cy, text, ha="center", va="center", fontsize=8.5)

    def arrow(x0, y0, x1, y1):
        ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=12))

    box(4.5, 0, f"previous layer: {in_channels} channels, 28×28", "0.7", width=3.6)
    branches = [[(f"1×1 conv, {one}", "C0")],
                [(f"1×1 conv, {red3}\n(reduce)", "C2"), (f"3×3 conv, {three}", "C0")],
                [(f"1×1 conv, {red5}\n(reduce)", "C2"), (f"5×5 conv, {five}", "C0")],
                [("3×3 max-pool,\nstride 1", "C1"), (f"1×1 conv, {proj}\n(pool proj)", "C2")]]
    for i, steps in enumerate(branches):
        cx = 1.5 + 2 * i
        first = 1.5 if len(steps) == 2 else 2.5
        arrow(4.5, 0.28, cx, first - 0.28)
        for j, (text, color) in enumerate(steps):
            box(cx, first + j, text, color)
            if j:
                arrow(cx, first + j - 0.72, cx, first + j - 0.28)
        arrow(cx, 2.78, 4.5, 3.72)
    total = one + three + five + proj
    box(4.5, 4, f"concatenate: {one} + {three} + {five} + {proj} = {total} channels, 28×28",
        "C3", width=5.2)
    ax.set_xlim(0.3, 8.7), ax.set_ylim(-0.5, 4.5), ax.axis("off")
    ax.set_title(f"Inception ({name}): four branches side by side; the 1×1 reductions keep "
                 f"the 3×3 and 5×5 convolutions cheap", fontsize=9)
    save(fig, out, "inception.png")


def winograd_tile_figure(out):
    """F(2×2, 3×3) on a 6×6 input (a 4×4 output): 4×4 input tiles, 2 apart, each giving a
    2×2 block of outputs with 16 multiplications instead of 36."""
    fig = Figure(figsize=(8, 3.8))
    a, b = fig.subplots(1, 2)
    reads = np.zeros((6, 6))
    for t, (ti, tj) in enumerate(np.ndindex(2, 2)):
        r, c, off = 2 * ti, 2 * tj, 0.08 * t
        reads[r:r + 4, c:c + 4] += 1
        a.add_patch(Rectangle((c - 0.5 + off, r - 0.5 + off), 4 - 2 * off, 4 - 2 * off,
                              fill=False, lw=2.5, color=f"C{t}"))
        b.add_patch(Rectangle((c - 0.5, r - 0.5), 2, 2, color=f"C{t}", alpha=0.45))
        b.text(c + 0.5, r + 0.5, f"tile {t}", ha="center", va="center", fontsize=9)
    a.imshow(reads, cmap="Greys", vmin=0, vmax=6)
    for (i, j), v in np.ndenumerate(reads):
        a.text(j, i, int(v), ha="center", va="center", fontsize=8, color="C3")
    a.set_title("6×6 input d: four 4×4 tiles, 2 apart\n(number: how many tiles read the cell)",
                fontsize=9)
    b.imshow(np.zeros((4, 4)), cmap="Greys", vmin=0, vmax=1)
    b.set_title("4×4 output: each tile gives a 2×2 block,\n"
                "Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A: 16 products, not 36", fontsize=9)
    for ax in (a, b):
        ax.set_xticks([]), ax.set_yticks([])
    save(fig, out, "winograd_tile.png")


def pool_figure(out):
    x = np.arange(25.0).reshape(1, 1, 5, 5) / 100
    x[0, 0, 2, 1] = 9.0
    args = make_pool_spec(x.shape, 3, stride=2)
    y, argmax = pool.max_pool2d_forward(x, args)
    gy = np.array([[[[1.0, 10.0], [100.0, 1000.0]]]])
    gx = pool.max_pool2d_backward(gy, argmax, x.shape, args)
    fig = Figure(figsize=(7, 3.4))
    a, b = fig.subplots(1, 2)
    a.imshow(x[0, 0], cmap="Blues")
    for (i, j), v in np.ndenumerate(x[0, 0]):
        a.text(j, i, f"{v:g}", ha="center", va="center", fontsize=8)
    for k, (oh, ow) in enumerate(np.ndindex(2, 2)):
        r, c = oh * 2 - 0.45 + 0.06 * k, ow * 2 - 0.45 + 0.06 * k
        a.add_patch(__import__("matplotlib.patches", fromlist=["x"]).Rectangle(
            (c, r), 2.8, 2.8, fill=False, lw=1.5, color=f"C{k}"))
    a.set_title("input: four 3×3 windows, stride 2", fontsize=9)
    b.imshow(np.log1p(gx[0, 0]), cmap="Reds")
    for (i, j), v in np.ndenumerate(gx[0, 0]):
        if v:
            b.text(j, i, f"{v:g}", ha="center", va="center", fontsize=9)
    b.set_title("gx for gy = [[1, 10], [100, 1000]]:\n(2, 1) won two windows, 1 + 100", fontsize=9)
    for ax in (a, b):
        ax.set_xticks([]), ax.set_yticks([])
    save(fig, out, "pool_routing.png")


