"""AlexNet's two towers (the paper's section 3.2): one net split over two ranks, as it was over
two GPUs, trained on the embedded Fashion-MNIST; prints where the time went.

    mpiexec -n 2 python examples/alexnet_two_towers.py            # small AlexNet, 2 epochs
    mpiexec -n 2 python examples/alexnet_two_towers.py --epochs 5 --limit 2000

Both ranks build the same single-process ``alexnet_small(lrn_groups=2)`` from the seed and keep
their half (``minidl.models.alexnet_towers``); both read the same batches (model parallelism:
one batch, two halves of the net). The towers exchange activations only into conv3, fc6, fc7
and fc8, an all-gather forward and a reduce-scatter of the gradients backward; the time spent
inside those collectives is the "exchange" below (it includes the time one tower waits for the
other to reach the same layer), the rest of a step is "compute".

On one machine the exchange is a memory copy between processes, so it is small; on the paper's
two GTX 580s it crossed PCIe, and the point of the design was that it happened only at four
layers. No checkpoints are written: this is a demonstration of the split, not a training run
to keep (``train_alexnet.py --distributed`` is the data-parallel way to use several ranks).
"""
import argparse
import time

import minidl
import minidl.distributed as dist
from minidl import nn
from minidl.data import DataLoader, FashionMNIST, Subset
from minidl.data.transforms import Compose, Normalize, ToTensor
from minidl.distributed import functional as exchange
from minidl.models.alexnet import AlexNet, PAPER_CHANNELS
from minidl.models.alexnet_towers import AlexNetTower
from minidl.optim import SGD


def small_grouped_alexnet(seed):
    """alexnet_small's sizes, with the paper's per-GPU LRN (the net the towers split)."""
    minidl.manual_seed(seed)
    channels = tuple(c // 4 + (c // 4) % 2 for c in PAPER_CHANNELS)   # 24-64-96-96-64
    return AlexNet(10, 1, 28, channels=channels, hidden=512, conv1=(5, 1, 2), init="kaiming",
                   lrn_groups=2)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("-b", "--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--limit", type=int, default=None, help="use only the first N images")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    if not 0 <= args.seed < 2 ** 63:
        p.error(f"--seed must be from 0 to 2**63 - 1, got {args.seed}")
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    if world != 2:
        raise SystemExit(f"error: the two towers need exactly 2 ranks (mpiexec -n 2), got {world}")
    say = print if rank == 0 else (lambda *a, **k: None)

    tower = AlexNetTower.from_alexnet(small_grouped_alexnet(args.seed), rank)
    minidl.manual_seed(dist.rank_seed(args.seed, rank))     # each tower its own dropout masks
    tf = Compose([Normalize(0.286, 0.353), ToTensor()])
    train, val = FashionMNIST(None, True, tf), FashionMNIST(None, False, tf)
    if args.limit:
        train, val = Subset(train, range(args.limit)), Subset(val, range(args.limit))
    # the same seed on both ranks: the same batches in the same order
    train_loader = DataLoader(train, args.batch_size, shuffle=True, seed=args.seed)
    val_loader = DataLoader(val, 500)
    optimizer = SGD(tower.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss()
    n_params = sum(q.data.size for q in tower.parameters())
    say(f"rank {rank}'s tower: {n_params:,} parameters (fc8 held on both ranks); "
        f"{len(train)} training images, batch {args.batch_size}")

    for epoch in range(args.epochs):
        tower.train()
        exchange.reset_exchange_time()
        start, seen, loss_sum = time.perf_counter(), 0, 0.0
        for images, labels in train_loader:
            loss = loss_fn(tower(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            seen += labels.shape[0]
            loss_sum += loss.item() * labels.shape[0]
        step_s = time.perf_counter() - start
        ex = dict(exchange.exchange_time)
        tower.eval()
        correct = 0
        with minidl.no_grad():
            for images, labels in val_loader:
                correct += int((tower(images).argmax(1) == labels).sum().item())
        moved = ex["bytes"] / 2**20
        ex_s = ex["forward_s"] + ex["backward_s"]
        say(f"epoch {epoch + 1} | train loss {loss_sum / seen:.4f} | val top-1 "
            f"{100 * correct / len(val):.2f}% | {step_s:.1f} s: compute {step_s - ex_s:.1f} s, "
            f"exchange {ex_s:.2f} s ({100 * ex_s / step_s:.1f}%; forward {ex['forward_s']:.2f} "
            f"s, backward {ex['backward_s']:.2f} s, {moved:.0f} MiB received)")
    dist.barrier()


if __name__ == "__main__":
    with dist.abort_on_error():
        main()
