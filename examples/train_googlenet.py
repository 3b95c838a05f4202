"""Train GoogLeNet (Szegedy et al., CVPR 2015) with its two auxiliary classifiers.

    python examples/train_googlenet.py                   # small GoogLeNet, embedded Fashion-MNIST
    python examples/train_googlenet.py -e --resume runs/googlenet/checkpoint_best.safetensors
    python examples/train_googlenet.py --data ~/imagenet --device cuda --input-size 224
    mpiexec -n 2 python examples/train_googlenet.py --distributed # data-parallel over 2 ranks

The paper's recipe and what this script makes of it:

    paper (ImageNet, DistBelief)                  here
    224×224 patches, mirrored                     --input-size 224: crops of 256×256, mirrored;
                                                  small (default on cpu): 28/32-pixel images
                                                  padded by 2 and cropped back, mirrored
    loss = main + 0.3 × (aux1 + aux2)             the same (minidl.models.googlenet_loss on the
                                                  torchvision-ordered GoogLeNetOutputs(logits,
                                                  aux_logits2, aux_logits1)); the auxiliary
                                                  heads are dropped at test time
    dropout 0.4 before the classifier, 0.7 in     the same
    the auxiliary heads
    asynchronous SGD, momentum 0.9, lr - 4%       synchronous SGD, momentum 0.9, wd 5e-4, lr
    every 8 epochs                                0.01 / 10 when validation top-1 stalls (over
                                                  a few epochs "4% every 8" would do nothing)
    test: 144 crops per image                     -e: one centred view (plain evaluation)

The progress bar and the log show the main classifier's accuracy; the loss includes the
auxiliary terms while training and is the main cross-entropy at validation.
"""
import os
# OpenBLAS's idle threads spin ~0.1 s after each product, slowing the Numba kernels that run
# next; set before NumPy loads, this puts them to sleep at once (kernels/threads.py)
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

import minidl  # noqa: E402
from minidl.data.transforms import CenterCrop, Compose, RandomCrop, RandomHorizontalFlip, Resize
from minidl.models import googlenet_loss, summary

import common


def transforms(args, data):
    end = common.finish_steps(data)
    if args.input_size == "small":
        return (Compose(common.small_steps(data, train=True) + end),
                Compose(common.small_steps(data, train=False) + end))
    s = args.input_size
    return (Compose([Resize(256), CenterCrop(256), RandomCrop(s), RandomHorizontalFlip()] + end),
            Compose([Resize(256), CenterCrop(s)] + end))


def main(argv=None):
    parser = common.make_parser(__doc__.splitlines()[0], archs=["googlenet"],
                                default_arch="googlenet", epochs=6, batch_size=128, lr=0.01)
    args = common.parse_args(parser, argv, paper_size=224)
    common.setup_distributed(args)   # --distributed: join the MPI ranks
    minidl.manual_seed(args.seed)

    data = common.find_data(args.data)
    side = common.small_side(data) if args.input_size == "small" else args.input_size
    model = common.build_model(parser, args.arch, data.num_classes, data.channels, side)
    train_loader, val_loader = common.make_loaders(args, data, *transforms(args, data))
    if not args.evaluate:
        print(summary(model, (data.channels, side, side)))
    model = common.distributed_model(args, model)   # --distributed: DDP over the ranks
    common.run(args, model, train_loader, val_loader, loss_fn=googlenet_loss,
               describe=f"{args.arch} at {side}×{side} on {data.name}: {len(train_loader.dataset)} "
                        f"training and {common.val_images(args, val_loader)} validation images")


if __name__ == "__main__":
    common.cli(main)
