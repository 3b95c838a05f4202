"""``minidl.optim``: optimizers and learning-rate schedules, with PyTorch's names and semantics.

    opt = minidl.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    sched = minidl.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.1)
    for epoch in ...:
        for x, y in loader:
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
        sched.step(val_error)
"""
from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "lr_scheduler"]
