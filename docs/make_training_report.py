"""The training record of the guide: each example net trained on the full Fashion-MNIST, its
curves and numbers, in d2l's manner (from a recorded run, not typed).

    python docs/make_training_report.py --record alexnet RUN_DIR CONSOLE_LOG EPOCHS  # keep a run
    python docs/make_training_report.py                                         # the page

``--record NAME RUN_DIR CONSOLE_LOG EPOCHS [NOTE]`` copies a finished (or interrupted) run's
``log.jsonl`` and its console output (with GNU ``time -v``'s report when it was stopped early)
into docs/training/ (small text files), notes the epochs it was started with, and, for
AlexNet, keeps conv1's weights from its best checkpoint (docs/training/alexnet_conv1.npy,
600 numbers, which docs/make_figures.py draws).
Without arguments it draws docs/training/<net>_curves.png and writes docs/training.md from
whatever records are there.
"""
import json
import os
import re
import shutil
import sys

import numpy as np
from matplotlib.figure import Figure

HERE = os.path.dirname(os.path.abspath(__file__))
RECORDS = os.path.join(HERE, "training")
NETS = {  # name: (script, what it is)
    "alexnet": ("train_alexnet.py", "the small AlexNet (LRN, two groups, overlapping pools, "
                                    "dropout; 0.54M weights)"),
    "vgg11": ("train_vgg.py -a vgg11", "the small VGG-11, configuration A (0.91M weights)"),
    "googlenet": ("train_googlenet.py", "the small GoogLeNet with its two auxiliary classifiers "
                                        "(0.46M weights; its training loss includes theirs, "
                                        "weighted 0.3 each)"),
}
DATA = "/usr/share/datasets/fashion-mnist"


def record(name, run_dir, console_log, epochs, note=""):
    """Keep a run: `epochs` is what it was started with; `note` says why it stopped early."""
    os.makedirs(RECORDS, exist_ok=True)
    with open(os.path.join(RECORDS, f"{name}.json"), "w", encoding="utf-8") as f:
        json.dump({"epochs": int(epochs), "note": note}, f)
    shutil.copyfile(os.path.join(run_dir, "log.jsonl"), os.path.join(RECORDS, f"{name}.jsonl"))
    shutil.copyfile(console_log, os.path.join(RECORDS, f"{name}.log"))
    best = os.path.join(run_dir, "checkpoint_best.safetensors")
    if name == "alexnet" and os.path.isfile(best):
        from minidl.models import alexnet_small
        from minidl.train.checkpointing import load_weights
        model = alexnet_small()
        load_weights(best, model)
        np.save(os.path.join(RECORDS, "alexnet_conv1.npy"),
                model.features[0].weight.data.astype(np.float32))


def read(name):
    """The epochs and iterations of a recorded run, and what its console said at the end."""
    epochs, iterations = [], []
    with open(os.path.join(RECORDS, f"{name}.jsonl"), encoding="utf-8") as f:
        for line in f:
            event = json.loads(line)
            (epochs if event["event"] == "epoch" else iterations).append(event)
    with open(os.path.join(RECORDS, f"{name}.log"), encoding="utf-8") as f:
        console = f.read()
    final = re.search(r"\* final validation .*?(\d+) s;", console)
    if final:
        return epochs, iterations, console, int(final.group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)",
                     console)                  # GNU time -v, when the run was stopped early
    if wall:
        h, m, sec = wall.groups()
        return epochs, iterations, console, -(int(h or 0) * 3600 + int(m) * 60 + float(sec))
    return epochs, iterations, console, None


def curves(name, epochs, iterations):
    fig = Figure(figsize=(9, 3.2))
    a, b = fig.subplots(1, 2)
    per_epoch = max((it["iteration"] for it in iterations), default=1)
    steps = [it["epoch"] - 1 + it["iteration"] / per_epoch for it in iterations]
    a.plot(steps, [it["loss"] for it in iterations], lw=0.8, color="0.6",
           label="training loss (every 50 batches)")
    e = [ep["epoch"] for ep in epochs]
    a.plot(e, [ep["train_loss"] for ep in epochs], "o-", label="training loss (epoch mean)")
    a.plot(e, [ep["val_loss"] for ep in epochs], "s-", label="test loss")
    a.set_xlabel("epoch"), a.legend(fontsize=8), a.set_title("loss", fontsize=9)
    b.plot(e, [ep["train_acc1"] for ep in epochs], "o-", label="training top-1 (augmented)")
    b.plot(e, [ep["val_acc1"] for ep in epochs], "s-", label="test top-1")
    b.set_xlabel("epoch"), b.set_ylabel("%"), b.legend(fontsize=8)
    b.set_title("accuracy", fontsize=9)
    fig.suptitle(f"{name} on the full Fashion-MNIST (60,000 training, 10,000 test images)",
                 fontsize=10)
    fig.savefig(os.path.join(RECORDS, f"{name}_curves.png"), dpi=90, bbox_inches="tight")


def section(name, epochs, iterations, total_s):
    script, what = NETS[name]
    with open(os.path.join(RECORDS, f"{name}.json"), encoding="utf-8") as f:
        meta = json.load(f)
    asked, note = meta["epochs"], meta.get("note", "")
    if not epochs:
        return f"## {name}\n\nNo epoch finished in the recorded run.\n"
    best = max(epochs, key=lambda ep: ep["val_acc1"])
    last = epochs[-1]
    train_s = sum(ep["train_time_s"] for ep in epochs)
    lines = [f"## {name}", "",
             f"{what[0].upper() + what[1:]}, `python examples/{script} --data {DATA} --epochs "
             f"{asked}` (the script's other defaults: batch 128, SGD with momentum 0.9, "
             f"weight decay 5e-4, learning rate 0.01 divided by 10 when the test top-1 stops "
             f"improving).", "",
             f"**Test top-1 {last['val_acc1']:.2f}%** after {len(epochs)} epochs (best "
             f"{best['val_acc1']:.2f}% after epoch {best['epoch']}; top-5 "
             f"{last['val_acc5']:.2f}%). Time: "
             + (f"{total_s / 60:.0f} min in all" if total_s and total_s > 0 else
                f"the run was stopped after epoch {len(epochs)} of {asked}"
                + (f" ({note})" if note else "")
                + (f", {-total_s / 60:.0f} min wall-clock in all" if total_s else ""))
             + f", {train_s / 60:.0f} min of it training ({60000 * len(epochs) / train_s:.0f} "
             f"images/s on average).", "",
             f"![{name}: loss and accuracy per epoch](training/{name}_curves.png)", "",
             "| epoch | lr | training loss | training top-1 | test loss | test top-1 | test top-5 "
             "| training time |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for ep in epochs:
        lines.append(f"| {ep['epoch']} | {ep['lr']:g} | {ep['train_loss']:.4f} | "
                     f"{ep['train_acc1']:.2f}% | {ep['val_loss']:.4f} | {ep['val_acc1']:.2f}% | "
                     f"{ep['val_acc5']:.2f}% | {ep['train_time_s']:.0f} s |")
    return "\n".join(lines) + "\n"


def main(argv):
    if argv[:1] == ["--record"]:
        record(*argv[1:6])
        return
    parts = []
    for name in NETS:
        if os.path.isfile(os.path.join(RECORDS, f"{name}.jsonl")):
            epochs, iterations, _, total_s = read(name)
            if epochs:
                curves(name, epochs, iterations)
            parts.append(section(name, epochs, iterations, total_s))
    head = """# Training record: each net on the full Fashion-MNIST

*Written by `python docs/make_training_report.py` from the runs recorded in `docs/training/`
(each run's `log.jsonl` and console output); do not edit by hand.*

The three example scripts, each run once on the full Fashion-MNIST (`apt-get install
dataset-fashion-mnist` puts it in `/usr/share/datasets/fashion-mnist`): 60,000 training images
with the scripts' augmentation (random crops and mirror images), the 10,000 test images as the
validation set, 28×28, one channel. Every run here shared a 2-core machine with about eight
other jobs, so the times are a loaded laptop's, not a benchmark; the epoch counts were chosen to
fit that budget (d2l trains its nets 10 epochs on a GPU). Test top-1 is on the plain images
(no ten-crop). Chance is 10%; the Fashion-MNIST benchmark lists about 84% for logistic
regression.

"""
    with open(os.path.join(HERE, "training.md"), "w", encoding="utf-8") as f:
        f.write(head + "\n".join(parts))
    print("wrote docs/training.md from", ", ".join(n for n in NETS
                                                  if os.path.isfile(os.path.join(RECORDS, f"{n}.jsonl"))))


if __name__ == "__main__":
    main(sys.argv[1:])
