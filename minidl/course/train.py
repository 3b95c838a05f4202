"""The capstone, ``python -m minidl.course train DIR``: AlexNet trained on the student's kernels.

Every kernel file of DIR that passes its checks (``conv.py``, ``pool.py``, ``lrn.py``,
``dropout.py``, ``relu.py``, written with ``start``) replaces minidl's own kernel of that family
in the real framework, and ``alexnet_small`` trains on the embedded Fashion-MNIST subset for a
couple of epochs; then the same run (same seed, same batches) on minidl's own kernels, and the
two test accuracies side by side.

A wrong kernel is a clear failure, never a silent NaN: a file that fails its checks is left out
(or, with --include-failing, used anyway), every output of the student's kernels is checked
for NaN and infinity while training, and an exception in the student's code shows the student's
own file and line.
"""
import io
import os
import sys
import time
import types

import numpy as np

from . import assignments
from .grading import load_student, student_frames

# the kernel families the capstone swaps in, from the assignment list: conv, relu, lrn, pool,
# dropout (each in DIR/<family>.py)
FAMILIES = tuple(a.family for a in assignments.ASSIGNMENTS if a.family)


class KernelFailure(RuntimeError):
    """A student's kernel produced NaN or infinity from finite inputs."""


def _finite(a):
    return not (hasattr(a, "dtype") and a.dtype.kind == "f" and a.size and
                not np.isfinite(a).all())


def guarded(module, family, path):
    """A stand-in for the student's module whose functions check that finite inputs give
    finite outputs, and name the function when they do not."""
    ns = types.SimpleNamespace()
    for name in dir(module):
        f = getattr(module, name)
        if name.startswith("__") or not callable(f) or isinstance(f, type):
            setattr(ns, name, f)
            continue

        def wrapper(*args, _f=f, _name=name, **kwargs):
            out = _f(*args, **kwargs)
            if all(_finite(a) for a in args):
                for o in (out if isinstance(out, tuple) else (out,)):
                    if not _finite(o):
                        raise KernelFailure(
                            f"your {_name} in {path} returned NaN or infinity from finite "
                            f"inputs (shapes {[tuple(a.shape) for a in args if hasattr(a, 'shape')]})")
            return out
        setattr(ns, name, wrapper)
    ns.__name__ = f"student {family} ({path})"
    return ns


def swapped(kernels):
    """minidl running on `kernels` (family -> module) inside the block: the kernel-selection
    API, ``minidl.kernels.use(conv=..., pool=...)``; every op of every layer then calls the
    student's functions for those families (and an own conv module runs every convolution,
    no Winograd)."""
    import minidl.kernels as K
    return K.use(**kernels)


def gather(directory, include_failing, out):
    """family -> guarded module for each finished kernel in `directory`; prints why each
    other family stays minidl's own."""
    from .cli import check_file
    chosen = {}
    for fam in FAMILIES:
        path = os.path.join(directory, f"{fam}.py")
        if not os.path.isfile(path):
            print(f"  {fam:<8} {path} not found: minidl's own kernel", file=out)
            continue
        report = io.StringIO()
        passed, total = check_file(fam, path, out=report)
        lines = report.getvalue().splitlines()
        todo = sum(line.startswith("TODO") for line in lines)
        if total == 0 or todo == total - 1:       # all but the signature check: untouched
            why = "not started" if total else "does not import"
            print(f"  {fam:<8} {path}: {why}: minidl's own kernel", file=out)
            continue
        if passed < total and not include_failing:
            print(f"  {fam:<8} {path}: fails {total - passed} of {total} checks (python -m "
                  f"minidl.course check {fam} {path}): minidl's own kernel (--include-failing "
                  "uses it anyway)", file=out)
            continue
        mark = "passes all" if passed == total else f"FAILS {total - passed} of"
        print(f"  {fam:<8} {path}: {mark} {total} checks: YOURS", file=out)
        chosen[fam] = (guarded(load_student(path), fam, path), path)
    return chosen


def run(epochs, limit, batch_size, seed, out, label):
    """Train alexnet_small; returns the test accuracy after each epoch."""
    import minidl
    import minidl.functional as F
    from minidl.data import DataLoader, FashionMNIST, Subset
    from minidl.data.transforms import Compose, Normalize, ToTensor
    from minidl.models import alexnet_small
    from minidl.optim import SGD

    minidl.manual_seed(seed)
    to_input = Compose([ToTensor(), Normalize((0.286,), (0.353,))])
    train_set = FashionMNIST(train=True, transform=to_input)
    test_set = FashionMNIST(train=False, transform=to_input)
    if limit:
        train_set = Subset(train_set, range(min(limit, len(train_set))))
        test_set = Subset(test_set, range(min(limit, len(test_set))))
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, seed=seed)
    test_loader = DataLoader(test_set, batch_size=500)
    model = alexnet_small(num_classes=10, in_channels=1, input_size=28)
    optimizer = SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    accuracies = []
    for epoch in range(epochs):
        t0 = time.perf_counter()
        model.train()
        for step, (images, labels) in enumerate(train_loader):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            if not np.isfinite(loss.item()):
                raise KernelFailure(f"the loss became {loss.item()} at epoch {epoch + 1}, step "
                                    f"{step + 1}: a kernel's backward sends wrong gradients")
            loss.backward()
            optimizer.step()
        model.eval()
        correct = 0
        with minidl.no_grad():
            for images, labels in test_loader:
                correct += int((model(images).argmax(1) == labels).sum().item())
        accuracies.append(correct / len(test_set))
        print(f"  {label}: epoch {epoch + 1}: loss {loss.item():.3f}, test accuracy "
              f"{accuracies[-1]:.1%} ({time.perf_counter() - t0:.0f} s)", file=out, flush=True)
    return accuracies


def train(directory, epochs=2, limit=None, batch_size=64, include_failing=False, compare=True,
          seed=0, out=sys.stdout):
    """The capstone; returns the exit status (0: trained on at least one kernel of yours)."""
    if not os.path.isdir(directory):
        print(f"{directory}: no such folder (write kernels there with `python -m minidl.course "
              f"start conv {directory}` and the like)", file=out)
        return 2
    print(f"your kernels in {directory}:", file=out)
    chosen = gather(directory, include_failing, out)
    if not chosen:
        print("no finished kernel of yours to train with: finish one (check NAME FILE passes), "
              "then train again", file=out)
        return 1
    names = ", ".join(chosen)
    print(f"training alexnet_small on the embedded Fashion-MNIST for {epochs} epoch(s)"
          + (f", first {limit} images" if limit else "") + f", seed {seed}, with YOUR {names}",
          file=out)
    if not limit:
        print("(NumPy kernels take a few minutes an epoch on 8,000 images; --limit 2000 for a "
              "quicker run)", file=out)
    out.flush()
    try:
        with swapped({fam: mod for fam, (mod, _) in chosen.items()}):
            yours = run(epochs, limit, batch_size, seed, out, "yours  ")
    except KernelFailure as e:
        print(f"FAILED: {e}. Run `python -m minidl.course check` on each of: {names}.", file=out)
        return 1
    except Exception as e:   # the student's code raised: their own file and line
        frames = []
        for _, path in chosen.values():
            frames += student_frames(e, path)
        print(f"FAILED: {type(e).__name__}: {e}", file=out)
        if frames:
            print("\n".join(["  raised at"] + frames), file=out)
        return 1
    line = f"your kernels ({names}) trained AlexNet: {yours[-1]:.1%} test accuracy"
    if compare:
        theirs = run(epochs, limit, batch_size, seed, out, "minidl's")
        line += f"; minidl's own kernels, same seed: {theirs[-1]:.1%}"
    print(line, file=out)
    return 0
