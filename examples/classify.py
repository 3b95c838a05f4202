"""Name what is in a photo with ImageNet weights from PyTorch's world: the top-5 classes.

    python examples/classify.py --weights vgg16-397923af.pth -a vgg16 cat.jpg dog.png
    python examples/classify.py --weights model.safetensors -a vgg16 cat.jpg   # timm/vgg16.tv_in1k
    python examples/classify.py --weights alexnet-owt-7be5be79.pth -a alexnet_torchvision cat.jpg
    python examples/classify.py --weights vgg16-397923af.pth -a vgg16 --explain cat.jpg   # Grad-CAM

The weights are a file (minidl downloads nothing): torchvision's ``.pth`` or ``.safetensors``,
or timm's VGG ``model.safetensors`` (README, "Transfer learning", says where to get them).
Each photo is prepared as torchvision prepared ImageNet's validation images -- shorter side to
256 with Pillow's antialiased bilinear filter, centre crop 224, RGB minus the ImageNet mean,
over its std -- and one line per class gives the softmax probability and the name
(``minidl.data.imagenet``). Every photo is checked from its header before anything is loaded:
an aspect ratio over 16:1 or more than 64 megapixels is refused in one line (a 1x3000 strip
would become a 256x768000 image).
"""
import argparse
import os

import numpy as np

import minidl
import minidl.functional as F
from minidl import models
from minidl.data.datasets.folder import pil_loader
from minidl.data.datasets.errors import CorruptFileError
from minidl.data.imagenet import (CROP, IMAGENET_CLASSES, IMAGENET_MEAN, IMAGENET_STD, RESIZE,
                                  check_photo_size)
from minidl.data.transforms import CenterCrop, Normalize, Resize, ToTensor
from minidl.nn.module import StateDictError
from minidl.serialization import CheckpointError

import common

ARCHS = ["alexnet_torchvision", "vgg11", "vgg13", "vgg16", "vgg19"]


def make_parser():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("photos", nargs="+", metavar="PHOTO", help="JPEG/PNG files")
    p.add_argument("--weights", metavar="FILE", required=True,
                   help="ImageNet weights: torchvision .pth/.safetensors or timm safetensors")
    p.add_argument("-a", "--arch", default="vgg16", choices=ARCHS, help="which net")
    p.add_argument("-k", "--topk", type=int, default=5, help="classes to show per photo")
    p.add_argument("--width", type=float, default=1.0,
                   help="VGG only: the width the weights were trained at (1: the real nets)")
    p.add_argument("--device", default="cpu", help="cpu or cuda (cuda:N)")
    p.add_argument("--explain", nargs="?", const="runs/explain", default=None, metavar="DIR",
                   help="also draw where the net looks for its top-1 class (Grad-CAM on the "
                        "last conv layer) into DIR/<photo>_gradcam.png")
    return p


def check_photo(path):
    """The photo's size from its header alone (nothing decoded): ValueError unless
    ``imagenet_transform`` can take it at a cost in proportion to the file."""
    import warnings
    from PIL import Image, UnidentifiedImageError
    try:
        with warnings.catch_warnings():   # the size check below says it in one line
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                width, height = im.size
    except Image.DecompressionBombError as e:   # not an OSError/ValueError: said here
        raise CorruptFileError(path, f"{e} (refused by Pillow)") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise CorruptFileError(path, f"cannot read it as an image ({e})") from None
    check_photo_size(width, height, path)


def load_photo(path):
    """(224, 224, 3) uint8: the photo, short side resized to 256 as Pillow does (antialiased),
    centre-cropped."""
    check_photo(path)
    return CenterCrop(CROP)(Resize(RESIZE, antialias=True)(pil_loader(path)))


def prepare(path):
    """(3, 224, 224) float32: ``load_photo`` minus the ImageNet mean, over its std."""
    return ToTensor()(Normalize(IMAGENET_MEAN, IMAGENET_STD)(load_photo(path)))


def build(parser, args):
    """The net with the file's weights, or one line saying why not."""
    kwargs = {} if args.arch == "alexnet_torchvision" else {"width": args.width}
    if args.arch == "alexnet_torchvision" and args.width != 1.0:
        parser.error("--width applies to the VGG nets only")
    try:
        return getattr(models, args.arch)(weights=args.weights, **kwargs)
    except (CheckpointError, StateDictError, ValueError) as e:
        common.fail(f"--weights {args.weights}: {e}")


def main(argv=None):
    parser = make_parser()
    args = parser.parse_args(argv)
    if not 1 <= args.topk <= len(IMAGENET_CLASSES):
        parser.error(f"-k/--topk must be between 1 and {len(IMAGENET_CLASSES)}, got {args.topk}")
    for what, path in [("--weights ", args.weights)] + [("", p) for p in args.photos]:
        if not os.path.isfile(path):   # a FIFO or a device would block the read forever
            parser.error(f"{what}{path}: " + ("not a regular file" if os.path.exists(path)
                                              else "no such file"))
    device = common.parse_device(parser, args.device)
    for photo in args.photos:   # all of them, before the net's weights are read
        try:
            check_photo(photo)
        except ValueError as e:
            common.fail(str(e))
    net = build(parser, args).to(device).eval()
    for photo in args.photos:
        try:
            x = prepare(photo)
        except (OSError, ValueError) as e:
            common.fail(str(e) if isinstance(e, CorruptFileError)
                        else f"{photo}: cannot read it as an image ({e})")
        with minidl.no_grad():
            logits = net(minidl.tensor(x[None], device=device))
        if logits.shape[1] != len(IMAGENET_CLASSES):
            common.fail(f"--weights {args.weights}: the net has {logits.shape[1]} outputs, not "
                        f"ImageNet's {len(IMAGENET_CLASSES)} classes")
        probs = F.softmax(logits, dim=1).cpu().numpy()[0]
        top = np.argsort(-probs, kind="stable")[:args.topk]
        print(f"{photo} ({args.arch}, {CROP}×{CROP}):")
        for i in top:
            print(f"  {100 * probs[i]:6.2f}%  {i:4d}  {IMAGENET_CLASSES[i]}")
        if args.explain is not None:
            explain(net, x, int(top[0]), photo, args.explain)


def explain(net, x, target, photo, out):
    """Grad-CAM (``minidl.visualize.grad_cam``) of class `target` on the ReLU after the net's
    last convolution -- VGG's conv5_3, AlexNet's conv5: 14×14 and 13×13 maps for a 224 crop --
    drawn over the photo's crop into OUT/<photo>_gradcam.png. Returns (path, map)."""
    from minidl import nn, visualize

    names = [n for n, _ in net.named_modules()]
    modules = dict(net.named_modules())
    last = max(i for i, n in enumerate(names) if isinstance(modules[n], nn.Conv2d))
    layer = names[last + 1] if isinstance(modules[names[last + 1]], nn.ReLU) else names[last]
    cam = visualize.grad_cam(net, x[None], target, layer)[0]
    peak = np.unravel_index(int(cam.argmax()), cam.shape)
    fig = visualize.plot_grad_cam(x, cam, title=f"Grad-CAM of {IMAGENET_CLASSES[target]!r} "
                                                f"({layer}, {cam.shape[0]}×{cam.shape[1]})")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, os.path.splitext(os.path.basename(photo))[0] + "_gradcam.png")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    print(f"  Grad-CAM of {IMAGENET_CLASSES[target]!r} on {layer}: peak at {tuple(map(int, peak))} "
          f"of {cam.shape[0]}×{cam.shape[1]}; drawn in {path}")
    return path, cam


if __name__ == "__main__":
    common.cli(main)
