"""Fine-tune a trained AlexNet, VGG or GoogLeNet on a new task: yours, or ImageNet's from PyTorch.

    python examples/train_alexnet.py          # first: a small AlexNet on all 10 classes
    python examples/finetune.py --weights runs/alexnet/checkpoint_best.safetensors --classes 5-9
    python examples/finetune.py --weights runs/alexnet/checkpoint_best.safetensors --classes 5-9 \\
        --mode linear                         # DeCAF's linear probe: fc7 features, then softmax
    python examples/finetune.py -a vgg16 --input-size 224 --weights vgg16-397923af.pth \\
        --data ~/photos --mode features       # an ImageFolder of your photos, ImageNet weights
    python examples/finetune.py -e --resume runs/finetune/checkpoint_best.safetensors --classes 5-9
    mpiexec -n 2 python examples/finetune.py --distributed \\
        --weights runs/alexnet/checkpoint_best.safetensors --classes 5-9   # over 2 MPI ranks

Three ways to reuse a net, from most to least training (PyTorch's fine-tuning tutorial,
DeCAF (Donahue et al. 2014), VGG's appendix):

    --mode finetune   every layer trains (or those after --freeze-until LAYER), the backbone at
                      --lr-backbone (default a tenth of --lr-head), the new head at --lr-head
    --mode features   the backbone frozen (kept in eval mode: no dropout), only the new head
                      trains, through the net, with the usual augmentation
    --mode linear     the backbone's features (--layer, default the head's input: fc7) computed
                      once, then a softmax classifier on them (minidl.transfer.train_linear)

`--weights`: a minidl checkpoint or state dict (``runs/<arch>/checkpoint_best.safetensors``),
torchvision's ``.pth``/``.safetensors`` or timm's VGG ``model.safetensors`` (see README,
"Transfer learning"). The head is never copied: the new task gets a fresh one for its
classes; every other key must fit the net (-a, --input-size), or the script says which not.
`--classes 5-9` (or ``0,2,4``) keeps those classes of --data, renumbered from 0.

Writes runs/finetune/ as the other scripts write theirs (log.jsonl, curves.png,
checkpoint_last/best.safetensors); --mode linear writes linear.json and the net with the
trained head, model_linear.safetensors (``-e --resume`` evaluates it).
"""
import json
import math
import os

import numpy as np

import minidl
from minidl import models, transfer
from minidl.data.transforms import (CenterCrop, Compose, RandomCrop, RandomHorizontalFlip,
                                    Resize)
from minidl.models.registry import PAPER_INPUT_SIZE
from minidl.nn.module import StateDictError
from minidl.optim import SGD
from minidl.serialization import CheckpointError
from minidl.train import LAST, Trainer
from minidl.train.checkpointing import load_weights

import common

MODES = ("finetune", "features", "linear")


class ClassSubset(minidl.data.Dataset):
    """The samples of `dataset` whose label is in `classes`, relabelled 0..len(classes)-1."""

    def __init__(self, dataset, classes):
        self.dataset, self.classes = dataset, list(classes)
        targets = getattr(dataset, "targets", None)   # every minidl dataset has them
        if targets is None:
            targets = [dataset[i][1] for i in range(len(dataset))]
        targets = np.asarray(targets)
        self.indices = np.flatnonzero(np.isin(targets, self.classes))
        self.relabel = {c: i for i, c in enumerate(self.classes)}

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        img, label = self.dataset[int(self.indices[index])]
        return img, self.relabel[int(label)]


def parse_classes(parser, spec, num_classes):
    """``"5-9"`` / ``"0,2,4"`` / ``"0-2,7"`` -> sorted class indices (None: all)."""
    if spec is None:
        return list(range(num_classes))
    out = []
    try:
        for part in spec.split(","):
            lo, _, hi = part.strip().partition("-")
            out += range(int(lo), int(hi if hi else lo) + 1)
    except ValueError:
        parser.error(f"--classes {spec}: expected ranges and numbers such as 5-9 or 0,2,4")
    bad = [c for c in out if not 0 <= c < num_classes]
    if bad:
        parser.error(f"--classes {spec}: class {bad[0]} is not among the data's 0..{num_classes - 1}")
    if len(set(out)) != len(out) or len(out) < 2:
        parser.error(f"--classes {spec}: needs at least two distinct classes")
    return sorted(out)


def make_parser():
    archs = sorted(PAPER_INPUT_SIZE)
    p = common.make_parser(__doc__.splitlines()[0], archs=archs, default_arch="alexnet",
                           epochs=3, batch_size=128, lr=0.01)
    p.add_argument("--weights", metavar="FILE", default=None,
                   help="the pretrained net: a minidl checkpoint/state dict, a torchvision "
                        ".pth/.safetensors or a timm VGG safetensors file")
    p.add_argument("--mode", choices=MODES, default="finetune",
                   help="finetune: train every layer (after --freeze-until); features: only the "
                        "new head, through the frozen net; linear: features once, then a "
                        "softmax classifier")
    p.add_argument("--freeze-until", metavar="LAYER", default=None,
                   help="finetune: keep the layers up to and including LAYER (e.g. features.12) "
                        "frozen, in eval mode")
    p.add_argument("--lr-head", type=float, default=None,
                   help="the new head's learning rate (default: --lr)")
    p.add_argument("--lr-backbone", type=float, default=None,
                   help="the pretrained layers' rate (default: a tenth of --lr-head)")
    p.add_argument("--classes", metavar="SPEC", default=None,
                   help="keep only these classes of --data, renumbered from 0: 5-9 or 0,2,4")
    p.add_argument("--layer", metavar="LAYER", default=None,
                   help="linear: the layer whose output is the feature (default: the head's input)")
    p.add_argument("--probe-epochs", type=int, default=30,
                   help="linear: epochs of the softmax classifier on the fixed features")
    p.set_defaults(out=os.path.join("runs", "finetune"))
    return p


def check_args(parser, args):
    if not args.evaluate and args.weights is None:
        parser.error("--weights FILE is needed: the trained net to start from (e.g. "
                     "runs/alexnet/checkpoint_best.safetensors after examples/train_alexnet.py)")
    if args.weights is not None:
        common.check_checkpoint_path(parser, "--weights", args.weights, allow_dir=False)
    args.lr_head = args.lr if args.lr_head is None else args.lr_head
    args.lr_backbone = args.lr_head / 10 if args.lr_backbone is None else args.lr_backbone
    for flag, value in (("--lr-head", args.lr_head), ("--lr-backbone", args.lr_backbone)):
        if not (math.isfinite(value) and value >= 0):
            parser.error(f"{flag} must be a non-negative number, got {value}")
    if args.freeze_until is not None and args.mode != "finetune":
        parser.error(f"--freeze-until is for --mode finetune (--mode {args.mode} freezes the "
                     "whole backbone)")
    if args.layer is not None and args.mode != "linear":
        parser.error("--layer is for --mode linear")
    if args.probe_epochs < 1:
        parser.error(f"--probe-epochs must be at least 1, got {args.probe_epochs}")


def transforms(args, data):
    """(train, validation) pipelines: the other scripts' augmentation, small or paper-size."""
    end = common.finish_steps(data)
    if args.input_size == "small":
        return (Compose(common.small_steps(data, True) + end),
                Compose(common.small_steps(data, False) + end))
    s = args.input_size
    return (Compose([Resize(256), CenterCrop(256), RandomCrop(s), RandomHorizontalFlip()] + end),
            Compose([Resize(256), CenterCrop(s)] + end))


def head_names(model):
    names = {id(m): n for n, m in model.named_modules()}
    heads = [model.get_classifier()] + list(getattr(model, "aux_classifiers", list)())
    return [names[id(h)] for h in heads]


def layer_before_head(model):
    """The last layer registered before the main head: what the head reads."""
    names = [n for n, _ in transfer.layers(model)]
    return names[names.index(head_names(model)[0]) - 1]


def load_backbone(model, path):
    """Copy everything but the head from `path`; anything else that does not fit stops the
    script with one line, the net untouched."""
    try:
        r = transfer.load_pretrained(model, path, skip=head_names(model), skip_mismatched=False)
    except (CheckpointError, StateDictError, ValueError, FileNotFoundError) as e:
        why = str(e).split(" (pass skip_mismatched")[0].removeprefix("load_pretrained: ")
        common.fail(f"--weights {path}: does not fit {type(model).__name__} (-a, --input-size, "
                    f"the data's channels): {why}; nothing was loaded")
    not_in_model = [k for k, why in r.skipped.items() if why == "not in the model"]
    backbone_missing = [k for k in r.missing if not any(k.startswith(h + ".")
                                                        for h in head_names(model))]
    if not_in_model or backbone_missing:
        common.fail(f"--weights {path}: does not fit {type(model).__name__} (-a, --input-size): "
                    f"missing keys {backbone_missing[:3]}, unexpected keys {not_in_model[:3]}"
                    f"{' and more' if len(backbone_missing) > 3 or len(not_in_model) > 3 else ''};"
                    " nothing was loaded")
    return r


def linear_probe(args, model, train_loader, val_loader, classes):
    """Features once, then a softmax classifier on them; writes linear.json (and the net with
    the trained head when the feature is the head's input)."""
    layer = args.layer or layer_before_head(model)
    try:
        model.get_submodule(layer)
    except (AttributeError, KeyError, ValueError) as e:
        common.fail(f"--layer {layer}: {e}")
    transfer.freeze(model)
    model.to(args.device)
    print(f"extracting {layer} features of {len(train_loader.dataset)} training and "
          f"{len(val_loader.dataset)} validation images (once)")
    x_train, y_train = transfer.extract_features(model, train_loader, layer)
    x_val, y_val = transfer.extract_features(model, val_loader, layer)
    head = transfer.train_linear(x_train, y_train, len(classes), epochs=args.probe_epochs,
                                 weight_decay=args.weight_decay, seed=args.seed)
    result = {"mode": "linear", "layer": layer, "features": int(x_train.shape[1]),
              "classes": classes, "train_acc1": transfer.accuracy(head, x_train, y_train),
              "val_acc1": transfer.accuracy(head, x_val, y_val),
              "train_images": int(len(y_train)), "val_images": int(len(y_val))}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "linear.json"), "w") as f:
        json.dump(result, f, indent=1)
    wrote = "linear.json"
    if layer == layer_before_head(model) and isinstance(model.get_classifier(), minidl.nn.Linear):
        old = model.get_classifier()
        with minidl.no_grad():
            old.weight.data[...] = head.weight.data
            old.bias.data[...] = head.bias.data
        minidl.save(model.state_dict(), os.path.join(args.out, "model_linear.safetensors"))
        wrote += ", model_linear.safetensors"
    print(f"* linear probe on {layer} ({result['features']} features): validation top-1 "
          f"{result['val_acc1']:.2f}% (training {result['train_acc1']:.2f}%); wrote "
          f"{args.out}/: {wrote}")
    return result


def evaluate(args, model, val_loader, what):
    """-e: only the weights of --resume (a fine-tuning checkpoint, whatever its optimizer's
    groups were, or model_linear.safetensors), one centred view per image."""
    path = os.path.join(args.resume, LAST) if os.path.isdir(args.resume) else args.resume
    try:
        load_weights(path, model)
    except (CheckpointError, StateDictError) as e:
        common.fail(f"--resume: {e}")
    print(f"{what}\nevaluating {path}, one centred view per image")
    trainer = Trainer(model, SGD(model.parameters(), lr=0.0), device=args.device,
                      progress=not args.no_progress)
    m = trainer.evaluate(val_loader)
    print(f"* top-1 {m['acc1']:.2f}%  top-5 {m['acc5']:.2f}%  on {m['images']} images "
          f"({m['time_s']:.1f} s)")
    return m


def main(argv=None):
    parser = make_parser()
    args = common.parse_args(parser, argv)
    check_args(parser, args)
    if args.distributed and (args.mode == "linear" or args.evaluate):
        parser.error("--distributed trains --mode finetune|features over the ranks; the linear "
                     "probe and -e run in one process (they take seconds)")
    common.setup_distributed(args)   # --distributed: join the MPI ranks
    minidl.manual_seed(args.seed)

    data = common.find_data(args.data)
    classes = parse_classes(parser, args.classes, data.num_classes)
    side = common.small_side(data) if args.input_size == "small" else args.input_size
    model = common.build_model(parser, args.arch, len(classes), data.channels, side)
    names = [n for n, _ in transfer.layers(model)]
    if args.freeze_until is not None and not any(
            n == args.freeze_until or n.startswith(args.freeze_until + ".") for n in names):
        parser.error(f"--freeze-until {args.freeze_until}: {args.arch} has no such layer; its "
                     f"layers are {', '.join(names[:6])}, ..., {names[-1]}")
    train_tf, val_tf = transforms(args, data)
    select = None if args.classes is None else (lambda ds: ClassSubset(ds, classes))
    if args.mode == "linear":   # features of unaugmented images, as DeCAF's centre crops
        train_tf = val_tf
    train_loader, val_loader = common.make_loaders(args, data, train_tf, val_tf, select=select)

    what = f"{args.arch} at {side}×{side} on {data.name}, classes {classes}"
    if args.evaluate:
        return evaluate(args, model, val_loader, what)
    r = load_backbone(model, args.weights)
    print(f"loaded {len(r.loaded)} tensors from {args.weights}; new head "
          f"{', '.join(head_names(model))} for {len(classes)} classes")
    if args.mode == "linear":
        return linear_probe(args, model, train_loader, val_loader, classes)
    if args.mode == "features":
        frozen = transfer.freeze(model, keep=head_names(model))   # GoogLeNet: 3 heads train
    elif args.freeze_until is not None:
        frozen = transfer.freeze(model, until=args.freeze_until)
    else:
        frozen = []
    groups = transfer.param_groups(model, args.lr_backbone, args.lr_head,
                                   momentum=args.momentum, weight_decay=args.weight_decay)
    optimizer = SGD(groups, lr=args.lr_head)
    model = common.distributed_model(args, model)   # after freezing: every rank freezes alike
    loss_fn = models.googlenet_loss if args.arch == "googlenet" else None
    print(f"{args.mode}: {len(frozen)} parameter tensors frozen; rates: backbone "
          f"{args.lr_backbone:g}, head {args.lr_head:g}")
    return common.run(args, model, train_loader, val_loader, loss_fn=loss_fn, optimizer=optimizer,
                      describe=f"{what}: {len(train_loader.dataset)} training and "
                               f"{common.val_images(args, val_loader)} validation images")


if __name__ == "__main__":
    common.cli(main)
