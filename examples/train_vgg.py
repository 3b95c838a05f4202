"""Train VGG (Simonyan & Zisserman, ICLR 2015), configurations A to E, and evaluate it densely.

    python examples/train_vgg.py                         # small VGG A on embedded Fashion-MNIST
    python examples/train_vgg.py -a vgg16 --init-from runs/vgg11/checkpoint_best.safetensors
    python examples/train_vgg.py -a vgg16 -e --resume runs/vgg16/checkpoint_best.safetensors
    python examples/train_vgg.py --data ~/imagenet --device cuda --input-size 224
    mpiexec -n 2 python examples/train_vgg.py --distributed      # data-parallel over 2 ranks

The paper's recipe and what this script makes of it:

    paper (ImageNet)                              here
    random 224×224 crops of images rescaled to    --input-size 224: the same (S from 256..512);
    a short side S in [256, 512] (scale           small (default on cpu): 28/32-pixel images
    jittering), mirrored, RGB colour shift        padded by 2 and cropped back, mirrored
    mean RGB subtracted                           per-channel mean and std of the training set
    SGD, batch 256, momentum 0.9, wd 5e-4         batch 128, the rest the same
    dropout 0.5 on fc6, fc7                       the same
    lr 0.01, / 10 when validation accuracy        the same (ReduceLROnPlateau on val top-1)
    stalls
    net A from N(0, 0.01²); deeper nets start     --init-from a net-A checkpoint: the same
    from a trained A's first 4 convs and last     (minidl.models.init_from); the small nets use
    3 FC layers                                   Kaiming init by default
    test: dense evaluation (FC layers as          -e: the same, on the whole image (256 at the
    convolutions, score map averaged, flips)      paper's size)
"""
import os
# OpenBLAS's idle threads spin ~0.1 s after each product, slowing the Numba kernels that run
# next; set before NumPy loads, this puts them to sleep at once (kernels/threads.py)
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

import minidl  # noqa: E402
from minidl.data.transforms import (CenterCrop, Compose, PCAColorAugmentation, RandomCrop,
                                    RandomHorizontalFlip, RandomScale, Resize, compute_pca)
from minidl.models import dense_evaluate, get_model, init_from, summary, to_fully_convolutional
from minidl.nn.module import StateDictError
from minidl.serialization import CheckpointError
from minidl.train.checkpointing import load_weights

import common

ARCHS = ["vgg11", "vgg11_lrn", "vgg13", "vgg16c", "vgg16", "vgg19"]


def transforms(args, data):
    """(train, validation, -e dense evaluation) pipelines."""
    colour = []
    if data.channels == 3:   # AlexNet's RGB colour shift, which VGG kept
        colour = [PCAColorAugmentation(*compute_pca(data.open(True, None)), std=0.1)]
    end = common.finish_steps(data)
    if args.input_size == "small":
        train = common.small_steps(data, train=True) + colour + end
        val = common.small_steps(data, train=False) + end
        return Compose(train), Compose(val), Compose(val)
    s = args.input_size
    train = [RandomScale(256, 512), RandomCrop(s), RandomHorizontalFlip()] + colour + end
    val = [Resize(256), CenterCrop(s)] + end
    dense = [Resize(256), CenterCrop(256)] + end   # the whole (square) image: a 2×2 score map
    return Compose(train), Compose(val), Compose(dense)


def dense_predictor():
    """``predict(model, images)`` for Trainer.evaluate: converts the net to its fully
    convolutional form once, on first use (after the checkpoint's weights are loaded)."""
    cache = {}

    def predict(model, images):
        if "net" not in cache:
            cache["net"] = to_fully_convolutional(model)
        return dense_evaluate(cache["net"], images, flip=True)
    return predict


def main(argv=None):
    parser = common.make_parser(__doc__.splitlines()[0], archs=ARCHS, default_arch="vgg11",
                                epochs=12, batch_size=128, lr=0.01)
    parser.add_argument("--init-from", metavar="PATH", default=None,
                        help="a trained VGG A (vgg11) checkpoint: copy its first four conv "
                             "layers and last three FC layers into this net, as the paper did")
    args = common.parse_args(parser, argv, paper_size=224)
    common.setup_distributed(args)   # --distributed: join the MPI ranks
    minidl.manual_seed(args.seed)

    data = common.find_data(args.data)
    side = common.small_side(data) if args.input_size == "small" else args.input_size
    model = common.build_model(parser, args.arch, data.num_classes, data.channels, side)
    if args.init_from:
        net_a = get_model("vgg11", data.num_classes, data.channels, side)
        try:
            load_weights(args.init_from, net_a)
        except (CheckpointError, StateDictError) as e:
            common.fail(f"--init-from needs a net A (vgg11) checkpoint for these images: {e}")
        copied = init_from(model, net_a)
        print(f"initialised {', '.join(copied)} from the net A in {args.init_from}")
    train_tf, val_tf, dense_tf = transforms(args, data)
    train_loader, val_loader = common.make_loaders(args, data, train_tf, val_tf)
    dense_loader = None
    if args.evaluate:
        _, dense_loader = common.make_loaders(args, data, train_tf, dense_tf)
    else:
        print(summary(model, (data.channels, side, side)))
    model = common.distributed_model(args, model)   # --distributed: DDP over the ranks
    common.run(args, model, train_loader, val_loader, predict=dense_predictor(),
               eval_loader=dense_loader,
               describe=f"{args.arch} at {side}×{side} on {data.name}: {len(train_loader.dataset)} "
                        f"training and {common.val_images(args, val_loader)} validation images")


if __name__ == "__main__":
    common.cli(main)
