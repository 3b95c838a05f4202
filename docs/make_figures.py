"""Draw the guide's pictures into docs/figures/ (matplotlib, Agg: no window needed).

    python docs/make_figures.py            # about 30 s on 2 shared cores (26 s measured)
    python docs/make_figures.py --fast     # a few seconds: a much shorter training run (tests)
    python docs/make_figures.py --out DIR  # somewhere else

Pictures: im2col.png (the column matrix of a 4×4 image), lrn.png (LRN's effect on a feature
map), pool_routing.png (where a 3×3/2 max-pool sends its gradient), and from one short run of
the small AlexNet on the embedded Fashion-MNIST subset: curves.png (loss per batch),
conv1_filters.png and feature_maps.png (one test image through each layer of that briefly
trained net).
"""
import os
import sys

import numpy as np
from matplotlib.figure import Figure

import minidl
import minidl.functional as F
from minidl.data import DataLoader, FashionMNIST, Subset
from minidl.data.transforms import Compose, Normalize, ToTensor
from minidl.kernels.conv import reference as conv
from minidl.kernels.conv.spec import make_spec
from minidl.kernels.lrn import reference as lrn
from minidl.kernels.pool import reference as pool
from minidl.kernels.pool.spec import make_spec as make_pool_spec
from minidl.models import alexnet_small
from minidl.optim import SGD

HERE = os.path.dirname(os.path.abspath(__file__))


def save(fig, out, name):
    fig.savefig(os.path.join(out, name), dpi=100, bbox_inches="tight")


def im2col_figure(out):
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    col = conv.im2col(x, make_spec(x.shape, (1, 1, 3, 3)))
    fig = Figure(figsize=(7, 3.6))
    a, b = fig.subplots(1, 2, gridspec_kw=dict(width_ratios=[1, 1]))
    for ax, m, title in ((a, x[0, 0], "4×4 image"), (b, col, "col: 9 rows (kh, kw) × 4 windows")):
        ax.imshow(m, cmap="viridis")
        for (i, j), v in np.ndenumerate(m):
            ax.text(j, i, int(v), ha="center", va="center", color="w", fontsize=9)
        ax.set_title(title, fontsize=10)
        ax.set_xticks([]), ax.set_yticks([])
    save(fig, out, "im2col.png")


def lrn_figure(out, image):
    x = np.abs(np.random.default_rng(0).standard_normal((1, 8, 28, 28))) * image  # 8 maps
    x[0, 3] *= 4                                  # one strong channel among its neighbours
    y = lrn.lrn_forward(x, 5, 1.0, 0.75, 1.0)     # a large alpha, to make the effect visible
    fig = Figure(figsize=(7, 2.6))
    axes = fig.subplots(1, 3)
    for ax, m, t in zip(axes, (x[0, 2], y[0, 2], y[0, 2] / np.maximum(x[0, 2], 1e-9)),
                        ("channel 2 before", "after LRN (size 5)", "ratio after/before")):
        ax.imshow(m, cmap="gray"), ax.set_title(t, fontsize=9), ax.axis("off")
    save(fig, out, "lrn.png")


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

    w = model.features[0].weight.data[:, 0]                    # (24, 5, 5)
    fig = Figure(figsize=(6, 2.4))
    for i, ax in enumerate(fig.subplots(3, 8).ravel()):
        ax.imshow(w[i], cmap="gray"), ax.axis("off")
    fig.suptitle(f"conv1's 24 filters after {len(losses)} batches", fontsize=9)
    save(fig, out, "conv1_filters.png")

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


def main(argv):
    fast = "--fast" in argv
    out = argv[argv.index("--out") + 1] if "--out" in argv else os.path.join(HERE, "figures")
    os.makedirs(out, exist_ok=True)
    im2col_figure(out)
    pool_figure(out)
    n_train, epochs = (128, 1) if fast else (1024, 2)
    model, losses, test = short_run(n_train, epochs)
    lrn_figure(out, np.abs(np.asarray(test[0][0])[0]))
    training_figures(out, model, losses, test, n_train)
    print("figures in", out)


if __name__ == "__main__":
    main(sys.argv[1:])
