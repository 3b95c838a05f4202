"""Draw the pictures of the chapter "What did the net learn?" (docs/visualize.md) into
docs/figures/visualize_*.png, from the README's own run.

    python examples/train_alexnet.py                  # the README's first command, once
    python docs/make_visualize_figures.py             # then this: about a minute on 2 cores
    python docs/make_visualize_figures.py --checkpoint PATH --out DIR
    python docs/make_visualize_figures.py --fast --out DIR   # seconds: a random net, 40 images

The pictures are examples/visualize.py's gallery (the same code, file names prefixed with
``visualize_``) over the embedded Fashion-MNIST subset's 2,000 test images; the numbers the
chapter quotes (accuracy, the most frequent confusions) go to visualize_facts.json beside them.
"""
import argparse
import json
import os
import runpy
import sys

import minidl
from minidl.data import Subset
from minidl.data.transforms import Compose
from minidl.models import alexnet_small
from minidl.train.checkpointing import load_weights

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CHECKPOINT = os.path.join("runs", "alexnet", "checkpoint_best.safetensors")


def examples():
    """examples/visualize.py's functions, and examples/common.py (its data pipeline)."""
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    try:
        return runpy.run_path(os.path.join(ROOT, "examples", "visualize.py"))
    finally:
        sys.path.pop(0)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", default=CHECKPOINT, help="the README's run's best weights")
    p.add_argument("--out", default=os.path.join(HERE, "figures"))
    p.add_argument("--fast", action="store_true", help="a random net and 40 images (tests)")
    args = p.parse_args(argv)
    vis = examples()
    common = vis["common"]
    data = common.find_data(None)
    model = alexnet_small(data.num_classes, data.channels, common.small_side(data))
    if args.fast:
        minidl.manual_seed(0)
    else:
        if not os.path.isfile(args.checkpoint):
            raise SystemExit(f"{args.checkpoint}: no such file; run the README's first command "
                             "(python examples/train_alexnet.py) first, or pass --fast")
        load_weights(args.checkpoint, model)
    test_set = data.open(False, Compose(common.small_steps(data, False)
                                        + common.finish_steps(data)))
    classes = list(data.open(False, None).classes)
    settings = dict(n_images=4, n_examples=4, tsne_points=1000, class_steps=200)
    if args.fast:
        test_set = Subset(test_set, range(40))
        settings = dict(n_images=2, n_examples=2, tsne_points=30, class_steps=2)
    entries, facts = vis["gallery"](model, test_set, classes, args.out, prefix="visualize_",
                                    batch_size=256, **settings)
    facts["checkpoint"] = None if args.fast else os.path.relpath(args.checkpoint)
    with open(os.path.join(args.out, "visualize_facts.json"), "w", encoding="utf-8") as f:
        json.dump(facts, f, indent=1)
    print(f"{len(entries)} pictures in {args.out}; top-1 {100 * facts['accuracy']:.1f}%")
    return entries, facts


if __name__ == "__main__":
    main()
