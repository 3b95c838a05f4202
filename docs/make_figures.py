"""Draw the guide's pictures into docs/figures/ (matplotlib, Agg: no window needed).

    python docs/make_figures.py            # about 30 s on 2 shared cores
    python docs/make_figures.py --fast     # a few seconds: a much shorter training run (tests)
    python docs/make_figures.py --out DIR  # somewhere else

Mechanisms (docs/figure_mechanisms.py): output_size.png (windows, padding and stride along one
axis: the output-size formula), im2col.png (one conv window and the column it becomes,
highlighted), lrn.png (the paper's LRN on maps where one channel is boosted: its neighbours are
suppressed, the channels outside its window are not), autograd_graph.png (the autograd
chapter's y = x*x + exp(x) from ``to_dot``, drawn by Graphviz's ``dot`` when installed, else
its text by matplotlib), inception.png (block 3a from GoogLeNet's table), winograd_tile.png
(overlapping 4×4 tiles and the 2×2 outputs they make), pool_routing.png (where a 3×3/2
max-pool sends its gradient).

Training: conv1_filters.png shows conv1 of the small AlexNet *trained* on the full
Fashion-MNIST, from docs/training/alexnet_conv1.npy (recorded by
docs/make_training_report.py; see docs/training.md); without that file, or with --fast, it
shows the short run's filters and says so. One short run of the small AlexNet on the
embedded subset gives curves.png (loss per batch) and feature_maps.png (one test image
through each layer of that briefly trained net).
"""
import os
import sys

import numpy as np
from matplotlib.figure import Figure

import minidl
import minidl.functional as F
from minidl.data import DataLoader, FashionMNIST, Subset
from minidl.data.transforms import Compose, Normalize, ToTensor
from minidl.models import alexnet_small
from minidl.optim import SGD

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from figure_mechanisms import (autograd_graph_figure, im2col_figure, inception_figure,  # noqa: E402
                               lrn_figure, output_size_figure, pool_figure, save,
                               winograd_tile_figure)


def short_run(n_train, epochs):
    """The small AlexNet trained briefly; returns (model, losses, test set)."""
    minidl.manual_seed(0)
    to_input = Compose([ToTensor(), Normalize((0.286,), (0.353,))])
    train = Subset(FashionMNIST(train=True, transform=to_input), range(n_train))
    loader = DataLoader(train, batch_size=64, shuffle=True, seed=0)
    model = alexnet_small()
    opt = SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    losses = []
    for _ in range(epochs):
        for images, labels in loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return model.eval(), losses, FashionMNIST(train=False, transform=to_input)


def training_figures(out, model, losses, test, n_train):
    fig = Figure(figsize=(5, 3))
    ax = fig.subplots()
    ax.plot(losses), ax.set_xlabel("batch (64 images)"), ax.set_ylabel("training loss")
    ax.set_title(f"small AlexNet, {n_train} embedded Fashion-MNIST images", fontsize=9)
    save(fig, out, "curves.png")

    filters_figure(out, model.features[0].weight.data[:, 0],
                   f"conv1's 24 filters after only {len(losses)} batches (briefly trained)")

    image = np.asarray(test[0][0])[None]                             # (1, 1, 28, 28)
    stages, x = [("input", image[0])], minidl.tensor(image)
    names = {0: "conv1", 3: "pool1", 4: "conv2", 7: "pool2", 8: "conv3", 10: "conv4",
             12: "conv5", 14: "pool5"}
    with minidl.no_grad():
        for i, layer in enumerate(model.features):
            x = layer(x)
            if i in names:
                stages.append((names[i], x.data[0]))
    fig = Figure(figsize=(9, 2.2))
    for ax, (name, maps) in zip(fig.subplots(1, len(stages)), stages):
        ax.imshow(maps[: min(4, len(maps))].mean(0) if name != "input" else maps[0], cmap="magma")
        ax.set_title(f"{name}\n{'×'.join(map(str, maps.shape))}", fontsize=8), ax.axis("off")
    fig.suptitle("one test image through the briefly trained small AlexNet "
                 "(each panel: the mean of the first 4 maps)", fontsize=9)
    save(fig, out, "feature_maps.png")


def filters_figure(out, w, title, start=None):
    """w (24, KH, KW): conv1's filters of the one-channel small AlexNet, each on its own grey
    scale; with `start` (the same shape), that random start above and the change below."""
    rows = [("trained", w)] if start is None else [
        ("random start", start), ("trained", w), ("the change: trained − start", w - start)]
    fig = Figure(figsize=(12, 0.75 * len(rows) + 0.5))
    axes = fig.subplots(len(rows), 24, squeeze=False,
                        gridspec_kw=dict(wspace=0.08, hspace=0.45))
    for r, (label, filters) in enumerate(rows):
        for i in range(24):
            axes[r, i].imshow(filters[i], cmap="gray"), axes[r, i].axis("off")
        axes[r, 0].set_title(label, fontsize=8, loc="left")
    fig.suptitle(title, fontsize=9)
    save(fig, out, "conv1_filters.png")


def trained_filters(out):
    """conv1 of the small AlexNet trained on the full Fashion-MNIST (docs/training.md), if its
    weights were recorded, below the same net at its start (seed 0, the run's seed: the same
    initial weights) and above what training changed; returns whether it drew them."""
    path = os.path.join(HERE, "training", "alexnet_conv1.npy")
    if not os.path.isfile(path):
        return False
    w = np.load(path, allow_pickle=False)                       # (24, 1, 5, 5)
    minidl.manual_seed(0)
    start = alexnet_small().features[0].weight.data[:, 0]
    filters_figure(out, w[:, 0], "conv1's 24 filters (5×5) of the small AlexNet: a fresh net "
                   "(seed 0), and after training on the full Fashion-MNIST (docs/training.md)",
                   start=start)
    return True


def main(argv):
    fast = "--fast" in argv
    out = argv[argv.index("--out") + 1] if "--out" in argv else os.path.join(HERE, "figures")
    os.makedirs(out, exist_ok=True)
    output_size_figure(out)
    im2col_figure(out)
    pool_figure(out)
    inception_figure(out)
    winograd_tile_figure(out)
    drawn_by = autograd_graph_figure(out)
    n_train, epochs = (128, 1) if fast else (1024, 2)
    model, losses, test = short_run(n_train, epochs)
    lrn_figure(out, np.asarray(test[0][0])[0] * 0.353 + 0.286)    # the image, un-normalised
    training_figures(out, model, losses, test, n_train)
    if not fast:
        trained_filters(out)
    print(f"figures in {out} (autograd graph drawn by {drawn_by})")


if __name__ == "__main__":
    main(sys.argv[1:])
