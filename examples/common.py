"""What the three example scripts share: the command line, finding the data, and the run.

Each ``train_<net>.py`` keeps what is particular to its paper in view -- the model, the
augmentations, how the paper evaluated -- and hands the rest to the functions here:

    args = parse_args(make_parser(...), argv)      # PyTorch's ImageNet-example flags
    data = find_data(args.data)                    # Fashion-MNIST IDX, CIFAR-10 binary, ImageFolder
    train_loader, val_loader = make_loaders(args, data, train_tf, val_tf)
    run(args, model, train_loader, val_loader)     # fit (or -e: evaluate) with minidl.train

``--distributed`` (under ``mpiexec -n P``) is three more calls, which any script can adopt:

    setup_distributed(args)          # after parse_args: join the MPI ranks, -b split over them
    model = distributed_model(args, model)   # DDP: rank 0's weights, gradients averaged
    make_loaders(...)                # then gives each rank its shard (DistributedSampler)

As in PyTorch's ImageNet example, the held-out split (Fashion-MNIST/CIFAR-10 "test", an
ImageFolder's ``val/``) is the validation set: its top-1 is what the learning-rate schedule
watches and what the scripts report.
"""
import argparse
import math
import os
import sys
import time
from dataclasses import dataclass

import numpy as np

import minidl
from minidl import nn
from minidl.backend import Device, require_cuda
from minidl.checkpoint import FORMAT as CHECKPOINT_FORMAT
from minidl.data import (CIFAR10, CorruptFileError, DataLoader, DataLoaderWorkerError, FashionMNIST,
                         ImageFolder, Subset)
from minidl.data.collate import CollateError
from minidl.data.transforms import (CenterCrop, Normalize, RandomCrop, RandomHorizontalFlip, Resize,
                                    ToTensor)
from minidl.optim import SGD
from minidl.optim.lr_scheduler import ReduceLROnPlateau
from minidl.models import get_model
from minidl.nn.module import StateDictError
from minidl.serialization import CheckpointError
from minidl.train import LAST, Trainer, TrainingDiverged, save_filter_grid
from minidl.train.checkpointing import load_weights

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


# -- the command line ------------------------------------------------------------------------
class DefaultsOnceFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """argparse's defaults formatter, minus its double talk: a help text that already says its
    default ("default: runs/<arch>") keeps its own words, and an option whose default is None or
    False (an unset path, an off switch) gets no "(default: None)" appended."""

    def _get_help_string(self, action):
        text = action.help or ""
        if ("default" in text.lower() or action.default is None or action.default is False
                or action.default == argparse.SUPPRESS):   # `is`: 0 == False, and 0 is a default
            return text
        return super()._get_help_string(action)


def make_parser(description, archs, default_arch, epochs, batch_size, lr=0.01, patience=1,
                workers=0):
    """The flags of PyTorch's ``imagenet/main.py`` plus ``--device``, ``--input-size``,
    ``--out``, ``--limit``; the defaults are each script's paper recipe scaled to small data."""
    p = argparse.ArgumentParser(description=description, formatter_class=DefaultsOnceFormatter)
    p.add_argument("--data", metavar="DIR", default=None,
                   help="a Fashion-MNIST/MNIST IDX folder, a CIFAR-10 binary folder, or an "
                        "ImageFolder with train/ and val/; default: the Fashion-MNIST subset "
                        "embedded in minidl")
    p.add_argument("-a", "--arch", default=default_arch, choices=archs, help="which net")
    p.add_argument("--epochs", type=int, default=epochs, help="total epochs to train")
    p.add_argument("-b", "--batch-size", type=int, default=batch_size, help="images per step")
    p.add_argument("--lr", "--learning-rate", type=float, default=lr, help="initial learning rate")
    p.add_argument("--momentum", type=float, default=0.9, help="SGD momentum")
    p.add_argument("--wd", "--weight-decay", type=float, default=5e-4, dest="weight_decay",
                   help="weight decay (L2 penalty)")
    p.add_argument("--patience", type=int, default=patience,
                   help="divide the rate by 10 after more than this many epochs in a row "
                        "without a better validation top-1")
    p.add_argument("--resume", metavar="PATH", default=None,
                   help="checkpoint to continue from (or, with -e, to evaluate: a checkpoint, "
                        "a run's output folder or a minidl.save state dict)")
    p.add_argument("-e", "--evaluate", action="store_true",
                   help="evaluate the --resume checkpoint on the validation set, as the paper did")
    p.add_argument("--seed", type=seed, default=0,
                   help="seeds the weights, dropout and data order (0 .. 2**63 - 1)")
    p.add_argument("--device", default="cpu", help="cpu or cuda (cuda:N)")
    p.add_argument("--input-size", default=None,
                   help="'small' (the narrowed net on 28x28/32x32 images) or the paper's input "
                        "side, e.g. 224 or 227; default: small on cpu, the paper's on cuda")
    p.add_argument("-j", "--workers", type=int, default=workers,
                   help="background processes that load and augment batches")
    p.add_argument("-p", "--print-freq", type=int, default=50,
                   help="also log a record every this many iterations")
    p.add_argument("--out", metavar="DIR", default=None, help="output folder; default runs/<arch>")
    p.add_argument("--limit", type=int, default=None,
                   help="use only the first N training and N validation images (quick checks)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars (log files)")
    p.add_argument("--tensorboard", action="store_true",
                   help="also write TensorBoard event files into the output folder: loss, "
                        "top-1/top-5, learning rate, conv1's filters (view: tensorboard --logdir "
                        "runs; needs pip install 'minidl[tensorboard]')")
    p.add_argument("--distributed", action="store_true",
                   help="data-parallel training over MPI ranks: run as mpiexec -n P python "
                        "SCRIPT --distributed. -b stays the total batch (each rank takes b/P, "
                        "as PyTorch's ImageNet example); if you grow it, scale --lr with it "
                        "(linear scaling rule, with a few epochs of warm-up)")
    return p


def seed(text):
    """``--seed``'s type: an integer from 0 to 2**63 - 1 (argparse reports anything else)."""
    value = int(text)   # a ValueError: argparse says "invalid seed value"
    if not 0 <= value < 2 ** 63:
        raise argparse.ArgumentTypeError(f"must be from 0 to 2**63 - 1, got {value}")
    return value


def parse_args(parser, argv=None, paper_size=224):
    """Parse and check the command line: every mistake a flag can carry (a negative batch
    size, a checkpoint that is not there, a GPU this machine lacks) ends here, as one line
    from ``parser.error``, before any data is read or a net is built."""
    args = parser.parse_args(argv)
    for flag, value, least in (("--epochs", args.epochs, 0),
                               ("-b/--batch-size", args.batch_size, 1),
                               ("--limit", args.limit, 1), ("-j/--workers", args.workers, 0),
                               ("--patience", args.patience, 0),
                               ("-p/--print-freq", args.print_freq, 0)):
        if value is not None and value < least:
            parser.error(f"{flag} must be at least {least}, got {value}")
    for flag, value in (("--lr", args.lr), ("--momentum", args.momentum),
                        ("--wd", args.weight_decay)):
        if not (math.isfinite(value) and value >= 0):
            parser.error(f"{flag} must be a non-negative number, got {value}")
    parse_device(parser, args.device)   # checked now: a usage error, not a failure mid-run
    for flag in ("resume", "init_from"):
        path = getattr(args, flag, None)
        if path is not None:
            check_checkpoint_path(parser, "--" + flag.replace("_", "-"), path,
                                  allow_dir=flag == "resume")
    if args.input_size is None:
        args.input_size = "small" if args.device == "cpu" else str(paper_size)
    if args.input_size != "small":
        if not args.input_size.isdigit():
            parser.error(f"--input-size must be 'small' or a number, got {args.input_size!r}")
        args.input_size = int(args.input_size)
    if args.evaluate and args.resume is None:
        parser.error("-e/--evaluate needs --resume CHECKPOINT (the weights to evaluate)")
    args.out = args.out or os.path.join("runs", args.arch)
    if not args.evaluate:
        check_writable(parser, args.out)
    return args


def check_writable(parser, out):
    """``--out`` must be a folder this run can create or write in: found out now, from the
    nearest part of the path that exists, rather than after the first epoch (a file in the
    way, a read-only disk, a folder of someone else's). Nothing is created here."""
    probe = os.path.abspath(out)
    while not os.path.lexists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        parser.error(f"--out {out}: cannot write there ({probe} is a file, not a folder)")
    if not os.access(probe, os.W_OK | os.X_OK):
        parser.error(f"--out {out}: cannot write there (no permission to write in {probe})")


def check_checkpoint_path(parser, flag, path, allow_dir):
    """``path`` must be a file (or, for --resume, a run's output folder holding one)."""
    if allow_dir and os.path.isdir(path):
        if not os.path.isfile(os.path.join(path, LAST)):
            parser.error(f"{flag} {path}: a folder without {LAST} (give the checkpoint file)")
    elif not os.path.isfile(path):
        parser.error(f"{flag} {path}: no such file")


def build_model(parser, name, num_classes, in_channels, input_size, **kwargs):
    """``get_model``, with a net that cannot take these images reported as a flag error."""
    try:
        return get_model(name, num_classes, in_channels, input_size, **kwargs)
    except ValueError as e:
        parser.error(f"-a {name} --input-size {input_size}: {e}")


# -- several ranks (--distributed) -----------------------------------------------------------
def setup_distributed(args):
    """With ``--distributed``: join the MPI process group, give each rank b/P of the batch, and
    silence ranks > 0's standard output (only rank 0 prints; errors still reach stderr).
    Sets ``args.rank`` and ``args.world_size`` ((0, 1) without the flag)."""
    args.rank, args.world_size = 0, 1
    if not getattr(args, "distributed", False):
        return args
    import minidl.distributed as dist
    try:
        dist.init_process_group("mpi")
    except RuntimeError as e:
        fail(f"--distributed: {e}")
    args.rank, args.world_size = dist.get_rank(), dist.get_world_size()
    if args.batch_size < args.world_size:
        fail(f"--distributed: -b {args.batch_size} is the total batch; it cannot be split "
             f"over {args.world_size} ranks")
    args.total_batch_size, args.batch_size = args.batch_size, args.batch_size // args.world_size
    if args.rank > 0:
        sys.stdout = open(os.devnull, "w")
    print(f"distributed: {args.world_size} ranks (MPI), batch {args.batch_size} per rank = "
          f"{args.batch_size * args.world_size} per step", flush=True)
    return args


def distributed_model(args, model):
    """With ``--distributed``: the model wrapped in DistributedDataParallel (every rank starts
    from rank 0's weights), and ranks > 0 given dropout streams of their own. Else `model`."""
    if args.world_size == 1:
        return model
    from minidl.distributed import rank_seed
    from minidl.nn.parallel import DistributedDataParallel
    ddp = DistributedDataParallel(model.to(args.device))
    if args.rank > 0:
        minidl.manual_seed(rank_seed(args.seed, args.rank))
    return ddp


def val_images(args, val_loader):
    """How many validation images the run has (with several ranks: all shards together)."""
    data = val_loader.dataset
    return len(data.dataset if getattr(args, "world_size", 1) > 1 else data)


def parse_device(parser, name):
    """``--device NAME`` as a Device, checked now (a usage error if unknown or absent)."""
    try:
        device = Device(name)
        if device.type == "cuda":
            require_cuda(device)
    except (ValueError, RuntimeError) as e:
        parser.error(f"--device {name}: {e}")
    return device


def fail(message):
    """Stop the script with one line on stderr (no traceback), exit status 1."""
    raise SystemExit(f"error: {message}")


# what bad files and folders raise once a run has started: a dataset file that does not parse
# or an image that does not decode (CorruptFileError names the file; from a worker process it
# arrives with a note saying which worker and batch), a batch that does not stack or that a
# worker cannot send back, a worker that died, and the operating system's refusals (a full
# disk, a folder that vanished; a loader's timeout is a TimeoutError, an OSError). Bugs raise
# other types and keep their traceback.
FILE_ERRORS = (CorruptFileError, CollateError, DataLoaderWorkerError, OSError)


def one_line(e):
    """An exception's message and the first line of each note (where a worker met it: the
    worker's traceback below that line is for bug reports, not for this line) as one line."""
    notes = [str(n).strip().splitlines()[0].rstrip(":") for n in getattr(e, "__notes__", ())
             if str(n).strip()]
    return " ".join("; ".join([str(e)] + notes).split())


def cli(main):
    """Run a script's ``main()``; Ctrl-C ends it without a traceback (exit status 130, as a
    shell's), after the Trainer has said where the run can be resumed from. A bad file met
    on the way (``FILE_ERRORS``: a corrupt image read for the colour statistics or mid-epoch,
    in the main process or a worker; a full disk) ends it with one line naming the file. With
    several ranks (--distributed) any of these on one rank ends every rank."""
    import minidl.distributed as dist
    try:
        with dist.abort_on_error():   # several ranks: one failing ends them all
            try:
                main()
            except FILE_ERRORS as e:
                fail(one_line(e))
    except KeyboardInterrupt as interrupt:
        if not getattr(interrupt, "reported", False):   # stopped before training began
            print("interrupted before training started: nothing to resume from", flush=True)
        raise SystemExit(130) from None


# -- the data --------------------------------------------------------------------------------
@dataclass
class Data:
    """A dataset found on disk: ``open(train, transform)`` builds either split."""
    name: str
    open: object
    num_classes: int
    channels: int
    image_size: int      # native side (28, 32); 32 for ImageFolder at the small size
    mean: tuple
    std: tuple


def _stats(images):
    """Per-channel mean and std in 0..1 units of an (N, H, W, C) uint8 array. A channel that
    is one value throughout (std 0, or rounding's 1e-13) gets std 1: its mean is subtracted
    and nothing is divided by zero."""
    x = images.reshape(-1, images.shape[-1]).astype(np.float64) / 255
    std = x.std(axis=0)
    return tuple(x.mean(axis=0)), tuple(np.where(std > 1e-6, std, 1.0))


def find_data(path):
    """Which dataset ``--data`` is, by the files in it (``None``: the embedded subset)."""
    if path is None:
        return _arrays("Fashion-MNIST (the subset embedded in minidl)",
                       lambda train, tf: FashionMNIST(None, train, tf))
    if not os.path.isdir(path):
        raise SystemExit(f"--data {path}: not a folder")
    try:
        for name, cls in (("Fashion-MNIST/MNIST (IDX files)", FashionMNIST),
                          ("CIFAR-10 (binary)", CIFAR10)):
            try:
                cls(path, train=False)
            except FileNotFoundError:
                continue
            return _arrays(f"{name} from {path}", lambda train, tf, cls=cls: cls(path, train, tf))
        train_dir, val_dir = os.path.join(path, "train"), os.path.join(path, "val")
        if os.path.isdir(train_dir) and os.path.isdir(val_dir):
            classes = ImageFolder(train_dir).classes
            return Data(f"ImageFolder {path}",
                        lambda train, tf: ImageFolder(train_dir if train else val_dir, tf),
                        len(classes), 3, 32, IMAGENET_MEAN, IMAGENET_STD)
    except (ValueError, OSError) as e:   # a dataset's files that are there but broken
        fail(f"--data {path}: {one_line(e)}")
    raise SystemExit(f"--data {path}: found neither IDX files (train-images-idx3-ubyte[.gz]), "
                     "nor CIFAR-10 binary batches (data_batch_1.bin), nor train/ and val/ "
                     "class folders")


def _arrays(name, open_split):
    train = open_split(True, None)
    mean, std = _stats(train.data)
    return Data(name, open_split, len(train.classes), train.data.shape[-1], train.data.shape[1],
                mean, std)


def small_side(data):
    """The side the small nets train on: the images' own 28 or 32 (an ImageFolder: 32)."""
    return data.image_size


def small_steps(data, train):
    """Augmentation for the small nets: the papers' random crops and mirror images, scaled
    down -- pad by 2 pixels and crop back at a random offset, flip half of the images. An
    ImageFolder's photos are first shrunk to 32 pixels."""
    side = small_side(data)
    resize = [Resize(side), CenterCrop(side)] if data.name.startswith("ImageFolder") else []
    if not train:
        return resize
    return resize + [RandomCrop(side, padding=2), RandomHorizontalFlip()]


def finish_steps(data):
    """Every pipeline ends the same: per-channel mean and std of the training set, then CHW."""
    return [Normalize(data.mean, data.std), ToTensor()]


def make_loaders(args, data, train_tf, val_tf, select=None):
    """Training and validation loaders; ``select(dataset)`` (e.g. a class subset, for
    finetune.py) is applied to both splits before ``--limit``."""
    train, val = data.open(True, train_tf), data.open(False, val_tf)
    if select is not None:
        train, val = select(train), select(val)
    if args.limit:
        train = Subset(train, range(min(args.limit, len(train))))
        val = Subset(val, range(min(args.limit, len(val))))
    # the loader's seed fixes every epoch's order and augmentations: a resumed run sees the
    # same batches as an uninterrupted one
    rank, world = getattr(args, "rank", 0), getattr(args, "world_size", 1)
    if world == 1:
        train_loader = DataLoader(train, args.batch_size, shuffle=True, num_workers=args.workers,
                                  seed=args.seed)
        val_loader = DataLoader(val, args.batch_size, num_workers=args.workers, seed=args.seed)
        return train_loader, val_loader
    # several ranks: one shared order cut into shards (the sampler's seed is the run's),
    # augmentations drawn per rank (the loader's seed); validation split without padding, so
    # the averaged metrics count every image exactly once
    from minidl.data import DistributedSampler
    from minidl.distributed import rank_seed
    sampler = DistributedSampler(train, world, rank, shuffle=True, seed=args.seed)
    train_loader = DataLoader(train, args.batch_size, sampler=sampler, num_workers=args.workers,
                              seed=rank_seed(args.seed, rank))
    val_loader = DataLoader(Subset(val, range(rank, len(val), world)), args.batch_size,
                            num_workers=args.workers, seed=args.seed)
    return train_loader, val_loader


# -- the run ---------------------------------------------------------------------------------
def first_conv(model):
    return next(m for m in model.modules() if isinstance(m, nn.Conv2d))


def run(args, model, train_loader, val_loader, loss_fn=None, predict=None, eval_loader=None,
        describe="", optimizer=None):
    """Train with the papers' recipe (SGD + momentum + weight decay, rate / 10 on a plateau of
    validation top-1), or with ``-e`` evaluate a checkpoint (``predict``/``eval_loader``: the
    paper's evaluation, e.g. ten crops). `optimizer`: one built by the caller (finetune.py's
    parameter groups) instead of SGD over every parameter. Returns the final validation
    metrics."""
    if optimizer is None:
        optimizer = SGD(model.parameters(), lr=args.lr, momentum=args.momentum,
                        weight_decay=args.weight_decay)
    scheduler = ReduceLROnPlateau(optimizer, mode="max", factor=0.1, patience=args.patience)
    writer = None
    if getattr(args, "tensorboard", False) and not args.evaluate and getattr(args, "rank", 0) == 0:
        from minidl.utils.tensorboard import SummaryWriter
        try:
            writer = SummaryWriter(args.out)
        except ImportError as e:
            fail(f"--tensorboard: {e}")
    trainer = Trainer(model, optimizer, loss_fn, scheduler, device=args.device,
                      out_dir=None if args.evaluate else args.out, log_every=args.print_freq,
                      progress=not args.no_progress, tensorboard=writer)
    if describe:
        print(describe)
    if args.evaluate:
        what = load_for_evaluation(trainer, args.resume)
        how = "the paper's way" if predict is not None else "one centred view per image"
        print(f"evaluating {args.resume} ({what}), {how}")
        m = trainer.evaluate(eval_loader or val_loader, predict=predict)
        print(f"* top-1 {m['acc1']:.2f}%  top-5 {m['acc5']:.2f}%  on {m['images']} images "
              f"({m['time_s']:.1f} s)")
        return m
    start = time.perf_counter()
    try:
        history = trainer.fit(train_loader, val_loader, args.epochs, resume=args.resume)
    except CheckpointError as e:   # only --resume's loading raises it; nothing was loaded
        fail(f"--resume: {one_line(e)}")
    except TrainingDiverged:       # the Trainer has printed what happened and what to try
        raise SystemExit(1) from None
    finally:
        if writer is not None:
            writer.close()
    if getattr(args, "rank", 0) != 0:
        return history[-1] if history else {}
    filters = os.path.join(args.out, "filters_conv1.png")
    save_filter_grid(first_conv(model).weight, filters,
                     title=f"{args.arch}: first-layer filters after {trainer.epoch} epochs")
    if not history:
        return {}
    last = history[-1]
    best = max(history, key=lambda r: r["val_acc1"])
    print(f"* final validation top-1 {last['val_acc1']:.2f}%  top-5 {last['val_acc5']:.2f}%  "
          f"(best {best['val_acc1']:.2f}% after epoch {best['epoch']}), "
          f"{time.perf_counter() - start:.0f} s; wrote {args.out}/: log.jsonl, curves.png, "
          f"checkpoint_last.safetensors, checkpoint_best.safetensors, filters_conv1.png")
    return last


def load_for_evaluation(trainer, path):
    """Load the weights to evaluate: a training checkpoint (a file or a run's folder) or a
    plain state dict saved with ``minidl.save(model.state_dict(), path)``. A file that does not
    fit the net stops the script with one line, the net untouched. Returns what was loaded,
    for the report."""
    try:
        if os.path.isdir(path):
            path = os.path.join(path, LAST)
        state = minidl.load(path)
        if state.get("format") == CHECKPOINT_FORMAT:
            trainer.load_checkpoint(path)
            return f"after epoch {trainer.epoch}"
        load_weights(path, trainer.model)
        return "a state dict"
    except (CheckpointError, StateDictError) as e:
        fail(f"--resume: {e}")
