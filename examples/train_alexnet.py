"""Train AlexNet (Krizhevsky, Sutskever & Hinton, NIPS 2012) and watch it learn.

    python examples/train_alexnet.py                     # small AlexNet, embedded Fashion-MNIST
    python examples/train_alexnet.py -e --resume runs/alexnet/checkpoint_best.safetensors
    python examples/train_alexnet.py --resume runs/alexnet/checkpoint_last.safetensors --epochs 20
    python examples/train_alexnet.py --data ~/cifar-10-batches-bin --device cuda --input-size 227
    mpiexec -n 2 python examples/train_alexnet.py --distributed   # data-parallel over 2 ranks

The paper's recipe and what this script makes of it:

    paper (ImageNet, 2 GPUs)                      here
    227×227 crops of 256×256 images, mirrored     --input-size 227 (224 pads conv1): the same;
                                                  small (default on cpu): 28/32-pixel images
                                                  padded by 2 and cropped back, mirrored
    PCA colour augmentation, a_i ~ N(0, 0.1)      the same, on RGB data
    mean subtraction                              per-channel mean and std of the training set
    SGD, batch 128, momentum 0.9, wd 5e-4         the same
    lr 0.01, / 10 when validation error stalls    the same (ReduceLROnPlateau on val top-1)
    weights N(0, 0.01²), biases 1 in conv2,4,5    the same at the paper's size; the small net
    and fc6, fc7                                  starts from Kaiming init (--init), see below
    ~90 epochs                                    --epochs (default sized for a few CPU minutes)
    test: ten patches, softmax averaged           -e at the paper's size: the same

The small net starts from Kaiming init: with the paper's N(0, 0.01²) its narrow layers pass
almost no signal and it stays at chance (see ``minidl.models.alexnet_small``; ``--init paper``
shows it).

Writes to runs/alexnet/: log.jsonl, curves.png, checkpoint_last/best.safetensors and
filters_conv1.png -- the first layer's learned kernels, the paper's figure 3.
"""
import os
# OpenBLAS's idle threads spin ~0.1 s after each product, slowing the Numba kernels that run
# next; set before NumPy loads, this puts them to sleep at once (kernels/threads.py)
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

import minidl  # noqa: E402
from minidl.data.transforms import (CenterCrop, Compose, PCAColorAugmentation, RandomCrop,
                                    RandomHorizontalFlip, Resize, compute_pca)
from minidl.models import summary, ten_crop_predict

import common


def transforms(args, data):
    """(train, validation, -e evaluation) pipelines."""
    colour = []
    if data.channels == 3:   # the paper's colour augmentation: along the RGB principal axes
        colour = [PCAColorAugmentation(*compute_pca(data.open(True, None)), std=0.1)]
    end = common.finish_steps(data)
    if args.input_size == "small":
        train = common.small_steps(data, train=True) + colour + end
        val = common.small_steps(data, train=False) + end
        return Compose(train), Compose(val), Compose(val)
    s = args.input_size
    train = [Resize(256), CenterCrop(256), RandomCrop(s), RandomHorizontalFlip()] + colour + end
    val = [Resize(256), CenterCrop(s)] + end
    ten_crop = [Resize(256), CenterCrop(256)] + end   # ten_crop_predict cuts the ten patches
    return Compose(train), Compose(val), Compose(ten_crop)


def main(argv=None):
    parser = common.make_parser(__doc__.splitlines()[0], archs=["alexnet", "alexnet_torchvision"],
                                default_arch="alexnet", epochs=15, batch_size=128, lr=0.01)
    parser.add_argument("--init", choices=["paper", "kaiming", "xavier"], default=None,
                        help="weight initialisation; default: the model's (paper at the paper's "
                             "size, kaiming for the small net)")
    args = common.parse_args(parser, argv, paper_size=227)
    common.setup_distributed(args)   # --distributed: join the MPI ranks
    minidl.manual_seed(args.seed)   # the weights and every dropout mask follow from the seed

    data = common.find_data(args.data)
    side = common.small_side(data) if args.input_size == "small" else args.input_size
    init = {} if args.init is None else {"init": args.init}
    model = common.build_model(parser, args.arch, data.num_classes, data.channels, side, **init)
    train_tf, val_tf, eval_tf = transforms(args, data)
    train_loader, val_loader = common.make_loaders(args, data, train_tf, val_tf)

    predict = eval_loader = None
    if args.evaluate and args.input_size != "small":
        _, eval_loader = common.make_loaders(args, data, train_tf, eval_tf)
        predict = lambda model, images: ten_crop_predict(model, images, side)  # noqa: E731
    if not args.evaluate:
        print(summary(model, (data.channels, side, side)))
    model = common.distributed_model(args, model)   # --distributed: DDP over the ranks
    common.run(args, model, train_loader, val_loader, predict=predict, eval_loader=eval_loader,
               describe=f"{args.arch} at {side}×{side} on {data.name}: {len(train_loader.dataset)} "
                        f"training and {common.val_images(args, val_loader)} validation images")


if __name__ == "__main__":
    common.cli(main)
