"""A JSON-lines training log: one JSON object per line, appended as training goes.

Each record has an ``"event"`` key:

    {"event": "epoch", "epoch": 3, "lr": 0.01, "train_loss": 0.41, "train_acc1": 85.2, ...,
     "val_loss": 0.38, "val_acc1": 86.1, "val_acc5": 99.7, "epoch_time_s": 41.0, ...}
    {"event": "iteration", "epoch": 3, "iteration": 50, "loss": 0.40, "acc1": 85.9, "lr": 0.01}

Read it back with ``read_log(path)``, or with pandas: ``pd.read_json(path, lines=True)``.
One record per line, flushed at once, so a run killed mid-way leaves a readable log.
"""
import json
import math
import os


def _jsonable(value):
    # NaN/inf are not JSON: write null, so any JSON reader can read the log
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class JsonLinesLog:
    """``JsonLinesLog(path)``: ``write(record)`` appends one line; ``truncate_after(epoch)``
    drops what a resumed run will write again."""

    def __init__(self, path):
        self.path = os.fspath(path)
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)

    def write(self, record):
        line = json.dumps({k: _jsonable(v) for k, v in record.items()})
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    def truncate_after(self, epoch):
        """Keep only the records of epochs ``<= epoch`` (a run resumed after ``epoch``)."""
        if not os.path.exists(self.path):
            return
        kept = [r for r in read_log(self.path) if r.get("epoch", 0) <= epoch]
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(r) + "\n" for r in kept)
        os.replace(tmp, self.path)


def read_log(path, event=None):
    """The records of a JSON-lines log (only those with ``event`` when given); a torn last
    line, as a killed run may leave, is skipped."""
    records = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if event is None or record.get("event") == event:
                records.append(record)
    return records
