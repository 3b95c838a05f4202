"""What the experiment scripts share: resumable records, small training loops, and the report's
arithmetic (mean ± std over seeds, the verdict rule).

A *run* is (experiment, arm, config, seed). Its record is one JSON line in the experiment's
``records.jsonl``::

    {"experiment": "transfer", "arm": "AnB", "config": {...every setting...}, "seed": 0,
     "key": "...", "history": [{"epoch": 0.5, "train_loss": ..., "train_err": ...}, ...],
     "final": {"test_top1": 0.84, ...}, "seconds": 12.3, "finished": "2026-12-01T21:40:00Z"}

``Records.run(...)`` returns the stored record when that key is already there, so rerunning an
interrupted command skips what finished and does the rest. A line is appended (and flushed) only
when its run has finished, so a kill mid-run loses only that run.

Every record carries, besides its config (the key), the fields a report needs to stand alone:
``claim`` (the experiment), ``arm``, ``seed``, ``lr``, ``epochs`` (trained), ``train_images``,
``test_images``, ``dataset`` (name and SHA-256 of every file read), ``init``, ``threshold`` (when
used), ``momentum``, ``weight_decay``, ``schedule``, ``augment``, ``threads``, ``versions``
(minidl commit, NumPy, Numba, Python) and the per-epoch ``history``. Reports take every number
from the records; the verdict rule is verdict.py.

Threads: the machine these were written on has 2 cores shared with other jobs, so one BLAS / Numba
thread per process is the default (``MINIDL_EXPERIMENT_THREADS`` changes it). Import this module
before numpy/minidl for it to take effect. Imported after NumPy (a test importing it, say) it
leaves the environment alone: the libraries have read it already, and a NUMBA_NUM_THREADS that
no longer matches the running thread pool makes Numba's next compilation fail.
"""
import os
import sys

_THREADS = os.environ.get("MINIDL_EXPERIMENT_THREADS", "1")
if "numpy" not in sys.modules:
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                 "NUMBA_NUM_THREADS"):
        os.environ.setdefault(_var, _THREADS)

import datetime  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import minidl  # noqa: E402
from minidl import functional as F  # noqa: E402
from minidl.data import default_fashion_mnist_root, embedded_root, read_idx  # noqa: E402
from minidl.optim import SGD  # noqa: E402

FASHION_MEAN, FASHION_STD = 0.286, 0.353

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def provenance(records):
    """A paragraph for a report: the commit(s) of the code its records were made with, and
    which files of that code (minidl/, kernels/, examples/) differ between them and from the
    checkout the report is written in."""
    commits = sorted({r.get("commit", "unknown (made before records carried a commit)")
                      for r in records})
    if not commits:
        return ""
    where = commits[0] if len(commits) == 1 else "several: " + ", ".join(commits)
    text = (f"Code these records were made with (git commit of minidl, kernels and examples; "
            f"'+changes' marks uncommitted edits there): {where}.")
    known = [c for c in commits if all(ch in "0123456789abcdef" for ch in c)]
    if len(known) > 1:
        changed = _changed(known[0], known[-1])
        if changed is not None:
            text += (" Between those commits " + ("these files of that code changed: "
                     + ", ".join(changed) if changed else "no file of that code changed") + ".")
    diffs = [_changed(c, "HEAD") for c in known]
    if known and None not in diffs:
        changed = sorted(set().union(*diffs))
        text += (f" From {'them' if len(known) > 1 else 'it'} to the checkout that wrote this "
                 f"report ({git_commit(_ROOT)}): " + (", ".join(changed) + " changed"
                                                     if changed else "no file of that code "
                                                     "changed") + ".")
    return text + " To remake the records on other code, delete the records file and rerun."


def _changed(a, b):
    """Files under minidl/, kernels/, examples/ that differ between commits a and b, or None
    when git cannot say (not a checkout, unknown commit)."""
    try:
        import subprocess
        out = subprocess.run(["git", "-C", _ROOT, "diff", "--name-only", a, b, "--", "minidl",
                              "kernels", "examples"], capture_output=True, text=True, timeout=10)
    except (OSError, ValueError):
        return None
    return out.stdout.split() if out.returncode == 0 else None


# -- records -------------------------------------------------------------------------------------
# what every run's config must state (copied to the record's top level); "epochs" in the config
# is the most a run may train, the record's "epochs" what it did
REQUIRED = ("lr", "epochs", "train_images", "test_images", "dataset", "init", "threshold",
            "momentum", "weight_decay", "schedule", "augment")


def versions():
    """The code a record was made with: minidl's commit, NumPy, Numba, Python."""
    import platform
    try:
        import numba
        nb = numba.__version__
    except ImportError:   # pragma: no cover - numba is a dependency
        nb = None
    return {"minidl": code_commit(), "numpy": np.__version__, "numba": nb,
            "python": platform.python_version()}


def threads():
    """The thread counts the run had: Numba's pool and the BLAS/OpenMP environment."""
    out = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                          "NUMBA_NUM_THREADS")}
    try:
        import numba
        out["numba"] = numba.get_num_threads()
    except ImportError:   # pragma: no cover
        pass
    return out


_hashes = {}


def sha256(path):
    """SHA-256 of a file (hex), computed once per process."""
    path = os.path.abspath(path)
    if path not in _hashes:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        _hashes[path] = h.hexdigest()
    return _hashes[path]


def run_key(experiment, arm, config, seed):
    """A stable key: the same settings give the same key in any process."""
    text = json.dumps([experiment, arm, config, seed], sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(text.encode()).hexdigest()[:16]


class Records:
    """The finished runs of one experiment, kept in a JSON-lines file (append only)."""

    def __init__(self, path):
        self.path = os.fspath(path)
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        self.by_key = {}
        if os.path.exists(self.path):
            with open(self.path, encoding="utf-8") as f:
                for line in f:
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError:  # a line cut by a kill: that run is redone
                        continue
                    self.by_key[record["key"]] = record

    def get(self, experiment, arm, config, seed):
        return self.by_key.get(run_key(experiment, arm, config, seed))

    def run(self, experiment, arm, config, seed, fn, log=print):
        """The record of (experiment, arm, config, seed): stored, or made now by ``fn()``.

        ``fn()`` returns ``{"history": [...], "final": {...}}``; the rest is added here. The
        config must hold every field of REQUIRED (the record copies them to its top level)."""
        key = run_key(experiment, arm, config, seed)
        if key in self.by_key:
            return self.by_key[key]
        missing = [k for k in REQUIRED if k not in config]
        if missing:
            raise ValueError(f"Records.run({experiment}, {arm}): the config lacks {missing}")
        start = time.time()
        out = fn()
        history = out.get("history", [])
        record = {"experiment": experiment, "claim": experiment, "arm": arm, "config": config,
                  "seed": seed, "key": key,
                  **{k: config[k] for k in REQUIRED},
                  "epochs": out.get("epochs", history[-1]["epoch"] if history else 0),
                  "max_epochs": config["epochs"],
                  "history": history, "final": out["final"],
                  "commit": code_commit(), "versions": versions(), "threads": threads(),
                  "seconds": round(time.time() - start, 2),
                  "finished": datetime.datetime.now(datetime.timezone.utc)
                  .strftime("%Y-%m-%dT%H:%M:%SZ")}
        line = json.dumps(record, sort_keys=True, allow_nan=True)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.by_key[key] = record
        summary = ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}"
                            for k, v in record["final"].items() if not isinstance(v, (list, dict)))
        log(f"[{record['finished']}] {experiment} {arm} seed {seed}: {summary} "
            f"({record['seconds']:.1f} s)", flush=True)
        return record

    def select(self, experiment=None, **match):
        """Records whose experiment and config entries equal the given ones."""
        out = []
        for r in self.by_key.values():
            if experiment is not None and r["experiment"] != experiment:
                continue
            if all(r["config"].get(k) == v for k, v in match.items()):
                out.append(r)
        return out


# -- data ----------------------------------------------------------------------------------------
def fashion_root(data=None, quick=False):
    """(folder, description): the quick mode reads the embedded 8k/2k subset (CI needs no
    download); otherwise `data`, else Debian's full set, else the embedded subset."""
    if quick:
        return embedded_root(), "embedded subset (8,000 train / 2,000 test)"
    if data:
        return data, f"Fashion-MNIST IDX files in {data}"
    full = default_fashion_mnist_root()
    if full:
        return full, "full Fashion-MNIST (60,000 train / 10,000 test, Debian dataset-fashion-mnist)"
    return embedded_root(), ("embedded subset (8,000 train / 2,000 test): the full set is not "
                             "installed (apt-get install dataset-fashion-mnist)")


def _idx_path(root, name):
    for candidate in (name, name + ".gz"):
        path = os.path.join(root, candidate)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(f"{name}[.gz] not found in {root}")


IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
             "t10k-labels-idx1-ubyte")


def dataset_id(root, description):
    """What a record says of its data: the description (which Fashion-MNIST), the number of
    training and test images in the files, and the SHA-256 of each file read."""
    files = {os.path.basename(_idx_path(root, n)): sha256(_idx_path(root, n)) for n in IDX_FILES}
    return {"name": description, "files": files}


def load_idx_split(root, train):
    """(images (N, 28, 28) uint8, labels (N,) int64) of one Fashion-MNIST/MNIST split."""
    stem = "train" if train else "t10k"
    images = read_idx(_idx_path(root, f"{stem}-images-idx3-ubyte"))
    labels = read_idx(_idx_path(root, f"{stem}-labels-idx1-ubyte")).astype(np.int64)
    return images, labels


def normalize(images):
    """uint8 (N, H, W) or (N, H, W, C) -> float32 (N, C, H, W), Fashion-MNIST's mean/std."""
    x = images.astype(np.float32) / 255.0
    x = x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)
    return np.ascontiguousarray((x - FASHION_MEAN) / FASHION_STD)


def per_class(labels, classes, count, rng):
    """Indices of `count` images of each class in `classes` (all when count is None),
    drawn by `rng`, in a shuffled order."""
    picked = []
    for c in classes:
        idx = np.flatnonzero(labels == c)
        picked.append(idx if count is None else rng.choice(idx, size=min(count, len(idx)),
                                                             replace=False))
    out = np.concatenate(picked)
    rng.shuffle(out)
    return out


# -- training ------------------------------------------------------------------------------------
def logits_of(out):
    """Main logits of a net's output (GoogLeNet's training output is a namedtuple)."""
    return out[0] if isinstance(out, tuple) else out


def train(model, X, y, *, epochs, lr, seed, batch_size=64, momentum=0.9, weight_decay=5e-4,
          lr_drop=0.75, augment=None, loss_fn=None, records_per_epoch=1, stop_below=None,
          evals=None, epoch_evals=None, plateau=None, stop=None):
    """Plain SGD on arrays. X (N, C, H, W) float32, y (N,) int64. Returns the history:
    ``records_per_epoch`` records per epoch, each the running training loss and error over its
    stretch of batches (the error of the net as it trained, dropout on), the learning rate, and
    for each ``evals`` entry ``name: (X, y)`` the eval-mode error ``name`` on that set
    (``epoch_evals``: the same, only in each epoch's last record).

    Schedules: ``lr_drop`` f divides lr by 10 from epoch ceil(f · epochs) on (None: constant);
    ``plateau = dict(on=name, patience=p, drops=k)`` instead divides it by 10 when the eval
    error ``name`` (measured at each epoch's end) has not fallen below its best for p epochs,
    and stops at the (k + 1)-th such plateau or after ``epochs``: the papers' "divide by 10 when
    the validation error stops improving". Only parameters with requires_grad are given to SGD.
    ``augment(batch, rng)`` changes each batch. ``stop_below``: stop once a stretch's running
    training error is below it; ``stop(history)``: stop when it returns True (checked at each
    record). A non-finite loss stops the run (history's last record says ``diverged``).
    """
    params = [p for p in model.parameters() if p.requires_grad]
    opt = SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    rng = np.random.default_rng(seed)
    loss_fn = loss_fn or (lambda out, t: F.cross_entropy(logits_of(out), t))
    evals = evals or {}
    history = []
    n = len(X)
    steps = math.ceil(n / batch_size)
    cuts = {round(steps * k / records_per_epoch) for k in range(1, records_per_epoch + 1)}
    drop_epoch = math.ceil(epochs * lr_drop) if (lr_drop and not plateau) else None
    best, waited, drops, current = float("inf"), 0, 0, lr
    for epoch in range(epochs):
        if drop_epoch is not None and epoch == drop_epoch:
            current = lr / 10
        for g in opt.param_groups:
            g["lr"] = current
        model.train()
        order = rng.permutation(n)
        loss_sum = err_sum = seen = 0.0
        for step in range(steps):
            idx = order[step * batch_size:(step + 1) * batch_size]
            xb = X[idx]
            if augment is not None:
                xb = augment(xb, rng)
            xb, yb = minidl.Tensor(np.ascontiguousarray(xb)), minidl.Tensor(y[idx])
            out = model(xb)
            loss = loss_fn(out, yb)
            value = float(loss.item())
            if not math.isfinite(value):
                history.append({"epoch": round(epoch + (step + 1) / steps, 4),
                                "train_loss": value, "train_err": float("nan"), "lr": current,
                                "diverged": True})
                return history
            opt.zero_grad()
            loss.backward()
            opt.step()
            pred = logits_of(out).data.argmax(axis=1)
            loss_sum += value * len(idx)
            err_sum += float((pred != y[idx]).sum())
            seen += len(idx)
            if step + 1 in cuts:
                h = {"epoch": round(epoch + (step + 1) / steps, 4),
                     "train_loss": loss_sum / seen, "train_err": err_sum / seen, "lr": current}
                last = step + 1 == steps
                for name, (Xe, ye) in list(evals.items()) + (list((epoch_evals or {}).items())
                                                             if last else []):
                    h[name] = 1 - evaluate(model, Xe, ye)
                history.append(h)
                loss_sum = err_sum = seen = 0.0
                if stop_below is not None and h["train_err"] < stop_below:
                    return history
                if stop is not None and stop(history):
                    return history
        if plateau:
            value = history[-1][plateau["on"]]
            if value < best:
                best, waited = value, 0
            else:
                waited += 1
                if waited >= plateau["patience"]:
                    if drops >= plateau["drops"]:
                        history[-1]["plateau_stop"] = True
                        return history
                    drops, waited, current = drops + 1, 0, current / 10
    return history


def predict_probs(model, X, batch_size=500):
    """Softmax outputs (N, classes) in eval mode, no graph."""
    was = model.training
    model.eval()
    out = []
    with minidl.no_grad():
        for i in range(0, len(X), batch_size):
            out.append(F.softmax(logits_of(model(minidl.Tensor(X[i:i + batch_size]))), dim=1).data)
    model.train(was)
    return np.concatenate(out)


def accuracy(probs, y):
    return float((probs.argmax(axis=1) == y).mean())


def evaluate(model, X, y):
    """Top-1 accuracy of `model` on (X, y)."""
    return accuracy(predict_probs(model, X), y)


def diverged(history):
    return bool(history) and bool(history[-1].get("diverged"))


# -- the report's arithmetic ---------------------------------------------------------------------
def mean_std(values):
    """(mean, sample std with ddof=1 -- 0 for one value, count) of the finite values."""
    v = np.array([x for x in values if x is not None and math.isfinite(x)], dtype=np.float64)
    if len(v) == 0:
        return float("nan"), float("nan"), 0
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0, len(v)


def fmt(mean, std, n, scale=100.0, digits=1):
    """'84.2 ± 0.3' (percent by default); '—' when nothing finished."""
    if n == 0 or not math.isfinite(mean):
        return "—"
    return f"{mean * scale:.{digits}f} ± {std * scale:.{digits}f}"


def paired(records_a, records_b, metric):
    """Per-seed differences metric(b) - metric(a) over the seeds both arms finished."""
    a = {r["seed"]: metric(r) for r in records_a}
    b = {r["seed"]: metric(r) for r in records_b}
    return [b[s] - a[s] for s in sorted(set(a) & set(b))]


def git_commit(root):
    """The checkout's commit (short), '+changes' when minidl/, kernels/ or examples/ have
    uncommitted edits; 'unknown' outside a git checkout."""
    try:
        import subprocess
        out = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--",
                                "minidl", "kernels", "examples"],
                               capture_output=True, text=True, timeout=10)
        commit = out.stdout.strip()
        return (commit + ("+changes" if dirty.stdout.strip() else "")) if commit else "unknown"
    except (OSError, ValueError):
        return "unknown"


_commit = None


def code_commit():
    """git_commit of this checkout, asked once per process."""
    global _commit
    if _commit is None:
        _commit = git_commit(_ROOT)
    return _commit
