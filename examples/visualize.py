"""What did the net learn, and where does it look? A gallery of a trained net, in one folder.

    python examples/visualize.py --resume runs/alexnet/checkpoint_best.safetensors
    python examples/visualize.py -a vgg11 --resume runs/vgg11/checkpoint_best.safetensors
    python examples/visualize.py --resume CKPT --limit 200 --class-steps 20    # a quick look

Writes runs/<arch>/visual/ (or --out), to open in a browser: index.html, and

    feature_maps_<layer>.png  every conv layer's first maps for a few test images
    confusion_matrix.png      which classes it mixes up, with the class names
    explanations.png          saliency, Grad-CAM and occlusion for the most frequent confusions:
                              an image the net got right beside one of the same class it mistook
    top_images_<conv5>.png    the test images that most excite a few channels of the last conv
                              layer, cut to each unit's receptive field (Zeiler & Fergus, fig. 2)
    top_images_<conv2>.png    the same for conv2, whose units see a 15×15 patch
    top_images_channel<c>.png the first of conv2's: whole images, receptive field boxed
    class_models.png          what each class looks like to the net (Simonyan et al.), and
    class_models_blur.png     the same, blurred after each step (Yosinski et al. 2015)
    tsne_fc7.png              t-SNE of fc7's features, coloured by class (PCA without sklearn)
    facts.json                the numbers the captions quote (accuracy, top confusions)

All of it is ``minidl.visualize`` (see docs/visualize.md); the data and its normalisation are
the training script's (``--data``, default the embedded Fashion-MNIST subset; its test split).
"""
import argparse
import html
import json
import os
import time

import numpy as np

from minidl import nn
from minidl import visualize as V
from minidl.data import DataLoader, Subset
from minidl.data.transforms import Compose
from minidl.nn.module import StateDictError
from minidl.serialization import CheckpointError
from minidl.train.checkpointing import load_weights

import common

ARCHS = ["alexnet", "vgg11", "vgg11_lrn", "vgg13", "vgg16c", "vgg16", "vgg19"]
WINDOW, STRIDE = 6, 2          # occlusion: a 6×6 patch of the mean image (0 after Normalize)
BLUR = 0.5                     # class models: the Gaussian's std in pixels, for the second set


# -- which layers to look at -----------------------------------------------------------------
def conv_names(model):
    return [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]


def relu_after(model, name):
    """The ReLU that follows the module `name` in the model's order (else `name` itself):
    Grad-CAM and the t-SNE read rectified maps, as the papers did."""
    names = [n for n, _ in model.named_modules()]
    modules = dict(model.named_modules())
    i = names.index(name)
    nxt = names[i + 1] if i + 1 < len(names) else None
    return nxt if nxt is not None and isinstance(modules[nxt], nn.ReLU) else name


def fc7_name(model):
    """The penultimate fully connected layer, after its ReLU (AlexNet/VGG: classifier.4)."""
    linears = [n for n, m in model.named_modules() if isinstance(m, nn.Linear)]
    return relu_after(model, linears[-2] if len(linears) > 1 else linears[-1])


def pretty(model, name):
    """conv1..convN / fc7 for the figures' titles."""
    convs = conv_names(model)
    if name in convs:
        return f"conv{convs.index(name) + 1} ({name})"
    return f"fc7 ({name})" if name == fc7_name(model) else name


# -- the pictures ----------------------------------------------------------------------------
def save(fig, out, name):
    fig.savefig(os.path.join(out, name), dpi=90, bbox_inches="tight")
    return name


def pick_examples(probs, labels, pairs):
    """For each confusion (true a -> predicted b): the first test image of class a the net got
    right, and the first it called b. Returns (right, wrong) index arrays, -1 where none."""
    pred = probs.argmax(axis=1)
    right, wrong = [], []
    for a, b in pairs:
        ok = np.flatnonzero((labels == a) & (pred == a))
        bad = np.flatnonzero((labels == a) & (pred == b))
        right.append(ok[0] if len(ok) else -1), wrong.append(bad[0] if len(bad) else -1)
    return np.array(right, np.int64), np.array(wrong, np.int64)


def explanations(model, x, labels, probs, classes, cam_layer, out, name):
    """x: right answers then as many mistakes, a pair per row. Each image with its saliency,
    Grad-CAM and occlusion map, all for the class the net chose."""
    pred = probs.argmax(axis=1)
    sal = V.saliency(model, x, pred)
    cam = V.grad_cam(model, x, pred, cam_layer, upsample=True)
    occ = V.occlusion(model, x, pred, WINDOW, STRIDE)
    rows = len(x) // 2
    fig = V.figure((15, 2.0 * rows + 0.6))
    axes = np.asarray(fig.subplots(rows, 8, squeeze=False))
    for k in range(len(x)):
        row, col = (k, 0) if k < rows else (k - rows, 4)
        verdict = "right" if pred[k] == labels[k] else "WRONG"
        V.show_image(axes[row, col], x[k], f"{classes[labels[k]]}: {verdict}\nnet: "
                     f"{classes[pred[k]]} ({100 * probs[k, pred[k]]:.0f}%)")
        V.plot_saliency(x[k], sal[k], ax=axes[row, col + 1], title="saliency", label=None)
        V.plot_grad_cam(x[k], cam[k], ax=axes[row, col + 2], title="Grad-CAM", label=None)
        V.plot_occlusion(x[k], occ[k], WINDOW, STRIDE, ax=axes[row, col + 3],
                         title=f"occlusion: p({classes[pred[k]]})", label=None)
    fig.suptitle("the most frequent confusions: the same class answered right (left) and "
                 "mistaken (right); each map for the class the net chose", fontsize=10)
    return save(fig, out, name), sal, cam, occ


def explain(model, test_set, chosen, labels, probs, classes, cam_layer, out, prefix, entries,
            facts):
    """The explanations figure for the test images `chosen`, with its index entry."""
    x = np.stack([np.asarray(test_set[int(i)][0]) for i in chosen])
    name, sal, cam, occ = explanations(model, x, labels[chosen], probs[chosen], classes,
                                       cam_layer, out, f"{prefix}explanations.png")
    facts["examples"] = [{"index": int(i), "true": classes[labels[i]],
                          "predicted": classes[int(probs[i].argmax())],
                          "p": float(probs[i].max())} for i in chosen]
    entries.append((name, "Saliency, Grad-CAM and occlusion, right and wrong",
                    f"One row per frequent confusion: an image of the class the net got right "
                    f"(left) and one it mistook (right). Saliency: |∂score/∂pixel|, max over "
                    f"channels. Grad-CAM on {pretty(model, cam_layer)}, upsampled to the image. "
                    f"Occlusion: the probability of the chosen class with a {WINDOW}×{WINDOW} "
                    f"patch of the mean image at each place (stride {STRIDE}); dark = the net "
                    "needed that region."))


def gallery(model, test_set, classes, out, *, n_images=4, n_examples=4, n_channels=6,
            tsne_points=1000, class_steps=200, batch_size=256, prefix="", log=print):
    """Draw every picture of the gallery into `out`; returns ``(entries, facts)``: a list of
    (file, title, caption) for the index, and the numbers the captions quote."""
    os.makedirs(out, exist_ok=True)
    loader = DataLoader(test_set, batch_size)
    first = np.stack([np.asarray(test_set[i][0]) for i in range(min(n_images, len(test_set)))])
    shape = first.shape[1:]
    convs = conv_names(model)
    last_conv, fc7 = convs[-1], fc7_name(model)
    cam_layer = relu_after(model, last_conv)
    entries, facts = [], {}
    t0, c0 = time.perf_counter(), time.process_time()

    def step(what):
        log(f"  {what} ({time.perf_counter() - t0:.0f} s; CPU {time.process_time() - c0:.0f} s)")

    for layer in convs:
        maps = V.feature_maps(model, first, layer)
        name = save(V.plot_feature_maps(maps, first, title=pretty(model, layer)), out,
                    f"{prefix}feature_maps_{layer.replace('.', '_')}.png")
        entries.append((name, f"Feature maps: {pretty(model, layer)}",
                        f"The first maps of {maps.shape[1]} ({maps.shape[2]}×{maps.shape[3]}) "
                        f"for {len(first)} test images, after the convolution (before its ReLU)."))
    step("feature maps")

    probs, labels = V.predict(model, loader)     # one pass; V.confusion_matrix would be another
    cm = V.count_confusions(labels, probs.argmax(axis=1), len(classes))
    acc = float(np.trace(cm) / cm.sum())
    off = cm - np.diag(np.diag(cm))
    pairs = [(int(off[i, j]), classes[i], classes[j]) for i, j in
             zip(*np.unravel_index(np.argsort(-off, axis=None, kind="stable")[:5], off.shape))]
    facts.update(accuracy=acc, images=int(cm.sum()), confused=pairs,
                 per_class={c: float(cm[i, i] / max(cm[i].sum(), 1))
                            for i, c in enumerate(classes)})
    name = save(V.plot_confusion_matrix(cm, classes), out, f"{prefix}confusion_matrix.png")
    entries.append((name, "Confusion matrix",
                    f"{cm.sum()} test images, top-1 {100 * acc:.1f}%. Most confused (true → "
                    "predicted): " + "; ".join(f"{a} → {b} ({n})" for n, a, b in pairs) + "."))
    step("predictions and confusion matrix")

    names = {c: i for i, c in enumerate(classes)}
    right, wrong = pick_examples(probs, labels, [(names[a], names[b])
                                                 for _, a, b in pairs[:n_examples]])
    keep = (right >= 0) & (wrong >= 0)
    chosen = np.concatenate([right[keep], wrong[keep]])
    if len(chosen):
        explain(model, test_set, chosen, labels, probs, classes, cam_layer, out, prefix,
                entries, facts)
    else:
        log("  no mistakes to explain: no explanations.png")
    step("saliency, Grad-CAM, occlusion")

    sample = np.stack([np.asarray(test_set[i][0]) for i in range(min(batch_size, len(test_set)))])
    peak = V.feature_maps(model, sample, last_conv).max(axis=(2, 3)).mean(axis=0)
    channels = [int(c) for c in np.argsort(-peak, kind="stable")[:n_channels]]
    tops = V.top_images(model, loader, last_conv, channels, k=9)
    rf = V.receptive_field(model, last_conv, shape)
    name = save(V.plot_top_images(tops, [f"ch {c}" for c in channels], classes), out,
                f"{prefix}top_images_{last_conv.replace('.', '_')}.png")
    facts["top_images"] = {str(c): [classes[j] for j in t.labels] for c, t in zip(channels, tops)}
    entries.append((name, f"Top images of {pretty(model, last_conv)}",
                    f"For {len(channels)} channels (those most active on average), the 9 test "
                    f"images whose map peaks highest, cut to the {rf.size[0]}×{rf.size[1]} "
                    "receptive field of the peak unit (zero beyond the image's edge), labelled "
                    "with their class."))
    early = convs[1] if len(convs) > 1 else convs[0]
    peak = V.feature_maps(model, sample, early).max(axis=(2, 3)).mean(axis=0)
    chans = [int(c) for c in np.argsort(-peak, kind="stable")[:n_channels]]
    rf = V.receptive_field(model, early, shape)
    early_tops = V.top_images(model, loader, early, chans, k=9)
    name = save(V.plot_top_images(early_tops, [f"ch {c}" for c in chans], classes), out,
                f"{prefix}top_images_{early.replace('.', '_')}.png")
    entries.append((name, f"Top images of {pretty(model, early)}",
                    f"The same for an early layer: its units see only {rf.size[0]}×{rf.size[1]} "
                    "pixels, so the crops show the part of the garment each channel answers to."))
    name = save(V.plot_top_images(early_tops[0], f"channel {chans[0]} of "
                                  f"{pretty(model, early)}: its 9 strongest images, "
                                  "receptive field boxed", classes), out,
                f"{prefix}top_images_channel{chans[0]}.png")
    entries.append((name, f"{pretty(model, early)}, channel {chans[0]}: where in the image",
                    "The whole images, the peak unit's receptive field boxed in red, its "
                    "activation above; the crops beneath."))
    step("top images")

    for blur, suffix, how in ((0.0, "", "plain, as in the paper"),
                              (BLUR, "_blur", f"with a {BLUR}-pixel Gaussian blur after each step "
                                              "(Yosinski et al. 2015)")):
        models = V.class_model(model, range(len(classes)), shape, steps=class_steps, blur=blur)
        name = save(V.plot_class_models(models, class_names=classes), out,
                    f"{prefix}class_models{suffix}.png")
        entries.append((name, f"Class models, {how.split(',')[0].split(' (')[0]}",
                        f"Gradient ascent on the input from the mean image, {class_steps} steps, "
                        f"L2 penalty, {how}: the image each class's score likes best."))
    step("class models")

    n = min(tsne_points, len(test_set))
    feats = []
    for s in range(0, n, batch_size):
        batch = np.stack([np.asarray(test_set[i][0]) for i in range(s, min(s + batch_size, n))])
        feats.append(V.feature_maps(model, batch, fc7).reshape(len(batch), -1))
    feats = np.concatenate(feats)
    try:
        points, method = V.embed(feats, "tsne"), "t-SNE"
    except ImportError:
        points, method = V.embed(feats, "pca"), "PCA (scikit-learn not installed: no t-SNE)"
    name = save(V.plot_embedding(points, labels[:n], classes,
                                 title=f"{method} of {pretty(model, fc7)} features, {n} test "
                                       "images"), out, f"{prefix}tsne_fc7.png")
    entries.append((name, f"{method} of fc7", f"{feats.shape[1]}-dimensional features of {n} "
                    "test images, placed so that neighbours stay neighbours; colour = the true "
                    "class."))
    step(method)
    return entries, facts


def write_index(out, entries, title, facts):
    """index.html: the pictures in order, each with its title and caption."""
    parts = [f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>{html.escape(title)}</title>\n<style>body{{font-family:sans-serif;"
             "max-width:1200px;margin:auto;padding:1em}} figure{{margin:1.5em 0}} "
             "img{{max-width:100%}} figcaption{{color:#333}}</style></head>\n<body>",
             f"<h1>{html.escape(title)}</h1>",
             f"<p>Top-1 {100 * facts['accuracy']:.1f}% on {facts['images']} test images. "
             "Pictures by <code>minidl.visualize</code>; the guide's chapter "
             "<code>docs/visualize.md</code> explains each.</p>"]
    for name, heading, caption in entries:
        parts.append(f"<figure><h2>{html.escape(heading)}</h2>"
                     f"<img src=\"{html.escape(name)}\" alt=\"{html.escape(heading)}\">"
                     f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    # a browser marks the page when every picture has loaded (the test reads it)
    parts.append("<script>window.addEventListener('load', () => {const bad = "
                 "[...document.images].filter(i => !i.complete || i.naturalWidth === 0);"
                 "document.body.dataset.loaded = document.images.length - bad.length;"
                 "document.body.dataset.broken = bad.length;});</script>\n</body></html>\n")
    path = os.path.join(out, "index.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(parts))
    return path


# -- the command line ------------------------------------------------------------------------
def make_parser():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--resume", metavar="PATH", required=True,
                   help="the trained net: a checkpoint (runs/<arch>/checkpoint_best.safetensors) "
                        "or a minidl.save state dict")
    p.add_argument("-a", "--arch", default="alexnet", choices=ARCHS, help="which net")
    p.add_argument("--data", metavar="DIR", default=None,
                   help="the data it was trained on (default: the embedded Fashion-MNIST subset)")
    p.add_argument("--out", metavar="DIR", default=None, help="default runs/<arch>/visual")
    p.add_argument("--limit", type=int, default=None, help="use only the first N test images")
    p.add_argument("--images", type=int, default=4, help="test images in the feature maps")
    p.add_argument("--examples", type=int, default=4, help="confusions explained (one row each)")
    p.add_argument("--tsne", type=int, default=1000, help="test images in the t-SNE")
    p.add_argument("--class-steps", type=int, default=200, help="gradient-ascent steps")
    p.add_argument("-b", "--batch-size", type=int, default=256, help="images per forward pass")
    p.add_argument("--no-progress", action="store_true", help="no line per finished step")
    return p


def main(argv=None):
    parser = make_parser()
    args = parser.parse_args(argv)
    for flag in ("limit", "images", "examples", "tsne", "batch_size"):
        v = getattr(args, flag)
        if v is not None and v < 1:
            parser.error(f"--{flag.replace('_', '-')} must be at least 1, got {v}")
    if args.class_steps < 0:
        parser.error(f"--class-steps must be at least 0, got {args.class_steps}")
    common.check_checkpoint_path(parser, "--resume", args.resume, allow_dir=False)
    out = args.out or os.path.join("runs", args.arch, "visual")
    common.check_writable(parser, out)

    data = common.find_data(args.data)
    side = common.small_side(data)
    model = common.build_model(parser, args.arch, data.num_classes, data.channels, side)
    try:
        load_weights(args.resume, model)
    except (CheckpointError, StateDictError) as e:
        common.fail(f"--resume {args.resume}: {common.one_line(e)} (-a {args.arch}? --data?)")
    test_set = data.open(False, Compose(common.small_steps(data, False)
                                        + common.finish_steps(data)))
    classes = list(data.open(False, None).classes)
    if args.limit:
        test_set = Subset(test_set, range(min(args.limit, len(test_set))))
    start = time.perf_counter()
    print(f"{args.arch} from {args.resume}; {len(test_set)} test images of {data.name}")
    entries, facts = gallery(model, test_set, classes, out, n_images=args.images,
                             n_examples=args.examples, tsne_points=args.tsne,
                             class_steps=args.class_steps, batch_size=args.batch_size,
                             log=(lambda line: None) if args.no_progress else print)
    write_index(out, entries, f"What did {args.arch} learn? ({os.path.basename(args.resume)})",
                facts)
    with open(os.path.join(out, "facts.json"), "w", encoding="utf-8") as f:
        json.dump(facts, f, indent=1)
    print(f"top-1 {100 * facts['accuracy']:.1f}%; most confused: "
          + "; ".join(f"{a} -> {b} ({n})" for n, a, b in facts["confused"][:3]))
    print(f"wrote {out}/index.html and {len(entries)} pictures in "
          f"{time.perf_counter() - start:.0f} s")
    return out


if __name__ == "__main__":
    common.cli(main)
