"""Cut the embedded Fashion-MNIST subset from the full set.

    python -m minidl.data.embedded.make_subset [--source /usr/share/datasets/fashion-mnist]

Selection rule (no randomness, so anyone re-running it gets byte-identical files): from each
split, the first ``per_class`` images of every class in the original file order, kept in that
order. 800 per class from the 60,000 training images, 200 per class from the 10,000 test images.
Writes the four standard-named ``.gz`` IDX files and ``subset.json`` next to this script.
"""
import argparse
import hashlib
import json
import os

import numpy as np

from minidl.data.datasets.idx import read_idx, write_idx
from minidl.data.datasets.mnist import SPLITS, FashionMNIST, find_file

HERE = os.path.dirname(os.path.abspath(__file__))
# Carried inside subset.json because only *.gz and *.json are installed with the package.
MIT_TEXT = (
    "Copyright (c) 2017 Zalando SE. Permission is hereby granted, free of charge, to any person "
    "obtaining a copy of this software and associated documentation files (the \"Software\"), to "
    "deal in the Software without restriction, including without limitation the rights to use, "
    "copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and "
    "to permit persons to whom the Software is furnished to do so, subject to the following "
    "conditions: The above copyright notice and this permission notice shall be included in all "
    "copies or substantial portions of the Software. THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT "
    "WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF "
    "MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE "
    "AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN "
    "AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE "
    "SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.")


def first_per_class(labels, per_class, num_classes=10):
    """Sorted indices of the first ``per_class`` samples of each class: shape (num_classes * per_class,)."""
    picked = [np.flatnonzero(labels == c)[:per_class] for c in range(num_classes)]
    if any(len(p) < per_class for p in picked):
        raise ValueError(f"fewer than {per_class} samples in some class")
    return np.sort(np.concatenate(picked))


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--train-per-class", type=int, default=800)
    ap.add_argument("--test-per-class", type=int, default=200)
    ap.add_argument("--out", default=HERE)
    args = ap.parse_args(argv)

    info = {
        "name": "Fashion-MNIST subset embedded in minidl",
        "source": "Fashion-MNIST, Zalando Research, https://github.com/zalandoresearch/fashion-mnist "
                  "(read from Debian's dataset-fashion-mnist package)",
        "license": "MIT (Expat), Copyright (c) 2017 Zalando SE",
        "license_text": MIT_TEXT,
        "selection": "from each split, the first N images of each class in the original file "
                     "order, kept in that order",
        "classes": FashionMNIST.classes,
        "image_shape": [28, 28],
    }
    for train, per_class in ((True, args.train_per_class), (False, args.test_per_class)):
        split = "train" if train else "test"
        src = [find_file([args.source], n) for n in SPLITS[train]]
        images, labels = read_idx(src[0]), read_idx(src[1])
        keep = first_per_class(labels, per_class)
        out = [os.path.join(args.out, n + ".gz") for n in SPLITS[train]]
        write_idx(out[0], images[keep])
        write_idx(out[1], labels[keep])
        info[split] = {
            "count": int(keep.size), "per_class": per_class,
            "source_files": {os.path.basename(p): sha256(p) for p in src},
            "files": {os.path.basename(p): sha256(p) for p in out},
            "source_indices": keep.tolist(),
        }
        print(f"{split}: {keep.size} images -> {', '.join(os.path.basename(p) for p in out)}")
    # Indented for reading, but each index list on one line rather than 8,000.
    text = json.dumps(info, indent=1)
    for split in ("train", "test"):
        listed = json.dumps(info[split]["source_indices"], indent=1)
        text = text.replace(listed.replace("\n", "\n  "), json.dumps(info[split]["source_indices"]))
    with open(os.path.join(args.out, "subset.json"), "w", encoding="utf-8") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
