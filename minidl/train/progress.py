"""The progress bar: tqdm when it is installed, else a plain line every tenth of the way.

    bar = progress(loader, desc="epoch 3/10")
    for images, labels in bar:
        ...
        bar.set_postfix(loss=0.41, acc1=85.2, img_s=930)

shows ``epoch 3/10:  40%|████      | 25/63 [00:10<00:15, loss=0.41, acc1=85.2, img_s=930]``.
Messages printed while a bar is on screen go through ``bar.write`` so they do not break it.
"""
import sys


def progress(iterable, total=None, desc=None, enabled=True):
    """A bar over ``iterable`` with ``set_postfix(**values)``, ``write(msg)`` and ``close()``."""
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)
    if not enabled:
        return PlainBar(iterable, total, desc, every=None)
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return PlainBar(iterable, total, desc)
    tty = sys.stderr.isatty()
    # in a log file (CI, nohup) a redraw every half second would fill it: redraw rarely there
    return tqdm(iterable, total=total, desc=desc, dynamic_ncols=True, unit="batch",
                mininterval=0.5 if tty else 15.0)


def _format(values):
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in values.items())


class PlainBar:
    """tqdm's interface, printing ``desc i/total key=value ...`` about ten times per pass
    (``every=None``: never)."""

    def __init__(self, iterable, total=None, desc=None, every=-1):
        self.iterable, self.total, self.desc = iterable, total, desc or ""
        self.every = max(1, (total or 10) // 10) if every == -1 else every
        self.postfix = {}

    def __iter__(self):
        i = 0
        for i, item in enumerate(self.iterable, 1):
            yield item
            if self.every and (i % self.every == 0 or i == self.total):
                self.write(f"{self.desc} {i}/{self.total or '?'} {_format(self.postfix)}")

    def __len__(self):
        return self.total

    def set_postfix(self, ordered_dict=None, refresh=True, **values):
        self.postfix = dict(ordered_dict or {}, **values)

    def write(self, message, file=None):
        print(message, file=file or sys.stderr, flush=True)

    def close(self):
        pass
